/**
 * REQUEST Lambda authorizer of every bearer route (identity source `method.request.header.Authorization`):
 * `Bearer <token>` -> its SHA-256 -> one strongly consistent GetItem of the session -> Allow for the whole stage
 * (stageWideResource) when the session exists and has not expired. Sessions, the result cache and the revocation
 * delay: docs/api.md, "Sessions and revocation".
 *
 * A missing, malformed, unknown or expired token throws Error("Unauthorized"), the exact message API Gateway turns
 * into a 401. Any other failure is rethrown: API Gateway reports AUTHORIZER_CONFIGURATION_ERROR, which the API's
 * gateway response answers 503 SERVICE_UNAVAILABLE, so an outage never looks like a log-out. The token and its
 * hash are never logged.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { authorizerContext } from "../shared/caller";
import { dynamoDb } from "../shared/dynamodb";
import { requireEnv } from "../shared/env";
import { log } from "../shared/log";
import { count } from "../shared/metrics";
import { bearerToken, getActiveSession, hashToken, type SessionItem } from "../shared/sessions";

const SESSIONS_TABLE_NAME = requireEnv("SESSIONS_TABLE_NAME");

/** The message API Gateway maps to 401 Unauthorized. */
export const UNAUTHORIZED = "Unauthorized";

/** arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<method>/<path...> */
const METHOD_ARN = /^(arn:[^:]+:execute-api:[^:]+:\d{12}:[^/:]+)\/([^/]+)\/[^/]+\/.*$/;

/**
 * The ARN of every method and path of the event's stage (`.../<apiId>/<stage>/*\/*`), derived from the called
 * method's ARN. Not the called method's own: API Gateway caches the decision per token and reuses it for the
 * token's next request to any route, which a method-specific resource would then deny.
 */
export function stageWideResource(methodArn: string): string | undefined {
  const match = METHOD_ARN.exec(methodArn);
  return match ? `${match[1]}/${match[2]}/*/*` : undefined;
}

/** The one Authorization header value; undefined when absent or sent more than once (ambiguous). */
function authorizationHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  const values: string[] = [];
  for (const [name, value] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === "authorization" && value) values.push(...value);
  }
  if (values.length > 1) return undefined;
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === "authorization" && value !== undefined) return value;
  }
  return undefined;
}

function deny(reason: string, event: APIGatewayRequestAuthorizerEvent): never {
  log.info("request not authorized", { reason, apiRequestId: event.requestContext?.requestId, resource: event.resource });
  count("AuthorizerDenials");
  throw new Error(UNAUTHORIZED);
}

async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const resource = stageWideResource(event.methodArn ?? "");
  if (resource === undefined) {
    log.error("methodArn is not an execute-api method ARN; denying", { methodArn: event.methodArn });
    throw new Error(UNAUTHORIZED);
  }
  const header = authorizationHeader(event);
  if (header === undefined) deny("missing", event);
  const token = bearerToken(header);
  if (token === undefined) deny("malformed", event);

  let session: SessionItem | undefined;
  try {
    session = await getActiveSession(await dynamoDb, SESSIONS_TABLE_NAME, hashToken(token));
  } catch (error) {
    log.error("session lookup failed", { error, apiRequestId: event.requestContext?.requestId });
    throw error;
  }
  if (!session) deny("unknown or expired session", event);

  return {
    principalId: session.userId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: resource }],
    },
    context: authorizerContext(session),
  };
}

export const handler = authorize;
