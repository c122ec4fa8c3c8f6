/**
 * BatchWriteItem and BatchGetItem until DynamoDB has processed everything. A batch call succeeds even when
 * DynamoDB processes only part of it (under throttling, or past 16 MB of reads): what is left comes back in
 * UnprocessedItems / UnprocessedKeys and is sent again, after an exponential backoff with full jitter, as the
 * DynamoDB developer guide asks ("Batch operations"). Attempts are bounded; what is still left after the last
 * one is a ServiceUnavailableError (503 with Retry-After through route()) whose cause, an UnprocessedItemsError,
 * names each table and how many items or keys it left.
 */
import type { BatchGetItemInput, DynamoDbClient, Item, WriteRequest } from "./dynamodb";
import { ServiceUnavailableError } from "./http";

export interface BatchRetryOptions {
  /** Calls in all, the first one included. @default 5 */
  readonly maxAttempts?: number;
  /** The n-th retry waits a random time below min(maxDelayMs, baseDelayMs * 2^n). @default 50 */
  readonly baseDelayMs?: number;
  /** @default 1000 */
  readonly maxDelayMs?: number;
  /** Uniform in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default a setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Requests in one BatchWriteItem: DynamoDB's limit. */
export const BATCH_WRITE_LIMIT = 25;

/** What a batch call still had not processed after its last attempt, per table. */
export class UnprocessedItemsError extends Error {
  constructor(
    readonly operation: "BatchWriteItem" | "BatchGetItem",
    /** Items (writes) or keys (reads) left, per table name. */
    readonly unprocessed: Readonly<Record<string, number>>,
    readonly attempts: number,
  ) {
    const noun = operation === "BatchWriteItem" ? "item" : "key";
    const left = Object.entries(unprocessed).map(([table, count]) => `${count} ${noun}(s) of ${table}`);
    super(`${operation} left ${left.join(", ")} unprocessed after ${attempts} attempts`);
    this.name = "UnprocessedItemsError";
  }
}

/** The wait before retry number `retry` (1 = before the second attempt): full jitter, capped. */
export function backoffDelayMs(retry: number, options: BatchRetryOptions = {}): number {
  const { baseDelayMs = 50, maxDelayMs = 1000, random = Math.random } = options;
  return random() * Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `pending` until `send` returns nothing left (`left` counts it per table), with backoff between
 * attempts; throws once `maxAttempts` calls have left something.
 */
async function untilProcessed<P>(
  operation: UnprocessedItemsError["operation"],
  pending: P,
  send: (pending: P) => Promise<P>,
  left: (pending: P) => Record<string, number>,
  options: BatchRetryOptions,
): Promise<void> {
  const { maxAttempts = 5, sleep = defaultSleep } = options;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be an integer >= 1, received ${maxAttempts}`);
  for (let attempt = 1; ; attempt++) {
    pending = await send(pending);
    const counts = Object.fromEntries(Object.entries(left(pending)).filter(([, count]) => count > 0));
    if (Object.keys(counts).length === 0) return;
    if (attempt === maxAttempts) {
      throw new ServiceUnavailableError(undefined, { cause: new UnprocessedItemsError(operation, counts, attempt) });
    }
    await sleep(backoffDelayMs(attempt, options));
  }
}

/** Writes `requests` to one table with BatchWriteItem, 25 at a time, each batch retried until processed. */
export async function batchWriteAll(
  db: DynamoDbClient,
  tableName: string,
  requests: readonly WriteRequest[],
  options: BatchRetryOptions = {},
): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
    await untilProcessed(
      "BatchWriteItem",
      requests.slice(start, start + BATCH_WRITE_LIMIT),
      async (pending) => (await db.BatchWriteItem({ RequestItems: { [tableName]: pending } })).UnprocessedItems?.[tableName] ?? [],
      (pending) => ({ [tableName]: pending.length }),
      options,
    );
  }
}

/**
 * Reads every key of `requestItems` (at most 100 in all: one BatchGetItem) across its tables, reading again
 * the keys left unprocessed with the same options (ConsistentRead, projection) as the first time. Returns the
 * items found per table, with an empty list for a table that had none.
 */
export async function batchGetAll(
  db: DynamoDbClient,
  requestItems: BatchGetItemInput["RequestItems"],
  options: BatchRetryOptions = {},
): Promise<Record<string, Item[]>> {
  const found: Record<string, Item[]> = Object.fromEntries(Object.keys(requestItems).map((table) => [table, []]));
  await untilProcessed(
    "BatchGetItem",
    requestItems,
    async (pending) => {
      const { Responses, UnprocessedKeys } = await db.BatchGetItem({ RequestItems: pending });
      for (const [table, items] of Object.entries(Responses ?? {})) (found[table] ??= []).push(...items);
      return Object.fromEntries(
        Object.entries(UnprocessedKeys ?? {}).map(([table, unprocessed]) => [table, { ...requestItems[table], Keys: unprocessed.Keys }]),
      );
    },
    (pending) => Object.fromEntries(Object.entries(pending).map(([table, request]) => [table, request.Keys.length])),
    options,
  );
  return found;
}
