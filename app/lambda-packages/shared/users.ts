/**
 * The user items of the users table (see table-keys.ts) and the profile the API returns. Shared by the users
 * function (sign-up, profile) and the sessions function (log-in).
 *
 *   pk = user#<id>     { pk, id, email, name, passwordHash, createdAt, updatedAt, version }
 *   pk = email#<email> { pk, userId, createdAt }   the claim that keeps e-mail addresses unique
 *
 * Dates are ISO-8601 strings; `version` starts at 1 and grows by one with every profile change (optimistic
 * locking). `email` is stored as entered (trimmed); the claim key is its normalized form.
 */
import type { DynamoDbClient, Item } from "./dynamodb";
import { USERS_TABLE } from "./table-keys";
import { normalizeEmail } from "./validation";

export interface UserItem {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** What the API returns about a user: never the password hash. */
export interface Profile {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export interface EmailClaim {
  readonly userId: string;
  readonly createdAt: string;
}

export function userKey(id: string): Item {
  return { [USERS_TABLE.partitionKey]: `${USERS_TABLE.userKeyPrefix}${id}` };
}

/** The key of the claim on an e-mail address, which is normalized here. */
export function emailClaimKey(email: string): Item {
  return { [USERS_TABLE.partitionKey]: `${USERS_TABLE.emailKeyPrefix}${normalizeEmail(email)}` };
}

/** The user item, checked field by field; throws on an item that is not one (a bug or a corrupt write). */
export function toUserItem(item: Item): UserItem {
  const { id, email, name, passwordHash, createdAt, updatedAt, version } = item;
  if (
    typeof id !== "string" ||
    typeof email !== "string" ||
    typeof name !== "string" ||
    typeof passwordHash !== "string" ||
    typeof createdAt !== "string" ||
    typeof updatedAt !== "string" ||
    typeof version !== "number"
  ) {
    throw new Error(`Malformed user item ${String(item[USERS_TABLE.partitionKey])}`);
  }
  return { id, email, name, passwordHash, createdAt, updatedAt, version };
}

export function toProfile(user: UserItem): Profile {
  const { id, email, name, createdAt, updatedAt, version } = user;
  return { id, email, name, createdAt, updatedAt, version };
}

export function toEmailClaim(item: Item): EmailClaim {
  const { userId, createdAt } = item;
  if (typeof userId !== "string" || typeof createdAt !== "string") {
    throw new Error("Malformed email claim item");
  }
  return { userId, createdAt };
}

/** The user with this id, read strongly consistently, or undefined. */
export async function getUser(db: DynamoDbClient, tableName: string, id: string): Promise<UserItem | undefined> {
  const { Item: item } = await db.GetItem({ TableName: tableName, Key: userKey(id), ConsistentRead: true });
  return item ? toUserItem(item) : undefined;
}

/** The claim on this e-mail address, read strongly consistently, or undefined. */
export async function getEmailClaim(db: DynamoDbClient, tableName: string, email: string): Promise<EmailClaim | undefined> {
  const { Item: item } = await db.GetItem({ TableName: tableName, Key: emailClaimKey(email), ConsistentRead: true });
  return item ? toEmailClaim(item) : undefined;
}
