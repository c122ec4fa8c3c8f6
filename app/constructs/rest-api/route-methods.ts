import { Construct } from "constructs";
import type { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { ResourceTree } from "./resource-tree";
import { constructIdOf, routeKey, type ApiRoute, type HttpMethod, type LambdaTarget } from "./types";

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
 * Per route: its method (behind the authorizer when "bearer") and a Lambda proxy integration; per function and
 * HTTP method: one invoke permission (addInvokePermissions). Ids in `scope`: `method-` and `integration-<method>-<path>`
 * (e.g. `method-get-users-id`), `permission-<function>-<method>` (e.g. `permission-users-get`).
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
  }
  addInvokePermissions(scope, props);
  return { methods, integrations };
}

/**
 * The permissions that let this API's stage invoke the route functions: one `aws_lambda_permission` per
 * (function, HTTP method it serves), source ARN `<execution_arn>/<stage>/<METHOD>/*`.
 *
 * Why this form: a function's resource policy is capped at 20,480 bytes (PolicyLengthExceededException), and
 * one statement per route (about 340 bytes each) fills it at about 55-60 routes. Per (function, method) a
 * function has at most five statements, whatever its number of routes. It is the narrowest form that is both
 * bounded and stable:
 * - this API (its execution ARN: region, account, API id), this stage and the method are all pinned, so no
 *   other API, stage or method of this account can invoke the function through it;
 * - the path is `*`, because any narrower pattern per method (a common prefix of the routes' paths) either
 *   grows with the routes again or changes when a route is added; `source_arn` forces replacement, and a
 *   replaced permission (same statement id, so destroyed before it is created) leaves live routes answering
 *   500 in between. With `/*`, adding a route adds at most one permission and never touches another.
 * What `/*` gives away is bounded by the integrations: API Gateway invokes a function only from a method whose
 * integration names it, and those are this construct's routes. (`*` in an ARN condition matches across `/`,
 * so `/GET/*` covers every path depth; API Gateway's source ARN is `<api>/<stage>/<METHOD>/<request path>`.)
 */
function addInvokePermissions(scope: Construct, props: RouteMethodsProps): void {
  const byFunctionAndMethod = new Map<string, { target: LambdaTarget; method: HttpMethod }>();
  for (const route of props.routes) {
    const key = `${route.target.name} ${route.method}`;
    if (!byFunctionAndMethod.has(key)) byFunctionAndMethod.set(key, { target: route.target, method: route.method });
  }
  for (const { target, method } of byFunctionAndMethod.values()) {
    new LambdaPermission(scope, `permission-${target.name}-${method.toLowerCase()}`, {
      statementId: `AllowApiGateway-${method}`,
      action: "lambda:InvokeFunction",
      functionName: target.functionName,
      qualifier: target.qualifier,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${props.api.executionArn}/${props.stageName}/${method}/*`,
    });
  }
}
