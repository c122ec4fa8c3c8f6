/**
 * The app's DynamoDB tables, declared once. data-stack creates one table per entry (construct id and short name
 * `<name>`, outputs `<name>_table_name` and `<name>_table_arn`), compute-stack passes each function the names of
 * the tables its FUNCTION_ACCESS entry reaches (`<NAME>_TABLE_NAME`), GET /health probes every table, and the
 * tooling (the handler tests' dynalite, `npm start`, `npm run verify`) reads the same list. Plain data, no
 * dependency: the handlers bundle it (the health function reads it at run time).
 *
 * To add a table: add an entry here, then give the functions that use it access in app/stacks/function-access.ts.
 */
import { SESSIONS_TABLE, USERS_TABLE } from "./table-keys";

/** A key attribute: its name and DynamoDB type, string (S) or number (N). */
export interface KeyAttribute {
  readonly name: string;
  readonly type: "S" | "N";
}

/** A global secondary index; it projects the keys only (a lookup then reads the items it needs by key). */
export interface IndexDeclaration {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDeclaration {
  /** What the table holds: the description of its `<name>_table_name` output. */
  readonly description: string;
  readonly partitionKey: KeyAttribute;
  /** @default none: the partition key alone identifies an item */
  readonly sortKey?: KeyAttribute;
  /** Global secondary indexes, by name. */
  readonly indexes: { readonly [index: string]: IndexDeclaration };
  /** Attribute holding an item's expiry in epoch seconds; TTL is on from the first deploy. @default no TTL */
  readonly ttlAttribute?: string;
}

/** The declaration; the order is the order of the tables everywhere (outputs, health checks, dashboards). */
export const TABLES = {
  users: {
    description: "profiles, email claims and failed log-in counts",
    partitionKey: { name: USERS_TABLE.partitionKey, type: "S" },
    indexes: {},
    ttlAttribute: USERS_TABLE.ttlAttribute,
  },
  sessions: {
    description: `keyed by token hash, TTL on ${SESSIONS_TABLE.ttlAttribute}`,
    partitionKey: { name: SESSIONS_TABLE.partitionKey, type: "S" },
    indexes: {
      [SESSIONS_TABLE.byUserIdIndex]: {
        partitionKey: { name: SESSIONS_TABLE.userIdAttribute, type: "S" },
        sortKey: { name: SESSIONS_TABLE.createdAtAttribute, type: "N" },
      },
    },
    ttlAttribute: SESSIONS_TABLE.ttlAttribute,
  },
} as const satisfies Record<string, TableDeclaration>;

export type TableName = keyof typeof TABLES;
/** The tables' names, in declaration order. */
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Environment variable a function reads a table's name from: `USERS_TABLE_NAME` for `users`. */
export function tableNameVariable(table: string): string {
  return `${table.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_TABLE_NAME`;
}

/**
 * The value of a key attribute in the item GET /health reads: no item has it, and the health function's IAM
 * policy lets it read no other partition (`dynamodb:LeadingKeys`).
 */
export function healthProbeValue(attribute: KeyAttribute): string | number {
  return attribute.type === "S" ? "health#probe" : -1;
}

/** The primary key of the item GET /health reads in a table: every key attribute at its probe value. */
export function healthProbeKey(table: TableDeclaration): Record<string, string | number> {
  const attributes = table.sortKey ? [table.partitionKey, table.sortKey] : [table.partitionKey];
  return Object.fromEntries(attributes.map((attribute) => [attribute.name, healthProbeValue(attribute)]));
}

/** The name of a table's check in the body of GET /health: `usersTable` for `users`. */
export function healthCheckName<T extends string>(table: T): `${T}Table` {
  return `${table}Table`;
}
export type HealthCheckName = `${TableName}Table`;
