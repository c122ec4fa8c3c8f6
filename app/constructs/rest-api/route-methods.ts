import { Construct } from "constructs";
import type { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { ResourceTree } from "./resource-tree";
import { constructIdOf, routeKey, type ApiRoute } from "./types";

export interface RouteMethodsProps {
  readonly api: ApiGatewayRestApi;
  readonly resources: ResourceTree;
  readonly routes: readonly ApiRoute[];
  /** The stage the invoke permissions are scoped to. */
  readonly stageName: string;
  /** Required when any route is "bearer" (LambdaRestApi checks that before). */
  readonly authorizer?: ApiGatewayAuthorizer;
}

export interface RouteMethods {
  /** Keyed "METHOD /path". */
  readonly methods: Readonly<Record<string, ApiGatewayMethod>>;
  readonly integrations: readonly ApiGatewayIntegration[];
}

/**
 * Per route: its method (behind the authorizer when "bearer"), a Lambda proxy integration, and an invoke
 * permission scoped to this API, stage, method and path. Ids in `scope`: `method-`, `integration-` and
 * `permission-<method>-<path>`, e.g. `method-get-users-id`.
 */
export function addRouteMethods(scope: Construct, props: RouteMethodsProps): RouteMethods {
  const methods: Record<string, ApiGatewayMethod> = {};
  const integrations: ApiGatewayIntegration[] = [];
  for (const route of props.routes) {
    const routeId = `${route.method.toLowerCase()}${constructIdOf(route.path)}`;
    const resourceId = props.resources.idOf(route.path);
    const bearer = route.auth === "bearer";
    const method = new ApiGatewayMethod(scope, `method-${routeId}`, {
      restApiId: props.api.id,
      resourceId,
      httpMethod: route.method,
      authorization: bearer ? "CUSTOM" : "NONE",
      authorizerId: bearer ? props.authorizer!.id : undefined,
      requestParameters: bearer ? { "method.request.header.Authorization": true } : undefined,
    });
    methods[routeKey(route)] = method;
    integrations.push(
      new ApiGatewayIntegration(scope, `integration-${routeId}`, {
        restApiId: props.api.id,
        resourceId,
        httpMethod: method.httpMethod,
        type: "AWS_PROXY",
        integrationHttpMethod: "POST",
        uri: route.target.invokeArn,
      }),
    );
    new LambdaPermission(scope, `permission-${routeId}`, {
      statementId: invokeStatementId(route),
      action: "lambda:InvokeFunction",
      functionName: route.target.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${props.api.executionArn}/${props.stageName}/${route.method}${route.path.replace(/\{[^}]+\}/g, "*")}`,
    });
  }
  return { methods, integrations };
}

/** "GET /users/{id}" -> "AllowApiGateway-GET-users-id": unique per route within the function's policy. */
function invokeStatementId(route: ApiRoute): string {
  return `AllowApiGateway-${route.method}${route.path.replace(/[^A-Za-z0-9]+/g, "-")}`.replace(/-+$/, "");
}
