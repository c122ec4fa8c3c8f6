/**
 * The user items of the users table (see table-keys.ts) and the profile the API returns. Shared by the users
 * function (sign-up, profile) and the sessions function (log-in).
 *
 *   pk = user#<id>     { pk, id, email, name, passwordHash, credentialGeneration, createdAt, updatedAt, version }
 *   pk = email#<email> { pk, userId, createdAt }   the claim that keeps e-mail addresses unique
 *
 * Dates are ISO-8601 strings; `version` starts at 1 and grows by one with every profile change (optimistic
 * locking). `email` is stored as entered (trimmed); the claim key is its normalized form.
 *
 * `credentialGeneration` (0 at sign-up; absent on older items, read as 0) grows by one whenever the credentials
 * change (a password change). Every session stores the generation its log-in read together with the password
 * hash, and each bearer request compares the two: a session from before the change, including one whose log-in
 * read the old hash and was written after the change, is refused. Deleting the user item refuses every session
 * in the same way. Single-item reads and writes, no transaction, no index.
 */
import type { DynamoDbClient, Item } from "./dynamodb";
import { USERS_TABLE } from "./table-keys";
import { normalizeEmail } from "./validation";

export interface UserItem {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly passwordHash: string;
  readonly credentialGeneration: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** The user item's attribute holding the credential generation. */
export const CREDENTIAL_GENERATION = "credentialGeneration";

/** The credential generation of a user or session item: absent (an item from before generations) is 0. */
export function credentialGenerationOf(item: Item): number {
  const value = item[CREDENTIAL_GENERATION];
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`Malformed ${CREDENTIAL_GENERATION} ${String(value)}`);
  }
  return value;
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
  return { id, email, name, passwordHash, credentialGeneration: credentialGenerationOf(item), createdAt, updatedAt, version };
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
