/**
 * Session tokens and the session items of the sessions table (see table-keys.ts).
 *
 * A token is 32 random bytes in base64url (43 characters) and is only ever in the client's hands and in the
 * log-in response. The table stores its SHA-256 (base64url, 43 characters) as `tokenHash`, so a leak of the
 * table or its backups does not leak usable tokens. The hash is also the session id the authorizer passes on
 * (`sessionId`); it is never logged.
 *
 *   { tokenHash, userId, createdAt (epoch ms, range key of byUserId), expiresAt (epoch seconds, the TTL),
 *     credentialGeneration (the user's when the log-in read the password hash; see users.ts) }
 *
 * DynamoDB deletes expired items lazily (up to days later), so every read goes through isActive().
 */
import { createHash, randomBytes } from "node:crypto";
import { batchWriteAll } from "./batch-retry";
import type { DynamoDbClient, Item, RawKey } from "./dynamodb";
import { SESSIONS_TABLE } from "./table-keys";
import { credentialGenerationOf } from "./users";

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

/** The session item, checked field by field; throws on an item that is not one. */
export function toSessionItem(item: Item): SessionItem {
  const { tokenHash, userId, createdAt, expiresAt } = item;
  if (typeof tokenHash !== "string" || typeof userId !== "string" || typeof createdAt !== "number" || typeof expiresAt !== "number") {
    throw new Error("Malformed session item");
  }
  return { tokenHash, userId, createdAt, expiresAt, credentialGeneration: credentialGenerationOf(item) };
}

/** False once expiresAt (epoch seconds) is reached: an expired item may still be in the table. */
export function isActive(session: SessionItem, nowMs: number = Date.now()): boolean {
  return session.expiresAt > Math.floor(nowMs / 1000);
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

/** Token hashes of every session of the user, from the byUserId index (all pages). */
export async function sessionHashesOfUser(db: DynamoDbClient, tableName: string, userId: string): Promise<string[]> {
  const hashes: string[] = [];
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
      const hash = item[SESSIONS_TABLE.partitionKey];
      if (typeof hash === "string") hashes.push(hash);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return hashes;
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
  const hashes = (await sessionHashesOfUser(db, tableName, userId)).filter((hash) => hash !== keep);
  await deleteSessions(db, tableName, hashes);
  return hashes.length;
}
