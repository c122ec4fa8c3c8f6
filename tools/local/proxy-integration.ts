/**
 * The Lambda proxy integration of a REST API (payload format 1.0): the request as an `APIGatewayProxyEvent` or
 * an `APIGatewayRequestAuthorizerEvent`, and the function's result back as an HTTP response.
 *
 * Request: `path` keeps the client's percent-encoding, `pathParameters` and query parameters are decoded;
 * `headers`/`queryStringParameters` hold the last value of a repeated name and the `multiValue*` fields all of
 * them (null when there are none); API Gateway's X-Forwarded-* and X-Amzn-Trace-Id headers are added. The
 * body is passed as text, or base64-encoded (`isBase64Encoded`) when its Content-Type is one of the API's
 * binary media types or it is not valid UTF-8.
 *
 * Response: only `statusCode`, `headers`, `multiValueHeaders`, `body` and `isBase64Encoded` are allowed, as API
 * Gateway REST requires; anything else is a malformed response (502). A base64 body is decoded only when the
 * request's Accept header names one of the binary media types, as on AWS; otherwise the text is sent as is.
 */
import { randomBytes } from "node:crypto";
import type { APIGatewayEventRequestContextWithAuthorizer, APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import type { MethodModel, RestApiModel } from "./rest-api";

/** An HTTP request as the gateway received it, after the stage segment was taken off its path. */
export interface GatewayRequest {
  readonly requestId: string;
  readonly httpMethod: string;
  /** Path after the stage, percent-encoded as sent: "/users/me". */
  readonly path: string;
  /** Query string without "?", as sent. */
  readonly query: string;
  /** Header name/value pairs in the order and case the client sent them. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly receivedAt: number;
}

/** An HTTP response to send. */
export interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
}

type Values = Record<string, string>;
type MultiValues = Record<string, string[]>;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The ARN API Gateway passes to an authorizer for this request. */
export function methodArn(api: RestApiModel, request: GatewayRequest): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.id}/${api.stageName}/${request.httpMethod}${request.path}`;
}

/** The value of a request header, case-insensitively (the last one when repeated). */
export function headerValue(request: Pick<GatewayRequest, "headers">, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let value: string | undefined;
  for (const [key, v] of request.headers) if (key.toLowerCase() === wanted) value = v;
  return value;
}

/** True when a media type matches one of the binary media types ("image/png", "image/*", "*\/*"). */
export function isBinaryMediaType(api: RestApiModel, contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (!type) return false;
  return api.binaryMediaTypes.some((pattern) => {
    const [want, wantSub] = pattern.toLowerCase().split("/");
    const [have, haveSub] = type.split("/");
    return (want === "*" || want === have) && (wantSub === "*" || wantSub === haveSub);
  });
}

function collect(pairs: Iterable<readonly [string, string]>): { single: Values | null; multi: MultiValues | null } {
  const single: Values = {};
  const multi: MultiValues = {};
  for (const [name, value] of pairs) {
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return Object.keys(single).length === 0 ? { single: null, multi: null } : { single, multi };
}

/** Headers as the function sees them: the client's, plus API Gateway's forwarding headers. */
function eventHeaders(request: GatewayRequest): Array<readonly [string, string]> {
  const forwardedFor = headerValue(request, "x-forwarded-for");
  const host = headerValue(request, "host") ?? "";
  const traceId = `Root=1-${Math.floor(request.receivedAt / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
  const added: Array<readonly [string, string]> = [
    ["X-Forwarded-For", forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp],
    ["X-Forwarded-Port", /:(\d+)$/.exec(host)?.[1] ?? "80"],
    ["X-Forwarded-Proto", "http"],
    ["X-Amzn-Trace-Id", traceId],
  ];
  const replaced = new Set(added.map(([name]) => name.toLowerCase()));
  return [...request.headers.filter(([name]) => !replaced.has(name.toLowerCase())), ...added];
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function requestContext<T>(
  api: RestApiModel,
  request: GatewayRequest,
  method: MethodModel,
  authorizer: T,
): APIGatewayEventRequestContextWithAuthorizer<T> {
  const host = headerValue(request, "host") ?? "localhost";
  return {
    accountId: api.accountId,
    apiId: api.id,
    authorizer,
    domainName: host,
    domainPrefix: host.split(".")[0],
    extendedRequestId: randomBytes(8).toString("base64url"),
    httpMethod: request.httpMethod,
    identity: {
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
      sourceIp: request.sourceIp,
      user: null,
      userAgent: headerValue(request, "user-agent") ?? null,
      userArn: null,
    },
    path: `/${api.stageName}${request.path}`,
    protocol: "HTTP/1.1",
    requestId: request.requestId,
    requestTime: requestTime(request.receivedAt),
    requestTimeEpoch: request.receivedAt,
    resourceId: method.resourceId,
    resourcePath: method.resourcePath,
    stage: api.stageName,
  };
}

/** The parts shared by the proxy event and the REQUEST authorizer event. */
function requestParts(api: RestApiModel, request: GatewayRequest, method: MethodModel, pathParameters: Values | null) {
  const headers = collect(eventHeaders(request));
  const query = collect(new URLSearchParams(request.query));
  return {
    resource: method.resourcePath,
    path: request.path,
    httpMethod: request.httpMethod,
    headers: headers.single ?? {},
    multiValueHeaders: headers.multi ?? {},
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters,
    stageVariables: api.stageVariables ? { ...api.stageVariables } : null,
  };
}

/** The REQUEST authorizer event for a request to `method`. */
export function authorizerEvent(
  api: RestApiModel,
  request: GatewayRequest,
  method: MethodModel,
  pathParameters: Values | null,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn: methodArn(api, request),
    ...requestParts(api, request, method, pathParameters),
    requestContext: requestContext(api, request, method, undefined),
  };
}

/** The proxy integration event; `authorizer` is the authorizer's context on CUSTOM methods. */
export function proxyEvent(
  api: RestApiModel,
  request: GatewayRequest,
  method: MethodModel,
  pathParameters: Values | null,
  authorizer: Record<string, string | number> | undefined,
): APIGatewayProxyEvent {
  let body: string | null = null;
  let isBase64Encoded = false;
  if (request.body.length > 0) {
    const text = isBinaryMediaType(api, headerValue(request, "content-type")) ? undefined : decodeUtf8(request.body);
    isBase64Encoded = text === undefined;
    body = text ?? request.body.toString("base64");
  }
  return {
    ...requestParts(api, request, method, pathParameters),
    requestContext: requestContext(api, request, method, authorizer),
    body,
    isBase64Encoded,
  };
}

function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const RESULT_KEYS = new Set(["statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"]);
const isHeaderValue = (v: unknown) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/**
 * The HTTP response for a function's result, or a string saying why it is a malformed proxy response. Headers
 * that appear in `multiValueHeaders` take their values from there; the others come from `headers`.
 */
export function proxyResponse(api: RestApiModel, request: GatewayRequest, payload: unknown): GatewayResponse | string {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return "the result is not an object";
  const result = payload as Record<string, unknown>;
  const unknown = Object.keys(result).filter((key) => !RESULT_KEYS.has(key));
  if (unknown.length > 0) return `unexpected field(s) ${unknown.join(", ")}`;
  const { statusCode, headers = {}, multiValueHeaders = {}, body, isBase64Encoded = false } = result;
  if (typeof statusCode !== "number" || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    return "statusCode is not an HTTP status";
  if (headers === null || typeof headers !== "object" || !Object.values(headers).every(isHeaderValue)) return "headers is not an object of strings";
  if (
    multiValueHeaders === null ||
    typeof multiValueHeaders !== "object" ||
    !Object.values(multiValueHeaders).every((list) => Array.isArray(list) && list.every(isHeaderValue))
  ) {
    return "multiValueHeaders is not an object of string lists";
  }
  if (body !== undefined && body !== null && typeof body !== "string") return "body is not a string";
  if (typeof isBase64Encoded !== "boolean") return "isBase64Encoded is not a boolean";

  const multi = multiValueHeaders as Record<string, unknown[]>;
  const fromMulti = new Set(Object.keys(multi).map((k) => k.toLowerCase()));
  const pairs: Array<readonly [string, string]> = [
    ...Object.entries(headers as Record<string, unknown>)
      .filter(([name]) => !fromMulti.has(name.toLowerCase()))
      .map(([name, value]) => [name, String(value)] as const),
    ...Object.entries(multi).flatMap(([name, values]) => values.map((value) => [name, String(value)] as const)),
  ];
  if (!pairs.some(([name]) => name.toLowerCase() === "content-type")) pairs.push(["Content-Type", "application/json"]);

  const text = typeof body === "string" ? body : "";
  const decode = isBase64Encoded && isBinaryMediaType(api, headerValue(request, "accept")?.split(",")[0]);
  return { statusCode, headers: pairs, body: decode ? Buffer.from(text, "base64") : Buffer.from(text, "utf8") };
}
