import { Token } from "cdktf";
import { Construct } from "constructs";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { ValidationError } from "../constructs/validation-error";

export interface ApiGatewayLoggingRoleProps {
  /** Role name. IAM is global, so it names the region the setting is for. */
  readonly roleName: string;
}

/**
 * The role API Gateway uses to write execution and access logs, set as the account's CloudWatch role. This is
 * one setting per account and region (`aws_api_gateway_account`), shared by every REST API there: exactly one
 * Terraform state should own it, which is why it lives in the bootstrap and not in an app stack.
 */
export class ApiGatewayLoggingRole extends Construct {
  public readonly role: IamRole;
  public readonly account: ApiGatewayAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayLoggingRoleProps) {
    super(scope, id);
    if (!Token.isUnresolved(props.roleName) && props.roleName.length > 64)
      throw new ValidationError(`roleName must be at most 64 characters, received "${props.roleName}"`, this);
    const trust = new DataAwsIamPolicyDocument(this, "trust", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: "Lets API Gateway write execution and access logs to CloudWatch Logs (account setting of this region)",
      assumeRolePolicy: trust.json,
    });
    const attachment = new IamRolePolicyAttachment(this, "push-to-logs", {
      role: this.role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    });
    this.account = new ApiGatewayAccount(this, "account", {
      cloudwatchRoleArn: this.role.arn,
      // Provider 5.x defaults to leaving the account setting as it is on destroy: it would then keep pointing at
      // the role this construct deletes along with it, and every stage's logging in the region would fail.
      // `reset_on_delete` clears it instead, which is what provider 6 always does (it removes the argument).
      // 5.x marks the argument deprecated, so `terraform validate` warns about it; drop it on the upgrade to 6.
      resetOnDelete: true,
      dependsOn: [attachment],
    });
  }
}
