/**
 * Per-account throttling of failed log-ins: one item per normalized e-mail address in the users table, so an
 * address without an account is throttled exactly like one with an account (same answers, same work).
 *
 *   pk = loginfail#<SHA-256 of the normalized e-mail, base64url>
 *        { pk, failures, lockedUntil (epoch ms, absent until the first delay), expiresAt (epoch seconds, the TTL) }
 *
 * The address is stored only as a hash: anyone can make the function write an item for any address. The first
 * FREE_FAILURES failures cost nothing; from then on every failure delays the next attempt on that address by
 * 1 s, 2 s, 4 s, ... up to MAX_DELAY_SECONDS, and an attempt during the delay is answered 429 with Retry-After,
 * without checking the password (a right password is refused too: otherwise the delay would not slow guessing).
 * A success resets the count; the count is forgotten FAILURE_MEMORY_SECONDS after the last failure (DynamoDB's
 * TTL deletes the item lazily, so reads check expiresAt themselves). Other addresses are not affected.
 *
 * Without transactions: below FREE_FAILURES a failure is an atomic ADD; from FREE_FAILURES on, an attempt first
 * claims its slot with a write conditional on the count it read, so concurrent guesses cannot share one slot (the
 * losers are answered 429). The normal log-in (no recent failure) writes nothing here: the item is read in the
 * same BatchGetItem as the e-mail claim.
 */
import { createHash } from "node:crypto";
import { isConditionalCheckFailed, type DynamoDbClient, type Item } from "./dynamodb";
import { USERS_TABLE } from "./table-keys";
import { normalizeEmail } from "./validation";

/** Failures allowed without delay. */
export const FREE_FAILURES = 5;
/** Longest delay between two attempts on one address. */
export const MAX_DELAY_SECONDS = 15 * 60;
/** How long a failure is remembered after the last one. */
export const FAILURE_MEMORY_SECONDS = 24 * 60 * 60;

/** What the item says, at the time of the read. */
export interface ThrottleState {
  /** Failures counted; 0 without an item or with an expired one. */
  readonly failures: number;
  /** Epoch ms before which no attempt is checked; 0 when none. */
  readonly lockedUntil: number;
  /** The expiresAt of an item that has expired but is still stored (the TTL deletes lazily): reset before counting. */
  readonly expiredAt?: number;
}

/** The key of the throttle item of an e-mail address (normalized here). */
export function throttleKey(email: string): Item {
  const hash = createHash("sha256").update(normalizeEmail(email), "utf8").digest("base64url");
  return { [USERS_TABLE.partitionKey]: `${USERS_TABLE.loginFailureKeyPrefix}${hash}` };
}

/** The delay after `failures` failures, in seconds: 0 below FREE_FAILURES, then doubling from 1 s, capped. */
export function delaySeconds(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS);
}

/** The state in a throttle item as read (undefined: none). */
export function toThrottleState(item: Item | undefined, nowMs: number): ThrottleState {
  const expiresAt = item?.expiresAt;
  if (!item) return { failures: 0, lockedUntil: 0 };
  if (typeof expiresAt !== "number" || expiresAt <= Math.floor(nowMs / 1000)) {
    return { failures: 0, lockedUntil: 0, ...(typeof expiresAt === "number" ? { expiredAt: expiresAt } : {}) };
  }
  const failures = typeof item.failures === "number" && item.failures >= 0 ? item.failures : 0;
  const lockedUntil = typeof item.lockedUntil === "number" ? item.lockedUntil : 0;
  return { failures, lockedUntil };
}

/** Seconds until the next attempt may be checked (at least 1), or undefined when it may be checked now. */
export function retryAfterSeconds(state: ThrottleState, nowMs: number): number | undefined {
  return state.lockedUntil > nowMs ? Math.max(1, Math.ceil((state.lockedUntil - nowMs) / 1000)) : undefined;
}

/** The attribute names of the writes (DynamoDB refuses a name an expression does not use). */
const COUNT_NAMES = { "#failures": "failures", "#expiresAt": USERS_TABLE.ttlAttribute };
const NAMES = { ...COUNT_NAMES, "#lockedUntil": "lockedUntil" };

function memoryEnd(nowMs: number): number {
  return Math.floor(nowMs / 1000) + FAILURE_MEMORY_SECONDS;
}

/**
 * Claims the next attempt on an address past FREE_FAILURES before its password is checked: counts it as a
 * failure and sets the delay, conditional on the count read. Returns false when a concurrent attempt claimed it
 * first (answer 429).
 */
export async function claimAttempt(db: DynamoDbClient, tableName: string, email: string, state: ThrottleState, nowMs: number): Promise<boolean> {
  const failures = state.failures + 1;
  try {
    await db.UpdateItem({
      TableName: tableName,
      Key: throttleKey(email),
      UpdateExpression: "SET #failures = :failures, #lockedUntil = :lockedUntil, #expiresAt = :expiresAt",
      ConditionExpression: "#failures = :read",
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ":failures": failures,
        ":lockedUntil": nowMs + delaySeconds(failures) * 1000,
        ":expiresAt": memoryEnd(nowMs),
        ":read": state.failures,
      },
    });
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}

/**
 * Counts a failure of an attempt below FREE_FAILURES: an atomic ADD, so concurrent failures all count (an expired
 * item is reset first, by one of them). The delay this failure reaches is set in the same write when the count
 * read says so; when concurrent failures pushed the count further, a second write raises it to the delay of the
 * count stored (never lowering a longer one another failure set).
 */
export async function recordFailure(db: DynamoDbClient, tableName: string, email: string, state: ThrottleState, nowMs: number): Promise<void> {
  if (state.expiredAt !== undefined) await resetExpired(db, tableName, email, state.expiredAt);
  const expected = delaySeconds(state.failures + 1);
  const { Attributes } = await db.UpdateItem({
    TableName: tableName,
    Key: throttleKey(email),
    UpdateExpression: `SET #expiresAt = :expiresAt${expected > 0 ? ", #lockedUntil = :lockedUntil" : ""} ADD #failures :one`,
    ExpressionAttributeNames: expected > 0 ? NAMES : COUNT_NAMES,
    ExpressionAttributeValues: { ":expiresAt": memoryEnd(nowMs), ":one": 1, ...(expected > 0 ? { ":lockedUntil": nowMs + expected * 1000 } : {}) },
    ReturnValues: "UPDATED_NEW",
  });
  const stored = typeof Attributes?.failures === "number" ? Attributes.failures : state.failures + 1;
  const delay = delaySeconds(stored);
  if (delay <= expected) return;
  try {
    await db.UpdateItem({
      TableName: tableName,
      Key: throttleKey(email),
      UpdateExpression: "SET #lockedUntil = :lockedUntil",
      ConditionExpression: "attribute_not_exists(#lockedUntil) OR #lockedUntil < :lockedUntil",
      ExpressionAttributeNames: { "#lockedUntil": NAMES["#lockedUntil"] },
      ExpressionAttributeValues: { ":lockedUntil": nowMs + delay * 1000 },
    });
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

/** Starts an expired count again from 0; only the first of concurrent failures does (the condition). */
async function resetExpired(db: DynamoDbClient, tableName: string, email: string, expiredAt: number): Promise<void> {
  try {
    await db.UpdateItem({
      TableName: tableName,
      Key: throttleKey(email),
      UpdateExpression: "SET #failures = :zero REMOVE #lockedUntil",
      ConditionExpression: "#expiresAt = :expiredAt",
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: { ":zero": 0, ":expiredAt": expiredAt },
    });
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

/** Forgets the failures of an address after a successful log-in (only called when some were counted). */
export async function resetFailures(db: DynamoDbClient, tableName: string, email: string, nowMs: number): Promise<void> {
  await db.UpdateItem({
    TableName: tableName,
    Key: throttleKey(email),
    UpdateExpression: "SET #failures = :zero, #expiresAt = :now REMOVE #lockedUntil",
    ExpressionAttributeNames: NAMES,
    ExpressionAttributeValues: { ":zero": 0, ":now": Math.floor(nowMs / 1000) },
  });
}

/** An attempt the throttle lets through to the password check: the state it read, and whether it took its slot. */
export interface Attempt {
  readonly email: string;
  readonly state: ThrottleState;
  /** Past FREE_FAILURES the attempt is counted before the check (claimAttempt), so a failure adds nothing. */
  readonly counted: boolean;
}

/** Why an attempt is refused unchecked, and the Retry-After to answer. */
export interface Refusal {
  readonly retryAfter: number;
  readonly reason: string;
}

/**
 * Before a password is checked, the one gate every password check goes through (log-in, and the current password
 * of a password change or an account deletion): refused during the address's delay or when a concurrent attempt
 * took this attempt's slot, otherwise the attempt to settle with settleAttempt once the password was checked.
 */
export async function admitAttempt(
  db: DynamoDbClient,
  tableName: string,
  email: string,
  state: ThrottleState,
  nowMs: number,
): Promise<Attempt | Refusal> {
  const wait = retryAfterSeconds(state, nowMs);
  if (wait !== undefined) return { retryAfter: wait, reason: "throttled" };
  const counted = state.failures >= FREE_FAILURES;
  if (counted && !(await claimAttempt(db, tableName, email, state, nowMs))) {
    return { retryAfter: delaySeconds(state.failures + 1), reason: "throttled: a concurrent attempt took the slot" };
  }
  return { email, state, counted };
}

/**
 * After the password check: a failure is counted (unless the attempt already was), a success after failures
 * resets the count. The delay runs from now, not from the start of the request (the scrypt work in between).
 */
export async function settleAttempt(db: DynamoDbClient, tableName: string, attempt: Attempt, ok: boolean): Promise<void> {
  if (!ok && !attempt.counted) await recordFailure(db, tableName, attempt.email, attempt.state, Date.now());
  if (ok && attempt.state.failures > 0) await resetFailures(db, tableName, attempt.email, Date.now());
}

/** The throttle state of an address, read on its own (strongly consistent GetItem). */
export async function readThrottle(db: DynamoDbClient, tableName: string, email: string, nowMs: number): Promise<ThrottleState> {
  const { Item } = await db.GetItem({ TableName: tableName, Key: throttleKey(email), ConsistentRead: true });
  return toThrottleState(Item, nowMs);
}
