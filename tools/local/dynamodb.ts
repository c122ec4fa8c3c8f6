/**
 * Local DynamoDB: dynalite in-process, persisted with LevelDB in a folder (in memory without one), with the
 * tables of the synthesized `aws_dynamodb_table` resources: names, keys, attribute types and GSIs. Creation is
 * idempotent, so a restart on the same folder keeps the data; a table whose keys changed since it was created
 * is an error that says to start fresh.
 *
 * Not emulated (dynalite has no API for them, or ignores them): TTL deletion, encryption, point-in-time
 * recovery, deletion protection, streams, transactions, PartiQL.
 */
import { localDynamoDbHeaders } from "./credentials";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { SynthesizedApp } from "./synthesized";

// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite: (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server = require("dynalite");

export { LOCAL_AWS_CREDENTIALS } from "./credentials";

/** The CreateTable input of one synthesized table. */
export interface TableDefinition {
  readonly TableName: string;
  readonly AttributeDefinitions: ReadonlyArray<{ AttributeName: string; AttributeType: string }>;
  readonly KeySchema: ReadonlyArray<{ AttributeName: string; KeyType: "HASH" | "RANGE" }>;
  readonly GlobalSecondaryIndexes?: ReadonlyArray<{
    IndexName: string;
    KeySchema: ReadonlyArray<{ AttributeName: string; KeyType: "HASH" | "RANGE" }>;
    Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
  }>;
  readonly BillingMode: "PAY_PER_REQUEST";
}

type Json = Record<string, unknown>;

function keySchema(hashKey: unknown, rangeKey: unknown): TableDefinition["KeySchema"] {
  return [
    { AttributeName: String(hashKey), KeyType: "HASH" as const },
    ...(rangeKey ? [{ AttributeName: String(rangeKey), KeyType: "RANGE" as const }] : []),
  ];
}

/** CreateTable inputs for every `aws_dynamodb_table` of the app (billing is always on demand locally). */
export function tableDefinitions(app: SynthesizedApp): TableDefinition[] {
  return app.resources("aws_dynamodb_table").map((table) => {
    const attributes = app.argument<Json[]>(table, "attribute", []);
    const indexes = app.argument<Json[]>(table, "global_secondary_index", []);
    return {
      TableName: app.argument<string>(table, "name"),
      AttributeDefinitions: attributes.map((a) => ({ AttributeName: String(a.name), AttributeType: String(a.type) })),
      KeySchema: keySchema(app.argument(table, "hash_key"), app.argument(table, "range_key")),
      ...(indexes.length > 0
        ? {
            GlobalSecondaryIndexes: indexes.map((index) => ({
              IndexName: String(index.name),
              KeySchema: keySchema(index.hash_key, index.range_key),
              Projection: {
                ProjectionType: String(index.projection_type ?? "ALL"),
                ...(Array.isArray(index.non_key_attributes) && index.non_key_attributes.length > 0
                  ? { NonKeyAttributes: index.non_key_attributes.map(String) }
                  : {}),
              },
            })),
          }
        : {}),
      BillingMode: "PAY_PER_REQUEST",
    };
  });
}

export interface LocalDynamoDb {
  /** http://127.0.0.1:<port>: the value of AWS_ENDPOINT_URL_DYNAMODB for the functions. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite on `port` (0: a free one), persisted under `path` (in memory when absent), and creates the
 * tables that do not exist yet.
 */
export async function startDynamoDb(tables: readonly TableDefinition[], options: { path?: string; port?: number } = {}): Promise<LocalDynamoDb> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Clients keep connections alive; without this, close() would wait for them to time out.
      server.closeAllConnections();
    });
  try {
    await ensureTables(endpoint, tables, options.path);
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, close };
}

/**
 * Creates the tables that do not exist yet on a running engine (also after a re-synthesis) and checks that the
 * others have the keys and indexes of their definitions; returns the names of the tables it created. `path` is
 * only for the message.
 */
export async function ensureTables(endpoint: string, tables: readonly TableDefinition[], path: string | undefined): Promise<string[]> {
  const created: string[] = [];
  for (const table of tables) {
    if (await ensureTable(endpoint, table, path)) created.push(table.TableName);
  }
  return created;
}

/** True when it created the table. */
async function ensureTable(endpoint: string, table: TableDefinition, path: string | undefined): Promise<boolean> {
  const existing = await describeTable(endpoint, table.TableName);
  if (!existing) {
    await dynamoDbCall(endpoint, "CreateTable", table as unknown as Json);
    await waitUntilActive(endpoint, table.TableName);
    return true;
  }
  const wanted = shape(table.KeySchema, table.GlobalSecondaryIndexes);
  const found = shape(
    existing.KeySchema as TableDefinition["KeySchema"],
    existing.GlobalSecondaryIndexes as TableDefinition["GlobalSecondaryIndexes"],
  );
  if (wanted !== found) {
    throw new Error(
      `Local table ${table.TableName} in ${path ?? "memory"} has keys ${found}, but the synthesized table has ${wanted}. ` +
        "Start with --fresh to recreate the local tables (this deletes their data).",
    );
  }
  return false;
}

/** dynalite answers ResourceNotFoundException for a table that is still CREATING, even with createTableMs 0. */
async function waitUntilActive(endpoint: string, TableName: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const table = await describeTable(endpoint, TableName);
    const indexes = (table?.GlobalSecondaryIndexes as Array<{ IndexStatus?: string }> | undefined) ?? [];
    if (table?.TableStatus === "ACTIVE" && indexes.every((i) => i.IndexStatus === "ACTIVE")) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`Local table ${TableName} did not become ACTIVE`);
}

/** Keys and indexes of a table as one comparable string. */
function shape(keys: TableDefinition["KeySchema"], indexes: TableDefinition["GlobalSecondaryIndexes"]): string {
  const k = (schema: TableDefinition["KeySchema"]) => schema.map((s) => `${s.AttributeName}:${s.KeyType}`).join(",");
  const gsis = (indexes ?? []).map((i) => `${i.IndexName}(${k(i.KeySchema)})`).sort();
  return `[${k(keys)}]${gsis.length ? ` with indexes ${gsis.join(", ")}` : ""}`;
}

async function describeTable(endpoint: string, TableName: string): Promise<Json | undefined> {
  try {
    const { Table } = await dynamoDbCall<{ Table: Json }>(endpoint, "DescribeTable", { TableName });
    return Table;
  } catch (error) {
    if ((error as Error & { type?: string }).type === "ResourceNotFoundException") return undefined;
    throw error;
  }
}

/**
 * One DynamoDB JSON API call to a local engine, with a placeholder signature: dynalite checks that the
 * Authorization header is there, not what it says. Throws an Error with `type` = the DynamoDB error type.
 */
export async function dynamoDbCall<T = Json>(endpoint: string, operation: string, body: Json): Promise<T> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: localDynamoDbHeaders(operation),
    body: JSON.stringify(body),
  });
  const payload = (await response.json()) as T & { __type?: string; message?: string };
  if (!response.ok) {
    const type = String(payload.__type ?? "UnknownError").replace(/^.*#/, "");
    throw Object.assign(new Error(`DynamoDB ${operation} failed: ${type} ${payload.message ?? ""}`.trim()), { type });
  }
  return payload;
}
