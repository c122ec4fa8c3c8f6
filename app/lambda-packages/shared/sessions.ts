/**
 * Session tokens and the session items of the sessions table (see table-keys.ts).
 *
 * A token is 32 random bytes in base64url (43 characters) and is only ever in the client's hands and in the
 * log-in response. The table stores its SHA-256 (base64url, 43 characters) as `tokenHash`, so a leak of the
 * table or its backups does not leak usable tokens. The hash is also the session id the authorizer passes on
 * (`sessionId`); it is never logged.
 *
 *   { tokenHash, userId, createdAt (epoch ms, range key of byUserId), expiresAt (epoch seconds, the TTL),
 *     credentialGeneration (the user's when the log-in read the password hash; see users.ts),
 *     lastUsedAt (epoch ms, recorded at most every LAST_USE_INTERVAL_MS), userAgent (as sent at log-in, cut) }
 *
 * A session ends at expiresAt (the absolute lifetime) or after SESSION_IDLE_TIMEOUT_SECONDS without use,
 * whichever comes first. DynamoDB deletes expired items lazily (up to days later), so every read goes through
 * isActive(), which checks both.
 */
import { createHash, randomBytes } from "node:crypto";
import { batchWriteAll } from "./batch-retry";
import type { DynamoDbClient, Item, RawKey } from "./dynamodb";
import { integerEnv } from "./env";
import { SESSIONS_TABLE } from "./table-keys";
import { credentialGenerationOf } from "./users";

/** Bounds of the idle timeout (config `sessions.idleTimeoutSeconds`): 10 minutes to 30 days. */
export const IDLE_TIMEOUT_RANGE = { min: 600, max: 2_592_000 } as const;
/**
 * How long a session may go unused before it ends, read once at cold start: the authorizer and every function
 * serving a bearer route check it.
 */
export const SESSION_IDLE_TIMEOUT_SECONDS = integerEnv("SESSION_IDLE_TIMEOUT_SECONDS", 7200, IDLE_TIMEOUT_RANGE.min, IDLE_TIMEOUT_RANGE.max);
/**
 * A session's last use is written at most once per this interval, so a bearer read stays one DynamoDB call in
 * the common case; the idle timeout is therefore enforced to within this interval (a session may end up to
 * 5 minutes early, never late).
 */
export const LAST_USE_INTERVAL_MS = 5 * 60 * 1000;
/** The longest user agent stored with a session (longer ones are cut). */
export const USER_AGENT_MAX_LENGTH = 256;

/** `Bearer` followed by one token: 43 base64url characters. */
export const BEARER = /^Bearer ([A-Za-z0-9_-]{43})$/i;
/** A token hash as stored and as passed in the authorizer context. */
export const TOKEN_HASH = /^[A-Za-z0-9_-]{43}$/;

export interface SessionItem {
  readonly tokenHash: string;
  readonly userId: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch seconds (the table's TTL attribute). */
  readonly expiresAt: number;
  /** The user's credential generation at log-in; the session is valid only while the user's is the same. */
  readonly credentialGeneration: number;
  /** Epoch milliseconds of the last recorded use (createdAt for a session never used since log-in). */
  readonly lastUsedAt: number;
  /** The User-Agent header of the log-in request, cut to USER_AGENT_MAX_LENGTH; absent when none was sent. */
  readonly userAgent?: string;
}

/** A new bearer token: 32 bytes from the CSPRNG, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** SHA-256 of the token, base64url: the `tokenHash` key. A fast hash is right here: the token has 256 bits. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

/** The token of an `Authorization: Bearer <token>` header value, or undefined when it is not exactly that. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

export function sessionKey(tokenHash: string): Item {
  return { [SESSIONS_TABLE.partitionKey]: tokenHash };
}

/**
 * The session item, checked field by field; throws on an item that is not one. An item from before last uses
 * were recorded has none: its last use is its creation.
 */
export function toSessionItem(item: Item): SessionItem {
  const { tokenHash, userId, createdAt, expiresAt, lastUsedAt, userAgent } = item;
  if (
    typeof tokenHash !== "string" ||
    typeof userId !== "string" ||
    typeof createdAt !== "number" ||
    typeof expiresAt !== "number" ||
    (lastUsedAt !== undefined && typeof lastUsedAt !== "number") ||
    (userAgent !== undefined && typeof userAgent !== "string")
  ) {
    throw new Error("Malformed session item");
  }
  return {
    tokenHash,
    userId,
    createdAt,
    expiresAt,
    credentialGeneration: credentialGenerationOf(item),
    lastUsedAt: lastUsedAt ?? createdAt,
    ...(userAgent === undefined ? {} : { userAgent }),
  };
}

/** Epoch milliseconds at which the session ends if it is not used before: its idle deadline. */
export function idleDeadline(session: SessionItem, idleTimeoutSeconds: number = SESSION_IDLE_TIMEOUT_SECONDS): number {
  return session.lastUsedAt + idleTimeoutSeconds * 1000;
}

/**
 * False once expiresAt (epoch seconds) is reached or the session has been idle for longer than the idle timeout:
 * an ended session may still be in the table.
 */
export function isActive(session: SessionItem, nowMs: number = Date.now(), idleTimeoutSeconds: number = SESSION_IDLE_TIMEOUT_SECONDS): boolean {
  return session.expiresAt > Math.floor(nowMs / 1000) && nowMs < idleDeadline(session, idleTimeoutSeconds);
}

/** True when the session's recorded last use is old enough to be written again (LAST_USE_INTERVAL_MS). */
export function lastUseIsStale(session: SessionItem, nowMs: number = Date.now()): boolean {
  return nowMs - session.lastUsedAt >= LAST_USE_INTERVAL_MS;
}

/** The User-Agent to store with a session: trimmed, cut to USER_AGENT_MAX_LENGTH, undefined when blank. */
export function storedUserAgent(header: string | undefined): string | undefined {
  const value = header?.trim();
  return value ? value.slice(0, USER_AGENT_MAX_LENGTH) : undefined;
}

/** The session of this token hash if it exists and has not expired (strongly consistent read). */
export async function getActiveSession(db: DynamoDbClient, tableName: string, tokenHash: string): Promise<SessionItem | undefined> {
  const { Item: item } = await db.GetItem({ TableName: tableName, Key: sessionKey(tokenHash), ConsistentRead: true });
  if (!item) return undefined;
  const session = toSessionItem(item);
  return isActive(session) ? session : undefined;
}

/** Keys per Query page of the byUserId index. */
const QUERY_PAGE_SIZE = 100;

/** A session as the byUserId index holds it: its keys only. */
export interface SessionKeys {
  readonly tokenHash: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/**
 * Every session of the user in the byUserId index (all pages), oldest first. The index is eventually
 * consistent: a session written a moment ago may be missing, one deleted a moment ago may still be listed.
 */
export async function sessionsOfUser(db: DynamoDbClient, tableName: string, userId: string): Promise<SessionKeys[]> {
  const sessions: SessionKeys[] = [];
  let startKey: RawKey | undefined;
  do {
    const page = await db.Query({
      TableName: tableName,
      IndexName: SESSIONS_TABLE.byUserIdIndex,
      KeyConditionExpression: "#userId = :userId",
      ExpressionAttributeNames: { "#userId": SESSIONS_TABLE.userIdAttribute },
      ExpressionAttributeValues: { ":userId": userId },
      Limit: QUERY_PAGE_SIZE,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    for (const item of page.Items ?? []) {
      const tokenHash = item[SESSIONS_TABLE.partitionKey];
      const createdAt = item[SESSIONS_TABLE.createdAtAttribute];
      if (typeof tokenHash === "string" && typeof createdAt === "number") sessions.push({ tokenHash, createdAt });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return sessions;
}

/**
 * Deletes these sessions with BatchWriteItem, 25 at a time, retrying what DynamoDB leaves unprocessed
 * (batchWriteAll: bounded attempts, jittered backoff; a 503 when some are still left).
 */
export async function deleteSessions(db: DynamoDbClient, tableName: string, tokenHashes: readonly string[]): Promise<void> {
  await batchWriteAll(
    db,
    tableName,
    tokenHashes.map((hash) => ({ DeleteRequest: { Key: sessionKey(hash) } })),
  );
}

/** Ends every session of the user found through the byUserId index, except `keep` (a token hash). */
export async function endSessionsOfUser(db: DynamoDbClient, tableName: string, userId: string, keep?: string): Promise<number> {
  const hashes = (await sessionsOfUser(db, tableName, userId)).map((session) => session.tokenHash).filter((hash) => hash !== keep);
  await deleteSessions(db, tableName, hashes);
  return hashes.length;
}
