import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { ApiGatewayLoggingRole } from "../constructs/api-gateway-logging-role";
import { LambdaRestApi } from "../constructs/lambda-rest-api";
import { RegionalWaf } from "../constructs/regional-waf";
import { BaseStack, BaseStackProps } from "./base-stack";
import type { ComputeStack } from "./compute-stack";
import type { DataStack } from "./data-stack";
import { ROUTES } from "./routes";

export interface ApiStackProps extends BaseStackProps {
  /** Supplies the app key for the API's log groups. */
  readonly data: DataStack;
  /** Supplies the functions behind the routes. */
  readonly compute: ComputeStack;
}

/**
 * The API layer: the REST API, its stage and logs, the invoke permissions (kept here, on the caller's side, so
 * compute-stack never depends on the API) and, when enabled, the WAF and the account's API Gateway logging role.
 */
export class ApiStack extends BaseStack {
  public readonly restApi: LambdaRestApi;
  public readonly loggingRole?: ApiGatewayLoggingRole;
  public readonly waf?: RegionalWaf;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, compute } = props;
    const api = config.api;

    if (api.manageAccountCloudWatchRole) {
      this.loggingRole = new ApiGatewayLoggingRole(this, "logging-role", {
        roleName: this.prefixed("apigateway-cloudwatch"),
      });
    }

    const target = (name: (typeof ROUTES)[number]["function"]) => {
      const fn = compute.functions[name];
      if (!fn) throw new Error(`routes: the ${name} function is not defined in compute-stack`);
      return { functionName: fn.function.functionName, invokeArn: fn.function.invokeArn };
    };
    const authorizerFunction = compute.functions.authorizer;

    this.restApi = new LambdaRestApi(this, "rest-api", {
      name: this.prefixed("api"),
      stageName: api.stageName,
      routes: ROUTES.map((route) => ({ method: route.method, path: route.path, auth: route.auth, target: target(route.function) })),
      authorizer: authorizerFunction
        ? { target: target("authorizer"), cacheTtlSeconds: api.authorizerCacheTtlSeconds }
        : undefined,
      throttling: api.throttling,
      routeThrottling: api.routeThrottling,
      executionLogLevel: api.executionLogLevel,
      logRetentionDays: api.accessLogRetentionDays,
      kmsKeyArn: props.data.appKey.key.arn,
      stageDependsOn: this.loggingRole ? [this.loggingRole.account] : [],
    });

    if (api.waf.enabled) {
      this.waf = new RegionalWaf(this, "waf", {
        name: this.prefixed("api-waf"),
        resourceArn: this.restApi.stage.arn,
        rateLimitPer5Minutes: api.waf.rateLimitPer5Minutes,
      });
    }

    new TerraformOutput(this, "api_invoke_url", {
      value: this.restApi.invokeUrl,
      description: "Base URL of the API stage, e.g. <url>/health",
    });
    new TerraformOutput(this, "api_id", { value: this.restApi.api.id, description: "Id of the REST API" });
    new TerraformOutput(this, "api_stage_name", { value: this.restApi.stage.stageName, description: "Name of the API stage" });
    new TerraformOutput(this, "api_access_log_group_name", {
      value: this.restApi.accessLogGroup.name,
      description: "Log group of the stage's JSON access logs",
    });
  }
}
