import { createHash } from "node:crypto";
import { Construct } from "constructs";
import { Fn } from "cdktf";
import type { ApiGatewayAuthorizer } from "@cdktf/provider-aws/lib/api-gateway-authorizer";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import type { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response";
import type { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import type { ApiGatewayIntegrationResponse } from "@cdktf/provider-aws/lib/api-gateway-integration-response";
import type { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { GATEWAY_RESPONSES } from "../../lambda-packages/shared/error-codes";
import { gatewayCorsHeaders, SECURITY_HEADERS } from "./gateway-responses";
import type { ApiRoute } from "./types";

export interface DeploymentProps {
  readonly api: ApiGatewayRestApi;
  readonly routes: readonly ApiRoute[];
  readonly corsOrigins: readonly string[];
  readonly methods: readonly ApiGatewayMethod[];
  readonly integrations: readonly ApiGatewayIntegration[];
  readonly preflights: readonly ApiGatewayIntegrationResponse[];
  readonly gatewayResponses: readonly ApiGatewayGatewayResponse[];
  readonly authorizer?: ApiGatewayAuthorizer;
}

/**
 * The API's deployment, a snapshot: any change to a route, integration, authorizer or gateway response must
 * produce a new one, created before the old one is destroyed. Its triggers are a digest of what is known at
 * synth (`routes`) and a Terraform hash of the references (`references`). Id in `scope`: `deployment`.
 *
 * `references` hashes only attributes that read back as they were written (or ids AWS assigns once): Terraform
 * evaluates it against state on every plan, and one value that differs between create and the provider's first
 * read replaces the deployment on the first plan after a deploy. A method's `authorizer_id` is such a value when
 * it was not written (null after create, "" once AWS provider 5.100 has read the method), so it is hashed only for
 * the methods that set it (CUSTOM); `authorization` already tells the others apart.
 */
export function addDeployment(scope: Construct, props: DeploymentProps): ApiGatewayDeployment {
  const digest = routeDigest(props.routes, props.corsOrigins);
  const { authorizer } = props;
  return new ApiGatewayDeployment(scope, "deployment", {
    restApiId: props.api.id,
    description: `routes ${digest.slice(0, 12)}`,
    triggers: {
      routes: digest,
      references: Fn.sha1(
        Fn.jsonencode([
          ...props.methods.map((m) => (m.authorizerIdInput === undefined ? [m.id, m.authorization] : [m.id, m.authorization, m.authorizerId])),
          ...props.integrations.map((i) => [i.id, i.uri]),
          ...props.preflights.map((p) => [p.id, p.responseTemplates]),
          ...props.gatewayResponses.map((r) => r.id),
          authorizer ? [authorizer.id, authorizer.authorizerUri, authorizer.authorizerResultTtlInSeconds] : [],
        ]),
      ),
    },
    lifecycle: { createBeforeDestroy: true },
    dependsOn: [...props.methods, ...props.integrations, ...props.preflights, ...props.gatewayResponses],
  });
}

/** SHA-256 of the routes and the gateway responses' static contents: what a redeployment depends on at synth. */
function routeDigest(routes: readonly ApiRoute[], corsOrigins: readonly string[]): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        routes: routes.map((r) => [r.method, r.path, r.auth]),
        cors: corsOrigins,
        gatewayCors: gatewayCorsHeaders(corsOrigins),
        GATEWAY_RESPONSES,
        SECURITY_HEADERS,
      }),
    )
    .digest("hex");
}
