/**
 * The DynamoDB client of every function: @aws-lite/client with the @aws-lite/dynamodb plugin passed
 * explicitly (no plugin autoloading, which scans node_modules at runtime and defeats bundling). Created once
 * per cold start, at module scope.
 *
 * What the client reads, once, when it is created (checked in @aws-lite/client 0.23.7 src/config):
 * - credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (Lambda sets them for the
 *   execution role). It reads ~/.aws files, SSO or IMDS only when they are absent, and never inside Lambda
 *   (AWS_LAMBDA_FUNCTION_NAME set).
 * - region: AWS_REGION (set by Lambda).
 * - endpoint: AWS_ENDPOINT_URL_DYNAMODB when set, passed explicitly because aws-lite only knows the generic
 *   AWS_ENDPOINT_URL; this is how the same ZIP runs against dynalite. Unset on Lambda: the regional endpoint.
 * Requests use a keep-alive agent and are retried by aws-lite (5 times, exponential backoff with jitter) on 5xx,
 * throttling and connection errors. aws-lite has no request timeout: each call here gets one,
 * DYNAMODB_TIMEOUT_MS (default 3000 ms, retries included), so a hung endpoint cannot hold an invocation until
 * its Lambda timeout.
 *
 * Outages are not bugs: a call that fails because DynamoDB is unreachable, throttled or failing (what aws-lite
 * surfaces after its retries, checked in @aws-lite/client 0.23.7 src/request/request.js and src/error.js: a
 * connection error as a plain Error with no status whose message carries the Node error, "connect
 * ECONNREFUSED ...", "socket hang up"; ProvisionedThroughputExceededException, ThrottlingException and
 * RequestLimitExceeded as 400s with that `code`; InternalServerError, ServiceUnavailable and any other 5xx with
 * their status), or that times out, throws a ServiceUnavailableError (503 SERVICE_UNAVAILABLE with Retry-After,
 * through route()) with the original error as its `cause`. Every other error (ConditionalCheckFailedException,
 * ValidationException, ...) is thrown unchanged.
 *
 * Values are plain JavaScript: the plugin marshals `Key`, `Item`, `ExpressionAttributeValues` and the items
 * of BatchWriteItem, and unmarshals `Item`, `Items` and `Attributes`. `ExclusiveStartKey`/`LastEvaluatedKey`
 * stay in DynamoDB's attribute-value format: pass LastEvaluatedKey back unchanged. Marshalling an `undefined`
 * value throws (omit the attribute instead).
 */
import awsLite from "@aws-lite/client";
import dynamoDbPlugin from "@aws-lite/dynamodb";
import { ServiceUnavailableError } from "./http";

/** An item or key as plain JavaScript values. */
export type Item = Record<string, unknown>;
/** A key in DynamoDB's attribute-value format, e.g. LastEvaluatedKey: `{ pk: { S: "user#1" } }`. */
export type RawKey = Record<string, unknown>;

interface ExpressionParams {
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Item;
}
interface ConditionParams extends ExpressionParams {
  readonly ConditionExpression?: string;
  /** ALL_OLD puts the stored item on the ConditionalCheckFailedException (raw, not unmarshalled). */
  readonly ReturnValuesOnConditionCheckFailure?: "NONE" | "ALL_OLD";
}

export interface GetItemInput {
  readonly TableName: string;
  readonly Key: Item;
  /** @default false (eventually consistent) */
  readonly ConsistentRead?: boolean;
  readonly ProjectionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
}
export interface PutItemInput extends ConditionParams {
  readonly TableName: string;
  readonly Item: Item;
  readonly ReturnValues?: "NONE" | "ALL_OLD";
}
export interface UpdateItemInput extends ConditionParams {
  readonly TableName: string;
  readonly Key: Item;
  readonly UpdateExpression: string;
  readonly ReturnValues?: "NONE" | "ALL_OLD" | "UPDATED_OLD" | "ALL_NEW" | "UPDATED_NEW";
}
export interface DeleteItemInput extends ConditionParams {
  readonly TableName: string;
  readonly Key: Item;
  readonly ReturnValues?: "NONE" | "ALL_OLD";
}
export interface QueryInput extends ExpressionParams {
  readonly TableName: string;
  readonly IndexName?: string;
  readonly KeyConditionExpression: string;
  readonly FilterExpression?: string;
  readonly ProjectionExpression?: string;
  readonly Limit?: number;
  readonly ScanIndexForward?: boolean;
  readonly ConsistentRead?: boolean;
  readonly ExclusiveStartKey?: RawKey;
  readonly Select?: "ALL_ATTRIBUTES" | "ALL_PROJECTED_ATTRIBUTES" | "SPECIFIC_ATTRIBUTES" | "COUNT";
}
export type WriteRequest = { readonly PutRequest: { readonly Item: Item } } | { readonly DeleteRequest: { readonly Key: Item } };
export interface BatchWriteItemInput {
  /** Up to 25 requests in all, per table name. */
  readonly RequestItems: Record<string, readonly WriteRequest[]>;
}

export interface BatchGetItemInput {
  /** Up to 100 keys in all, per table name. */
  readonly RequestItems: Record<
    string,
    {
      readonly Keys: readonly Item[];
      readonly ConsistentRead?: boolean;
      readonly ProjectionExpression?: string;
      readonly ExpressionAttributeNames?: Record<string, string>;
    }
  >;
}

/** The DynamoDB operations the functions use, with plain-JavaScript items. */
export interface DynamoDbClient {
  GetItem(input: GetItemInput): Promise<{ Item?: Item }>;
  PutItem(input: PutItemInput): Promise<{ Attributes?: Item }>;
  UpdateItem(input: UpdateItemInput): Promise<{ Attributes?: Item }>;
  DeleteItem(input: DeleteItemInput): Promise<{ Attributes?: Item }>;
  Query(input: QueryInput): Promise<{ Items?: Item[]; Count?: number; LastEvaluatedKey?: RawKey }>;
  /** Retry what comes back in UnprocessedKeys. */
  BatchGetItem(input: BatchGetItemInput): Promise<{ Responses: Record<string, Item[]>; UnprocessedKeys: Record<string, { Keys: Item[] }> }>;
  /** Retry what comes back in UnprocessedItems. */
  BatchWriteItem(input: BatchWriteItemInput): Promise<{ UnprocessedItems: Record<string, WriteRequest[]> }>;
}

/** The operations of DynamoDbClient; each is wrapped with the timeout and the outage mapping. */
const OPERATIONS = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem", "BatchWriteItem"] as const satisfies ReadonlyArray<
  keyof DynamoDbClient
>;
// Compile-time check that OPERATIONS lists every method of the interface.
const everyOperation: Record<Exclude<keyof DynamoDbClient, (typeof OPERATIONS)[number]>, never> = {};
void everyOperation;

/** Per call, aws-lite's retries included, unless DYNAMODB_TIMEOUT_MS says otherwise. */
export const DEFAULT_DYNAMODB_TIMEOUT_MS = 3000;

/** Error codes of a DynamoDB that is throttling or failing: the same request may succeed later. */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
]);

/** A DynamoDB call that did not complete within the client's timeout. */
export class DynamoDbTimeoutError extends Error {
  readonly code = "TimeoutError";

  constructor(operation: string, timeoutMs: number) {
    super(`DynamoDB ${operation} did not complete within ${timeoutMs} ms`);
    this.name = "TimeoutError";
  }
}

/**
 * True when an error of a DynamoDB call means "unavailable right now" (unreachable, throttled, failing, timed
 * out) rather than a refused request: see the module comment for what aws-lite surfaces.
 */
export function isDynamoDbUnavailable(error: unknown): boolean {
  if (error instanceof DynamoDbTimeoutError) return true;
  if (!(error instanceof Error)) return false;
  const { statusCode, host } = error as Error & { statusCode?: unknown; host?: unknown };
  if (typeof statusCode === "number") return statusCode >= 500 || UNAVAILABLE_CODES.has(awsErrorCode(error));
  // A connection error: no HTTP status, and aws-lite tags it with the host it could not talk to.
  return host !== undefined && error.message.startsWith("@aws-lite/client:");
}

function timeoutOf(env: NodeJS.ProcessEnv): number {
  const raw = env.DYNAMODB_TIMEOUT_MS;
  if (raw === undefined || raw.trim() === "") return DEFAULT_DYNAMODB_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 10 || value > 60_000) {
    throw new Error(`Environment variable DYNAMODB_TIMEOUT_MS must be an integer in 10..60000, received "${raw}"`);
  }
  return value;
}

/** The client with each call raced against `timeoutMs` and outages turned into ServiceUnavailableError. */
function guarded(client: DynamoDbClient, timeoutMs: number): DynamoDbClient {
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DynamoDbTimeoutError(operation, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (isDynamoDbUnavailable(error)) throw new ServiceUnavailableError(undefined, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
  const methods = Object.fromEntries(
    OPERATIONS.map((operation) => [
      operation,
      (input: never) => call(operation, () => (client[operation] as (input: never) => Promise<unknown>)(input)),
    ]),
  );
  return methods as unknown as DynamoDbClient;
}

/** Creates a client from the environment (see the module comment); exported for tests and scripts. */
export async function createDynamoDbClient(env: NodeJS.ProcessEnv = process.env): Promise<DynamoDbClient> {
  // Everything is read here, synchronously, and handed to aws-lite, which would otherwise read the
  // environment later, after its first await.
  const timeoutMs = timeoutOf(env);
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB?.trim();
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  const client = await awsLite({
    autoloadPlugins: false,
    plugins: [dynamoDbPlugin],
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : {}),
  });
  return guarded((client as unknown as { DynamoDB: DynamoDbClient }).DynamoDB, timeoutMs);
}

/**
 * The shared client, created at module scope (cold start). Await it in the handler: `(await dynamoDb).GetItem(...)`.
 * A creation failure (no region, no credentials) rejects every await with that error.
 */
export const dynamoDb: Promise<DynamoDbClient> = createDynamoDbClient();
// The rejection is reported to whoever awaits the client; without this, it would also crash the process
// as an unhandled rejection before the first invocation could report it.
dynamoDb.catch(() => undefined);

/**
 * The AWS error code of a failed call ("ConditionalCheckFailedException", "ResourceNotFoundException", ...),
 * the Node error code for a connection failure ("ECONNREFUSED"; "ECONNRESET" for "socket hang up"),
 * "TimeoutError" for a call past the timeout, else the error's name. aws-lite's DynamoDB plugin sets `name` and
 * `code` from the `__type` of the error response. For a ServiceUnavailableError, the code of its cause.
 */
export function awsErrorCode(error: unknown): string {
  if (error instanceof ServiceUnavailableError && error.cause !== undefined) return awsErrorCode(error.cause);
  if (!(error instanceof Error)) return "UnknownError";
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === "string" && code !== "") return code;
  if (error.name === "Error") {
    // aws-lite flattens a connection error into the message: "@aws-lite/client: DynamoDB.GetItem: connect ECONNREFUSED ..."
    const nodeCode = /\b(E[A-Z]{3,}(?:_[A-Z]+)*)\b/.exec(error.message);
    if (nodeCode) return nodeCode[1];
    if (/socket hang up/.test(error.message)) return "ECONNRESET";
  }
  return error.name;
}

/** True when a conditional write (ConditionExpression) was refused because the condition was false. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return awsErrorCode(error) === "ConditionalCheckFailedException";
}
