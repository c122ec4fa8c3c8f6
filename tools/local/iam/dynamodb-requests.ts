/**
 * The IAM authorization requests DynamoDB makes for one API call, from its JSON body: the action, the table or
 * index ARN, and the item's partition key value(s) as `dynamodb:LeadingKeys`. Per the DynamoDB developer guide
 * ("Using IAM policy conditions for fine-grained access control", "DynamoDB API permissions") and the Service
 * Authorization Reference:
 * - GetItem, PutItem, UpdateItem, DeleteItem: `dynamodb:<Operation>` on the table; LeadingKeys is the
 *   partition key of `Key` (or of `Item` for PutItem).
 * - Query, Scan: on the table, or on `<table>/index/<name>` with IndexName. A Query's LeadingKeys is the
 *   partition key value its KeyConditionExpression requires (the index's partition key on an index); a Scan
 *   has none.
 * - BatchGetItem, BatchWriteItem: `dynamodb:BatchGetItem` / `dynamodb:BatchWriteItem` once per table in
 *   RequestItems, each with the partition keys of all that table's keys or items; one table refused refuses
 *   the whole call. No GetItem, PutItem or DeleteItem permission is involved.
 * - TransactGetItems / TransactWriteItems: per item, GetItem / ConditionCheckItem, PutItem, UpdateItem,
 *   DeleteItem on its table (dynalite does not implement them; the check still runs first).
 * - DescribeTable: on the table, no item keys.
 * Any other operation from a function is not modelled and is refused (fail closed).
 */

/** What the check needs to know about a table: from its synthesized `aws_dynamodb_table`. */
export interface TableInfo {
  readonly name: string;
  readonly arn: string;
  readonly partitionKey: string;
  /** Index name -> its partition key. */
  readonly indexes: Readonly<Record<string, string>>;
  /** The customer managed key of `server_side_encryption`, if any. */
  readonly kmsKeyArn?: string;
}

/** One authorization DynamoDB makes for a call. */
export interface DynamoDbAuthorization {
  readonly action: string;
  readonly resource: string;
  /** The table the resource belongs to (undefined for a table the app does not define). */
  readonly table?: TableInfo;
  readonly tableName: string;
  /** Partition key values, or "unknown" when they cannot be read from the request (conditions on them then fail closed). */
  readonly leadingKeys?: readonly string[] | "unknown";
  /** Whether the call reads or writes items (and so needs the table's key, when it has a customer managed one). */
  readonly touchesItems: boolean;
}

export type CallAuthorizations =
  { readonly ok: true; readonly authorizations: readonly DynamoDbAuthorization[] } | { readonly ok: false; readonly reason: string };

type Json = Record<string, unknown>;

/** The string form of an attribute value (S, N or B), as LeadingKeys compares it. */
function scalar(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const v = value as Record<string, unknown>;
  for (const type of ["S", "N", "B"]) if (typeof v[type] === "string") return v[type] as string;
  return undefined;
}

/** The partition key value of a Key or Item, or undefined when it is missing. */
function partitionValue(item: unknown, attribute: string): string | undefined {
  return item !== null && typeof item === "object" ? scalar((item as Json)[attribute]) : undefined;
}

function keysOf(items: unknown[], attribute: string): readonly string[] | "unknown" {
  const values = items.map((item) => partitionValue(item, attribute));
  return values.every((v): v is string => v !== undefined) ? values : "unknown";
}

/**
 * The partition key value a KeyConditionExpression requires: `<key> = :value` where `<key>` is the partition
 * key's name or a `#name` placeholder for it. "unknown" when it cannot be read.
 */
export function queryLeadingKeys(body: Json, partitionKey: string): readonly string[] | "unknown" {
  const expression = typeof body.KeyConditionExpression === "string" ? body.KeyConditionExpression : undefined;
  if (!expression) return "unknown";
  const names = (body.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (body.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const match of expression.matchAll(/([#A-Za-z_][\w.#-]*)\s*=\s*(:[\w]+)/g)) {
    const name = match[1].startsWith("#") ? names[match[1]] : match[1];
    if (name !== partitionKey) continue;
    const value = scalar(values[match[2]]);
    return value === undefined ? "unknown" : [value];
  }
  return "unknown";
}

/** The authorizations DynamoDB makes for `operation` with this JSON body. */
export function dynamoDbAuthorizations(
  operation: string,
  body: Json,
  tableOf: (name: string) => { info?: TableInfo; arn: string },
): CallAuthorizations {
  const single = (action: string, leading: (t: TableInfo) => readonly string[] | "unknown" | undefined, touchesItems = true): CallAuthorizations => {
    const name = String(body.TableName ?? "");
    const { info, arn } = tableOf(name);
    return {
      ok: true,
      authorizations: [{ action, resource: arn, table: info, tableName: name, leadingKeys: info ? leading(info) : "unknown", touchesItems }],
    };
  };
  switch (operation) {
    case "GetItem":
    case "UpdateItem":
    case "DeleteItem":
      return single(`dynamodb:${operation}`, (t) => keysOf([body.Key], t.partitionKey));
    case "PutItem":
      return single("dynamodb:PutItem", (t) => keysOf([body.Item], t.partitionKey));
    case "DescribeTable":
      return single("dynamodb:DescribeTable", () => undefined, false);
    case "Query":
    case "Scan": {
      const name = String(body.TableName ?? "");
      const { info, arn } = tableOf(name);
      const index = typeof body.IndexName === "string" ? body.IndexName : undefined;
      const partitionKey = info ? (index ? info.indexes[index] : info.partitionKey) : undefined;
      return {
        ok: true,
        authorizations: [
          {
            action: `dynamodb:${operation}`,
            resource: index ? `${arn}/index/${index}` : arn,
            table: info,
            tableName: name,
            leadingKeys: operation === "Scan" ? undefined : partitionKey ? queryLeadingKeys(body, partitionKey) : "unknown",
            touchesItems: true,
          },
        ],
      };
    }
    case "BatchGetItem":
    case "BatchWriteItem": {
      const requestItems = (body.RequestItems ?? {}) as Record<string, unknown>;
      const authorizations = Object.entries(requestItems).map(([name, entry]): DynamoDbAuthorization => {
        const { info, arn } = tableOf(name);
        const items =
          operation === "BatchGetItem"
            ? (((entry as Json)?.Keys as unknown[]) ?? [])
            : ((entry as unknown[]) ?? []).map((write) => {
                const w = write as { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } };
                return w.PutRequest?.Item ?? w.DeleteRequest?.Key;
              });
        return {
          action: `dynamodb:${operation}`,
          resource: arn,
          table: info,
          tableName: name,
          leadingKeys: info ? keysOf(items, info.partitionKey) : "unknown",
          touchesItems: true,
        };
      });
      return { ok: true, authorizations };
    }
    case "TransactGetItems":
    case "TransactWriteItems": {
      const authorizations: DynamoDbAuthorization[] = [];
      for (const entry of (body.TransactItems as Json[] | undefined) ?? []) {
        for (const [kind, request] of Object.entries(entry ?? {})) {
          const action = { Get: "GetItem", ConditionCheck: "ConditionCheckItem", Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem" }[kind];
          if (!action) return { ok: false, reason: `${operation} item kind ${kind} is not modelled by the local IAM check` };
          const r = (request ?? {}) as Json;
          const name = String(r.TableName ?? "");
          const { info, arn } = tableOf(name);
          const leadingKeys = info ? keysOf([kind === "Put" ? r.Item : r.Key], info.partitionKey) : "unknown";
          authorizations.push({ action: `dynamodb:${action}`, resource: arn, table: info, tableName: name, leadingKeys, touchesItems: true });
        }
      }
      return { ok: true, authorizations };
    }
    default:
      return { ok: false, reason: `operation ${operation} is not modelled by the local IAM check` };
  }
}
