/**
 * The API's error vocabulary, in one place: every `error.code` a client can receive, from a function or from
 * API Gateway itself, with its HTTP status. The functions' HttpError classes (http.ts, router.ts), the gateway
 * responses of the API (app/constructs/lambda-rest-api.ts), the local gateway and the OpenAPI document all read
 * this module. Codes are part of the contract: clients switch on them, so never rename one.
 *
 * Every error body has one shape: `{"error": {"code": <code>, "message": <string>, "details"?: ...}}`.
 */

export interface ErrorCodeDefinition {
  /** The HTTP status this code is answered with. */
  readonly status: number;
  /** Whether the same request may succeed when sent again later (the answer carries `Retry-After`). */
  readonly retryable: boolean;
  readonly description: string;
}

export const ERROR_CODES = {
  VALIDATION_ERROR: { status: 400, retryable: false, description: "The request is malformed or a field is invalid; details lists the fields." },
  BAD_REQUEST: { status: 400, retryable: false, description: "API Gateway refused the request before it reached a function." },
  UNAUTHORIZED: { status: 401, retryable: false, description: "Missing, invalid, expired or revoked credentials, or the account no longer exists." },
  FORBIDDEN: { status: 403, retryable: false, description: "Authenticated, but not allowed to do this (or blocked by the firewall)." },
  NOT_FOUND: { status: 404, retryable: false, description: "The resource does not exist." },
  ROUTE_NOT_FOUND: { status: 404, retryable: false, description: "No route of the API matches this method and path." },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false, description: "The path exists, but not with this method; Allow lists the methods." },
  CONFLICT: { status: 409, retryable: false, description: "The request conflicts with the current state (e-mail taken, profile version changed)." },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, description: "The request body is larger than the endpoint accepts." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, description: "The request body is not application/json in UTF-8." },
  TOO_MANY_REQUESTS: { status: 429, retryable: true, description: "Throttled: slow down and retry later." },
  INTERNAL_ERROR: { status: 500, retryable: false, description: "A bug: report it with the request id." },
  BAD_GATEWAY: { status: 502, retryable: false, description: "The function behind the route failed or answered malformed." },
  SERVICE_UNAVAILABLE: { status: 503, retryable: true, description: "A dependency is unavailable or throttled: retry after Retry-After seconds." },
  GATEWAY_TIMEOUT: {
    status: 504,
    retryable: false,
    description: "The function did not answer in time; the request may or may not have taken effect.",
  },
} as const satisfies Record<string, ErrorCodeDefinition>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Seconds a client should wait before retrying a retryable error (the `Retry-After` header). */
export const RETRY_AFTER_SECONDS = 1;

/** How the API answers one of API Gateway's own response types. */
export interface GatewayResponseDefinition {
  readonly code: ErrorCode;
  /** Overrides the status API Gateway would use for this type; @default API Gateway's own status */
  readonly status?: number;
  /** Static, so it is never null: API Gateway's `$context.error.message` is empty for some types. */
  readonly message: string;
}

/**
 * The gateway response types the API customizes, each answered with a code of ERROR_CODES. DEFAULT_4XX and
 * DEFAULT_5XX catch every other type; they keep the status API Gateway chose.
 * Types: https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 */
export const GATEWAY_RESPONSES = {
  UNAUTHORIZED: { code: "UNAUTHORIZED", message: "Authentication required: send a valid bearer token" },
  ACCESS_DENIED: { code: "FORBIDDEN", message: "You are not allowed to do this" },
  WAF_FILTERED: { code: "FORBIDDEN", message: "The request was blocked by the firewall" },
  // API Gateway answers an unknown method or path with 403 "Missing Authentication Token"; it is a 404.
  MISSING_AUTHENTICATION_TOKEN: { code: "ROUTE_NOT_FOUND", status: 404, message: "No route matches this method and path" },
  RESOURCE_NOT_FOUND: { code: "ROUTE_NOT_FOUND", status: 404, message: "No route matches this method and path" },
  BAD_REQUEST_BODY: { code: "VALIDATION_ERROR", message: "The request body is invalid" },
  BAD_REQUEST_PARAMETERS: { code: "VALIDATION_ERROR", message: "A request parameter is missing or invalid" },
  REQUEST_TOO_LARGE: { code: "PAYLOAD_TOO_LARGE", message: "The request is larger than the API accepts" },
  UNSUPPORTED_MEDIA_TYPE: { code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the request body as application/json" },
  THROTTLED: { code: "TOO_MANY_REQUESTS", message: "Too many requests: slow down and retry later" },
  QUOTA_EXCEEDED: { code: "TOO_MANY_REQUESTS", message: "Too many requests: slow down and retry later" },
  // The authorizer throws anything but "Unauthorized" only when it cannot check the token (its table is
  // unreachable or throttled): that is an outage to retry, not a log-out.
  AUTHORIZER_CONFIGURATION_ERROR: { code: "SERVICE_UNAVAILABLE", status: 503, message: "Authentication is temporarily unavailable: retry later" },
  AUTHORIZER_FAILURE: { code: "SERVICE_UNAVAILABLE", status: 503, message: "Authentication is temporarily unavailable: retry later" },
  INTEGRATION_FAILURE: { code: "BAD_GATEWAY", status: 502, message: "The service failed to answer" },
  INTEGRATION_TIMEOUT: { code: "GATEWAY_TIMEOUT", message: "The service did not answer in time" },
  DEFAULT_4XX: { code: "BAD_REQUEST", message: "The request was refused" },
  DEFAULT_5XX: { code: "INTERNAL_ERROR", message: "Internal server error" },
} as const satisfies Record<string, GatewayResponseDefinition>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;
