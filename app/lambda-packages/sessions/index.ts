/**
 * Sessions: POST /sessions (log-in), GET /sessions (the caller's sessions), DELETE /sessions (log out everywhere),
 * GET /sessions/current, DELETE /sessions/current (log-out).
 *
 * Log-in reads the e-mail claim, then the user it points to, verifies the password and writes the session with
 * the credential generation read together with the hash (shared/users.ts), so a session whose log-in read a hash
 * that was replaced meanwhile is refused on its first request; the token exists only in the response (the table
 * stores its SHA-256). Every failed log-in answers the same 401 after the same scrypt work (verifyAgainstNothing).
 * A user keeps at most MAX_SESSIONS_PER_USER sessions: a log-in beyond that ends the oldest.
 * Every bearer route first checks the caller's session and user in one call (shared/caller-session.ts), so an
 * ended session answers 401 here despite a cached authorizer decision. Log out everywhere moves the user's
 * credential generation on, which ends every session at once whatever the index lag, then deletes their items.
 * Why, and the re-hash of an outdated password hash: docs/api.md, "Passwords and tokens" and "Sessions and revocation".
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { batchGetAll } from "../shared/batch-retry";
import { requireCaller } from "../shared/caller";
import { CALLER_REFUSED, requireCallerState } from "../shared/caller-session";
import { dynamoDb, isConditionalCheckFailed, type DynamoDbClient } from "../shared/dynamodb";
import { integerEnv, requireEnv } from "../shared/env";
import { getHeader, json, noContent, parseJsonBody, route, TooManyRequestsError, UnauthorizedError } from "../shared/http";
import { log } from "../shared/log";
import { count } from "../shared/metrics";
import {
  deleteSessions,
  endSessionsOfUser,
  hashToken,
  idleDeadline,
  isActive,
  newToken,
  sessionKey,
  sessionsOfUser,
  storedUserAgent,
  toSessionItem,
  type SessionItem,
} from "../shared/sessions";
import { router, type Routes } from "../shared/router";
import { hashPassword, verifyAgainstNothing, verifyPassword } from "../shared/passwords";
import { CREDENTIAL_GENERATION, emailClaimKey, getUser, toEmailClaim, toProfile, userKey, type EmailClaim, type UserItem } from "../shared/users";
import { admitAttempt, settleAttempt, throttleKey, toThrottleState, type ThrottleState } from "../shared/login-throttle";
import { USERS_TABLE } from "../shared/table-keys";
import { LogInSchema } from "../shared/request-schemas";
import { normalizeEmail, parseWith } from "../shared/validation";

const USERS_TABLE_NAME = requireEnv("USERS_TABLE_NAME");
const SESSIONS_TABLE_NAME = requireEnv("SESSIONS_TABLE_NAME");
/** Lifetime of a session from log-in: 5 minutes to 30 days. */
const SESSION_TTL_SECONDS = integerEnv("SESSION_TTL_SECONDS", 86400, 300, 2592000);
/** Sessions one user may hold; a log-in beyond that ends the oldest. */
const MAX_SESSIONS_PER_USER = integerEnv("MAX_SESSIONS_PER_USER", 10, 1, 100);
const TABLES = { users: USERS_TABLE_NAME, sessions: SESSIONS_TABLE_NAME };
/** Keys per BatchGetItem: DynamoDB's limit. */
const BATCH_GET_LIMIT = 100;

/** One message for an unknown e-mail address and a wrong password. */
export const INVALID_CREDENTIALS = "Email or password is incorrect";

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
  const attempt = await admitAttempt(db, USERS_TABLE_NAME, input.email, throttle, now);
  if ("retryAfter" in attempt) {
    log.info("log-in refused", { reason: attempt.reason, failures: throttle.failures, email: input.email });
    throw throttled(attempt.retryAfter);
  }
  const refuse = async (reason: string, fields: Record<string, unknown>): Promise<never> => {
    await settleAttempt(db, USERS_TABLE_NAME, attempt, false);
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
  await settleAttempt(db, USERS_TABLE_NAME, attempt, true);
  if (needsRehash) await rehash(db, user, input.password);

  const token = newToken();
  const startedAt = Date.now();
  const userAgent = storedUserAgent(getHeader(event, "user-agent"));
  const session: SessionItem = {
    tokenHash: hashToken(token),
    userId: user.id,
    createdAt: startedAt,
    expiresAt: Math.floor(startedAt / 1000) + SESSION_TTL_SECONDS,
    credentialGeneration: user.credentialGeneration,
    lastUsedAt: startedAt,
    ...(userAgent === undefined ? {} : { userAgent }),
  };
  await db.PutItem({
    TableName: SESSIONS_TABLE_NAME,
    Item: { ...session },
    ConditionExpression: "attribute_not_exists(#tokenHash)",
    ExpressionAttributeNames: { "#tokenHash": "tokenHash" },
  });
  const ended = await endSessionsBeyondCap(db, session);
  log.info("session started", { userId: user.id, expiresAt: session.expiresAt, endedOldest: ended });
  count("LogInsSucceeded");
  return json(201, { token, expiresAt: iso(session.expiresAt * 1000), user: toProfile(user) });
}

/**
 * Keeps the user at MAX_SESSIONS_PER_USER sessions: one Query of the byUserId index (keys only, oldest first),
 * then a delete of the oldest beyond the cap, the new session counted whether or not the index shows it yet.
 * The index is eventually consistent, so two log-ins in the same instant may each miss the other and leave one
 * session over the cap until the next log-in; ended, expired and revoked sessions still in the table count
 * until they are deleted, and being older they are the first to go.
 */
async function endSessionsBeyondCap(db: DynamoDbClient, started: SessionItem): Promise<number> {
  const others = (await sessionsOfUser(db, SESSIONS_TABLE_NAME, started.userId)).filter((s) => s.tokenHash !== started.tokenHash);
  const excess = others.length + 1 - MAX_SESSIONS_PER_USER;
  if (excess <= 0) return 0;
  const oldest = [...others].sort((a, b) => a.createdAt - b.createdAt).slice(0, excess);
  await deleteSessions(
    db,
    SESSIONS_TABLE_NAME,
    oldest.map((s) => s.tokenHash),
  );
  return oldest.length;
}

async function currentSession(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { session } = await requireCallerState(await dynamoDb, TABLES, requireCaller(event));
  return json(200, {
    userId: session.userId,
    createdAt: iso(session.createdAt),
    expiresAt: iso(session.expiresAt * 1000),
    idleExpiresAt: iso(idleDeadline(session)),
  });
}

/**
 * The caller's live sessions, newest first, without tokens or token hashes: the caller's check (1 call), the
 * byUserId index (keys only, 1 Query), then the sessions themselves, read strongly consistently (1 BatchGetItem
 * per 100), so a session ended a moment ago is never listed and one whose generation is not the user's is left out.
 */
async function listSessions(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const db = await dynamoDb;
  const { user } = await requireCallerState(db, TABLES, caller);
  const hashes = (await sessionsOfUser(db, SESSIONS_TABLE_NAME, caller.userId)).map((s) => s.tokenHash);
  if (!hashes.includes(caller.sessionId)) hashes.push(caller.sessionId);
  const sessions: SessionItem[] = [];
  for (let start = 0; start < hashes.length; start += BATCH_GET_LIMIT) {
    const keys = hashes.slice(start, start + BATCH_GET_LIMIT).map(sessionKey);
    const found = await batchGetAll(db, { [SESSIONS_TABLE_NAME]: { Keys: keys, ConsistentRead: true } });
    sessions.push(...found[SESSIONS_TABLE_NAME].map(toSessionItem));
  }
  const now = Date.now();
  const live = sessions
    .filter((s) => s.userId === caller.userId && s.credentialGeneration === user.credentialGeneration && isActive(s, now))
    .sort((a, b) => b.createdAt - a.createdAt);
  return json(200, {
    sessions: live.map((s) => ({
      current: s.tokenHash === caller.sessionId,
      createdAt: iso(s.createdAt),
      lastUsedAt: iso(s.lastUsedAt),
      expiresAt: iso(s.expiresAt * 1000),
      idleExpiresAt: iso(idleDeadline(s)),
      userAgent: s.userAgent ?? null,
    })),
  });
}

/**
 * Log out everywhere: the caller's check, then the user's credential generation moved on (conditional on the one
 * read, so a concurrent password change is not overwritten), which refuses every session of the user at once,
 * the caller's included, whatever the index lag or the authorizer cache; then the sessions' items are deleted
 * through the index (housekeeping: a crash before it leaves items that are refused and expire through the TTL).
 */
async function logOutEverywhere(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const db = await dynamoDb;
  const { user } = await requireCallerState(db, TABLES, caller);
  try {
    await db.UpdateItem({
      TableName: USERS_TABLE_NAME,
      Key: userKey(user.id),
      UpdateExpression: "SET #generation = :next",
      ConditionExpression:
        user.credentialGeneration === 0
          ? "attribute_exists(#pk) AND (attribute_not_exists(#generation) OR #generation = :current)"
          : "attribute_exists(#pk) AND #generation = :current",
      ExpressionAttributeNames: { "#pk": USERS_TABLE.partitionKey, "#generation": CREDENTIAL_GENERATION },
      ExpressionAttributeValues: { ":current": user.credentialGeneration, ":next": user.credentialGeneration + 1 },
    });
  } catch (error) {
    // The account was deleted or its credentials changed since the check: this session is over either way.
    if (isConditionalCheckFailed(error)) throw new UnauthorizedError(CALLER_REFUSED.credentialsChanged);
    throw error;
  }
  const ended = await endSessionsOfUser(db, SESSIONS_TABLE_NAME, user.id);
  log.info("logged out everywhere", { userId: user.id, endedSessions: ended });
  count("LogOutsEverywhere");
  return noContent();
}

/** The caller's check (an ended or revoked session answers 401 like on every bearer route), then its delete. */
async function logOut(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const db = await dynamoDb;
  await requireCallerState(db, TABLES, caller);
  try {
    await db.DeleteItem({
      TableName: SESSIONS_TABLE_NAME,
      Key: sessionKey(caller.sessionId),
      ConditionExpression: "#userId = :userId",
      ExpressionAttributeNames: { "#userId": "userId" },
      ExpressionAttributeValues: { ":userId": caller.userId },
    });
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw new UnauthorizedError(CALLER_REFUSED.sessionEnded);
    throw error;
  }
  log.info("session ended", { userId: caller.userId, reason: "log-out" });
  count("LogOuts");
  return noContent();
}

/** What this function serves; __tests__/routes.test.ts holds it to the sessions routes of app/stacks/routes.ts. */
export const ROUTE_HANDLERS: Routes = {
  "/sessions": { POST: logIn, GET: listSessions, DELETE: logOutEverywhere },
  "/sessions/current": { GET: currentSession, DELETE: logOut },
};

export const handler = route(router(ROUTE_HANDLERS));
