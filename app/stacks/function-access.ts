/**
 * What each function may touch in DynamoDB, declared once. Everything else that names DynamoDB operations is
 * derived from FUNCTION_ACCESS: the functions' IAM statements (compute-stack, through NodeFunction), the KMS
 * permission that goes with them, the table names in each function's environment, the tables' SystemErrors
 * alarms (data-stack), the dashboard's per-operation latency widgets (api-stack), and so the diagram, which
 * draws the synthesized policies. Plain data, no constructs: data-stack and compute-stack both import it
 * without importing each other.
 *
 * To give a handler a new call: add the operation here. Leaving it out is an AccessDeniedException on AWS
 * (and in `npm start`); adding one nothing calls is a grant the e2e coverage check reports as never exercised.
 */
import { DynamoDbOperation, IndexOperation, sortedOperations } from "../constructs/dynamodb-operations";
import { SESSIONS_TABLE } from "../lambda-packages/shared/table-keys";
import { healthProbeValue, TABLE_NAMES, TABLES, tableNameVariable, type TableName } from "../lambda-packages/shared/tables";
import type { FunctionName } from "./functions";

export { tableNameVariable };

/** The app's tables, by the short name data-stack gives them (`<prefix><name>`): those of TABLES. */
export const APP_TABLES: readonly TableName[] = TABLE_NAMES;
export type AppTable = TableName;

/** The secondary indexes of each table, by name (data-stack creates exactly these), from TABLES. */
export const TABLE_INDEXES = Object.fromEntries(TABLE_NAMES.map((table) => [table, Object.keys(TABLES[table].indexes)])) as unknown as {
  readonly [T in AppTable]: readonly IndexOf<T>[];
};
export type IndexOf<T extends AppTable> = keyof (typeof TABLES)[T]["indexes"] & string;

/** Access to one index: the operations, and optionally the partition keys it is limited to. */
export interface IndexAccess {
  readonly operations: readonly IndexOperation[];
  /** Only items with one of these partition key values (`dynamodb:LeadingKeys`). @default any item */
  readonly leadingKeys?: readonly string[];
}

/** Access to one table: operations on the table itself, and per index of the table. */
export interface TableAccess<I extends string = string> {
  /** Operations on the table's own ARN. @default none */
  readonly operations?: readonly DynamoDbOperation[];
  /** Only items with one of these partition key values (`dynamodb:LeadingKeys`). @default any item */
  readonly leadingKeys?: readonly string[];
  /** Operations on the table's indexes, by index name. @default none */
  readonly indexes?: { readonly [index in I]?: IndexAccess };
}

/** What one function may touch: per table, its access. A table left out is not reachable at all. */
export type FunctionAccess = { readonly [T in AppTable]?: TableAccess<IndexOf<T>> };

/** The declaration: one entry per function, checked by tsc (a misspelt operation, table or index fails to compile). */
export const FUNCTION_ACCESS = {
  health: healthProbeAccess(),
  authorizer: {
    sessions: { operations: ["GetItem"] },
  },
  sessions: {
    users: { operations: ["GetItem", "BatchGetItem", "UpdateItem"] },
    sessions: {
      operations: ["BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"],
      indexes: { [SESSIONS_TABLE.byUserIdIndex]: { operations: ["Query"] } },
    },
  },
  users: {
    users: { operations: ["GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem"] },
    sessions: {
      operations: ["BatchGetItem", "UpdateItem", "BatchWriteItem"],
      indexes: { [SESSIONS_TABLE.byUserIdIndex]: { operations: ["Query"] } },
    },
  },
} as const satisfies Record<FunctionName, FunctionAccess>;

/** GET /health reads one item of every table, its probe key (see tables.ts), and nothing else. */
function healthProbeAccess(): FunctionAccess {
  return Object.fromEntries(
    TABLE_NAMES.map((table): [AppTable, TableAccess] => [
      table,
      { operations: ["GetItem"], leadingKeys: [String(healthProbeValue(TABLES[table].partitionKey))] },
    ]),
  );
}

/** One derived grant: these operations on one table or one index of it. */
export interface TableGrant {
  /** Statement id: `<Table>Table` or `<Table><Index>Index`, e.g. "SessionsByUserIdIndex". */
  readonly sid: string;
  readonly table: AppTable;
  /** Set when the grant is on an index: the resource is the index ARN. */
  readonly index?: string;
  readonly operations: readonly DynamoDbOperation[];
  readonly leadingKeys?: readonly string[];
}

/** The grants of one function's declaration, one per table and one per index, in APP_TABLES order. */
export function tableGrants(access: FunctionAccess): TableGrant[] {
  const grants: TableGrant[] = [];
  for (const table of APP_TABLES) {
    const entry = access[table] as TableAccess | undefined;
    if (!entry) continue;
    if (entry.operations && entry.operations.length > 0) {
      grants.push({ sid: `${pascal(table)}Table`, table, operations: entry.operations, leadingKeys: entry.leadingKeys });
    }
    for (const [index, indexAccess] of Object.entries(entry.indexes ?? {}) as [string, IndexAccess | undefined][]) {
      if (!indexAccess || indexAccess.operations.length === 0) continue;
      grants.push({
        sid: `${pascal(table)}${pascal(index)}Index`,
        table,
        index,
        operations: indexAccess.operations,
        leadingKeys: indexAccess.leadingKeys,
      });
    }
  }
  return grants;
}

/** The tables a function's declaration reaches (table or index), in APP_TABLES order. */
export function tablesOf(access: FunctionAccess): AppTable[] {
  return APP_TABLES.filter((table) => tableGrants(access).some((g) => g.table === table));
}

/**
 * Every operation any function may call on `table`, on the table or one of its indexes (DynamoDB reports an
 * index's requests under the table's name): the operations the table's per-operation alarms and widgets watch.
 */
export function tableOperations(table: AppTable, access: Readonly<Record<string, FunctionAccess>> = FUNCTION_ACCESS): DynamoDbOperation[] {
  return sortedOperations(
    Object.values(access).flatMap((fn) =>
      tableGrants(fn)
        .filter((g) => g.table === table)
        .flatMap((g) => g.operations),
    ),
  );
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join("");
}
