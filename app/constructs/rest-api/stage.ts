import { Construct } from "constructs";
import type { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { constructIdOf, type Throttle } from "./types";

/** Fields of each access log line (JSON, one object per request). */
export const ACCESS_LOG_FORMAT = {
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTimeEpoch",
  sourceIp: "$context.identity.sourceIp",
  userAgent: "$context.identity.userAgent",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  path: "$context.path",
  protocol: "$context.protocol",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integration.latency",
  integrationStatus: "$context.integration.status",
  integrationError: "$context.integration.error",
  authorizerError: "$context.authorizer.error",
  errorResponseType: "$context.error.responseType",
  xrayTraceId: "$context.xrayTraceId",
} as const;

export interface StageProps {
  readonly api: ApiGatewayRestApi;
  readonly deployment: ApiGatewayDeployment;
  /** The API's name; names the access log group. */
  readonly name: string;
  readonly stageName: string;
  readonly logRetentionDays: number;
  /** Encrypts both log groups. */
  readonly kmsKeyArn: string;
}

export interface StageWithLogs {
  readonly stage: ApiGatewayStage;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly executionLogGroup: CloudwatchLogGroup;
}

/**
 * The stage, with X-Ray and JSON access logs (ACCESS_LOG_FORMAT), and both its log groups created by us with
 * retention and the app key. Ids in `scope`: `access-logs`, `execution-logs`, `stage`.
 */
export function addStageWithLogs(scope: Construct, props: StageProps): StageWithLogs {
  const accessLogGroup = new CloudwatchLogGroup(scope, "access-logs", {
    name: `/aws/apigateway/${props.name}/${props.stageName}/access`,
    retentionInDays: props.logRetentionDays,
    kmsKeyId: props.kmsKeyArn,
  });
  // API Gateway writes execution logs to this fixed name and would create it without retention or key.
  const executionLogGroup = new CloudwatchLogGroup(scope, "execution-logs", {
    name: `API-Gateway-Execution-Logs_${props.api.id}/${props.stageName}`,
    retentionInDays: props.logRetentionDays,
    kmsKeyId: props.kmsKeyArn,
  });
  const stage = new ApiGatewayStage(scope, "stage", {
    restApiId: props.api.id,
    deploymentId: props.deployment.id,
    stageName: props.stageName,
    xrayTracingEnabled: true,
    accessLogSettings: {
      destinationArn: accessLogGroup.arn,
      format: JSON.stringify(ACCESS_LOG_FORMAT),
    },
    dependsOn: [executionLogGroup],
    // With the API's: a new API gets its new stage before the old stage and API are deleted.
    lifecycle: { createBeforeDestroy: true },
  });
  return { stage, accessLogGroup, executionLogGroup };
}

export interface MethodSettingsProps {
  readonly api: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly executionLogLevel: "OFF" | "ERROR" | "INFO";
  /** Stage-wide throttling (`*` / `*`). */
  readonly throttling: Throttle;
  /** Throttling of single routes, keyed "METHOD /path". @default none */
  readonly routeThrottling?: Readonly<Record<string, Throttle>>;
}

/**
 * Detailed metrics, execution logging and throttling: stage-wide, then one override per throttled route, each
 * after the one before, because API Gateway rejects concurrent updates of a stage. Ids in `scope`:
 * `settings-all`, `settings-<method>-<path>`.
 */
export function addMethodSettings(scope: Construct, props: MethodSettingsProps): void {
  const settings = (throttle: Throttle) => ({
    metricsEnabled: true,
    loggingLevel: props.executionLogLevel,
    dataTraceEnabled: false,
    throttlingRateLimit: throttle.rateLimit,
    throttlingBurstLimit: throttle.burstLimit,
  });
  let previous = new ApiGatewayMethodSettings(scope, "settings-all", {
    restApiId: props.api.id,
    stageName: props.stage.stageName,
    methodPath: "*/*",
    settings: settings(props.throttling),
  });
  for (const [routeKey, throttle] of Object.entries(props.routeThrottling ?? {})) {
    const [method, path] = routeKey.split(" ");
    previous = new ApiGatewayMethodSettings(scope, `settings-${method.toLowerCase()}${constructIdOf(path)}`, {
      restApiId: props.api.id,
      stageName: props.stage.stageName,
      methodPath: methodSettingsPath(method, path),
      settings: settings(throttle),
      dependsOn: [previous],
    });
  }
}

/**
 * The `method_path` of `aws_api_gateway_method_settings` for one route: the key API Gateway stores the stage's
 * method settings under, `{resource_path}/{http_method}` with every "/" of the resource path (the leading one
 * too) written "~1", as in a JSON pointer: "PATCH /users/me" -> "~1users~1me/PATCH". That is the form GetStage
 * reports and CloudFormation's MethodSetting.ResourcePath uses ("/resource/subresource" is "/~1resource~1subresource").
 * The provider passes method_path unchanged into UpdateStage's patch path (`/{method_path}/throttling/...`) and
 * reads the setting back by exactly this key (internal/service/apigateway/method_settings.go), so any other
 * spelling would not round-trip.
 */
export function methodSettingsPath(method: string, path: string): string {
  return `${path.replace(/\//g, "~1")}/${method}`;
}
