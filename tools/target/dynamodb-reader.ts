/**
 * Reads the app's tables directly, to check what the API stored: GetItem and Query through @aws-lite/client,
 * the client the handlers use, with requests written here (the @aws-lite/dynamodb plugin is an ES module,
 * which jest's CommonJS runtime cannot load) and items converted from DynamoDB's attribute-value JSON.
 *
 * On AWS the credentials come from the usual chain (environment, AWS_PROFILE, SSO, ...); against a local
 * stack, from fixed fake ones.
 */
import awsLite from "@aws-lite/client";
import { LOCAL_AWS_CREDENTIALS } from "../local/credentials";
import type { DeploymentTarget } from "./outputs";

export type Item = Record<string, unknown>;

export interface DynamoDbReader {
  /** The item with this key (strongly consistent), or undefined. */
  getItem(table: string, key: Record<string, string>): Promise<Item | undefined>;
  /** Items of an index whose partition key `attribute` equals `value` (all pages). */
  queryIndex(table: string, index: string, attribute: string, value: string): Promise<Item[]>;
}

type AttributeValue = {
  S?: string;
  N?: string;
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, AttributeValue>;
  L?: AttributeValue[];
  SS?: string[];
  NS?: string[];
};

/** Plain JavaScript for an attribute value: S -> string, N -> number, M/L recursively. */
export function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL) return null;
  if (value.M) return fromItem(value.M);
  if (value.L) return value.L.map(fromAttributeValue);
  if (value.SS) return [...value.SS];
  if (value.NS) return value.NS.map(Number);
  return value;
}

function fromItem(item: Record<string, AttributeValue>): Item {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fromAttributeValue(v)]));
}

/** A reader for the target's tables. */
export async function createDynamoDbReader(target: Pick<DeploymentTarget, "region" | "dynamoDbEndpoint">): Promise<DynamoDbReader> {
  const client = await awsLite({
    region: target.region,
    autoloadPlugins: false,
    ...(target.dynamoDbEndpoint
      ? {
          endpoint: target.dynamoDbEndpoint,
          accessKeyId: LOCAL_AWS_CREDENTIALS.AWS_ACCESS_KEY_ID,
          secretAccessKey: LOCAL_AWS_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
        }
      : {}),
  });
  const call = async <T>(operation: string, payload: Record<string, unknown>): Promise<T> => {
    const response = await client({
      service: "dynamodb",
      path: "/",
      headers: { "X-Amz-Target": `DynamoDB_20120810.${operation}`, "content-type": "application/x-amz-json-1.0" },
      awsjson: false,
      payload,
    });
    return response.payload as T;
  };
  return {
    async getItem(table, key) {
      const Key = Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: v }]));
      const { Item } = await call<{ Item?: Record<string, AttributeValue> }>("GetItem", { TableName: table, Key, ConsistentRead: true });
      return Item ? fromItem(Item) : undefined;
    },
    async queryIndex(table, index, attribute, value) {
      const items: Item[] = [];
      let ExclusiveStartKey: unknown;
      do {
        const page = await call<{ Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: unknown }>("Query", {
          TableName: table,
          IndexName: index,
          KeyConditionExpression: "#a = :v",
          ExpressionAttributeNames: { "#a": attribute },
          ExpressionAttributeValues: { ":v": { S: value } },
          ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}),
        });
        items.push(...(page.Items ?? []).map(fromItem));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      return items;
    },
  };
}
