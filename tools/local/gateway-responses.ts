/**
 * The answers API Gateway gives on its own (not from an integration): an unknown route, a missing or refused
 * identity, throttling, an authorizer or integration failure. Each has a response type with a default status
 * and message; the API's `aws_api_gateway_gateway_response` for that type, else for DEFAULT_4XX/DEFAULT_5XX,
 * sets the body template, headers and status. Without one, API Gateway's own `{"message": ...}` is sent.
 *
 * Templates are rendered with the `$context` variables gateway responses use (`$context.error.responseType`,
 * `$context.error.message`, `$context.error.messageString`, `$context.requestId`, ...); no other VTL.
 */
import type { RestApiModel } from "./rest-api";
import { headerValue, type GatewayRequest, type GatewayResponse } from "./proxy-integration";

/** The response types the local gateway produces, with API Gateway's status, message and x-amzn-ErrorType. */
export const RESPONSE_TYPES = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: "Missing Authentication Token", errorType: "MissingAuthenticationTokenException" },
  UNAUTHORIZED: { status: 401, message: "Unauthorized", errorType: "UnauthorizedException" },
  ACCESS_DENIED: { status: 403, message: "User is not authorized to access this resource", errorType: "AccessDeniedException" },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, message: null, errorType: "AuthorizerConfigurationException" },
  THROTTLED: { status: 429, message: "Too Many Requests", errorType: "TooManyRequestsException" },
  REQUEST_TOO_LARGE: { status: 413, message: "Request Too Long", errorType: "RequestTooLargeException" },
  /** A function error or a malformed proxy response: API Gateway answers 502 "Internal server error". */
  INTEGRATION_ERROR: { status: 502, message: "Internal server error", errorType: "InternalServerErrorException" },
  /** API Gateway may not invoke the integration's function (no matching aws_lambda_permission). */
  API_CONFIGURATION_ERROR: { status: 500, message: "Internal server error", errorType: "InternalServerErrorException" },
  INTEGRATION_TIMEOUT: { status: 504, message: "Endpoint request timed out", errorType: "InternalServerErrorException" },
} as const satisfies Record<string, { status: number; message: string | null; errorType: string }>;

export type ResponseType = keyof typeof RESPONSE_TYPES;

/**
 * Every gateway response type of API Gateway with its default status; null for the DEFAULT_4XX/DEFAULT_5XX
 * fallbacks, which keep the status of the type they stand in for. From the "Gateway response types for API
 * Gateway" page of the API Gateway developer guide.
 */
export const AWS_RESPONSE_TYPE_STATUS: Readonly<Record<string, number | null>> = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  DEFAULT_4XX: null,
  DEFAULT_5XX: null,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
};

/** What API Gateway itself would send for a response type: its status, `$context.error.message`, x-amzn-ErrorType. */
export interface ResponseDefaults {
  readonly status: number;
  readonly message: string | null;
  readonly errorType?: string;
}

/**
 * The gateway's response of this type. `message` overrides the default message (ACCESS_DENIED has two).
 * INTEGRATION_ERROR is reported as DEFAULT_5XX, the customization that applies to it on AWS.
 */
export function gatewayResponse(api: RestApiModel, type: ResponseType, request: GatewayRequest, message?: string | null): GatewayResponse {
  const defaults = RESPONSE_TYPES[type];
  const reportedType = type === "INTEGRATION_ERROR" ? "DEFAULT_5XX" : type;
  return renderGatewayResponse(api, reportedType, { ...defaults, message: message === undefined ? defaults.message : message }, request);
}

/**
 * The response of `responseType` as the API customizes it (its own gateway response, else DEFAULT_4XX or
 * DEFAULT_5XX by the default status), rendered for `request`; API Gateway's `{"message": ...}` without one.
 */
export function renderGatewayResponse(api: RestApiModel, reportedType: string, defaults: ResponseDefaults, request: GatewayRequest): GatewayResponse {
  const text = defaults.message;
  const custom = api.gatewayResponses.get(reportedType) ?? api.gatewayResponses.get(defaults.status >= 500 ? "DEFAULT_5XX" : "DEFAULT_4XX");

  const variables: Record<string, string> = {
    "context.error.responseType": reportedType,
    "context.error.message": text ?? "",
    "context.error.messageString": JSON.stringify(text),
    "context.error.validationErrorString": "",
    "context.requestId": request.requestId,
    "context.stage": api.stageName,
    "context.httpMethod": request.httpMethod,
  };
  const body = custom?.template !== undefined ? renderTemplate(custom.template, variables) : JSON.stringify({ message: text });

  const headers: Array<readonly [string, string]> = [
    ["Content-Type", "application/json"],
    ...(defaults.errorType ? [["x-amzn-ErrorType", defaults.errorType] as const] : []),
  ];
  for (const [name, value] of Object.entries(custom?.headers ?? {})) {
    const echoed = /^method\.request\.header\.(.+)$/.exec(value);
    // A static value's own single quotes are escaped (\'), as in the CSP's 'none'.
    const resolved = echoed ? headerValue(request, echoed[1]) : value.replace(/\\'/g, "'");
    if (resolved !== undefined) headers.push([name, resolved]);
  }
  return { statusCode: custom?.statusCode ?? defaults.status, headers, body: Buffer.from(body, "utf8") };
}

/** Replaces `$context.x.y` and `${context.x.y}` with their values; unknown references stay as written, as in VTL. */
function renderTemplate(template: string, variables: Readonly<Record<string, string>>): string {
  return template.replace(
    /\$\{(context(?:\.[A-Za-z]+)+)\}|\$(context(?:\.[A-Za-z]+)+)/g,
    (reference: string, braced: string | undefined, bare: string | undefined) => variables[(braced ?? bare)!] ?? reference,
  );
}
