import { Construct } from "constructs";
import { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import {
  ERROR_CODES,
  GATEWAY_RESPONSES,
  RETRY_AFTER_SECONDS,
  type GatewayResponseDefinition,
  type GatewayResponseType,
} from "../../lambda-packages/shared/error-codes";

/**
 * Headers of every gateway error: never cached, never sniffed, HTTPS only (HSTS), nothing to load or frame
 * (CSP), as the functions' BASE_HEADERS. A static value is quoted with single quotes; the single quotes inside
 * the CSP are escaped with a backslash.
 */
export const SECURITY_HEADERS = {
  "gatewayresponse.header.Cache-Control": "'no-store'",
  "gatewayresponse.header.X-Content-Type-Options": "'nosniff'",
  "gatewayresponse.header.Strict-Transport-Security": "'max-age=31536000; includeSubDomains'",
  "gatewayresponse.header.Content-Security-Policy": "'default-src \\'none\\'; frame-ancestors \\'none\\''",
};

/**
 * The gateway's own errors (every type of GATEWAY_RESPONSES: 401 from the authorizer, 429, 503, ...) in the
 * app's JSON error format, with the security headers, Retry-After or WWW-Authenticate where they apply, and
 * the CORS headers when any origin is configured. Ids in `scope`: `response-<type>`, e.g. `response-throttled`.
 */
export function addGatewayResponses(scope: Construct, api: ApiGatewayRestApi, corsOrigins: readonly string[]): ApiGatewayGatewayResponse[] {
  return (Object.keys(GATEWAY_RESPONSES) as GatewayResponseType[]).map((responseType) => {
    const definition: GatewayResponseDefinition = GATEWAY_RESPONSES[responseType];
    return new ApiGatewayGatewayResponse(scope, `response-${responseType.toLowerCase()}`, {
      restApiId: api.id,
      responseType,
      statusCode: definition.status === undefined ? undefined : String(definition.status),
      responseTemplates: { "application/json": gatewayErrorTemplate(responseType) },
      responseParameters: { ...SECURITY_HEADERS, ...gatewayErrorHeaders(responseType), ...gatewayCorsHeaders(corsOrigins) },
    });
  });
}

/**
 * Body of the gateway's own error of one response type, in the app's error format `{"error": {"code", "message"}}`
 * with the code and a static message from GATEWAY_RESPONSES (static, because `$context.error.message` is empty
 * for some types, e.g. AUTHORIZER_CONFIGURATION_ERROR).
 */
export function gatewayErrorTemplate(type: GatewayResponseType): string {
  const { code, message } = GATEWAY_RESPONSES[type];
  return JSON.stringify({ error: { code, message } });
}

/** Headers of one gateway response type beyond the security and CORS headers. */
function gatewayErrorHeaders(type: GatewayResponseType): Record<string, string> {
  const { code } = GATEWAY_RESPONSES[type];
  return {
    ...(ERROR_CODES[code].retryable ? { "gatewayresponse.header.Retry-After": `'${RETRY_AFTER_SECONDS}'` } : {}),
    ...(code === "UNAUTHORIZED" ? { "gatewayresponse.header.WWW-Authenticate": "'Bearer'" } : {}),
  };
}

/**
 * CORS headers of the gateway's own errors (401 from the authorizer, 429, 503, ...), so a browser app on ANY
 * configured origin can read them and show their message. A gateway response has static headers: API Gateway
 * cannot check the request's Origin against a list, so "only the configured origins" is not expressible here.
 * The choices were: one origin only (what this did before: with two origins, neither could read a 401 or a
 * 429), echoing `method.request.header.Origin` (any origin, unvalidated), or `*`. We use `*`, because:
 * - these bodies are static (GATEWAY_RESPONSES: a code and a fixed message, nothing about a user or an
 *   account), so reading them cross-origin tells a page nothing that `curl` would not;
 * - the API's credentials are bearer tokens a client puts in a header itself, never cookies, so no browser
 *   attaches them to a third-party page's request: such a page only ever gets an anonymous answer;
 * - `*` fails safe: browsers refuse it together with `Access-Control-Allow-Credentials`, where an echoed
 *   Origin would silently turn into a hole if credentials were ever added.
 * The functions' responses, which carry user data, still name one allowed origin (`corsHeaders` in
 * app/lambda-packages/shared/http.ts), and preflight still only allows the configured origins, so a page elsewhere
 * cannot send an authenticated request at all. Without configured origins (no browser client) nothing is added.
 */
export function gatewayCorsHeaders(origins: readonly string[]): Record<string, string> {
  if (origins.length === 0) return {};
  return {
    "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
    "gatewayresponse.header.Access-Control-Expose-Headers": "'Retry-After,WWW-Authenticate'",
  };
}
