/**
 * The authorizer context: what the authorizer function returns for a valid token and what the business
 * functions read from `event.requestContext.authorizer`.
 *
 * The authorizer returns `{ userId, sessionId, createdAt, expiresAt, credentialGeneration }` (sessionId = the
 * token hash; createdAt in epoch ms, expiresAt in epoch seconds; credentialGeneration the session's when the decision
 * was made, for the record only). The functions read only userId and sessionId: they check the session itself,
 * read fresh (caller-session.ts), as a cached decision may be older than a revocation. API Gateway (REST) hands
 * every context value to the integration as a string and adds `principalId`, so the reader accepts strings and
 * numbers.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { UnauthorizedError } from "./http";
import { TOKEN_HASH, type SessionItem } from "./sessions";

/** Context keys set by the authorizer; values are strings or numbers only (API Gateway's rule). */
export interface AuthorizerContext {
  readonly userId: string;
  readonly sessionId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly credentialGeneration: number;
  readonly [key: string]: string | number;
}

export function authorizerContext(session: SessionItem): AuthorizerContext {
  return {
    userId: session.userId,
    sessionId: session.tokenHash,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    credentialGeneration: session.credentialGeneration,
  };
}

/** Who is calling, from the authorizer context. */
export interface Caller {
  readonly userId: string;
  /** Hash of the caller's token: the key of the current session. Never log it. */
  readonly sessionId: string;
}

/**
 * The caller of a bearer route. API Gateway only invokes these routes after the authorizer allowed the token,
 * so a missing or malformed context means a misconfigured route: answer 401 rather than act for nobody.
 */
export function requireCaller(event: Pick<APIGatewayProxyEvent, "requestContext">): Caller {
  const context = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const userId = context?.userId;
  const sessionId = context?.sessionId;
  if (typeof userId !== "string" || userId === "" || userId.length > 64 || typeof sessionId !== "string" || !TOKEN_HASH.test(sessionId)) {
    throw new UnauthorizedError();
  }
  return { userId, sessionId };
}
