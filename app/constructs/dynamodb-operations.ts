/**
 * DynamoDB item operations as one vocabulary for IAM, alarms and dashboards. Each name is at once a DynamoDB API
 * operation, the IAM action `dynamodb:<operation>` that authorizes it, and the value of the `Operation`
 * dimension under which DynamoDB publishes its per-operation CloudWatch metrics (SystemErrors,
 * SuccessfulRequestLatency, ...). Constructs take these names, never action strings.
 */

/**
 * The item operations a function may be granted. (TransactGetItems/TransactWriteItems are no IAM actions: a
 * transaction is authorized per item by GetItem/PutItem/UpdateItem/DeleteItem/ConditionCheckItem, so they are
 * left out until a handler needs them and the mapping is written down.)
 */
export const DYNAMODB_OPERATIONS = ["BatchGetItem", "BatchWriteItem", "DeleteItem", "GetItem", "PutItem", "Query", "Scan", "UpdateItem"] as const;

export type DynamoDbOperation = (typeof DYNAMODB_OPERATIONS)[number];

/** The operations DynamoDB accepts on a secondary index (the index ARN is their resource). */
export const INDEX_OPERATIONS = ["Query", "Scan"] as const satisfies readonly DynamoDbOperation[];

export type IndexOperation = (typeof INDEX_OPERATIONS)[number];

/** The IAM action that authorizes `operation`. */
export function dynamoDbAction(operation: DynamoDbOperation): `dynamodb:${DynamoDbOperation}` {
  return `dynamodb:${operation}`;
}

/**
 * The KMS actions a caller needs on the customer managed key of the tables it reads or writes, used through
 * DynamoDB (`kms:ViaService`): only `kms:Decrypt`, for reads and writes alike.
 *
 * AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS"
 * (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html, and the DynamoDB Developer
 * Guide's "Encryption at rest: how it works", which it points to): "When you access an encrypted DynamoDB table,
 * DynamoDB needs to decrypt the table key ... DynamoDB sends a Decrypt request to AWS KMS ... The user is the
 * principal in your AWS account who is accessing the table." The plaintext table key then encrypts and decrypts
 * the item data keys without further KMS calls (cached per connection, refreshed after five minutes idle).
 * `GenerateDataKey` for the table key is sent by the DynamoDB service itself when the table is created, and
 * `CreateGrant`/`DescribeKey` are on behalf of the principal that creates or re-keys the table (the deployer),
 * so a function never needs them.
 */
export function kmsActionsThroughDynamoDb(operations: readonly DynamoDbOperation[]): readonly string[] {
  return operations.length > 0 ? ["kms:Decrypt"] : [];
}

/** `operations` without repeats, in DYNAMODB_OPERATIONS order, so derived lists are stable. */
export function sortedOperations(operations: Iterable<DynamoDbOperation>): DynamoDbOperation[] {
  const set = new Set(operations);
  return DYNAMODB_OPERATIONS.filter((op) => set.has(op));
}
