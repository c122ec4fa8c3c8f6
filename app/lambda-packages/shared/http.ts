/**
 * API Gateway REST proxy (payload format 1.0) helpers: JSON responses with the security headers, the typed
 * domain errors and the one place that maps them to responses (route), a strict JSON body parser, and CORS
 * for the origins listed in ALLOWED_ORIGINS.
 *
 * Error body format, for every 4xx and 5xx: {"error": {"code": "...", "message": "...", "details"?: ...}}, with
 * the codes of error-codes.ts.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { ERROR_CODES, RETRY_AFTER_SECONDS, type ErrorCode } from "./error-codes";
import { log, withLogContext } from "./log";

export type Headers = Record<string, string>;

/**
 * Sent with every response: JSON only, never cached, never MIME-sniffed, HTTPS only from the first answer on
 * (HSTS), and nothing a browser would load, run or frame from it (CSP). The gateway's own answers carry the same
 * (app/constructs/rest-api/gateway-responses.ts).
 */
export const BASE_HEADERS: Readonly<Headers> = {
  "Content-Type": "application/json",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
};

/** Body size limit of parseJsonBody when the caller gives none. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** A JSON response with BASE_HEADERS; extraHeaders are added (and may override them). */
export function json(statusCode: number, body: unknown, extraHeaders: Headers = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...extraHeaders }, body: JSON.stringify(body) };
}

/**
 * A 204 No Content response: no body, so no Content-Type; still never cached and never MIME-sniffed.
 * extraHeaders are added (and may override them).
 */
export function noContent(extraHeaders: Headers = {}): APIGatewayProxyResult {
  const headers: Headers = { ...BASE_HEADERS };
  delete headers["Content-Type"];
  return { statusCode: 204, headers: { ...headers, ...extraHeaders }, body: "" };
}

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly details?: unknown };
}

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Headers every error of this code carries: `Retry-After` when a client may retry. */
export function errorHeaders(code: ErrorCode): Headers {
  return ERROR_CODES[code].retryable ? { "Retry-After": String(RETRY_AFTER_SECONDS) } : {};
}

/**
 * Base of the errors a handler throws to answer with an error: route() turns them into the error body, with
 * the status of the code in ERROR_CODES. `message` and `details` go to the client, so they must not contain
 * secrets.
 */
export class HttpError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Headers = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
    this.statusCode = ERROR_CODES[code].status;
  }
}

/** 400: the request is malformed or fails validation; details may list the problems per field. */
export class ValidationError extends HttpError {
  constructor(message: string, details?: unknown) {
    super("VALIDATION_ERROR", message, details);
  }
}

/** 401: missing or invalid credentials; carries `WWW-Authenticate: Bearer` as RFC 9110 requires. */
export class UnauthorizedError extends HttpError {
  constructor(message = "Authentication required") {
    super("UNAUTHORIZED", message, undefined, { "WWW-Authenticate": "Bearer" });
  }
}

/** 403: authenticated, but not allowed to do this. */
export class ForbiddenError extends HttpError {
  constructor(message = "Forbidden") {
    super("FORBIDDEN", message);
  }
}

/** 404: the resource does not exist (or the caller may not know it exists). */
export class NotFoundError extends HttpError {
  constructor(message = "Not found", code: "NOT_FOUND" | "ROUTE_NOT_FOUND" = "NOT_FOUND") {
    super(code, message);
  }
}

/** 409: the request conflicts with the current state (e.g. the e-mail address is taken). */
export class ConflictError extends HttpError {
  constructor(message: string, details?: unknown) {
    super("CONFLICT", message, details);
  }
}

/** 413: the body is larger than the endpoint accepts. */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super("PAYLOAD_TOO_LARGE", message);
  }
}

/** 415: the body is not in a media type the endpoint accepts. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super("UNSUPPORTED_MEDIA_TYPE", message);
  }
}

/** 429: slow down; `Retry-After` says after how many seconds the request may succeed. */
export class TooManyRequestsError extends HttpError {
  constructor(message: string, retryAfterSeconds: number) {
    super("TOO_MANY_REQUESTS", message, undefined, { "Retry-After": String(retryAfterSeconds) });
  }
}

/** 503: a dependency (DynamoDB) is unavailable or throttled; the client may retry after `Retry-After`. */
export class ServiceUnavailableError extends HttpError {
  constructor(message = "The service is temporarily unavailable: retry later", options?: { cause?: unknown }) {
    super("SERVICE_UNAVAILABLE", message, undefined, {}, options);
  }
}

/** The response for a domain error. */
export function errorResponse(error: HttpError): APIGatewayProxyResult {
  return json(error.statusCode, errorBody(error.code, error.message, error.details), { ...errorHeaders(error.code), ...error.headers });
}

/** Origins allowed to call the API from a browser, from ALLOWED_ORIGINS (comma-separated; empty: none). */
export function parseAllowedOrigins(raw: string | undefined): readonly string[] {
  const origins = (raw ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const origin of origins) {
    let normalized: string | undefined;
    try {
      normalized = new URL(origin).origin;
    } catch {
      normalized = undefined;
    }
    if (normalized !== origin) {
      throw new Error(
        `ALLOWED_ORIGINS entry "${origin}" is not an origin: expected scheme://host[:port] without path or trailing slash${origin === "*" ? ' ("*" is never allowed)' : ""}`,
      );
    }
  }
  return origins;
}

/** Read once per cold start; a malformed entry fails the init. */
const ALLOWED_ORIGINS = parseAllowedOrigins(process.env.ALLOWED_ORIGINS);

/** Case-insensitive header lookup (API Gateway passes header names as the client sent them). */
export function getHeader(event: Pick<APIGatewayProxyEvent, "headers">, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** Response headers a browser app may read cross-origin: the profile version to send back in If-Match, ... */
export const CORS_EXPOSED_HEADERS = "ETag,Location,Retry-After,WWW-Authenticate";

/**
 * CORS headers for the request's Origin: `Access-Control-Allow-Origin: <origin>`, `Vary: Origin` and the
 * exposed headers when the origin is in the list, nothing otherwise. Never `*`.
 */
export function corsHeaders(event: Pick<APIGatewayProxyEvent, "headers">, allowedOrigins: readonly string[] = ALLOWED_ORIGINS): Headers {
  const origin = getHeader(event, "origin");
  if (origin === undefined || !allowedOrigins.includes(origin)) return {};
  return { "Access-Control-Allow-Origin": origin, Vary: "Origin", "Access-Control-Expose-Headers": CORS_EXPOSED_HEADERS };
}

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

export interface RouteOptions {
  /** @default the origins in ALLOWED_ORIGINS */
  readonly allowedOrigins?: readonly string[];
}

/**
 * Wraps a handler so that every outcome is a JSON response: a thrown HttpError becomes its error body (a 503
 * ServiceUnavailableError, which shared/dynamodb.ts throws for a DynamoDB outage, throttle or timeout, is
 * logged with its cause); anything else is logged (with the stack, in the logs only) and answered 500
 * `INTERNAL_ERROR` with the Lambda request id, which is the `requestId` of the function's log lines. Every other
 * 4xx is logged as "request refused" with its status, code and reason. Each line the handler writes carries the
 * Lambda and API request ids and the client's source IP (withLogContext). CORS headers are added to every response.
 */
export function route(handlerFn: ProxyHandler, options: RouteOptions = {}): ProxyHandler {
  const allowedOrigins = options.allowedOrigins ?? ALLOWED_ORIGINS;
  return (event, context) =>
    withLogContext(
      {
        requestId: context?.awsRequestId,
        apiRequestId: event?.requestContext?.requestId,
        sourceIp: event?.requestContext?.identity?.sourceIp,
      },
      async () => {
        let response: APIGatewayProxyResult;
        try {
          response = await handlerFn(event, context);
        } catch (error) {
          if (error instanceof HttpError) {
            if (error instanceof ServiceUnavailableError) {
              log.warn("dependency unavailable", { error: error.cause ?? error, resource: event?.resource, method: event?.httpMethod });
            } else {
              // Every refusal, with who asked (the context's source IP) and why: what an abuse review needs.
              log.info("request refused", {
                status: error.statusCode,
                code: error.code,
                reason: error.message,
                resource: event?.resource,
                method: event?.httpMethod,
              });
            }
            response = errorResponse(error);
          } else {
            const requestId = context?.awsRequestId ?? "unknown";
            log.error("unhandled error", { error, resource: event?.resource, method: event?.httpMethod });
            response = json(ERROR_CODES.INTERNAL_ERROR.status, errorBody("INTERNAL_ERROR", "Internal server error", { requestId }));
          }
        }
        const cors = corsHeaders(event, allowedOrigins);
        return Object.keys(cors).length === 0 ? response : { ...response, headers: { ...response.headers, ...cors } };
      },
    );
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
/** Standard base64 with padding, as API Gateway encodes binary bodies. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The request body as a JSON object. Each way it can be wrong is a 4xx whose message says what was wrong:
 * missing body (400), Content-Type not application/json or a charset other than utf-8 (415), larger than
 * maxBytes once decoded (413), marked base64 but not base64 (400), not UTF-8 or not JSON (400), JSON but not an
 * object (400), an object with a key given twice at any depth (400: JSON.parse keeps the last value, another
 * parser such as a WAF's may read the first, so the request would mean two things).
 * Bodies API Gateway delivered base64-encoded (`isBase64Encoded`) are decoded first.
 */
export function parseJsonBody(
  event: Pick<APIGatewayProxyEvent, "headers" | "body" | "isBase64Encoded">,
  maxBytes: number = DEFAULT_MAX_BODY_BYTES,
): Record<string, unknown> {
  if (event.body === null || event.body === undefined || event.body === "") {
    throw new ValidationError("Request body is missing: send a JSON object");
  }

  const contentType = getHeader(event, "content-type");
  if (contentType === undefined) {
    throw new UnsupportedMediaTypeError("Content-Type header is missing: send application/json");
  }
  const [mediaType, ...params] = contentType.split(";").map((p) => p.trim().toLowerCase());
  if (mediaType !== "application/json") {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json, received ${mediaType || "an empty value"}`);
  }
  for (const param of params) {
    const [key, value] = param.split("=").map((p) => p.trim().replace(/^"|"$/g, ""));
    if (key === "charset" && value !== "utf-8" && value !== "utf8") {
      throw new UnsupportedMediaTypeError(`Content-Type charset must be utf-8, received ${value}`);
    }
  }

  // Counted without decoding, so an oversized body is refused before any copy of it is made.
  const size = Buffer.byteLength(event.body, event.isBase64Encoded ? "base64" : "utf8");
  if (size > maxBytes) {
    throw new PayloadTooLargeError(`Request body is ${size} bytes; the limit is ${maxBytes} bytes`);
  }

  let text: string;
  if (event.isBase64Encoded) {
    // Buffer.from(..., "base64") skips characters outside the alphabet instead of failing; check first.
    if (!BASE64.test(event.body) || event.body.length % 4 !== 0) {
      throw new ValidationError("Request body is marked base64-encoded but is not valid base64");
    }
    try {
      text = utf8.decode(Buffer.from(event.body, "base64"));
    } catch {
      throw new ValidationError("Request body is not valid UTF-8");
    }
  } else {
    text = event.body;
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError("Request body is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const received = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new ValidationError(`Request body must be a JSON object, received ${received}`);
  }
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) {
    throw new ValidationError(`Request body has the key "${duplicate}" more than once: send each key once`, [
      { field: duplicate, message: `${duplicate} is given more than once` },
    ]);
  }
  return value as Record<string, unknown>;
}

/** One open object or array while scanning JSON text. */
interface Container {
  /** The keys seen so far; undefined for an array. */
  readonly keys?: Set<string>;
  readonly path: string;
  /** The path of the last key (object) or the index of the current element (array). */
  last: string;
  index: number;
}

const JSON_WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

/**
 * The dotted path of the first key that appears twice in one object of `text` (already known to be valid JSON;
 * keys compared after unescaping, so "em\u0061il" is "email"), or undefined.
 */
export function duplicateKey(text: string): string | undefined {
  const stack: Container[] = [];
  const childPath = (): string => {
    const parent = stack.at(-1);
    if (!parent) return "";
    return parent.keys ? parent.last : `${parent.path}[${parent.index}]`;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack.at(-1);
      let next = end + 1;
      while (JSON_WHITESPACE.has(text[next])) next++;
      if (top?.keys && text[next] === ":") {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        const path = top.path === "" ? key : `${top.path}.${key}`;
        if (top.keys.has(key)) return path;
        top.keys.add(key);
        top.last = path;
      }
      i = end;
    } else if (char === "{" || char === "[") {
      stack.push({ ...(char === "{" ? { keys: new Set<string>() } : {}), path: childPath(), last: "", index: 0 });
    } else if (char === "}" || char === "]") {
      stack.pop();
    } else if (char === ",") {
      const top = stack.at(-1);
      if (top && !top.keys) top.index++;
    }
  }
  return undefined;
}
