import { Construct } from "constructs";
import { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import type { LambdaTarget } from "./types";

export interface BearerAuthorizerProps {
  /** The API's name; the authorizer is `<name>-bearer`. */
  readonly name: string;
  readonly target: LambdaTarget;
  /** Seconds API Gateway caches a decision per token; 0 disables the cache. */
  readonly cacheTtlSeconds: number;
}

/**
 * The REQUEST authorizer of the "bearer" routes (identity: the Authorization header) and the permission that
 * lets this API, and only through this authorizer, invoke its function. Ids in `scope`: `authorizer`,
 * `authorizer-permission`.
 */
export function addBearerAuthorizer(scope: Construct, api: ApiGatewayRestApi, props: BearerAuthorizerProps): ApiGatewayAuthorizer {
  const authorizer = new ApiGatewayAuthorizer(scope, "authorizer", {
    name: `${props.name}-bearer`,
    restApiId: api.id,
    type: "REQUEST",
    authorizerUri: props.target.invokeArn,
    identitySource: "method.request.header.Authorization",
    authorizerResultTtlInSeconds: props.cacheTtlSeconds,
  });
  new LambdaPermission(scope, "authorizer-permission", {
    statementId: "AllowApiGatewayAuthorizer",
    action: "lambda:InvokeFunction",
    functionName: props.target.functionName,
    qualifier: props.target.qualifier,
    principal: "apigateway.amazonaws.com",
    sourceArn: `${api.executionArn}/authorizers/${authorizer.id}`,
  });
  return authorizer;
}
