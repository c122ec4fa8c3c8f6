/**
 * Sessions: POST /sessions (log-in), GET /sessions/current, DELETE /sessions/current (log-out).
 *
 * Log-in reads the e-mail claim, then the user it points to, verifies the password and writes the session with
 * the credential generation read together with the hash (shared/users.ts), so a session whose log-in read a hash
 * that was replaced meanwhile is refused on its first request; the token exists only in the response (the table
 * stores its SHA-256). Every failed log-in answers the same 401
 * after the same scrypt work (verifyAgainstNothing). The current session is the caller's (authorizer context:
 * sessionId = token hash), re-read or conditionally deleted, so an ended session answers 401 here despite a
 * cached authorizer decision. Why, and the re-hash of an outdated password hash: docs/api.md, "Passwords and tokens"
 * and "Sessions and revocation".
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { batchGetAll } from "../shared/batch-retry";
import { requireCaller, type Caller } from "../shared/caller";
import { dynamoDb, isConditionalCheckFailed, type DynamoDbClient } from "../shared/dynamodb";
import { integerEnv, requireEnv } from "../shared/env";
import { json, noContent, parseJsonBody, route, TooManyRequestsError, UnauthorizedError } from "../shared/http";
import { log } from "../shared/log";
import { count } from "../shared/metrics";
import { hashToken, isActive, newToken, sessionKey, toSessionItem, type SessionItem } from "../shared/sessions";
import { router, type Routes } from "../shared/router";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "../shared/passwords";
import {
  CREDENTIAL_GENERATION,
  credentialGenerationOf,
  emailClaimKey,
  getUser,
  toEmailClaim,
  toProfile,
  userKey,
  type EmailClaim,
  type UserItem,
} from "../shared/users";
import {
  claimAttempt,
  delaySeconds,
  FREE_FAILURES,
  recordFailure,
  resetFailures,
  retryAfterSeconds,
  throttleKey,
  toThrottleState,
  type ThrottleState,
} from "../shared/login-throttle";
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

/**
 * The claim on this e-mail address and its failed log-ins (login-throttle.ts), in ONE strongly consistent
 * BatchGetItem: the throttle costs a normal log-in no extra call.
 */
async function readClaimAndThrottle(db: DynamoDbClient, email: string, nowMs: number): Promise<{ claim?: EmailClaim; throttle: ThrottleState }> {
  const claimPk = emailClaimKey(email)[USERS_TABLE.partitionKey];
  const found = await batchGetAll(db, {
    [USERS_TABLE_NAME]: { Keys: [emailClaimKey(email), throttleKey(email)], ConsistentRead: true },
  });
  const items = found[USERS_TABLE_NAME];
  const claimItem = items.find((item) => item[USERS_TABLE.partitionKey] === claimPk);
  const throttleItem = items.find((item) => item !== claimItem);
  return { claim: claimItem ? toEmailClaim(claimItem) : undefined, throttle: toThrottleState(throttleItem, nowMs) };
}

/** The user a claim points to; undefined when there is no claim or the claim is no account. */
async function userOfClaim(db: DynamoDbClient, claim: EmailClaim | undefined, email: string): Promise<UserItem | undefined> {
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

function throttled(retryAfter: number): TooManyRequestsError {
  count("LogInsThrottled");
  return new TooManyRequestsError(`Too many failed log-ins for this email address: retry in ${retryAfter} s`, retryAfter);
}

/**
 * The address's failed log-ins are checked before the password, in the same way whether or not it has an
 * account (login-throttle.ts): during a delay, 429 without checking; past the free failures, the attempt claims
 * its slot first; a failure is counted, a success after failures resets the count.
 */
async function logIn(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const input = parseWith(LogInSchema, parseJsonBody(event));
  const db = await dynamoDb;
  const now = Date.now();

  const { claim, throttle } = await readClaimAndThrottle(db, input.email, now);
  const wait = retryAfterSeconds(throttle, now);
  if (wait !== undefined) {
    log.info("log-in refused", { reason: "throttled", failures: throttle.failures, email: input.email });
    throw throttled(wait);
  }
  const counted = throttle.failures >= FREE_FAILURES;
  if (counted && !(await claimAttempt(db, USERS_TABLE_NAME, input.email, throttle, now))) {
    log.info("log-in refused", { reason: "throttled: a concurrent attempt took the slot", failures: throttle.failures, email: input.email });
    throw throttled(delaySeconds(throttle.failures + 1));
  }
  const refuse = async (reason: string, fields: Record<string, unknown>): Promise<never> => {
    // The delay runs from the failure, not from the start of the request (the scrypt work in between).
    if (!counted) await recordFailure(db, USERS_TABLE_NAME, input.email, throttle, Date.now());
    log.info("log-in refused", { reason, failures: throttle.failures + 1, ...fields });
    count("LogInsFailed");
    throw new UnauthorizedError(INVALID_CREDENTIALS);
  };

  const user = await userOfClaim(db, claim, input.email);
  if (!user) {
    await verifyAgainstNothing(input.password);
    return refuse("no such account", { email: input.email });
  }
  const { ok, needsRehash } = await verifyPassword(input.password, user.passwordHash);
  if (!ok) return refuse("wrong password", { userId: user.id });
  if (throttle.failures > 0) await resetFailures(db, USERS_TABLE_NAME, input.email, now);
  if (needsRehash) await rehash(db, user, input.password);

  const token = newToken();
  const startedAt = Date.now();
  const session: SessionItem = {
    tokenHash: hashToken(token),
    userId: user.id,
    createdAt: startedAt,
    expiresAt: Math.floor(startedAt / 1000) + SESSION_TTL_SECONDS,
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
