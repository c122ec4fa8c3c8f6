/**
 * Users: POST /users (sign-up), GET /users/me, PATCH /users/me, DELETE /users/me, GET /users/{id}.
 *
 * No transactions (dynalite has none): a change of several items is a sequence of single-item conditional
 * writes, steps (1), (2), (3) in the comments below, ordered so that a crash between any two leaves a safe state
 * that repairs itself. Why each order is safe and what a crash leaves behind: docs/decisions.md, "Data without transactions".
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { randomUUID } from "node:crypto";
import { breachedPasswordError } from "../shared/breached-passwords";
import { requireCaller, type Caller } from "../shared/caller";
import { CALLER_REFUSED, requireCallerState } from "../shared/caller-session";
import { dynamoDb, isConditionalCheckFailed, type DynamoDbClient } from "../shared/dynamodb";
import { requireEnv } from "../shared/env";
import {
  ConflictError,
  ForbiddenError,
  getHeader,
  json,
  noContent,
  parseJsonBody,
  route,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from "../shared/http";
import { admitAttempt, readThrottle, settleAttempt } from "../shared/login-throttle";
import { log } from "../shared/log";
import { count } from "../shared/metrics";
import { hashPassword, verifyPassword } from "../shared/passwords";
import { router, type Routes } from "../shared/router";
import { endSessionsOfUser, sessionKey } from "../shared/sessions";
import { USERS_TABLE } from "../shared/table-keys";
import { CREDENTIAL_GENERATION, emailClaimKey, getEmailClaim, getUser, toProfile, toUserItem, userKey, type UserItem } from "../shared/users";
import { AccountDeletionSchema, ProfileChangeSchema, SignUpSchema, type ProfileChange } from "../shared/request-schemas";
import { fieldError, parseWith, passwordContextError } from "../shared/validation";

const USERS_TABLE_NAME = requireEnv("USERS_TABLE_NAME");
const SESSIONS_TABLE_NAME = requireEnv("SESSIONS_TABLE_NAME");
const TABLES = { users: USERS_TABLE_NAME, sessions: SESSIONS_TABLE_NAME };

/** A claim younger than this may belong to a sign-up still between its two writes: never taken over. */
export const ORPHAN_CLAIM_AGE_MS = 5 * 60 * 1000;

const EMAIL_TAKEN = "An account with this email address already exists";
const WRONG_CURRENT_PASSWORD = "currentPassword is incorrect";

const PK = { "#pk": USERS_TABLE.partitionKey };

/** A profile response, with its version as ETag (the value to send back in If-Match). */
function profileResponse(statusCode: number, user: UserItem): APIGatewayProxyResult {
  return json(statusCode, toProfile(user), { ETag: `"${user.version}"` });
}

/**
 * The caller's user item, checked together with the caller's session in one call before anything is read or
 * written for the caller (shared/caller-session.ts): 401 for an ended, idle or revoked session or a deleted
 * account, whatever the authorizer cache says.
 */
async function requireUser(db: DynamoDbClient, caller: Caller): Promise<UserItem> {
  return (await requireCallerState(db, TABLES, caller)).user;
}

/**
 * The condition every write to the caller's user item carries: the item exists and its credential generation is
 * still the caller's, so a change racing a password change, a log-out everywhere or the deletion is refused.
 */
function callerGenerationCondition(generation: number): string {
  // An item from before generations has none: that is generation 0.
  return generation === 0
    ? "attribute_exists(#pk) AND (attribute_not_exists(#generation) OR #generation = :generation)"
    : "attribute_exists(#pk) AND #generation = :generation";
}

/** Why a conditional write to the caller's user item failed: the account is gone, or the credentials moved on. */
async function refusedWrite(db: DynamoDbClient, read: UserItem, otherwise: Error): Promise<Error> {
  const user = await getUser(db, USERS_TABLE_NAME, read.id);
  if (!user) return new UnauthorizedError(CALLER_REFUSED.accountGone);
  if (user.credentialGeneration !== read.credentialGeneration) return new UnauthorizedError(CALLER_REFUSED.credentialsChanged);
  return otherwise;
}

/**
 * Checks the caller's current password (PATCH with a new password, DELETE); 401 naming the field when wrong. The
 * account's failed log-ins (login-throttle.ts) count wrong current passwords too, so a stolen token cannot guess the
 * password any faster than a log-in can: during a delay the answer is 429 with Retry-After, the password unchecked.
 * One GetItem of the count, which only these two rare requests make.
 */
async function requireCurrentPassword(db: DynamoDbClient, user: UserItem, currentPassword: string, action: string): Promise<void> {
  const now = Date.now();
  const state = await readThrottle(db, USERS_TABLE_NAME, user.email, now);
  const attempt = await admitAttempt(db, USERS_TABLE_NAME, user.email, state, now);
  if ("retryAfter" in attempt) {
    log.info(`${action} refused`, { reason: attempt.reason, failures: state.failures, userId: user.id });
    throw new TooManyRequestsError(`Too many wrong passwords for this account: retry in ${attempt.retryAfter} s`, attempt.retryAfter);
  }
  const { ok } = await verifyPassword(currentPassword, user.passwordHash);
  await settleAttempt(db, USERS_TABLE_NAME, attempt, ok);
  if (!ok) {
    log.info(`${action} refused`, { reason: "wrong current password", failures: state.failures + 1, userId: user.id });
    throw new UnauthorizedError(WRONG_CURRENT_PASSWORD);
  }
}

/**
 * After a password change, moves the caller's own session to the new generation so it stays valid (the other
 * sessions do not). The condition keeps a session that ended meanwhile ended; a crash before this write only
 * logs the caller out.
 */
async function keepCallerSession(db: DynamoDbClient, caller: Caller, generation: number): Promise<void> {
  try {
    await db.UpdateItem({
      TableName: SESSIONS_TABLE_NAME,
      Key: sessionKey(caller.sessionId),
      UpdateExpression: "SET #generation = :generation",
      ConditionExpression: "#userId = :userId",
      ExpressionAttributeNames: { "#generation": CREDENTIAL_GENERATION, "#userId": "userId" },
      ExpressionAttributeValues: { ":generation": generation, ":userId": caller.userId },
    });
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    log.info("session ended during the password change", { userId: caller.userId });
  }
}

// ---- Sign-up ------------------------------------------------------------------------------------------------

/** Step (1) of the sign-up: claims the address for userId, taking over an orphan claim; 409 when it is taken. */
async function claimEmail(db: DynamoDbClient, email: string, userId: string, createdAt: string): Promise<void> {
  const Item = { ...emailClaimKey(email), userId, createdAt };
  // Twice at most: the claim seen taken may be deleted (account deletion) before it can be read.
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await db.PutItem({ TableName: USERS_TABLE_NAME, Item, ConditionExpression: "attribute_not_exists(#pk)", ExpressionAttributeNames: PK });
      return;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    const claim = await getEmailClaim(db, USERS_TABLE_NAME, email);
    if (!claim) continue;
    if (await getUser(db, USERS_TABLE_NAME, claim.userId)) throw new ConflictError(EMAIL_TAKEN);
    const claimedAt = Date.parse(claim.createdAt);
    if (claimedAt > Date.now() - ORPHAN_CLAIM_AGE_MS) {
      // Possibly a sign-up between its two writes: answer as if it had finished.
      throw new ConflictError(EMAIL_TAKEN);
    }
    try {
      await db.PutItem({
        TableName: USERS_TABLE_NAME,
        Item,
        ConditionExpression: "#userId = :previous",
        ExpressionAttributeNames: { "#userId": "userId" },
        ExpressionAttributeValues: { ":previous": claim.userId },
      });
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new ConflictError(EMAIL_TAKEN);
      throw error;
    }
    log.warn("orphan email claim taken over", { userId, previousUserId: claim.userId, email });
    return;
  }
  throw new ConflictError(EMAIL_TAKEN);
}

/** Compensation for a failed step (2): deletes our claim, leaving a claim someone else took over alone. */
async function releaseClaim(db: DynamoDbClient, email: string, userId: string): Promise<void> {
  try {
    await db.DeleteItem({
      TableName: USERS_TABLE_NAME,
      Key: emailClaimKey(email),
      ConditionExpression: "#userId = :userId",
      ExpressionAttributeNames: { "#userId": "userId" },
      ExpressionAttributeValues: { ":userId": userId },
    });
    log.warn("sign-up failed after claiming the email; claim released", { userId, email });
  } catch (error) {
    // The orphan claim is taken over by a later sign-up (claimEmail).
    log.error("sign-up failed and its email claim could not be released", { userId, email, error });
  }
}

/** (1) claimEmail, then (2) the user item; releaseClaim when (2) fails. */
async function signUp(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const input = parseWith(SignUpSchema, parseJsonBody(event));
  const passwordError = passwordContextError(input.password, input) ?? breachedPasswordError(input.password);
  if (passwordError) throw passwordError;
  const db = await dynamoDb;
  const id = randomUUID();
  const now = new Date().toISOString();
  // Hashed before the claim, so the claim is held without a user for as short a time as possible.
  const passwordHash = await hashPassword(input.password);

  await claimEmail(db, input.email, id, now);
  const user: UserItem = {
    id,
    email: input.email,
    name: input.name,
    passwordHash,
    credentialGeneration: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  try {
    await db.PutItem({
      TableName: USERS_TABLE_NAME,
      Item: { ...userKey(id), ...user },
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: PK,
    });
  } catch (error) {
    await releaseClaim(db, input.email, id);
    throw error;
  }
  log.info("user signed up", { userId: id, email: input.email });
  count("SignUps");
  return json(201, { id, email: user.email, name: user.name, createdAt: now }, { Location: `/users/${id}` });
}

// ---- Profile ------------------------------------------------------------------------------------------------

async function getMe(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  return profileResponse(200, await requireUser(await dynamoDb, caller));
}

async function getById(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const user = await requireUser(await dynamoDb, caller);
  // The same answer whether or not another user with this id exists: ids are not an oracle.
  if (event.pathParameters?.id !== caller.userId) throw new ForbiddenError("You can only read your own profile");
  return profileResponse(200, user);
}

/** `If-Match: "3"`, `3` or `W/"3"` -> 3; `*` or no header -> undefined (no precondition); anything else: 400. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === "*") return undefined;
  const match = /^(?:W\/)?("?)(\d{1,15})\1$/.exec(value);
  if (!match) throw fieldError("If-Match", 'must be a profile version such as "3"', "request header");
  return Number(match[2]);
}

/** The rules across fields that a per-field schema cannot express. */
function checkProfileChange(input: ProfileChange): void {
  if (input.name === undefined && input.password === undefined) {
    const message = "request body must contain name or password: an empty change does nothing";
    throw new ValidationError(`Invalid request body: ${message}`, [{ field: "", message }]);
  }
  if (input.password !== undefined && input.currentPassword === undefined) {
    throw fieldError("currentPassword", "is required to change the password");
  }
  if (input.password === undefined && input.currentPassword !== undefined) {
    throw fieldError("currentPassword", "is only accepted together with password");
  }
}

/**
 * Optimistic locking: one UpdateItem conditional on the version. A new password also moves the credential
 * generation on (conditional on the one read, so no other change of credentials is overwritten), which refuses
 * every other session at once; the caller's session is then moved to the new generation, and the other sessions'
 * items are deleted (housekeeping: the index read may lag, the generation does not).
 */
async function updateMe(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const input = parseWith(ProfileChangeSchema, parseJsonBody(event));
  checkProfileChange(input);
  const ifMatch = parseIfMatch(getHeader(event, "if-match"));
  const db = await dynamoDb;

  const user = await requireUser(db, caller);
  if (ifMatch !== undefined && ifMatch !== user.version) {
    throw new ConflictError(`The profile is at version ${user.version}, not ${ifMatch}: reload it and retry`, {
      currentVersion: user.version,
    });
  }
  if (input.password !== undefined) {
    const account = { email: user.email, name: input.name ?? user.name };
    const passwordError = passwordContextError(input.password, account) ?? breachedPasswordError(input.password);
    if (passwordError) throw passwordError;
  }
  let passwordHash: string | undefined;
  if (input.password !== undefined) {
    await requireCurrentPassword(db, user, input.currentPassword ?? "", "password change");
    passwordHash = await hashPassword(input.password);
  }

  const sets = ["#updatedAt = :now", "#version = #version + :one"];
  const conditions = [callerGenerationCondition(user.credentialGeneration), "#version = :expected"];
  const names: Record<string, string> = { ...PK, "#updatedAt": "updatedAt", "#version": "version", "#generation": CREDENTIAL_GENERATION };
  const values: Record<string, unknown> = {
    ":now": new Date().toISOString(),
    ":one": 1,
    ":expected": ifMatch ?? user.version,
    ":generation": user.credentialGeneration,
  };
  if (input.name !== undefined) {
    sets.push("#name = :name");
    names["#name"] = "name";
    values[":name"] = input.name;
  }
  if (passwordHash !== undefined) {
    sets.push("#passwordHash = :passwordHash", "#generation = :nextGeneration");
    names["#passwordHash"] = "passwordHash";
    values[":passwordHash"] = passwordHash;
    values[":nextGeneration"] = user.credentialGeneration + 1;
  }
  let updated: UserItem;
  try {
    const { Attributes } = await db.UpdateItem({
      TableName: USERS_TABLE_NAME,
      Key: userKey(user.id),
      UpdateExpression: `SET ${sets.join(", ")}`,
      ConditionExpression: conditions.join(" AND "),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: "ALL_NEW",
    });
    updated = toUserItem(Attributes ?? {});
  } catch (error) {
    if (isConditionalCheckFailed(error)) {
      // The condition fails for three reasons; a PATCH racing the account's DELETE or a revocation must not invite a retry.
      throw await refusedWrite(db, user, new ConflictError("The profile was changed by another request: reload it and retry"));
    }
    throw error;
  }

  if (passwordHash !== undefined) {
    await keepCallerSession(db, caller, updated.credentialGeneration);
    const ended = await endSessionsOfUser(db, SESSIONS_TABLE_NAME, user.id, caller.sessionId);
    log.info("password changed", { userId: user.id, endedSessions: ended, version: updated.version });
    count("PasswordChanges");
  } else {
    log.info("profile changed", { userId: user.id, version: updated.version });
  }
  return profileResponse(200, updated);
}

// ---- Account deletion ---------------------------------------------------------------------------------------

/**
 * Needs the current password (a stolen token alone cannot delete the account). Then (1) the user, (2) its email
 * claim, (3) its sessions: the user first, so every token is useless from (1) on.
 */
async function deleteMe(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const caller = requireCaller(event);
  const input = parseWith(AccountDeletionSchema, parseJsonBody(event));
  const db = await dynamoDb;
  const current = await requireUser(db, caller);
  await requireCurrentPassword(db, current, input.currentPassword, "account deletion");

  let user: UserItem;
  try {
    const { Attributes } = await db.DeleteItem({
      TableName: USERS_TABLE_NAME,
      Key: userKey(caller.userId),
      ConditionExpression: callerGenerationCondition(current.credentialGeneration),
      ExpressionAttributeNames: { ...PK, "#generation": CREDENTIAL_GENERATION },
      ExpressionAttributeValues: { ":generation": current.credentialGeneration },
      ReturnValues: "ALL_OLD",
    });
    user = toUserItem(Attributes ?? {});
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw await refusedWrite(db, current, new UnauthorizedError(CALLER_REFUSED.credentialsChanged));
    throw error;
  }

  try {
    await db.DeleteItem({
      TableName: USERS_TABLE_NAME,
      Key: emailClaimKey(user.email),
      ConditionExpression: "#userId = :userId",
      ExpressionAttributeNames: { "#userId": "userId" },
      ExpressionAttributeValues: { ":userId": user.id },
    });
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
    // Already gone, or taken over by a sign-up after step (1): either way it is not ours any more.
    log.warn("email claim of the deleted user was not ours any more", { userId: user.id });
  }

  const ended = await endSessionsOfUser(db, SESSIONS_TABLE_NAME, user.id);
  log.info("account deleted", { userId: user.id, endedSessions: ended });
  count("AccountDeletions");
  return noContent();
}

/** What this function serves; __tests__/routes.test.ts holds it to the users routes of app/stacks/routes.ts. */
export const ROUTE_HANDLERS: Routes = {
  "/users": { POST: signUp },
  "/users/me": { GET: getMe, PATCH: updateMe, DELETE: deleteMe },
  "/users/{id}": { GET: getById },
};

export const handler = route(router(ROUTE_HANDLERS));
