import { Construct } from "constructs";
import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";

export interface ApiGatewayLoggingRoleProps {
  /** Role name, prefix included. */
  readonly roleName: string;
}

/**
 * The role API Gateway uses to write execution and access logs, set as the account's CloudWatch role. This is
 * one setting per account and region (`aws_api_gateway_account`): exactly one stack should own it.
 */
export class ApiGatewayLoggingRole extends Construct {
  public readonly role: IamRole;
  public readonly account: ApiGatewayAccount;

  constructor(scope: Construct, id: string, props: ApiGatewayLoggingRoleProps) {
    super(scope, id);
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
      description: "Lets API Gateway write execution and access logs to CloudWatch Logs",
      assumeRolePolicy: trust.json,
    });
    const attachment = new IamRolePolicyAttachment(this, "push-to-logs", {
      role: this.role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    });
    this.account = new ApiGatewayAccount(this, "account", {
      cloudwatchRoleArn: this.role.arn,
      dependsOn: [attachment],
    });
  }
}
