import { Construct } from "constructs";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";

export interface ServiceRoleProps {
  /** The AWS service that assumes the role, e.g. "lambda.amazonaws.com". */
  readonly service: string;
  /** Only this account's use of the service may assume it (`aws:SourceAccount`), against the confused deputy. */
  readonly accountId: string;
  readonly name: string;
  readonly description: string;
}

/**
 * A role an AWS service assumes on this account's behalf, as the construct ids `assume-role` (its trust policy)
 * and `role` in `scope`: the caller owns the ids, so a construct that adopts this keeps its resource addresses.
 */
export function serviceRole(scope: Construct, props: ServiceRoleProps): IamRole {
  const assumeRole = new DataAwsIamPolicyDocument(scope, "assume-role", {
    statement: [
      {
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: [props.service] }],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }],
      },
    ],
  });
  return new IamRole(scope, "role", { name: props.name, description: props.description, assumeRolePolicy: assumeRole.json });
}
