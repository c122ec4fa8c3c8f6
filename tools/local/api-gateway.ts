/**
 * The local API Gateway: an HTTP server (node:http) serving one REST API stage at `/<stage>/...` the way API
 * Gateway does, in its order: stage and route matching (an unknown stage is 403 Forbidden, an unknown resource
 * or method 403 "Missing Authentication Token"), the 10 MB payload limit, the method's throttle (429), the
 * REQUEST authorizer (401/403, or AUTHORIZER_CONFIGURATION_ERROR when it fails), then the integration: Lambda
 * proxy (502 on a function error or a malformed response, 504 past the 29-second integration timeout) or MOCK
 * (CORS preflight). An invocation still queued for a worker when the gateway answers 504 is dropped
 * (functions.ts), so a 504 never hides a write made later. Every answer of the gateway itself is a gateway
 * response of the API (gateway-responses.ts). Before it invokes a function (integration or authorizer), it asks
 * `mayInvoke` whether the function's resource policy lets API Gateway invoke it from the request's (or the
 * authorizer's) execute-api ARN; if not, it answers as API Gateway does: a 500 "Internal server error"
 * (API_CONFIGURATION_ERROR; for the authorizer, AUTHORIZER_CONFIGURATION_ERROR) with the execution-log line
 * "Execution failed due to configuration error: Invalid permissions on Lambda function".
 *
 * One log line per request: method, path, status, latency and the functions it invoked.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { RequestAuthorizers } from "./authorizer";
import { ABANDONED_ERROR_TYPE, type InvocationResult, type InvokeOptions } from "./functions";
import { gatewayResponse, type ResponseType } from "./gateway-responses";
import { mockResponse } from "./mock-integration";
import { authorizerEvent, proxyEvent, proxyResponse, type GatewayRequest, type GatewayResponse } from "./proxy-integration";
import type { AuthorizerModel, MethodModel, ResourceModel, RestApiModel } from "./rest-api";
import { MethodThrottling } from "./throttling";

/** API Gateway's payload limit. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway's default (and, for regional APIs, usual) integration timeout. */
export const INTEGRATION_TIMEOUT_MS = 29_000;

/** Invokes a function; for an integration, `options` say when the gateway stops waiting (integration timeout). */
export type Invoke = (functionName: string, event: unknown, options?: InvokeOptions) => Promise<InvocationResult>;

export interface ApiGatewayOptions {
  readonly api: RestApiModel;
  readonly invoke: Invoke;
  readonly log: (line: string) => void;
  /**
   * Whether the function's resource policy lets apigateway.amazonaws.com invoke it from `sourceArn`
   * (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>` or `.../authorizers/<id>`).
   * @default every invocation is allowed
   */
  readonly mayInvoke?: (functionName: string, sourceArn: string, qualifier?: string) => boolean;
  /** How long the gateway waits for a Lambda proxy integration. @default INTEGRATION_TIMEOUT_MS */
  readonly integrationTimeoutMs?: number;
  /** Clock of the throttles and the authorizer cache (tests). @default performance.now / Date.now */
  readonly clock?: { readonly monotonicMs?: () => number; readonly epochMs?: () => number };
}

/** What the gateway did with one request. */
export interface GatewayResult {
  readonly response: GatewayResponse;
  /** Functions invoked for it, in order (the authorizer first). */
  readonly invoked: readonly string[];
}

interface RouteMatch {
  readonly resource: ResourceModel;
  readonly pathParameters: Record<string, string> | null;
}

/** Finds the resource of a path: static path parts win over `{param}`, which wins over a greedy `{param+}`. */
export function matchResource(root: ResourceModel, path: string): RouteMatch | undefined {
  const segments = path.split("/").slice(1);
  if (segments.length > 0 && segments[segments.length - 1] === "") segments.pop();
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  const visit = (node: ResourceModel, index: number, params: Record<string, string>): RouteMatch | undefined => {
    if (index === decoded.length) return { resource: node, pathParameters: Object.keys(params).length ? params : null };
    const segment = decoded[index];
    const byKind = (kind: "static" | "param" | "greedy") =>
      node.children.filter((c) => (/^\{.+\+\}$/.test(c.pathPart) ? "greedy" : /^\{.+\}$/.test(c.pathPart) ? "param" : "static") === kind);
    for (const child of byKind("static")) {
      if (child.pathPart === segment) {
        const found = visit(child, index + 1, params);
        if (found) return found;
      }
    }
    for (const child of byKind("param")) {
      if (segment === "") continue;
      const found = visit(child, index + 1, { ...params, [child.pathPart.slice(1, -1)]: segment });
      if (found) return found;
    }
    for (const child of byKind("greedy")) {
      return { resource: child, pathParameters: { ...params, [child.pathPart.slice(1, -2)]: decoded.slice(index).join("/") } };
    }
    return undefined;
  };
  return visit(root, 0, {});
}

/** The request handling of the gateway, independent of the HTTP server (tests call it directly). */
export class ApiGateway {
  private readonly throttling: MethodThrottling;
  private readonly authorizers: RequestAuthorizers;
  private current: RestApiModel;

  constructor(private readonly options: ApiGatewayOptions) {
    this.current = options.api;
    this.throttling = new MethodThrottling(options.clock?.monotonicMs);
    this.authorizers = new RequestAuthorizers((name, event, authorizer) => this.invokeAuthorizer(name, event, authorizer), options.clock?.epochMs);
  }

  /** The API it serves now. */
  get api(): RestApiModel {
    return this.current;
  }

  /**
   * Serves `api` from the next request on (a re-synthesis under `npm start -- --watch`). The state goes on: a
   * method's throttle bucket starts over only when its limits changed, and an authorizer's cached policies are
   * dropped only when its settings changed (throttling.ts, authorizer.ts).
   */
  useApi(api: RestApiModel): void {
    this.current = api;
  }

  private executeApiArn(path: string): string {
    const api = this.current;
    return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/${path}`;
  }

  private permitted(functionName: string, sourceArn: string, qualifier?: string): boolean {
    if (this.options.mayInvoke?.(functionName, sourceArn, qualifier) ?? true) return true;
    this.options.log(
      `execution log: Execution failed due to configuration error: Invalid permissions on Lambda function ${functionName} (source ${sourceArn})`,
    );
    return false;
  }

  private invokeAuthorizer(functionName: string, event: unknown, authorizer?: AuthorizerModel): Promise<InvocationResult> {
    if (authorizer && !this.permitted(functionName, this.executeApiArn(`authorizers/${authorizer.id}`), authorizer.qualifier)) {
      this.options.log("execution log: Execution failed due to configuration error: Authorizer error");
      return Promise.resolve({
        ok: false,
        error: { errorType: "InvalidPermissions", errorMessage: "Invalid permissions on Lambda function", trace: [] },
        durationMs: 0,
      });
    }
    return this.options.invoke(functionName, event);
  }

  async handle(request: GatewayRequest): Promise<GatewayResult> {
    const api = this.current;
    const invoked: string[] = [];
    const error = (type: ResponseType, message?: string | null): GatewayResult => ({
      response: gatewayResponse(api, type, request, message),
      invoked,
    });

    const match = matchResource(api.root, request.path);
    const method = match && (match.resource.methods.get(request.httpMethod) ?? match.resource.methods.get("ANY"));
    if (!match || !method) return error("MISSING_AUTHENTICATION_TOKEN");
    if (request.body.length > MAX_PAYLOAD_BYTES) return error("REQUEST_TOO_LARGE");
    if (!this.throttling.allow(`${method.resourcePath} ${method.httpMethod}`, method.throttle)) return error("THROTTLED");

    let authorizerContext: Record<string, string | number> | undefined;
    if (method.authorizer) {
      const outcome = await this.authorizers.authorize(method.authorizer, authorizerEvent(api, request, method, match.pathParameters));
      if (outcome.invoked) invoked.push(method.authorizer.functionName);
      if (!outcome.allowed) return error(outcome.responseType, outcome.message);
      authorizerContext = outcome.context;
    }

    const integration = method.integration;
    if (integration.type === "MOCK") return { response: mockResponse(integration, request), invoked };

    // The request's own path, not the resource template: a permission for ".../GET/users/{id}" does not let
    // API Gateway invoke for /users/123 (aws/serverless-application-model#110), one for ".../GET/users/*" does.
    const sourceArn = this.executeApiArn(`${api.stageName}/${request.httpMethod}${request.path}`);
    if (!this.permitted(integration.functionName, sourceArn, integration.qualifier)) return error("API_CONFIGURATION_ERROR");
    invoked.push(integration.functionName);
    const event = proxyEvent(api, request, method, match.pathParameters, authorizerContext);
    const outcome = await this.invokeWithTimeout(integration.functionName, event);
    if (outcome === "timeout") return error("INTEGRATION_TIMEOUT");
    if (!outcome.ok) {
      this.options.log(`${integration.functionName} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`);
      return error("INTEGRATION_ERROR");
    }
    const response = proxyResponse(api, request, outcome.payload);
    if (typeof response === "string") {
      this.options.log(`${integration.functionName} returned a malformed Lambda proxy response: ${response}`);
      return error("INTEGRATION_ERROR");
    }
    return { response, invoked };
  }

  /**
   * The function's result, or "timeout" once the integration timeout has passed. An invocation the local
   * functions dropped (it could not start in time) is answered at the integration timeout, as the 504 API
   * Gateway would give when a function answers too late.
   */
  private invokeWithTimeout(functionName: string, event: unknown): Promise<InvocationResult | "timeout"> {
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
    const gaveUp = new AbortController();
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => {
        gaveUp.abort();
        resolve("timeout");
      }, timeoutMs);
    });
    const invocation = this.options
      .invoke(functionName, event, { signal: gaveUp.signal, mustEndBy: Date.now() + timeoutMs })
      .then<InvocationResult | "timeout">((result) => (!result.ok && result.error.errorType === ABANDONED_ERROR_TYPE ? timeout : result));
    return Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
  }

  /** The methods of the API, for the route table: method, path, authorizer function, integration. */
  routes(): MethodModel[] {
    const all: MethodModel[] = [];
    const walk = (node: ResourceModel) => {
      all.push(...node.methods.values());
      node.children.forEach(walk);
    };
    walk(this.current.root);
    return all.sort((a, b) => a.resourcePath.localeCompare(b.resourcePath) || a.httpMethod.localeCompare(b.httpMethod));
  }
}

export interface LocalApiServer {
  /** http://<host>:<port> */
  readonly origin: string;
  /** http://<host>:<port>/<stage>: the invoke URL. */
  readonly invokeUrl: string;
  close(): Promise<void>;
}

/** Paths outside the stage that only the local server answers (GET, JSON), e.g. `/_local/metrics`. */
export type LocalEndpoints = Readonly<Record<string, () => unknown>>;

/**
 * Serves the gateway over HTTP on `port` (0: a free one); the invoke URL is of `api`'s stage, and each request is
 * answered by the API the gateway serves at that moment (`useApi`).
 */
export async function serveApiGateway(
  gateway: ApiGateway,
  api: RestApiModel,
  options: { port?: number; host?: string; log: (line: string) => void; localEndpoints?: LocalEndpoints },
): Promise<LocalApiServer> {
  const localEndpoints = options.localEndpoints ?? {};
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method === "GET" && Object.prototype.hasOwnProperty.call(localEndpoints, path)) {
      const body = `${JSON.stringify(localEndpoints[path](), null, 2)}\n`;
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" }).end(body);
      return;
    }
    void respond(gateway, req, res, options.log);
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    origin,
    invokeUrl: `${origin}/${api.stageName}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function respond(gateway: ApiGateway, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const { api } = gateway;
  const started = performance.now();
  const requestId = randomUUID();
  const url = req.url ?? "/";
  const queryStart = url.indexOf("?");
  const fullPath = queryStart < 0 ? url : url.slice(0, queryStart);
  const headers: Array<readonly [string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);

  let body: Buffer;
  try {
    body = await readBody(req);
  } catch {
    res.destroy();
    return;
  }
  const request: GatewayRequest = {
    requestId,
    httpMethod: (req.method ?? "GET").toUpperCase(),
    path: "",
    query: queryStart < 0 ? "" : url.slice(queryStart + 1),
    headers,
    body,
    sourceIp: (req.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
    receivedAt: Date.now(),
  };

  const stagePrefix = `/${api.stageName}`;
  let result: GatewayResult;
  if (fullPath === stagePrefix || fullPath.startsWith(`${stagePrefix}/`)) {
    const stageRequest = { ...request, path: fullPath.slice(stagePrefix.length) || "/" };
    try {
      result = await gateway.handle(stageRequest);
    } catch (error) {
      log(`local gateway error: ${(error as Error).stack ?? String(error)}`);
      result = { response: gatewayResponse(api, "INTEGRATION_ERROR", stageRequest), invoked: [] };
    }
  } else {
    // Outside the stage there is no API to answer: API Gateway's plain 403.
    result = {
      response: { statusCode: 403, headers: [["Content-Type", "application/json"]], body: Buffer.from('{"message":"Forbidden"}') },
      invoked: [],
    };
  }

  const { response } = result;
  const flat: string[] = [];
  for (const [name, value] of response.headers) flat.push(name, value);
  flat.push("x-amzn-RequestId", requestId, "x-amz-apigw-id", randomBytes(6).toString("base64url"));
  const bodyless = response.statusCode === 204 || response.statusCode === 304 || request.httpMethod === "HEAD";
  if (!bodyless) flat.push("Content-Length", String(response.body.length));
  res.writeHead(response.statusCode, flat);
  res.end(bodyless ? undefined : response.body);

  const ms = Math.round(performance.now() - started);
  log(`${request.httpMethod} ${fullPath} ${response.statusCode} ${ms} ms${result.invoked.length ? ` ${result.invoked.join(" -> ")}` : ""}`);
}

/** The request body; stops reading once it is past the payload limit (the gateway then answers 413). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      chunks.push(chunk);
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) {
        done = true;
        req.pause();
        resolve(Buffer.concat(chunks));
      }
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
