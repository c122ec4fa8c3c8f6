/**
 * Sessions: POST /sessions (log-in), GET /sessions/current, DELETE /sessions/current (log-out).
 *
 * Log-in reads the e-mail claim, then the user it points to, verifies the password and writes the session with
 * the credential generation read together with the hash (shared/users.ts), so a session whose log-in read a hash
 * that was replaced meanwhile is refused on its first request; the token exists only in the response (the table
 * stores its SHA-256). Every failed log-in answers the same 401
 * after the same scrypt work (verifyAgainstNothing). The current session is the caller's (authorizer context:
 * sessionId = token hash), re-read or conditionally deleted, so an ended session answers 401 here despite a
 * cached authorizer decision. Why, and the re-hash of an outdated password hash: README, "Passwords and tokens"
 * and "Sessions and revocation".
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { batchGetAll } from "../shared/batch-retry";
import { requireCaller, type Caller } from "../shared/caller";
import { dynamoDb, isConditionalCheckFailed, type DynamoDbClient } from "../shared/dynamodb";
import { integerEnv, requireEnv } from "../shared/env";
import { json, noContent, parseJsonBody, route, UnauthorizedError } from "../shared/http";
import { log } from "../shared/log";
import { count } from "../shared/metrics";
import { hashToken, isActive, newToken, sessionKey, toSessionItem, type SessionItem } from "../shared/sessions";
import { router, type Routes } from "../shared/router";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "../shared/passwords";
import { CREDENTIAL_GENERATION, credentialGenerationOf, getEmailClaim, getUser, toProfile, userKey, type UserItem } from "../shared/users";
import { USERS_TABLE } from "../shared/table-keys";
import { LogInSchema } from "../shared/request-schemas";
import { normalizeEmail, parseWith } from "../shared/validation";

const USERS_TABLE_NAME = requireEnv("USERS_TABLE_NAME");
const SESSIONS_TABLE_NAME = requireEnv("SESSIONS_TABLE_NAME");
/** Lifetime of a session from log-in: 5 minutes to 30 days. */
const SESSION_TTL_SECONDS = integerEnv("SESSION_TTL_SECONDS", 86400, 300, 2592000);

/** One message for an unknown e-mail address and a wrong password. */
export const INVALID_CREDENTIALS = "Email or password is incorrect";
const SESSION_ENDED = "The session has ended; log in again";

const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/** The user owning this e-mail address, through its claim; undefined when either item is missing. */
async function findUserByEmail(db: DynamoDbClient, email: string): Promise<UserItem | undefined> {
  const claim = await getEmailClaim(db, USERS_TABLE_NAME, email);
  if (!claim) return undefined;
  const user = await getUser(db, USERS_TABLE_NAME, claim.userId);
  // A claim whose user is gone (a crashed sign-up or deletion) or that points at another address is no account.
  return user && normalizeEmail(user.email) === normalizeEmail(email) ? user : undefined;
}

/** Replaces an outdated password hash; never fails the log-in. */
async function rehash(db: DynamoDbClient, user: UserItem, password: string): Promise<void> {
  try {
    await db.UpdateItem({
      TableName: USERS_TABLE_NAME,
      Key: userKey(user.id),
      UpdateExpression: "SET #passwordHash = :new",
      ConditionExpression: "#passwordHash = :old",
      ExpressionAttributeNames: { "#passwordHash": "passwordHash" },
      ExpressionAttributeValues: { ":new": await hashPassword(password), ":old": user.passwordHash },
    });
    log.info("password re-hashed with the current scrypt parameters", { userId: user.id });
  } catch (error) {
    const changedMeanwhile = isConditionalCheckFailed(error);
    log.warn("password re-hash skipped", { userId: user.id, reason: changedMeanwhile ? "password changed meanwhile" : "error", error });
  }
}

async function logIn(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const input = parseWith(LogInSchema, parseJsonBody(event));
  const db = await dynamoDb;

  const user = await findUserByEmail(db, input.email);
  if (!user) {
    await verifyAgainstNothing(input.password);
    log.info("log-in refused", { reason: "no such account", email: input.email });
    count("LogInsFailed");
    throw new UnauthorizedError(INVALID_CREDENTIALS);
  }
  const { ok, needsRehash } = await verifyPassword(input.password, user.passwordHash);
  if (!ok) {
    log.info("log-in refused", { reason: "wrong password", userId: user.id });
    count("LogInsFailed");
    throw new UnauthorizedError(INVALID_CREDENTIALS);
  }
  if (needsRehash) await rehash(db, user, input.password);

  const token = newToken();
  const now = Date.now();
  const session: SessionItem = {
    tokenHash: hashToken(token),
    userId: user.id,
    createdAt: now,
    expiresAt: Math.floor(now / 1000) + SESSION_TTL_SECONDS,
    credentialGeneration: user.credentialGeneration,
  };
  await db.PutItem({
    TableName: SESSIONS_TABLE_NAME,
    Item: { ...session },
    ConditionExpression: "attribute_not_exists(#tokenHash)",
    ExpressionAttributeNames: { "#tokenHash": "tokenHash" },
  });
  log.info("session started", { userId: user.id, expiresAt: session.expiresAt });
  count("LogInsSucceeded");
  return json(201, { token, expiresAt: iso(session.expiresAt * 1000), user: toProfile(user) });
}

/**
 * The caller's session (re-read: the authorizer's decision may be cached after log-out) and its user's credential
 * generation (undefined when the user no longer exists), in ONE strongly consistent BatchGetItem across both
 * tables; keys DynamoDB leaves unprocessed (only under throttling) are read again (batchGetAll).
 */
async function readSessionAndUser(db: DynamoDbClient, caller: Caller): Promise<{ session?: SessionItem; userGeneration?: number }> {
  const found = await batchGetAll(db, {
    [SESSIONS_TABLE_NAME]: { Keys: [sessionKey(caller.sessionId)], ConsistentRead: true },
    [USERS_TABLE_NAME]: {
      Keys: [userKey(caller.userId)],
      ConsistentRead: true,
      ProjectionExpression: "#pk, #generation",
      ExpressionAttributeNames: { "#pk": USERS_TABLE.partitionKey, "#generation": CREDENTIAL_GENERATION },
    },
  });
  const [item] = found[SESSIONS_TABLE_NAME];
  const [user] = found[USERS_TABLE_NAME];
  const session = item ? toSessionItem(item) : undefined;
  return { session: session && isActive(session) ? session : undefined, userGeneration: user ? credentialGenerationOf(user) : undefined };
}

async function currentSession(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const db = await dynamoDb;
  const { session, userGeneration } = await readSessionAndUser(db, caller);
  if (!session || session.userId !== caller.userId) throw new UnauthorizedError(SESSION_ENDED);
  // A session that outlived its user (a log-in racing an account deletion) or its password is no session.
  if (userGeneration !== session.credentialGeneration) throw new UnauthorizedError(SESSION_ENDED);
  return json(200, { userId: session.userId, createdAt: iso(session.createdAt), expiresAt: iso(session.expiresAt * 1000) });
}

async function logOut(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const db = await dynamoDb;
  try {
    await db.DeleteItem({
      TableName: SESSIONS_TABLE_NAME,
      Key: sessionKey(caller.sessionId),
      ConditionExpression: "#userId = :userId",
      ExpressionAttributeNames: { "#userId": "userId" },
      ExpressionAttributeValues: { ":userId": caller.userId },
    });
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new UnauthorizedError(SESSION_ENDED);
    throw error;
  }
  log.info("session ended", { userId: caller.userId, reason: "log-out" });
  count("LogOuts");
  return noContent();
}

/** What this function serves; __tests__/routes.test.ts holds it to the sessions routes of app/stacks/routes.ts. */
export const ROUTE_HANDLERS: Routes = {
  "/sessions": { POST: logIn },
  "/sessions/current": { GET: currentSession, DELETE: logOut },
};

export const handler = route(router(ROUTE_HANDLERS));
