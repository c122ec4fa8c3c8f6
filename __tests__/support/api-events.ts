/**
 * API Gateway REST events for handler tests: proxy integration events (payload format 1.0), REQUEST authorizer
 * events, and a small stand-in for API Gateway that runs the authorizer before a bearer route and hands its
 * context to the function the way API Gateway does (every value a string, plus principalId and
 * integrationLatency).
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayEventIdentity,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from "aws-lambda";
import { randomUUID } from "node:crypto";
import type { FunctionName } from "../../app/config/schema";
import type { ProxyHandler } from "../../app/lambda-packages/shared/http";
import { ROUTES as APP_ROUTES, routeKey } from "../../app/stacks/routes";

export type { ProxyHandler };
export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** The API the events pretend to come from. */
export const API = { region: "us-east-1", accountId: "123456789012", apiId: "a1b2c3d4e5", stage: "test" } as const;

/** The ARN API Gateway puts in an authorizer event for this method and path. */
export function methodArn(method: string, path: string): string {
  return `arn:aws:execute-api:${API.region}:${API.accountId}:${API.apiId}/${API.stage}/${method}${path}`;
}

export interface ApiRequest {
  readonly method: string;
  /** Resource template, e.g. "/users/{id}". */
  readonly resource: string;
  /** Concrete path; @default resource with pathParameters filled in */
  readonly path?: string;
  readonly pathParameters?: Record<string, string> | null;
  /** Single-value headers (API Gateway keeps the last value of a repeated header). */
  readonly headers?: Record<string, string>;
  /** @default each header as a one-element list */
  readonly multiValueHeaders?: Record<string, string[]>;
  /** Raw body as API Gateway passes it. */
  readonly body?: string | null;
  /** Shorthand: JSON.stringify(json) as body, with `Content-Type: application/json` unless headers say otherwise. */
  readonly json?: unknown;
  readonly isBase64Encoded?: boolean;
  /** `requestContext.authorizer` as the integration receives it; @default null (no authorizer) */
  readonly authorizer?: Record<string, string | number> | null;
  readonly requestId?: string;
}

const IDENTITY: APIGatewayEventIdentity = {
  accessKey: null,
  accountId: null,
  apiKey: null,
  apiKeyId: null,
  caller: null,
  clientCert: null,
  cognitoAuthenticationProvider: null,
  cognitoAuthenticationType: null,
  cognitoIdentityId: null,
  cognitoIdentityPoolId: null,
  principalOrgId: null,
  sourceIp: "203.0.113.7",
  user: null,
  userAgent: "jest",
  userArn: null,
};

function concretePath(req: Pick<ApiRequest, "path" | "resource" | "pathParameters">): string {
  if (req.path !== undefined) return req.path;
  return req.resource.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(req.pathParameters?.[name] ?? ""));
}

function toMultiValue(headers: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
}

/** A REST API proxy integration event (payload format 1.0). */
export function apiEvent(req: ApiRequest): APIGatewayProxyEvent {
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  let body = req.body ?? null;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["Content-Type"] = "application/json";
  }
  const path = concretePath(req);
  const requestId = req.requestId ?? randomUUID();
  return {
    resource: req.resource,
    path,
    httpMethod: req.method,
    headers,
    multiValueHeaders: req.multiValueHeaders ?? toMultiValue(headers),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: req.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: req.isBase64Encoded ?? false,
    requestContext: {
      accountId: API.accountId,
      apiId: API.apiId,
      authorizer: req.authorizer ?? null,
      protocol: "HTTP/1.1",
      httpMethod: req.method,
      identity: IDENTITY,
      path: `/${API.stage}${path}`,
      stage: API.stage,
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: "abc123",
      resourcePath: req.resource,
    },
  };
}

/** A REQUEST authorizer event for a call to method + resource with these headers. */
export function authorizerEvent(
  req: Pick<ApiRequest, "method" | "resource" | "path" | "pathParameters" | "headers" | "multiValueHeaders" | "requestId">,
): APIGatewayRequestAuthorizerEvent {
  const headers = req.headers ?? {};
  const path = concretePath(req);
  return {
    type: "REQUEST",
    methodArn: methodArn(req.method, path),
    resource: req.resource,
    path,
    httpMethod: req.method,
    headers,
    multiValueHeaders: req.multiValueHeaders ?? toMultiValue(headers),
    pathParameters: req.pathParameters ?? null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: API.accountId,
      apiId: API.apiId,
      authorizer: undefined,
      protocol: "HTTP/1.1",
      httpMethod: req.method,
      identity: IDENTITY,
      path: `/${API.stage}${path}`,
      stage: API.stage,
      requestId: req.requestId ?? randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: "abc123",
      resourcePath: req.resource,
    },
  };
}

/** What the integration receives in requestContext.authorizer after this authorizer result. */
export function integrationContext(result: APIGatewayAuthorizerResult): Record<string, string | number> {
  const context: Record<string, string | number> = { principalId: result.principalId, integrationLatency: 3 };
  for (const [key, value] of Object.entries(result.context ?? {})) context[key] = String(value);
  return context;
}

/** The Lambda context fields the handlers use. */
export function lambdaContext(awsRequestId: string = randomUUID()): Context {
  return { awsRequestId, functionName: "test", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
}

/** A response with its body parsed (undefined when empty). */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string | number | boolean>;
  readonly body: any;
  readonly raw: string;
}

export function parseResponse(result: APIGatewayProxyResult): ApiResponse {
  return {
    status: result.statusCode,
    headers: (result.headers ?? {}) as Record<string, string | number | boolean>,
    body: result.body === "" ? undefined : JSON.parse(result.body),
    raw: result.body,
  };
}

/** Does the policy allow invoking this method ARN? (`*` matches any run of characters, as in IAM.) */
export function policyAllows(result: APIGatewayAuthorizerResult, arn: string): boolean {
  return result.policyDocument.Statement.some((statement) => {
    const s = statement as { Effect: string; Action?: string | string[]; Resource?: string | string[] };
    const actions = ([] as string[]).concat(s.Action ?? []);
    const resources = ([] as string[]).concat(s.Resource ?? []);
    const matches = (pattern: string): boolean =>
      new RegExp(
        `^${pattern
          .split("*")
          .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      ).test(arn);
    return s.Effect === "Allow" && actions.includes("execute-api:Invoke") && resources.some(matches);
  });
}

/** Which function serves each route and whether the authorizer guards it: derived from app/stacks/routes.ts. */
export const GATEWAY_ROUTES: Readonly<Record<string, { readonly fn: FunctionName; readonly bearer: boolean }>> = Object.fromEntries(
  APP_ROUTES.map((route) => [routeKey(route), { fn: route.function, bearer: route.auth === "bearer" }]),
);

export interface Gateway {
  /** Sends a request as a client would: bearer routes go through the authorizer first. */
  (req: ApiRequest & { readonly token?: string }): Promise<ApiResponse>;
}

/**
 * A stand-in for API Gateway with a result cache TTL of 0: a bearer route runs the authorizer on every call;
 * "Unauthorized" from it is API Gateway's 401 `{"message":"Unauthorized"}`, a policy that does not allow the
 * method is its 403, and otherwise the function gets the authorizer context.
 */
export function gateway(handlers: { authorizer: AuthorizerHandler } & Partial<Record<Exclude<FunctionName, "authorizer">, ProxyHandler>>): Gateway {
  return async (req) => {
    const route = GATEWAY_ROUTES[`${req.method} ${req.resource}`];
    if (!route) throw new Error(`no route ${req.method} ${req.resource} in the test API`);
    const headers = { ...(req.headers ?? {}) };
    if (req.token !== undefined) headers.Authorization = `Bearer ${req.token}`;
    let authorizer: Record<string, string | number> | null = null;
    if (route.bearer) {
      const event = authorizerEvent({ ...req, headers });
      let result: APIGatewayAuthorizerResult;
      try {
        result = await handlers.authorizer(event);
      } catch (error) {
        if (error instanceof Error && error.message === "Unauthorized") {
          return { status: 401, headers: {}, body: { message: "Unauthorized" }, raw: '{"message":"Unauthorized"}' };
        }
        throw error;
      }
      if (!policyAllows(result, event.methodArn)) {
        return { status: 403, headers: {}, body: { message: "User is not authorized to access this resource" }, raw: "" };
      }
      authorizer = integrationContext(result);
    }
    const event = apiEvent({ ...req, headers, authorizer });
    const handler = route.fn === "authorizer" ? undefined : handlers[route.fn];
    if (!handler) throw new Error(`the test API has no ${route.fn} handler for ${req.method} ${req.resource}`);
    return parseResponse(await handler(event, lambdaContext()));
  };
}
