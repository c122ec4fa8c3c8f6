import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { ApiGatewayLoggingRole } from "./api-gateway-logging-role";
import { BootstrapStack } from "./bootstrap-stack";

/** The bootstrap stack that sets API Gateway's CloudWatch role for the account and region. */
export const API_GATEWAY_ACCOUNT_STACK_ID = "api-gateway-account";

export interface ApiGatewayAccountStackProps {
  /** Region whose account setting this is: the app's `region`. */
  readonly region: string;
  /** Environment whose config this is run with: names the state file. */
  readonly environment: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Folder of the state file `state/<environment>/api-gateway-account.tfstate`; app/bootstrap/ from the CLI. */
  readonly stateDir: string;
}

/**
 * API Gateway's account-level CloudWatch role for one account and region: without it, a stage with access or
 * execution logging fails to deploy ("CloudWatch Logs role ARN must be set in account settings"). Deployed once
 * per account and region, before any app stack. The role's name is the same for every environment of this app
 * (`api-gateway-cloudwatch-logs-<region>`), so running this with a second config in an account that already has
 * it fails on the existing role instead of silently taking the setting over.
 */
export class ApiGatewayAccountStack extends BootstrapStack {
  public readonly loggingRole: ApiGatewayLoggingRole;

  constructor(scope: Construct, id: string, props: ApiGatewayAccountStackProps) {
    super(scope, id, { ...props, stateFile: `state/${props.environment}/${id}.tfstate` });
    this.loggingRole = new ApiGatewayLoggingRole(this, "logging-role", { roleName: apiGatewayCloudWatchRoleName(props.region) });
    new TerraformOutput(this, "cloudwatch_role_arn", {
      value: this.loggingRole.role.arn,
      description: "Role API Gateway writes logs with: the account setting of this region",
    });
  }
}

/** `api-gateway-cloudwatch-logs-<region>`: one role per region, since the account setting is per region. */
export function apiGatewayCloudWatchRoleName(region: string): string {
  return `api-gateway-cloudwatch-logs-${region}`;
}
