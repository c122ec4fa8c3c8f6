import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { Fn, ITerraformDependable } from "cdktf";
import { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { addAlarm, AlarmSettings } from "./alarms";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The parts of a Lambda function the API needs; they cross the stack boundary as references. */
export interface LambdaTarget {
  readonly functionName: string;
  readonly invokeArn: string;
}

/** One route: `METHOD /path` proxied to a function, public or behind the Lambda authorizer. */
export interface ApiRoute {
  readonly method: HttpMethod;
  /** Resource path, e.g. "/users/{id}". */
  readonly path: string;
  readonly target: LambdaTarget;
  readonly auth: "none" | "bearer";
}

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface LambdaRestApiProps {
  /** Name of the REST API, prefix included; also names its log groups. */
  readonly name: string;
  readonly stageName: string;
  readonly routes: readonly ApiRoute[];
  /** REQUEST authorizer of the "bearer" routes; required when any route is "bearer". */
  readonly authorizer?: {
    readonly target: LambdaTarget;
    /** Seconds API Gateway caches a decision per token; 0 disables the cache. */
    readonly cacheTtlSeconds: number;
  };
  /** Stage-wide throttling. */
  readonly throttling: Throttle;
  /** Throttling of single routes, keyed "METHOD /path". @default none */
  readonly routeThrottling?: Readonly<Record<string, Throttle>>;
  /** Origins allowed to call the API from a browser; each route's resource answers their preflight. @default none */
  readonly corsOrigins?: readonly string[];
  readonly executionLogLevel: "OFF" | "ERROR" | "INFO";
  readonly logRetentionDays: number;
  readonly kmsKeyArn: string;
  /** Alarms on the stage's 5XX count, 4XX rate, p99 latency and p99 integration latency; @default none */
  readonly alarms?: ApiAlarmProps;
  /** Created before the stage (the account's CloudWatch role, which access logging needs). @default none */
  readonly stageDependsOn?: readonly ITerraformDependable[];
}

export interface ApiAlarmProps extends AlarmSettings {
  /** 5XX responses per period. */
  readonly serverErrors: number;
  /** Fraction of requests answered 4XX (the 4XXError metric's average). */
  readonly clientErrorRate: number;
  readonly latencyP99Ms: number;
  readonly integrationLatencyP99Ms: number;
}

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

/** Body of the gateway's own errors, in the app's error format `{"error": {"code", "message"}}`. */
const GATEWAY_ERROR_TEMPLATE = '{"error":{"code":"$context.error.responseType","message":$context.error.messageString}}';

const SECURITY_HEADERS = {
  "gatewayresponse.header.Cache-Control": "'no-store'",
  "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
};

/**
 * A regional REST API whose routes proxy to Lambda functions: resources, methods, Lambda proxy integrations,
 * one invoke permission per route scoped to this API, stage and route, an optional REQUEST authorizer, JSON
 * gateway errors, one deployment replaced (create before destroy) whenever a route changes, and a stage with
 * JSON access logs, X-Ray, detailed metrics, execution logging and throttling.
 */
export class LambdaRestApi extends Construct {
  public readonly api: ApiGatewayRestApi;
  public readonly authorizer?: ApiGatewayAuthorizer;
  public readonly methods: Readonly<Record<string, ApiGatewayMethod>>;
  public readonly deployment: ApiGatewayDeployment;
  public readonly stage: ApiGatewayStage;
  public readonly accessLogGroup: CloudwatchLogGroup;
  public readonly executionLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: LambdaRestApiProps) {
    super(scope, id);
    validateRoutes(props);

    this.api = new ApiGatewayRestApi(this, "api", {
      name: props.name,
      description: `${props.name}: user management, sessions and health`,
      endpointConfiguration: { types: ["REGIONAL"] },
      // A change that forces a new API (e.g. its endpoint type) creates the new API first and deletes the old one
      // last, so the old stage keeps answering until the new one exists (checkov CKV_AWS_237). The stage is
      // create-before-destroy too (below): a replaced stage is never missing in between.
      lifecycle: { createBeforeDestroy: true },
    });

    if (props.authorizer) {
      this.authorizer = new ApiGatewayAuthorizer(this, "authorizer", {
        name: `${props.name}-bearer`,
        restApiId: this.api.id,
        type: "REQUEST",
        authorizerUri: props.authorizer.target.invokeArn,
        identitySource: "method.request.header.Authorization",
        authorizerResultTtlInSeconds: props.authorizer.cacheTtlSeconds,
      });
      new LambdaPermission(this, "authorizer-permission", {
        statementId: "AllowApiGatewayAuthorizer",
        action: "lambda:InvokeFunction",
        functionName: props.authorizer.target.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${this.api.executionArn}/authorizers/${this.authorizer.id}`,
      });
    }

    const resources = new Map<string, ApiGatewayResource>();
    const resourceFor = (path: string): string => {
      if (path === "/") return this.api.rootResourceId;
      const existing = resources.get(path);
      if (existing) return existing.id;
      const parentPath = path.slice(0, path.lastIndexOf("/")) || "/";
      const resource = new ApiGatewayResource(this, `resource${constructIdOf(path)}`, {
        restApiId: this.api.id,
        parentId: resourceFor(parentPath),
        pathPart: path.slice(path.lastIndexOf("/") + 1),
      });
      resources.set(path, resource);
      return resource.id;
    };

    const methods: Record<string, ApiGatewayMethod> = {};
    const integrations: ApiGatewayIntegration[] = [];
    for (const route of props.routes) {
      const key = `${route.method} ${route.path}`;
      const routeId = `${route.method.toLowerCase()}${constructIdOf(route.path)}`;
      const resourceId = resourceFor(route.path);
      const method = new ApiGatewayMethod(this, `method-${routeId}`, {
        restApiId: this.api.id,
        resourceId,
        httpMethod: route.method,
        authorization: route.auth === "bearer" ? "CUSTOM" : "NONE",
        authorizerId: route.auth === "bearer" ? this.authorizer!.id : undefined,
        requestParameters: route.auth === "bearer" ? { "method.request.header.Authorization": true } : undefined,
      });
      methods[key] = method;
      integrations.push(
        new ApiGatewayIntegration(this, `integration-${routeId}`, {
          restApiId: this.api.id,
          resourceId,
          httpMethod: method.httpMethod,
          type: "AWS_PROXY",
          integrationHttpMethod: "POST",
          uri: route.target.invokeArn,
        }),
      );
      new LambdaPermission(this, `permission-${routeId}`, {
        statementId: `AllowApiGateway-${route.method}${route.path.replace(/[^A-Za-z0-9]+/g, "-")}`.replace(/-+$/, ""),
        action: "lambda:InvokeFunction",
        functionName: route.target.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${this.api.executionArn}/${props.stageName}/${route.method}${route.path.replace(/\{[^}]+\}/g, "*")}`,
      });
    }
    this.methods = methods;

    const preflights = props.corsOrigins?.length ? this.addPreflights(props.routes, props.corsOrigins, resourceFor) : [];

    const gatewayResponses = (["DEFAULT_4XX", "DEFAULT_5XX"] as const).map(
      (responseType) =>
        new ApiGatewayGatewayResponse(this, `response-${responseType.toLowerCase()}`, {
          restApiId: this.api.id,
          responseType,
          responseTemplates: { "application/json": GATEWAY_ERROR_TEMPLATE },
          responseParameters: { ...SECURITY_HEADERS, ...gatewayCorsHeaders(props.corsOrigins ?? []) },
        }),
    );

    // A deployment is a snapshot: any change to a route, integration, authorizer or gateway response must
    // produce a new one. The digest covers what is known at synth; the Terraform hash covers the references.
    const routeDigest = createHash("sha256")
      .update(
        JSON.stringify({
          routes: props.routes.map((r) => [r.method, r.path, r.auth]),
          cors: props.corsOrigins ?? [],
          GATEWAY_ERROR_TEMPLATE,
          SECURITY_HEADERS,
        }),
      )
      .digest("hex");
    this.deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: this.api.id,
      description: `routes ${routeDigest.slice(0, 12)}`,
      triggers: {
        routes: routeDigest,
        references: Fn.sha1(
          Fn.jsonencode([
            ...Object.values(methods).map((m) => [m.id, m.authorization, m.authorizerId]),
            ...integrations.map((i) => [i.id, i.uri]),
            ...preflights.map((p) => [p.id, p.responseTemplates]),
            ...gatewayResponses.map((r) => r.id),
            this.authorizer ? [this.authorizer.id, this.authorizer.authorizerUri, this.authorizer.authorizerResultTtlInSeconds] : [],
          ]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [...Object.values(methods), ...integrations, ...preflights, ...gatewayResponses],
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${props.name}/${props.stageName}/access`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    // API Gateway writes execution logs to this fixed name and would create it without retention or key.
    this.executionLogGroup = new CloudwatchLogGroup(this, "execution-logs", {
      name: `API-Gateway-Execution-Logs_${this.api.id}/${props.stageName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: this.api.id,
      deploymentId: this.deployment.id,
      stageName: props.stageName,
      xrayTracingEnabled: true,
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
        format: JSON.stringify(ACCESS_LOG_FORMAT),
      },
      dependsOn: [this.executionLogGroup, ...(props.stageDependsOn ?? [])],
      // With the API's: a new API gets its new stage before the old stage and API are deleted.
      lifecycle: { createBeforeDestroy: true },
    });

    const settings = (throttle: Throttle) => ({
      metricsEnabled: true,
      loggingLevel: props.executionLogLevel,
      dataTraceEnabled: false,
      throttlingRateLimit: throttle.rateLimit,
      throttlingBurstLimit: throttle.burstLimit,
    });
    if (props.alarms) this.addAlarms(props.name, props.stageName, props.alarms);

    // Settings of one stage are applied one at a time: API Gateway rejects concurrent updates of a stage.
    let previous = new ApiGatewayMethodSettings(this, "settings-all", {
      restApiId: this.api.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: settings(props.throttling),
    });
    for (const [routeKey, throttle] of Object.entries(props.routeThrottling ?? {})) {
      const [method, path] = routeKey.split(" ");
      previous = new ApiGatewayMethodSettings(this, `settings-${method.toLowerCase()}${constructIdOf(path)}`, {
        restApiId: this.api.id,
        stageName: this.stage.stageName,
        methodPath: methodSettingsPath(method, path),
        settings: settings(throttle),
        dependsOn: [previous],
      });
    }
  }

  private addAlarms(name: string, stageName: string, alarms: ApiAlarmProps): void {
    const metric = (metricName: string) => ({
      namespace: "AWS/ApiGateway",
      metricName,
      dimensions: { ApiName: this.api.name, Stage: stageName },
    });
    addAlarm(this, "5xx-alarm", alarms, {
      ...metric("5XXError"),
      statistic: "Sum",
      name: `${name}-5xx`,
      description: `${name} answers 5XX (function errors, timeouts or gateway faults)`,
      threshold: alarms.serverErrors,
    });
    addAlarm(this, "4xx-alarm", alarms, {
      ...metric("4XXError"),
      statistic: "Average",
      name: `${name}-4xx-rate`,
      description: `More than ${alarms.clientErrorRate * 100} % of requests to ${name} are answered 4XX`,
      threshold: alarms.clientErrorRate,
      comparison: "GreaterThanThreshold",
    });
    addAlarm(this, "latency-alarm", alarms, {
      ...metric("Latency"),
      statistic: "p99",
      name: `${name}-latency-p99`,
      description: `p99 latency of ${name} is ${alarms.latencyP99Ms} ms or more`,
      threshold: alarms.latencyP99Ms,
    });
    addAlarm(this, "integration-latency-alarm", alarms, {
      ...metric("IntegrationLatency"),
      statistic: "p99",
      name: `${name}-integration-latency-p99`,
      description: `p99 integration (function) latency of ${name} is ${alarms.integrationLatencyP99Ms} ms or more`,
      threshold: alarms.integrationLatencyP99Ms,
    });
  }

  /**
   * Answers browsers' CORS preflight (OPTIONS) on every resource that has routes, without invoking a function:
   * a MOCK integration whose response template echoes the Origin only when it is one of `origins`. The actual
   * responses carry their CORS headers from the functions (ALLOWED_ORIGINS).
   */
  private addPreflights(
    routes: readonly ApiRoute[],
    origins: readonly string[],
    resourceFor: (path: string) => string,
  ): ApiGatewayIntegrationResponse[] {
    const methodsByPath = new Map<string, string[]>();
    for (const route of routes) methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
    const allowed = origins.map((o) => `$origin == "${o}"`).join(" || ");
    const template = [
      '#set($origin = $input.params("Origin"))',
      `#if(${allowed})`,
      "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)",
      "#end",
    ].join("\n");

    return [...methodsByPath].map(([path, methods]) => {
      const id = `options${constructIdOf(path)}`;
      const resourceId = resourceFor(path);
      const method = new ApiGatewayMethod(this, `method-${id}`, {
        restApiId: this.api.id,
        resourceId,
        httpMethod: "OPTIONS",
        authorization: "NONE",
      });
      const integration = new ApiGatewayIntegration(this, `integration-${id}`, {
        restApiId: this.api.id,
        resourceId,
        httpMethod: method.httpMethod,
        type: "MOCK",
        requestTemplates: { "application/json": '{"statusCode": 204}' },
      });
      const headers = ["Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary"];
      const response = new ApiGatewayMethodResponse(this, `response-${id}`, {
        restApiId: this.api.id,
        resourceId,
        httpMethod: method.httpMethod,
        statusCode: "204",
        responseParameters: Object.fromEntries(
          [...headers, "Access-Control-Allow-Origin"].map((h) => [`method.response.header.${h}`, false]),
        ),
      });
      return new ApiGatewayIntegrationResponse(this, `integration-response-${id}`, {
        restApiId: this.api.id,
        resourceId,
        httpMethod: method.httpMethod,
        statusCode: response.statusCode,
        responseParameters: {
          "method.response.header.Access-Control-Allow-Methods": `'${[...methods, "OPTIONS"].join(",")}'`,
          "method.response.header.Access-Control-Allow-Headers": "'Authorization,Content-Type,If-Match'",
          "method.response.header.Access-Control-Max-Age": "'600'",
          "method.response.header.Vary": "'Origin'",
        },
        responseTemplates: { "application/json": template },
        dependsOn: [integration],
      });
    });
  }

  /** The URL clients call: the stage's invoke URL. */
  public get invokeUrl(): string {
    return this.stage.invokeUrl;
  }
}

/**
 * CORS headers of the gateway's own errors (401 from the authorizer, 429, ...), so a browser app can read them.
 * A gateway response can only carry a static value: with one allowed origin it is that origin; with several,
 * API Gateway cannot choose per request, and the gateway's errors stay unreadable cross-origin.
 */
function gatewayCorsHeaders(origins: readonly string[]): Record<string, string> {
  if (origins.length !== 1) return {};
  return {
    "gatewayresponse.header.Access-Control-Allow-Origin": `'${origins[0]}'`,
    "gatewayresponse.header.Vary": "'Origin'",
  };
}

/**
 * The `method_path` of `aws_api_gateway_method_settings` for one route: `{resource_path}/{http_method}` with the
 * leading slash trimmed (the provider's docs) and every other slash of the resource path escaped as `~1`, since
 * the provider passes it as is into UpdateStage's JSON-pointer patch path `/{method_path}/throttling/...`, where
 * API Gateway requires "/" inside a path name to be written "~1". "PATCH /users/me" -> "users~1me/PATCH".
 */
export function methodSettingsPath(method: string, path: string): string {
  return `${path.slice(1).replace(/\//g, "~1")}/${method}`;
}

/** "/users/{id}" -> "-users-id": stable construct ids derived from the path (renaming one replaces it). */
function constructIdOf(path: string): string {
  return path === "/" ? "-root" : path.replace(/[{}]/g, "").replace(/\//g, "-");
}

function validateRoutes(props: LambdaRestApiProps): void {
  const keys = new Set<string>();
  for (const route of props.routes) {
    const key = `${route.method} ${route.path}`;
    if (!/^\/([A-Za-z0-9_.-]+|\{[A-Za-z0-9_]+\})(\/([A-Za-z0-9_.-]+|\{[A-Za-z0-9_]+\}))*$/.test(route.path)) {
      throw new Error(`routes: path of "${key}" must look like /users/{id}, received "${route.path}"`);
    }
    if (keys.has(key)) throw new Error(`routes: "${key}" is defined twice`);
    keys.add(key);
    if (route.auth === "bearer" && !props.authorizer) {
      throw new Error(`routes: "${key}" needs the bearer authorizer, but no authorizer was given`);
    }
  }
  for (const key of Object.keys(props.routeThrottling ?? {})) {
    if (!keys.has(key)) {
      throw new Error(`routeThrottling: "${key}" is not a route of this API (routes: ${[...keys].join(", ")})`);
    }
  }
  if (props.stageName.length === 0) throw new Error(`stageName must not be empty, received ""`);
}
