/**
 * Item design of the users and sessions tables: the attribute names and key formats the handlers read and write,
 * which the table declaration (tables.ts) uses for the tables' keys, so an attribute name is written once.
 *
 * users table: one partition key `pk`, holding two item types
 *   - `user#<id>`     the user profile
 *   - `email#<email>` the email claim (normalized: trimmed, lower-cased) holding `userId`; a conditional put
 *                     on it keeps emails unique, and a strongly consistent GetItem finds a user by email
 *                     (a GSI could only be read eventually consistently).
 *   - `loginfail#<hash>` failed log-ins of one email address (login-throttle.ts), expiring through the TTL
 * sessions table: partition key `tokenHash` (SHA-256 of the bearer token, never the token itself), TTL on
 *   `expiresAt` (epoch seconds), and the `byUserId` index to find a user's sessions.
 */
export const USERS_TABLE = {
  partitionKey: "pk",
  userKeyPrefix: "user#",
  emailKeyPrefix: "email#",
  loginFailureKeyPrefix: "loginfail#",
  /** TTL is on from the first deploy; the failed log-in counts set it, so they are forgotten. */
  ttlAttribute: "expiresAt",
} as const;

export const SESSIONS_TABLE = {
  partitionKey: "tokenHash",
  ttlAttribute: "expiresAt",
  byUserIdIndex: "byUserId",
  userIdAttribute: "userId",
  createdAtAttribute: "createdAt",
} as const;
