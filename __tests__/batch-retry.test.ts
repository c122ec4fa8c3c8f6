/**
 * app/lambda-packages/shared/batch-retry.ts against a scripted DynamoDB client: what is left unprocessed is sent
 * again, after a jittered exponential backoff (random and sleep injected), a bounded number of times, and then
 * the call gives up with a 503 whose cause names each table and how much it left.
 */
import { backoffDelayMs, batchGetAll, batchWriteAll, UnprocessedItemsError, type BatchRetryOptions } from "../app/lambda-packages/shared/batch-retry";
import type { BatchGetItemInput, BatchWriteItemInput, DynamoDbClient, Item, WriteRequest } from "../app/lambda-packages/shared/dynamodb";
import { ServiceUnavailableError } from "../app/lambda-packages/shared/http";

const SESSIONS = "t-sessions";
const USERS = "t-users";

type WriteAnswer = (input: BatchWriteItemInput) => Record<string, WriteRequest[]>;
type GetAnswer = (input: BatchGetItemInput) => { Responses: Record<string, Item[]>; UnprocessedKeys: Record<string, { Keys: Item[] }> };

/** A client whose batch calls are answered by `write`/`get`; every input is recorded. Other calls fail the test. */
function scriptedClient(answers: { write?: WriteAnswer; get?: GetAnswer }) {
  const writes: BatchWriteItemInput[] = [];
  const gets: BatchGetItemInput[] = [];
  const unexpected = () => Promise.reject(new Error("unexpected call"));
  const db: DynamoDbClient = {
    GetItem: unexpected,
    PutItem: unexpected,
    UpdateItem: unexpected,
    DeleteItem: unexpected,
    Query: unexpected,
    BatchWriteItem: async (input) => {
      writes.push(structuredClone(input));
      return { UnprocessedItems: answers.write!(input) };
    },
    BatchGetItem: async (input) => {
      gets.push(structuredClone(input));
      return answers.get!(input);
    },
  };
  return { db, writes, gets };
}

/** Options with a fixed random value and a sleep that records instead of waiting. */
function recorded(random: number, extra: BatchRetryOptions = {}) {
  const sleeps: number[] = [];
  const options: BatchRetryOptions = { random: () => random, sleep: async (ms) => void sleeps.push(ms), ...extra };
  return { options, sleeps };
}

const deletes = (n: number, from = 0): WriteRequest[] =>
  Array.from({ length: n }, (_, i) => ({ DeleteRequest: { Key: { pk: `session#${from + i}` } } }));

/** The rejection of `promise`; the test fails when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<ServiceUnavailableError> {
  await expect(promise).rejects.toBeInstanceOf(ServiceUnavailableError);
  return promise.then(
    () => {
      throw new Error("unreachable: the promise resolved");
    },
    (error: ServiceUnavailableError) => error,
  );
}

describe("backoffDelayMs", () => {
  test.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [9, 1000],
  ])("keeps retry %i below min(1000, 50 * 2^n) = %i ms with the defaults", (retry, bound) => {
    expect(backoffDelayMs(retry, { random: () => 0 })).toBe(0);
    expect(backoffDelayMs(retry, { random: () => 0.5 })).toBe(bound / 2);
    const highest = backoffDelayMs(retry, { random: () => 0.999999 });
    expect(highest).toBeLessThan(bound);
    expect(highest).toBeGreaterThan(bound * 0.999);
  });

  test("uses the base and the cap it is given", () => {
    expect([1, 2, 3].map((retry) => backoffDelayMs(retry, { random: () => 0.5, baseDelayMs: 10, maxDelayMs: 30 }))).toEqual([10, 15, 15]);
  });
});

describe("batchWriteAll", () => {
  test("sends 25 requests per call, in order, and does not wait when nothing is left", async () => {
    const { db, writes } = scriptedClient({ write: () => ({}) });
    const { options, sleeps } = recorded(0.5);

    await batchWriteAll(db, SESSIONS, deletes(60), options);

    expect(writes.map((w) => w.RequestItems[SESSIONS].length)).toEqual([25, 25, 10]);
    expect(writes.flatMap((w) => w.RequestItems[SESSIONS])).toEqual(deletes(60));
    expect(sleeps).toEqual([]);
  });

  test("sends again only what DynamoDB left unprocessed, after a jittered backoff", async () => {
    let calls = 0;
    // The first call processes the first request of three and hands the other two back.
    const { db, writes } = scriptedClient({
      write: (input): Record<string, WriteRequest[]> => (calls++ === 0 ? { [SESSIONS]: [...input.RequestItems[SESSIONS].slice(1)] } : {}),
    });
    const { options, sleeps } = recorded(0.25);

    await batchWriteAll(db, SESSIONS, deletes(3), options);

    expect(writes.map((w) => w.RequestItems[SESSIONS])).toEqual([deletes(3), deletes(2, 1)]);
    expect(sleeps).toEqual([25]);
  });

  test("gives up after maxAttempts calls with a 503 naming the table and how many items were left", async () => {
    const { db, writes } = scriptedClient({ write: (input) => ({ [SESSIONS]: [...input.RequestItems[SESSIONS]] }) });
    const { options, sleeps } = recorded(0.5);

    const error = await rejectionOf(batchWriteAll(db, SESSIONS, deletes(3), options));

    expect(writes).toHaveLength(5);
    expect(sleeps).toEqual([50, 100, 200, 400]);
    expect(error.statusCode).toBe(503);
    expect(error.cause).toBeInstanceOf(UnprocessedItemsError);
    expect((error.cause as Error).message).toBe("BatchWriteItem left 3 item(s) of t-sessions unprocessed after 5 attempts");
    expect(error.cause).toMatchObject({ operation: "BatchWriteItem", unprocessed: { [SESSIONS]: 3 }, attempts: 5 });
  });

  test("stops at the batch that gives up: later batches are not sent", async () => {
    const { db, writes } = scriptedClient({ write: (input) => ({ [SESSIONS]: [...input.RequestItems[SESSIONS]] }) });
    const { options } = recorded(0, { maxAttempts: 2 });

    await rejectionOf(batchWriteAll(db, SESSIONS, deletes(30), options));

    expect(writes.map((w) => w.RequestItems[SESSIONS].length)).toEqual([25, 25]);
  });

  test.each([0, 1.5])("refuses maxAttempts %s", async (maxAttempts) => {
    const { db } = scriptedClient({ write: () => ({}) });
    await expect(batchWriteAll(db, SESSIONS, deletes(1), { maxAttempts })).rejects.toThrow(
      new RangeError(`maxAttempts must be an integer >= 1, received ${maxAttempts}`),
    );
  });
});

describe("batchGetAll", () => {
  const request: BatchGetItemInput["RequestItems"] = {
    [SESSIONS]: { Keys: [{ pk: "session#1" }], ConsistentRead: true },
    [USERS]: {
      Keys: [{ pk: "user#1" }, { pk: "user#2" }],
      ConsistentRead: true,
      ProjectionExpression: "#pk",
      ExpressionAttributeNames: { "#pk": "pk" },
    },
  };

  test("merges what each attempt found and reads the unprocessed keys again with their table's options", async () => {
    let calls = 0;
    const { db, gets } = scriptedClient({
      get: (): ReturnType<GetAnswer> =>
        calls++ === 0
          ? {
              Responses: { [USERS]: [{ pk: "user#1" }] },
              UnprocessedKeys: { [USERS]: { Keys: [{ pk: "user#2" }] }, [SESSIONS]: { Keys: [{ pk: "session#1" }] } },
            }
          : { Responses: { [USERS]: [{ pk: "user#2" }] }, UnprocessedKeys: {} },
    });
    const { options, sleeps } = recorded(0.5);

    const found = await batchGetAll(db, request, options);

    expect(found).toEqual({ [SESSIONS]: [], [USERS]: [{ pk: "user#1" }, { pk: "user#2" }] });
    expect(gets[1].RequestItems).toEqual({
      [USERS]: { ...request[USERS], Keys: [{ pk: "user#2" }] },
      [SESSIONS]: { ...request[SESSIONS], Keys: [{ pk: "session#1" }] },
    });
    expect(sleeps).toEqual([50]);
  });

  test("gives up after maxAttempts calls with a 503 naming every table and how many keys it left", async () => {
    const { db, gets } = scriptedClient({
      get: (input) => ({
        Responses: {},
        UnprocessedKeys: Object.fromEntries(Object.entries(input.RequestItems).map(([t, r]) => [t, { Keys: [...r.Keys] }])),
      }),
    });
    const { options, sleeps } = recorded(1 - Number.EPSILON, { maxAttempts: 3 });

    const error = await rejectionOf(batchGetAll(db, request, options));

    expect(gets).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    sleeps.forEach((ms, i) => expect(ms).toBeLessThan(50 * 2 ** (i + 1)));
    expect((error.cause as Error).message).toBe("BatchGetItem left 1 key(s) of t-sessions, 2 key(s) of t-users unprocessed after 3 attempts");
  });
});
