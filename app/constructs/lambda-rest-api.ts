import { Construct } from "constructs";
import { Token } from "cdktf";
import type { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer";
import type { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import type { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import type { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { addStageAlarms, type ApiAlarmProps } from "./rest-api/alarms";
import { addBearerAuthorizer } from "./rest-api/authorizer";
import { addCorsPreflights } from "./rest-api/cors-preflight";
import { addDeployment } from "./rest-api/deployment";
import { addGatewayResponses } from "./rest-api/gateway-responses";
import { ResourceTree } from "./rest-api/resource-tree";
import { addRouteMethods } from "./rest-api/route-methods";
import { addMethodSettings, addStageWithLogs } from "./rest-api/stage";
import { routeKey, type ApiRoute, type LambdaTarget, type Throttle } from "./rest-api/types";
import { ValidationError } from "./validation-error";

export type { ApiAlarmProps } from "./rest-api/alarms";
export { gatewayErrorTemplate } from "./rest-api/gateway-responses";
export { ACCESS_LOG_FORMAT, methodSettingsPath } from "./rest-api/stage";
export type { ApiRoute, HttpMethod, LambdaTarget, Throttle } from "./rest-api/types";

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
  /**
   * Resources (path segments, the root included) the account may create in one REST API; the constructor
   * rejects routes that need more, rather than letting the apply fail half way.
   * @default RESOURCES_PER_REST_API, API Gateway's default quota (raise it with Service Quotas first)
   */
  readonly maxResources?: number;
}

/** API Gateway's default quota of resources per REST API (adjustable per account with Service Quotas). */
export const RESOURCES_PER_REST_API = 300;

/**
 * A regional REST API whose routes proxy to Lambda functions: resources, methods, Lambda proxy integrations,
 * one invoke permission per function and HTTP method scoped to this API, stage and method (so a function's
 * resource policy stays small however many routes it serves), an optional REQUEST authorizer, JSON
 * gateway errors, one deployment replaced (create before destroy) whenever a route changes, and a stage with
 * JSON access logs, X-Ray, detailed metrics, execution logging and throttling.
 *
 * Each part is a function in `rest-api/` that creates its resources in this construct's scope, so every
 * resource's construct path, and with it its Terraform name, is the one it has always had
 * (`__tests__/replacement-guard.test.ts` holds every resource address and replacement-forcing value).
 */
export class LambdaRestApi extends Construct {
  public readonly api: ApiGatewayRestApi;
  public readonly authorizer?: ApiGatewayAuthorizer;
  /** Keyed "METHOD /path". */
  public readonly methods: Readonly<Record<string, ApiGatewayMethod>>;
  public readonly deployment: ApiGatewayDeployment;
  public readonly stage: ApiGatewayStage;
  public readonly accessLogGroup: CloudwatchLogGroup;
  public readonly executionLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: LambdaRestApiProps) {
    super(scope, id);
    validateProps(this, props);
    const { routes, stageName } = props;
    const corsOrigins = props.corsOrigins ?? [];

    this.api = new ApiGatewayRestApi(this, "api", {
      name: props.name,
      description: `${props.name}: user management, sessions and health`,
      endpointConfiguration: { types: ["REGIONAL"] },
      // A change that forces a new API (e.g. its endpoint type) creates the new API first and deletes the old one
      // last, so the old stage keeps answering until the new one exists (checkov CKV_AWS_237). The stage is
      // create-before-destroy too: a replaced stage is never missing in between.
      lifecycle: { createBeforeDestroy: true },
    });
    const api = this.api;
    const authorizer = props.authorizer && addBearerAuthorizer(this, api, { name: props.name, ...props.authorizer });
    this.authorizer = authorizer;

    const resources = new ResourceTree(this, api);
    const { methods, integrations } = addRouteMethods(this, { api, resources, routes, stageName, authorizer });
    this.methods = methods;
    const preflights = corsOrigins.length > 0 ? addCorsPreflights(this, { api, resources, routes, origins: corsOrigins }) : [];
    const gatewayResponses = addGatewayResponses(this, api, corsOrigins);

    this.deployment = addDeployment(this, {
      api,
      routes,
      corsOrigins,
      methods: Object.values(methods),
      integrations,
      preflights,
      gatewayResponses,
      authorizer,
    });

    const stage = addStageWithLogs(this, {
      api,
      deployment: this.deployment,
      name: props.name,
      stageName,
      logRetentionDays: props.logRetentionDays,
      kmsKeyArn: props.kmsKeyArn,
    });
    this.stage = stage.stage;
    this.accessLogGroup = stage.accessLogGroup;
    this.executionLogGroup = stage.executionLogGroup;

    if (props.alarms) addStageAlarms(this, { apiName: api.name, name: props.name, stageName, alarms: props.alarms });
    addMethodSettings(this, {
      api,
      stage: this.stage,
      executionLogLevel: props.executionLogLevel,
      throttling: props.throttling,
      routeThrottling: props.routeThrottling,
    });
  }

  /** The URL clients call: the stage's invoke URL. */
  public get invokeUrl(): string {
    return this.stage.invokeUrl;
  }
}

/** A path segment is a literal (`users`) or one parameter (`{id}`); no trailing slash, no empty segment. */
const ROUTE_PATH = /^\/([A-Za-z0-9_.-]+|\{[A-Za-z0-9_]+\})(\/([A-Za-z0-9_.-]+|\{[A-Za-z0-9_]+\}))*$/;

/** A target's name becomes part of construct ids. */
const TARGET_NAME = /^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)*$/;

/** Rejects props the API cannot be built from, naming the prop and the value received. */
function validateProps(scope: Construct, props: LambdaRestApiProps): void {
  const keys = new Set<string>();
  const functionNames = new Map<string, string>();
  for (const route of props.routes) {
    const key = routeKey(route);
    if (!ROUTE_PATH.test(route.path)) {
      throw new ValidationError(`routes: path of "${key}" must look like /users/{id}, received "${route.path}"`, scope);
    }
    const { name, functionName } = route.target;
    if (!TARGET_NAME.test(name)) {
      throw new ValidationError(`routes: target name of "${key}" must be letters, digits, "_" and inner "-", received "${name}"`, scope);
    }
    const known = functionNames.get(name);
    if (known !== undefined && !Token.isUnresolved(functionName) && !Token.isUnresolved(known) && known !== functionName) {
      throw new ValidationError(`routes: target name "${name}" names two functions, "${known}" and "${functionName}" (at "${key}")`, scope);
    }
    functionNames.set(name, functionName);
    if (keys.has(key)) throw new ValidationError(`routes: "${key}" is defined twice`, scope);
    keys.add(key);
    if (route.auth === "bearer" && !props.authorizer) {
      throw new ValidationError(`routes: "${key}" needs the bearer authorizer, but no authorizer was given`, scope);
    }
  }
  for (const key of Object.keys(props.routeThrottling ?? {})) {
    if (!keys.has(key)) {
      throw new ValidationError(`routeThrottling: "${key}" is not a route of this API (routes: ${[...keys].join(", ")})`, scope);
    }
  }
  if (props.stageName.length === 0) throw new ValidationError(`stageName must not be empty, received ""`, scope);
  const maxResources = props.maxResources ?? RESOURCES_PER_REST_API;
  const resources = resourceCount(props.routes.map((r) => r.path));
  if (resources > maxResources) {
    throw new ValidationError(
      `routes: need ${resources} API Gateway resources (path segments, the root included), more than the ${maxResources} resources per REST API` +
        (props.maxResources === undefined
          ? " (API Gateway's default quota; after raising it with Service Quotas, set maxResources)"
          : " (maxResources)"),
      scope,
    );
  }
}

/** The resources a REST API needs for `paths`: the root and every distinct path prefix ("/users/{id}" needs "/users" too). */
export function resourceCount(paths: readonly string[]): number {
  const prefixes = new Set<string>();
  for (const path of paths) {
    const segments = path.split("/").slice(1);
    for (let i = 1; i <= segments.length; i++) prefixes.add(segments.slice(0, i).join("/"));
  }
  prefixes.delete("");
  return prefixes.size + 1;
}
