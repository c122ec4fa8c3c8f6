/**
 * Local DynamoDB for handler tests: dynalite in-process, in memory, on a random port, with every table of
 * app/lambda-packages/shared/tables.ts. Nothing global is set: the caller gets the endpoint and passes it to
 * the handler through handlerEnv() / loadHandler().
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { USERS_TABLE } from "../../app/lambda-packages/shared/table-keys";
import { TABLE_NAMES, TABLES, tableNameVariable, type TableDeclaration, type TableName } from "../../app/lambda-packages/shared/tables";
import { sharePackagesOf } from "./shared-packages";

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server = require("dynalite");

export interface LocalDynamo {
  /** http://127.0.0.1:<port>, the value for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  /** The name of each table of TABLES: `<name>-table`. */
  readonly tables: Readonly<Record<TableName, string>>;
  /** A raw DynamoDB API call (attribute-value JSON in and out), independent of the code under test. */
  request<T = Record<string, unknown>>(operation: string, body: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

/** Region and fake credentials: what Lambda provides, minus anything real. */
export const TEST_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
  AWS_SECRET_ACCESS_KEY: "local-test-secret",
};

/** The CreateTable request of one declared table: the keys, indexes and billing data-stack gives it. */
export function createTableRequest(tableName: string, table: TableDeclaration): Record<string, unknown> {
  const keys = (partitionKey: TableDeclaration["partitionKey"], sortKey?: TableDeclaration["sortKey"]) => [
    { AttributeName: partitionKey.name, KeyType: "HASH" },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: "RANGE" }] : []),
  ];
  const indexes = Object.entries(table.indexes);
  const attributes = [table.partitionKey, table.sortKey, ...indexes.flatMap(([, index]) => [index.partitionKey, index.sortKey])].filter(
    (attribute) => attribute !== undefined,
  );
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [...new Map(attributes.map((a) => [a.name, { AttributeName: a.name, AttributeType: a.type }])).values()],
    KeySchema: keys(table.partitionKey, table.sortKey),
    ...(indexes.length > 0
      ? {
          GlobalSecondaryIndexes: indexes.map(([IndexName, index]) => ({
            IndexName,
            KeySchema: keys(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: "KEYS_ONLY" },
          })),
        }
      : {}),
  };
}

/** Starts dynalite and creates every table of TABLES, named `<name>-table` (names need at least 3 characters). */
export async function startDynalite(): Promise<LocalDynamo> {
  const tables = Object.fromEntries(TABLE_NAMES.map((name) => [name, `${name}-table`])) as Record<TableName, string>;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = <T>(operation: string, body: Record<string, unknown>): Promise<T> => dynamoDbRequest<T>(endpoint, operation, body);

  for (const name of TABLE_NAMES) await request("CreateTable", createTableRequest(tables[name], TABLES[name]));
  await waitUntilActive(request, Object.values(tables));

  return {
    endpoint,
    tables,
    request,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/**
 * One DynamoDB JSON API call. dynalite checks that an Authorization header is present, not the signature. Throws
 * with the error type and message of an error response.
 */
export async function dynamoDbRequest<T = Record<string, unknown>>(endpoint: string, operation: string, body: Record<string, unknown>): Promise<T> {
  const response = await post(
    endpoint,
    {
      "Content-Type": "application/x-amz-json-1.0",
      "X-Amz-Target": `DynamoDB_20120810.${operation}`,
      "X-Amz-Date": "20240101T000000Z",
      Authorization: "AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
    },
    JSON.stringify(body),
  );
  const payload = JSON.parse(response.body.toString("utf8")) as T & { __type?: string; message?: string };
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${operation} failed with ${response.status}: ${payload.__type ?? "?"} ${payload.message ?? ""}`.trim());
  }
  return payload;
}

/**
 * Connections kept open for the tests' own calls to dynalite (scans before and after nearly every request under
 * test, the proxy's forwarding): node:http with keep-alive costs less CPU per call than fetch and its web streams.
 */
const keepAlive = new Agent({ keepAlive: true });

/** Headers of one connection, not of the request: not forwarded. */
const HOP_HEADERS = new Set(["host", "connection", "keep-alive", "content-length", "transfer-encoding"]);

interface PostResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

function post(endpoint: string, headers: OutgoingHttpHeaders, body: string | Buffer): Promise<PostResponse> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, { method: "POST", headers: { ...headers, "Content-Length": Buffer.byteLength(body) }, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function waitUntilActive(
  request: <T>(operation: string, body: Record<string, unknown>) => Promise<T>,
  tables: readonly string[],
): Promise<void> {
  for (const TableName of tables) {
    for (let attempt = 0; ; attempt++) {
      const { Table } = await request<{
        Table: { TableStatus: string; GlobalSecondaryIndexes?: Array<{ IndexStatus: string }> };
      }>("DescribeTable", { TableName });
      const indexesActive = (Table.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === "ACTIVE");
      if (Table.TableStatus === "ACTIVE" && indexesActive) break;
      if (attempt > 200) throw new Error(`Table ${TableName} did not become ACTIVE`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/**
 * `<NAME>_TABLE_NAME` of every table of TABLES, as compute-stack sets them (each function gets those it uses):
 * by default `<name>-table`, the names startDynalite() gives them.
 */
export function tableNameEnv(nameOf: (table: TableName) => string = (table) => `${table}-table`): Record<string, string> {
  return Object.fromEntries(TABLE_NAMES.map((table) => [tableNameVariable(table), nameOf(table)]));
}

/** Environment for a handler talking to this dynalite: region, fake credentials, endpoint, table names. */
export function handlerEnv(local: LocalDynamo, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...TEST_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
    ...tableNameEnv((table) => local.tables[table]),
    ...extra,
  };
}

/**
 * Requires a handler module (a source file or an extracted lambda-handler.js) in a fresh module registry with
 * `env` set while its module scope runs, then restores process.env. Handlers read their environment at module
 * scope (house rule), so each call gets a cold start of the app's code with exactly these settings. The
 * third-party packages it imports are not loaded again: every load gets the same module objects, loaded once per
 * test file (shared-packages.ts).
 */
export function loadHandler<T>(modulePath: string, env: Record<string, string | undefined>): T {
  sharePackagesOf(modulePath);
  const previous: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    previous[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    let loaded: T | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(modulePath) as T;
    });
    return loaded as T;
  } finally {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Every item of one table in attribute-value JSON, sorted by its JSON text (all pages). */
export async function scanTable(local: LocalDynamo, TableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: unknown;
  do {
    const page = await local.request<{ Items: Record<string, unknown>[]; LastEvaluatedKey?: unknown }>("Scan", {
      TableName,
      ConsistentRead: true,
      ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
    });
    items.push(...page.Items);
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** Every table, to compare before and after a request that must change nothing. */
export async function scanTables(local: LocalDynamo): Promise<Record<TableName, Record<string, unknown>[]>> {
  const scans = await Promise.all(TABLE_NAMES.map(async (name) => [name, await scanTable(local, local.tables[name])] as const));
  return Object.fromEntries(scans) as Record<TableName, Record<string, unknown>[]>;
}

/**
 * Every table without the failed-log-in counts, for a request that must change nothing but may count a wrong
 * password (login-throttle.ts counts one on purpose).
 */
export async function scanTablesExceptFailureCounts(local: LocalDynamo): Promise<Record<TableName, Record<string, unknown>[]>> {
  const tables = await scanTables(local);
  const isCount = (item: Record<string, unknown>) =>
    String((item[USERS_TABLE.partitionKey] as { S?: string })?.S).startsWith(USERS_TABLE.loginFailureKeyPrefix);
  return { ...tables, users: tables.users.filter((item) => !isCount(item)) };
}

/** One DynamoDB call seen by a DynamoProxy: the operation name and the request body. */
export interface DynamoCall {
  readonly operation: string;
  readonly body: Record<string, any>;
}

/**
 * What an interceptor may answer instead of dynalite: an AWS JSON error (`{ status: 400, type:
 * "ValidationException" }`) or, with `body`, any response (`{ status: 200, body: { UnprocessedItems: ... } }`).
 */
export type InterceptedAnswer =
  { readonly status: number; readonly type: string; readonly message?: string } | { readonly status: number; readonly body: Record<string, unknown> };

export interface DynamoProxy {
  /** The value for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  /** Every call, in order. */
  readonly calls: DynamoCall[];
  close(): Promise<void>;
}

/**
 * A recording proxy in front of dynalite. `intercept` runs before each call is forwarded: it may change the
 * data first (to stage a race), or answer with an error instead of forwarding.
 */
export async function startDynamoProxy(
  local: LocalDynamo,
  intercept?: (call: DynamoCall) => Promise<InterceptedAnswer | void> | InterceptedAnswer | void,
): Promise<DynamoProxy> {
  const calls: DynamoCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const call: DynamoCall = {
          operation: String(req.headers["x-amz-target"] ?? "").replace(/^DynamoDB_\d+\./, ""),
          body: JSON.parse(raw.toString("utf8")),
        };
        calls.push(call);
        try {
          const answer = await intercept?.(call);
          if (answer) {
            res.writeHead(answer.status, { "content-type": "application/x-amz-json-1.0" });
            res.end(
              JSON.stringify(
                "body" in answer
                  ? answer.body
                  : { __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: answer.message ?? answer.type },
              ),
            );
            return;
          }
          // The body is forwarded whole, with its own length; the connection to dynalite is the agent's.
          const forwarded = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_HEADERS.has(name)));
          const upstream = await post(local.endpoint, forwarded, raw);
          res.writeHead(upstream.status, { "content-type": upstream.headers["content-type"] ?? "" });
          res.end(upstream.body);
        } catch (error) {
          res.writeHead(500, { "content-type": "text/plain" }).end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The client keeps connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
      }),
  };
}
