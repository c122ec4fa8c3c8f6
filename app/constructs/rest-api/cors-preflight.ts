import { Construct } from "constructs";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodResponse } from "@cdktf/provider-aws/lib/api-gateway-method-response";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import type { ResourceTree } from "./resource-tree";
import { constructIdOf, type ApiRoute } from "./types";

export interface CorsPreflightProps {
  readonly api: ApiGatewayRestApi;
  readonly resources: ResourceTree;
  readonly routes: readonly ApiRoute[];
  /** Origins whose preflight is allowed; at least one (without origins there is no preflight). */
  readonly origins: readonly string[];
}

/** Headers of the preflight answer besides Access-Control-Allow-Origin, which the template sets per request. */
const PREFLIGHT_HEADERS = ["Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary"];

/**
 * Answers browsers' CORS preflight (OPTIONS) on every resource that has routes, without invoking a function:
 * a MOCK integration whose response template echoes the Origin only when it is one of `origins`. The actual
 * responses carry their CORS headers from the functions (ALLOWED_ORIGINS). Ids in `scope`: `method-`,
 * `integration-`, `response-` and `integration-response-options-<path>`.
 *
 * @returns the integration responses, which the deployment covers
 */
export function addCorsPreflights(scope: Construct, props: CorsPreflightProps): ApiGatewayIntegrationResponse[] {
  const methodsByPath = new Map<string, string[]>();
  for (const route of props.routes) methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
  const template = originEchoTemplate(props.origins);
  return [...methodsByPath].map(([path, methods]) => addPreflight(scope, props.api, props.resources.idOf(path), path, methods, template));
}

/** Velocity template that sets Access-Control-Allow-Origin to the request's Origin when it is allowed. */
function originEchoTemplate(origins: readonly string[]): string {
  const allowed = origins.map((o) => `$origin == "${o}"`).join(" || ");
  return [
    '#set($origin = $input.params("Origin"))',
    `#if(${allowed})`,
    "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)",
    "#end",
  ].join("\n");
}

/** OPTIONS on one resource: method, MOCK integration answering 204, and its method and integration responses. */
function addPreflight(
  scope: Construct,
  api: ApiGatewayRestApi,
  resourceId: string,
  path: string,
  methods: readonly string[],
  template: string,
): ApiGatewayIntegrationResponse {
  const id = `options${constructIdOf(path)}`;
  const method = new ApiGatewayMethod(scope, `method-${id}`, {
    restApiId: api.id,
    resourceId,
    httpMethod: "OPTIONS",
    authorization: "NONE",
  });
  const integration = new ApiGatewayIntegration(scope, `integration-${id}`, {
    restApiId: api.id,
    resourceId,
    httpMethod: method.httpMethod,
    type: "MOCK",
    requestTemplates: { "application/json": '{"statusCode": 204}' },
  });
  const response = new ApiGatewayMethodResponse(scope, `response-${id}`, {
    restApiId: api.id,
    resourceId,
    httpMethod: method.httpMethod,
    statusCode: "204",
    responseParameters: Object.fromEntries([...PREFLIGHT_HEADERS, "Access-Control-Allow-Origin"].map((h) => [`method.response.header.${h}`, false])),
  });
  return new ApiGatewayIntegrationResponse(scope, `integration-response-${id}`, {
    restApiId: api.id,
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
}
