/**
 * The REST API of a synthesized app as the local gateway serves it, read from the `aws_api_gateway_*`
 * resources: the resource tree (from `root_resource_id` through `parent_id`/`path_part`), each method with its
 * authorization and integration (AWS_PROXY to the function named in the integration's invoke ARN, or MOCK), the
 * authorizers, the stage, the throttling of `aws_api_gateway_method_settings` (`*\/*` and per method), the
 * gateway responses and the binary media types.
 */
import { LOCAL_ARNS, type ResourceRef, type SynthesizedApp } from "./synthesized";

/** The throttle of a method as the synthesized method settings give it: a token bucket API Gateway refills. */
export interface MethodThrottle {
  /** Requests per second added to the bucket. */
  readonly rateLimit: number;
  /** Bucket size. */
  readonly burstLimit: number;
}

/** The function an integration or authorizer invokes, and the alias it names (its permissions are the alias's). */
export interface LambdaTargetModel {
  readonly functionName: string;
  /** The alias in the invoke ARN; undefined for the unqualified function. */
  readonly qualifier?: string;
}

export interface AuthorizerModel extends LambdaTargetModel {
  readonly id: string;
  readonly name: string;
  readonly type: "REQUEST" | "TOKEN";
  /** Lower-case names of the request headers of the identity source. */
  readonly identityHeaders: readonly string[];
  /** Seconds a policy is cached per identity; 0: no cache. Terraform's default is 300. */
  readonly ttlSeconds: number;
}

export type IntegrationModel =
  | ({ readonly type: "AWS_PROXY" } & LambdaTargetModel)
  | {
      readonly type: "MOCK";
      readonly statusCode: number;
      /** Static response headers (`method.response.header.X` = `'value'`). */
      readonly headers: Readonly<Record<string, string>>;
      /** The `application/json` response template (VTL), if any. */
      readonly template?: string;
    };

export interface MethodModel {
  readonly httpMethod: string;
  readonly resourceId: string;
  /** Resource path template, e.g. "/users/{id}". */
  readonly resourcePath: string;
  readonly authorizer?: AuthorizerModel;
  readonly integration: IntegrationModel;
  /** The method's throttle: its own method settings, else the stage's `*\/*` settings; none: unthrottled. */
  readonly throttle?: MethodThrottle;
}

export interface ResourceModel {
  readonly id: string;
  /** "/", "/users", "/users/{id}" */
  readonly path: string;
  readonly pathPart: string;
  readonly children: ResourceModel[];
  readonly methods: Map<string, MethodModel>;
}

export interface GatewayResponseModel {
  readonly statusCode?: number;
  /** Static headers (`gatewayresponse.header.X` = `'value'`) and request header echoes (`method.request.header.Y`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly template?: string;
}

export interface RestApiModel {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly stageName: string;
  readonly stageVariables: Readonly<Record<string, string>> | null;
  readonly root: ResourceModel;
  /** By response type: DEFAULT_4XX, UNAUTHORIZED, ... */
  readonly gatewayResponses: ReadonlyMap<string, GatewayResponseModel>;
  readonly binaryMediaTypes: readonly string[];
}

type Json = Record<string, unknown>;

/** The one REST API of the app, with its one stage; throws when there is not exactly one of each. */
export function restApiModel(app: SynthesizedApp): RestApiModel {
  const [api, ...moreApis] = app.resources("aws_api_gateway_rest_api");
  if (!api || moreApis.length > 0)
    throw new Error(`The local stack serves exactly one aws_api_gateway_rest_api; found ${moreApis.length + (api ? 1 : 0)}`);
  const apiId = String(app.resolve(api.stack, `\${aws_api_gateway_rest_api.${api.name}.id}`));
  const rootId = String(app.resolve(api.stack, `\${aws_api_gateway_rest_api.${api.name}.root_resource_id}`));
  const ofApi = (type: string) => app.resources(type).filter((r) => app.argument(r, "rest_api_id") === apiId);

  const [stage, ...moreStages] = ofApi("aws_api_gateway_stage");
  if (!stage || moreStages.length > 0)
    throw new Error(`The local stack serves exactly one aws_api_gateway_stage; found ${moreStages.length + (stage ? 1 : 0)}`);
  const stageName = app.argument<string>(stage, "stage_name");

  const authorizers = new Map<string, AuthorizerModel>();
  for (const authorizer of ofApi("aws_api_gateway_authorizer")) {
    const id = String(app.resolve(authorizer.stack, `\${aws_api_gateway_authorizer.${authorizer.name}.id}`));
    const identitySource = app.argument<string>(authorizer, "identity_source", "method.request.header.Authorization");
    authorizers.set(id, {
      id,
      name: app.argument<string>(authorizer, "name"),
      type: app.argument<string>(authorizer, "type", "TOKEN") === "REQUEST" ? "REQUEST" : "TOKEN",
      ...lambdaTargetOf(app, app.argument<string>(authorizer, "authorizer_uri")),
      identityHeaders: identitySource
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.startsWith("method.request.header."))
        .map((s) => s.slice("method.request.header.".length).toLowerCase()),
      ttlSeconds: app.argument<number>(authorizer, "authorizer_result_ttl_in_seconds", 300),
    });
  }

  const throttles = methodThrottles(app, ofApi("aws_api_gateway_method_settings"), stageName);

  // The resource tree, from the root down.
  const root: ResourceModel = { id: rootId, path: "/", pathPart: "", children: [], methods: new Map() };
  const byId = new Map<string, ResourceModel>([[rootId, root]]);
  const pending = ofApi("aws_api_gateway_resource").map((r) => ({
    id: String(app.resolve(r.stack, `\${aws_api_gateway_resource.${r.name}.id}`)),
    parentId: app.argument<string>(r, "parent_id"),
    pathPart: app.argument<string>(r, "path_part"),
  }));
  while (pending.length > 0) {
    const index = pending.findIndex((r) => byId.has(r.parentId));
    if (index < 0) throw new Error(`aws_api_gateway_resource ${pending[0].pathPart}: its parent is not a resource of the API`);
    const [r] = pending.splice(index, 1);
    const parent = byId.get(r.parentId)!;
    const node: ResourceModel = {
      id: r.id,
      path: `${parent.path === "/" ? "" : parent.path}/${r.pathPart}`,
      pathPart: r.pathPart,
      children: [],
      methods: new Map(),
    };
    parent.children.push(node);
    byId.set(r.id, node);
  }

  const integrations = ofApi("aws_api_gateway_integration");
  const integrationResponses = ofApi("aws_api_gateway_integration_response");
  for (const method of ofApi("aws_api_gateway_method")) {
    const resourceId = app.argument<string>(method, "resource_id");
    const httpMethod = app.argument<string>(method, "http_method");
    const resource = byId.get(resourceId);
    if (!resource) throw new Error(`aws_api_gateway_method ${method.name}: resource ${resourceId} is not part of the API`);
    const same = (r: ResourceRef) => app.argument(r, "resource_id") === resourceId && app.argument(r, "http_method") === httpMethod;
    const integration = integrations.find(same);
    if (!integration) throw new Error(`${httpMethod} ${resource.path} has no aws_api_gateway_integration`);
    const authorizerId = app.argument<string | undefined>(method, "authorizer_id", undefined);
    const authorization = app.argument<string>(method, "authorization", "NONE");
    if (authorization !== "NONE" && authorization !== "CUSTOM") {
      throw new Error(`${httpMethod} ${resource.path}: authorization ${authorization} is not emulated (NONE and CUSTOM are)`);
    }
    const throttle = throttles.get(`${resource.path} ${httpMethod}`) ?? throttles.get("*");
    resource.methods.set(httpMethod, {
      httpMethod,
      resourceId,
      resourcePath: resource.path,
      ...(authorization === "CUSTOM" && authorizerId ? { authorizer: authorizers.get(authorizerId) } : {}),
      integration: integrationModel(app, integration, integrationResponses.filter(same), `${httpMethod} ${resource.path}`),
      ...(throttle ? { throttle } : {}),
    });
  }

  const gatewayResponses = new Map<string, GatewayResponseModel>();
  for (const response of ofApi("aws_api_gateway_gateway_response")) {
    const statusCode = app.argument<string | undefined>(response, "status_code", undefined);
    gatewayResponses.set(app.argument<string>(response, "response_type"), {
      ...(statusCode ? { statusCode: Number(statusCode) } : {}),
      headers: headerParameters(app.argument<Json>(response, "response_parameters", {}), "gatewayresponse.header."),
      template: app.argument<Json>(response, "response_templates", {})["application/json"] as string | undefined,
    });
  }

  return {
    id: apiId,
    name: app.argument<string>(api, "name"),
    region: api.stack.region,
    accountId: LOCAL_ARNS.account,
    stageName,
    stageVariables: app.argument<Record<string, string> | null>(stage, "variables", null),
    root,
    gatewayResponses,
    binaryMediaTypes: app.argument<string[]>(api, "binary_media_types", []),
  };
}

/** "arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/arn:aws:lambda:...:function:<name>/invocations" -> name */
export function functionOfInvokeArn(invokeArn: string): string {
  const match = /:function:([^/:]+)(?::[^/]+)?\/invocations$/.exec(invokeArn);
  if (!match) throw new Error(`"${invokeArn}" is not the invoke ARN of a Lambda function`);
  return match[1];
}

/** "...:function:<name>:<qualifier>/invocations" -> the qualifier; undefined for an unqualified invoke ARN. */
export function qualifierOfInvokeArn(invokeArn: string): string | undefined {
  return /:function:[^/:]+:([^/:]+)\/invocations$/.exec(invokeArn)?.[1];
}

/**
 * What an invoke ARN runs locally. An alias resolves to the version it serves, and the local run has one version
 * of each function, the current build: the alias must be an `aws_lambda_alias` of the app that serves the
 * version its function publishes (`function_version = aws_lambda_function.<fn>.version`), else this throws.
 */
export function lambdaTargetOf(app: SynthesizedApp, invokeArn: string): LambdaTargetModel {
  const functionName = functionOfInvokeArn(invokeArn);
  const qualifier = qualifierOfInvokeArn(invokeArn);
  if (qualifier === undefined) return { functionName };
  const fn = app.resources("aws_lambda_function").find((f) => app.argument(f, "function_name") === functionName);
  const alias = app
    .resources("aws_lambda_alias")
    .find((a) => app.argument(a, "function_name") === functionName && app.argument(a, "name") === qualifier);
  if (!fn || !alias) throw new Error(`${invokeArn} names ${functionName}:${qualifier}, which is not an aws_lambda_alias of the app`);
  const served = alias.config.function_version;
  if (alias.stack.id !== fn.stack.id || served !== `\${aws_lambda_function.${fn.name}.version}`) {
    throw new Error(
      `Alias ${qualifier} of ${functionName} serves version ${JSON.stringify(served)}; the local run serves only the current build ` +
        `(function_version = \${aws_lambda_function.${fn.name}.version})`,
    );
  }
  return { functionName, qualifier };
}

/**
 * Throttles by "<resource path> <METHOD>", and "*" for the stage's `*\/*` settings. A method path is
 * `<resource path without its leading slash>/<METHOD>`, e.g. `users/POST`; -1 or no value means unthrottled.
 */
function methodThrottles(app: SynthesizedApp, settings: ResourceRef[], stageName: string): Map<string, MethodThrottle> {
  const throttles = new Map<string, MethodThrottle>();
  for (const setting of settings) {
    if (app.argument(setting, "stage_name") !== stageName) continue;
    const values = app.argument<Json>(setting, "settings", {});
    const rateLimit = Number(values.throttling_rate_limit ?? -1);
    const burstLimit = Number(values.throttling_burst_limit ?? -1);
    if (rateLimit < 0 || burstLimit < 0) continue;
    const methodPath = app.argument<string>(setting, "method_path");
    const slash = methodPath.lastIndexOf("/");
    // "~1users~1me/PATCH" (see methodSettingsPath); a path without its leading "~1" ("health/GET") is read too.
    const resourcePath = methodPath.slice(0, slash).replace(/~1/g, "/");
    const key = methodPath === "*/*" ? "*" : `${resourcePath.startsWith("/") ? "" : "/"}${resourcePath} ${methodPath.slice(slash + 1)}`;
    throttles.set(key, { rateLimit, burstLimit });
  }
  return throttles;
}

function integrationModel(app: SynthesizedApp, integration: ResourceRef, responses: ResourceRef[], route: string): IntegrationModel {
  const type = app.argument<string>(integration, "type");
  if (type === "AWS_PROXY") return { type, ...lambdaTargetOf(app, app.argument<string>(integration, "uri")) };
  if (type !== "MOCK") throw new Error(`${route}: integration type ${type} is not emulated (AWS_PROXY and MOCK are)`);
  const requestTemplate = app.argument<Json>(integration, "request_templates", {})["application/json"];
  const statusCode = Number((/"statusCode"\s*:\s*(\d{3})/.exec(String(requestTemplate ?? "")) ?? [])[1] ?? 200);
  const response =
    responses.find((r) => Number(app.argument(r, "status_code")) === statusCode) ?? responses.find((r) => !app.argument(r, "selection_pattern", ""));
  if (!response) return { type, statusCode, headers: {} };
  return {
    type,
    statusCode: Number(app.argument(response, "status_code")),
    headers: headerParameters(app.argument<Json>(response, "response_parameters", {}), "method.response.header."),
    template: app.argument<Json>(response, "response_templates", {})["application/json"] as string | undefined,
  };
}

/** `{ "<prefix>X": "'value'" }` -> `{ X: "value" }`; request echoes (`method.request.header.Y`) are kept as they are. */
function headerParameters(parameters: Json, prefix: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (!key.startsWith(prefix) || typeof value !== "string") continue;
    const literal = /^'(.*)'$/s.exec(value);
    headers[key.slice(prefix.length)] = literal ? literal[1] : value;
  }
  return headers;
}

/** What a reload of the API changes (`npm start -- --watch`): phrases for its log line, and what it cannot apply. */
export interface RestApiChanges {
  /** One phrase per change the running gateway takes on: "throttling of GET /health", "route DELETE /users/{id} added". */
  readonly applied: readonly string[];
  /** Changes that need a restart, because the server's URL depends on them: the API's id and the stage name. */
  readonly needRestart: readonly string[];
}

/** The methods of an API by "METHOD /path". */
function methodsByRoute(api: RestApiModel): Map<string, MethodModel> {
  const methods = new Map<string, MethodModel>();
  const walk = (node: ResourceModel) => {
    for (const method of node.methods.values()) methods.set(`${method.httpMethod} ${method.resourcePath}`, method);
    node.children.forEach(walk);
  };
  walk(api.root);
  return methods;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What differs between the API the gateway serves and a newly synthesized one, route by route. */
export function restApiChanges(before: RestApiModel, after: RestApiModel): RestApiChanges {
  const needRestart = [
    ...(before.id !== after.id ? [`the REST API's id (${before.id} -> ${after.id})`] : []),
    ...(before.stageName !== after.stageName ? [`the stage name (${before.stageName} -> ${after.stageName})`] : []),
  ];
  const applied: string[] = [];
  const throttled: string[] = [];
  const old = methodsByRoute(before);
  const next = methodsByRoute(after);
  for (const route of [...new Set([...old.keys(), ...next.keys()])].sort()) {
    const a = old.get(route);
    const b = next.get(route);
    if (!a || !b) {
      applied.push(`route ${route} ${a ? "removed" : "added"}`);
      continue;
    }
    if (!same(a.integration, b.integration)) applied.push(`integration of ${route}`);
    if (a.authorizer?.id !== b.authorizer?.id) applied.push(`authorization of ${route}`);
    if (!same(a.throttle, b.throttle)) throttled.push(route);
  }
  // A stage-wide change touches every method: one phrase, not one per method.
  if (throttled.length > 1 && throttled.length === next.size) applied.push(`throttling of all ${throttled.length} methods`);
  else applied.push(...throttled.map((route) => `throttling of ${route}`));
  const authorizers = (api: RestApiModel) =>
    new Map([...methodsByRoute(api).values()].flatMap((m) => (m.authorizer ? [[m.authorizer.id, m.authorizer] as const] : [])));
  const oldAuthorizers = authorizers(before);
  for (const [id, authorizer] of authorizers(after)) {
    const previous = oldAuthorizers.get(id);
    if (previous && !same(previous, authorizer)) applied.push(`authorizer ${authorizer.name} (its cache emptied)`);
  }
  if (!same([...before.gatewayResponses], [...after.gatewayResponses])) applied.push("gateway responses");
  if (!same(before.binaryMediaTypes, after.binaryMediaTypes)) applied.push("binary media types");
  if (!same(before.stageVariables, after.stageVariables)) applied.push("stage variables");
  if (before.name !== after.name) applied.push("the API's name");
  return { applied, needRestart };
}

/** Throws when a route's integration or authorizer names a function the app does not define. */
export function checkRouteTargets(api: RestApiModel, functionNames: ReadonlySet<string>): void {
  for (const [route, method] of methodsByRoute(api)) {
    const targets = [method.integration.type === "AWS_PROXY" ? method.integration.functionName : undefined, method.authorizer?.functionName];
    for (const name of targets) {
      if (name && !functionNames.has(name)) throw new Error(`${route} uses function ${name}, which the app does not define`);
    }
  }
}
