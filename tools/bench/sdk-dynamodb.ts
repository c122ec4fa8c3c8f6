/**
 * Baseline of the cold-start benchmark: app/lambda-packages/shared/dynamodb.ts with the AWS SDK v3 DynamoDB
 * document client in place of @aws-lite, written the usual way (one client at module scope, the SDK reading
 * region, credentials and AWS_ENDPOINT_URL_DYNAMODB itself). Same exports, same interface, so tools/bench/lambda.ts
 * can bundle each handler with this module instead and leave the rest of the handler byte for byte as it is.
 *
 * Not used by the application; only bundled by the bench.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type {
  BatchGetItemInput,
  BatchWriteItemInput,
  DeleteItemInput,
  DynamoDbClient,
  GetItemInput,
  Item,
  PutItemInput,
  QueryInput,
  RawKey,
  UpdateItemInput,
  WriteRequest,
} from "../../app/lambda-packages/shared/dynamodb";

export type {
  BatchGetItemInput,
  BatchWriteItemInput,
  DeleteItemInput,
  DynamoDbClient,
  GetItemInput,
  Item,
  PutItemInput,
  QueryInput,
  RawKey,
  UpdateItemInput,
  WriteRequest,
} from "../../app/lambda-packages/shared/dynamodb";

// The interface's inputs are readonly; the SDK's command inputs are not, but are never mutated by it.
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Same contract as the aws-lite version: plain JavaScript items in and out. */
export async function createDynamoDbClient(): Promise<DynamoDbClient> {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return {
    GetItem: async (input: GetItemInput) => ({
      Item: (await documents.send(new GetCommand(input as Mutable<GetItemInput>))).Item as Item | undefined,
    }),
    PutItem: async (input: PutItemInput) => ({
      Attributes: (await documents.send(new PutCommand(input as Mutable<PutItemInput>))).Attributes as Item | undefined,
    }),
    UpdateItem: async (input: UpdateItemInput) => ({
      Attributes: (await documents.send(new UpdateCommand(input as Mutable<UpdateItemInput>))).Attributes as Item | undefined,
    }),
    DeleteItem: async (input: DeleteItemInput) => ({
      Attributes: (await documents.send(new DeleteCommand(input as Mutable<DeleteItemInput>))).Attributes as Item | undefined,
    }),
    Query: async (input: QueryInput) => {
      const page = await documents.send(new QueryCommand(input as Mutable<QueryInput>));
      return { Items: page.Items as Item[] | undefined, Count: page.Count, LastEvaluatedKey: page.LastEvaluatedKey as RawKey | undefined };
    },
    BatchGetItem: async (input: BatchGetItemInput) => {
      const result = await documents.send(new BatchGetCommand(input as unknown as ConstructorParameters<typeof BatchGetCommand>[0]));
      return {
        Responses: (result.Responses ?? {}) as Record<string, Item[]>,
        UnprocessedKeys: (result.UnprocessedKeys ?? {}) as Record<string, { Keys: Item[] }>,
      };
    },
    BatchWriteItem: async (input: BatchWriteItemInput) => {
      const result = await documents.send(new BatchWriteCommand(input as unknown as ConstructorParameters<typeof BatchWriteCommand>[0]));
      return { UnprocessedItems: (result.UnprocessedItems ?? {}) as Record<string, WriteRequest[]> };
    },
  };
}

export const dynamoDb: Promise<DynamoDbClient> = createDynamoDbClient();
dynamoDb.catch(() => undefined);

/** As in shared/dynamodb.ts: the SDK sets `name` to the AWS error code. */
export function awsErrorCode(error: unknown): string {
  if (!(error instanceof Error)) return "UnknownError";
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === "string" && code !== "") return code;
  return error.name;
}

export function isConditionalCheckFailed(error: unknown): boolean {
  return awsErrorCode(error) === "ConditionalCheckFailedException";
}
