import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { AppDashboard } from "../constructs/app-dashboard";
import { LIVE_ALIAS } from "../constructs/node-function";
import { LambdaRestApi } from "../constructs/lambda-rest-api";
import { BUSINESS_METRICS } from "../lambda-packages/shared/metrics";
import { RegionalWaf } from "../constructs/regional-waf";
import { BaseStack, BaseStackProps } from "./base-stack";
import type { ComputeStack } from "./compute-stack";
import type { DataStack } from "./data-stack";
import { APP_TABLES, tableOperations } from "./function-access";
import { ROUTES } from "./routes";
import type { FunctionName } from "../config/schema";

export interface ApiStackProps extends BaseStackProps {
  /** Supplies the app key for the API's log groups. */
  readonly data: DataStack;
  /** Supplies the functions behind the routes. */
  readonly compute: ComputeStack;
}

/**
 * The API layer: the REST API, its stage and logs, the invoke permissions (kept here, on the caller's side, so
 * compute-stack never depends on the API) and, when enabled, the WAF. The stage's logging needs API Gateway's
 * account-level CloudWatch role, which the bootstrap app sets once per account and region (app/bootstrap/).
 */
export class ApiStack extends BaseStack {
  public readonly restApi: LambdaRestApi;
  public readonly waf?: RegionalWaf;
  public readonly dashboard: AppDashboard;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, compute } = props;
    const api = config.api;

    // API Gateway invokes each function's `live` alias: a release moves the alias, never the API.
    const target = (name: FunctionName) => ({
      name,
      functionName: compute.functions[name].function.functionName,
      qualifier: LIVE_ALIAS,
      invokeArn: compute.functions[name].alias.invokeArn,
    });

    this.restApi = new LambdaRestApi(this, "rest-api", {
      name: this.prefixed("api"),
      stageName: api.stageName,
      routes: ROUTES.map((route) => ({ method: route.method, path: route.path, auth: route.auth, target: target(route.function) })),
      authorizer: { target: target("authorizer"), cacheTtlSeconds: api.authorizerCacheTtlSeconds },
      corsOrigins: api.corsOrigins,
      throttling: api.throttling,
      routeThrottling: api.routeThrottling,
      executionLogLevel: api.executionLogLevel,
      logRetentionDays: api.accessLogRetentionDays,
      kmsKeyArn: props.data.appKey.key.arn,
      alarms: {
        topicArn: props.data.alarmTopic.topic.arn,
        periodSeconds: config.monitoring.periodSeconds,
        evaluationPeriods: config.monitoring.evaluationPeriods,
        serverErrors: config.monitoring.api5xxErrors,
        clientErrorRate: config.monitoring.api4xxRate,
        latencyP99Ms: config.monitoring.apiLatencyP99Ms,
        integrationLatencyP99Ms: config.monitoring.apiIntegrationLatencyP99Ms,
      },
    });

    // The dashboard spans all three layers; it lives here, in the stack that can reference the other two.
    this.dashboard = new AppDashboard(this, "dashboard", {
      dashboardName: this.prefixed("dashboard"),
      region: config.region,
      api: { apiName: this.restApi.api.name, stageName: api.stageName },
      functions: Object.fromEntries(Object.entries(compute.functions).map(([name, fn]) => [name, fn.function.functionName])),
      tables: Object.fromEntries(
        APP_TABLES.map((table) => [table, { name: props.data.tables[table].table.name, operations: tableOperations(table) }]),
      ),
      businessMetrics: { namespace: compute.metricsNamespace, metrics: BUSINESS_METRICS },
    });

    if (api.waf.enabled) {
      this.waf = new RegionalWaf(this, "waf", {
        name: this.prefixed("api-waf"),
        resourceArn: this.restApi.stage.arn,
        rateLimitPer5Minutes: api.waf.rateLimitPer5Minutes,
        anonymousIpList: api.waf.anonymousIpList,
        // The routes that take credentials without a session (sign-up, log-in): a much tighter limit per IP.
        routeRateLimits: ROUTES.filter((route) => route.auth === "none" && route.method === "POST").map((route) => ({
          name: `${route.method}${route.path.replace(/[^A-Za-z0-9]+/g, "-")}`.toLowerCase(),
          method: route.method,
          path: route.path,
          limitPer5Minutes: api.waf.credentialRateLimitPer5Minutes,
        })),
        logging: {
          kmsKeyArn: props.data.appKey.key.arn,
          retentionInDays: api.accessLogRetentionDays,
          accountId: props.data.accountId,
          region: config.region,
        },
      });
    }

    new TerraformOutput(this, "api_invoke_url", {
      value: this.restApi.invokeUrl,
      description: "Base URL of the API stage, e.g. <url>/health",
    });
    new TerraformOutput(this, "api_id", { value: this.restApi.api.id, description: "Id of the REST API" });
    new TerraformOutput(this, "api_stage_name", { value: this.restApi.stage.stageName, description: "Name of the API stage" });
    new TerraformOutput(this, "dashboard_url", {
      value: this.dashboard.url,
      description: "CloudWatch dashboard of the API, the functions and the tables",
    });
    if (this.waf) {
      new TerraformOutput(this, "web_acl_arn", {
        value: this.waf.webAcl.arn,
        description: "Web ACL associated with the stage (npm run verify checks the association)",
      });
    }
    new TerraformOutput(this, "api_access_log_group_name", {
      value: this.restApi.accessLogGroup.name,
      description: "Log group of the stage's JSON access logs",
    });
  }
}
