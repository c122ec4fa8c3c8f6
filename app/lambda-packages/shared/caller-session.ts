/**
 * The check every function serving a bearer route makes before it reads or writes anything for the caller:
 * ONE strongly consistent BatchGetItem of the caller's session and user item, across the two tables.
 *
 * API Gateway may answer a bearer request from a cached authorizer decision for up to the cache TTL after the
 * session ended. This check makes the end immediate for every route, reads included: a logged-out, expired, idle
 * or revoked session (its credential generation is not the user's any more: a password change or a log-out
 * everywhere) and a deleted account answer 401 on the next request whatever the cache holds. The user item comes
 * in the same call, so a read such as GET /users/me stays one DynamoDB call.
 *
 * The session's last use is written back (one conditional UpdateItem) only when the recorded one is older than
 * LAST_USE_INTERVAL_MS, so the common request makes no write; see sessions.ts for the idle timeout.
 */
import { batchGetAll } from "./batch-retry";
import type { Caller } from "./caller";
import { isConditionalCheckFailed, type DynamoDbClient } from "./dynamodb";
import { UnauthorizedError } from "./http";
import { log } from "./log";
import { isActive, lastUseIsStale, sessionKey, toSessionItem, type SessionItem } from "./sessions";
import { toUserItem, userKey, type UserItem } from "./users";

/** The 401 messages of the check, one per reason, so a client (and a reader of the logs) can tell them apart. */
export const CALLER_REFUSED = {
  sessionEnded: "This session has ended (logged out, expired or idle for too long); log in again",
  accountGone: "The account of this session no longer exists; log in again",
  credentialsChanged: "This session was ended by a password change or a log-out everywhere; log in again",
} as const;

/** The table names the check reads. */
export interface CallerTables {
  readonly users: string;
  readonly sessions: string;
}

/** The caller's live session and user item. */
export interface CallerState {
  readonly session: SessionItem;
  readonly user: UserItem;
}

/**
 * Reads the caller's session and user in one BatchGetItem (batchGetAll reads again only keys DynamoDB left
 * unprocessed, which happens under throttling) and refuses with 401 unless the session is active, belongs to the
 * caller and has the user's credential generation. Records the last use when it is stale.
 */
export async function requireCallerState(db: DynamoDbClient, tables: CallerTables, caller: Caller, nowMs: number = Date.now()): Promise<CallerState> {
  const found = await batchGetAll(db, {
    [tables.sessions]: { Keys: [sessionKey(caller.sessionId)], ConsistentRead: true },
    [tables.users]: { Keys: [userKey(caller.userId)], ConsistentRead: true },
  });
  const [sessionItem] = found[tables.sessions] ?? [];
  const [userItem] = found[tables.users] ?? [];
  // A deleted account first: its sessions are deleted too, and "the account is gone" is the reason that helps.
  if (!userItem) throw refused(caller, "accountGone");
  const session = sessionItem ? toSessionItem(sessionItem) : undefined;
  if (!session || session.userId !== caller.userId || !isActive(session, nowMs)) {
    throw refused(caller, "sessionEnded");
  }
  const user = toUserItem(userItem);
  // The session's generation, not the authorizer context's: the context may be cached from before a change.
  if (user.credentialGeneration !== session.credentialGeneration) throw refused(caller, "credentialsChanged");
  if (lastUseIsStale(session, nowMs)) await recordUse(db, tables.sessions, session, nowMs);
  return { session, user };
}

function refused(caller: Caller, reason: keyof typeof CALLER_REFUSED): UnauthorizedError {
  log.info("session refused", { userId: caller.userId, reason });
  return new UnauthorizedError(CALLER_REFUSED[reason]);
}

/**
 * Writes the session's last use. Conditional on the session still existing with an older recorded use, so it
 * never recreates an ended session nor moves the time back; a failure never fails the request (the session was
 * checked), it only leaves the idle deadline where it was.
 */
async function recordUse(db: DynamoDbClient, tableName: string, session: SessionItem, nowMs: number): Promise<void> {
  try {
    await db.UpdateItem({
      TableName: tableName,
      Key: sessionKey(session.tokenHash),
      UpdateExpression: "SET #lastUsedAt = :now",
      ConditionExpression: "attribute_exists(#tokenHash) AND (attribute_not_exists(#lastUsedAt) OR #lastUsedAt < :now)",
      ExpressionAttributeNames: { "#lastUsedAt": "lastUsedAt", "#tokenHash": "tokenHash" },
      ExpressionAttributeValues: { ":now": nowMs },
    });
  } catch (error) {
    if (isConditionalCheckFailed(error)) return;
    log.warn("session last use not recorded", { userId: session.userId, error });
  }
}
