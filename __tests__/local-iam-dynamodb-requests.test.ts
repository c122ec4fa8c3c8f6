/**
 * The authorizations the local IAM check makes for a DynamoDB call (tools/local/iam/dynamodb-requests.ts): action,
 * table or index ARN and dynamodb:LeadingKeys, per operation, as DynamoDB's documentation describes them.
 */
import { dynamoDbAuthorizations, queryLeadingKeys, type TableInfo } from "../tools/local/iam/dynamodb-requests";

const arn = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;
const TABLES: Record<string, TableInfo> = {
  users: { name: "users", arn: arn("users"), partitionKey: "pk", indexes: {}, kmsKeyArn: "arn:aws:kms:us-east-1:000000000000:key/k" },
  sessions: { name: "sessions", arn: arn("sessions"), partitionKey: "tokenHash", indexes: { byUserId: "userId" } },
};
const tableOf = (name: string) => ({ info: TABLES[name], arn: TABLES[name]?.arn ?? arn(name) });
const summary = (operation: string, body: Record<string, unknown>) => {
  const call = dynamoDbAuthorizations(operation, body, tableOf);
  return call.ok
    ? call.authorizations.map((a) => ({ action: a.action, resource: a.resource, leadingKeys: a.leadingKeys, touchesItems: a.touchesItems }))
    : call.reason;
};

describe("dynamoDbAuthorizations", () => {
  it.each<[string, string, Record<string, unknown>, unknown]>([
    [
      "GetItem: the table, the Key's partition key",
      "GetItem",
      { TableName: "users", Key: { pk: { S: "user#1" } } },
      [{ action: "dynamodb:GetItem", resource: arn("users"), leadingKeys: ["user#1"], touchesItems: true }],
    ],
    [
      "PutItem: the Item's partition key",
      "PutItem",
      { TableName: "users", Item: { pk: { S: "email#a" }, userId: { S: "1" } } },
      [{ action: "dynamodb:PutItem", resource: arn("users"), leadingKeys: ["email#a"], touchesItems: true }],
    ],
    [
      "UpdateItem",
      "UpdateItem",
      { TableName: "users", Key: { pk: { S: "user#1" } }, UpdateExpression: "SET a = :a" },
      [{ action: "dynamodb:UpdateItem", resource: arn("users"), leadingKeys: ["user#1"], touchesItems: true }],
    ],
    [
      "DeleteItem with a number key",
      "DeleteItem",
      { TableName: "users", Key: { pk: { N: "42" } } },
      [{ action: "dynamodb:DeleteItem", resource: arn("users"), leadingKeys: ["42"], touchesItems: true }],
    ],
    [
      "Query on an index: the index ARN, the index's partition key from the key condition",
      "Query",
      {
        TableName: "sessions",
        IndexName: "byUserId",
        KeyConditionExpression: "#u = :u",
        ExpressionAttributeNames: { "#u": "userId" },
        ExpressionAttributeValues: { ":u": { S: "1" } },
      },
      [{ action: "dynamodb:Query", resource: `${arn("sessions")}/index/byUserId`, leadingKeys: ["1"], touchesItems: true }],
    ],
    [
      "Query on the table with a sort key condition",
      "Query",
      {
        TableName: "sessions",
        KeyConditionExpression: "tokenHash = :h AND begins_with(sk, :p)",
        ExpressionAttributeValues: { ":h": { S: "abc" }, ":p": { S: "x" } },
      },
      [{ action: "dynamodb:Query", resource: arn("sessions"), leadingKeys: ["abc"], touchesItems: true }],
    ],
    [
      "Scan: no leading keys",
      "Scan",
      { TableName: "users" },
      [{ action: "dynamodb:Scan", resource: arn("users"), leadingKeys: undefined, touchesItems: true }],
    ],
    [
      "DescribeTable: metadata only",
      "DescribeTable",
      { TableName: "users" },
      [{ action: "dynamodb:DescribeTable", resource: arn("users"), leadingKeys: undefined, touchesItems: false }],
    ],
    [
      "BatchGetItem: once per table, with all of that table's keys",
      "BatchGetItem",
      { RequestItems: { users: { Keys: [{ pk: { S: "user#1" } }, { pk: { S: "user#2" } }] }, sessions: { Keys: [{ tokenHash: { S: "h" } }] } } },
      [
        { action: "dynamodb:BatchGetItem", resource: arn("users"), leadingKeys: ["user#1", "user#2"], touchesItems: true },
        { action: "dynamodb:BatchGetItem", resource: arn("sessions"), leadingKeys: ["h"], touchesItems: true },
      ],
    ],
    [
      "BatchWriteItem: once per table, puts and deletes alike, no PutItem or DeleteItem",
      "BatchWriteItem",
      { RequestItems: { sessions: [{ DeleteRequest: { Key: { tokenHash: { S: "a" } } } }, { PutRequest: { Item: { tokenHash: { S: "b" } } } }] } },
      [{ action: "dynamodb:BatchWriteItem", resource: arn("sessions"), leadingKeys: ["a", "b"], touchesItems: true }],
    ],
    [
      "TransactWriteItems: each item's own action",
      "TransactWriteItems",
      {
        TransactItems: [
          { Put: { TableName: "users", Item: { pk: { S: "u" } } } },
          { ConditionCheck: { TableName: "sessions", Key: { tokenHash: { S: "t" } } } },
        ],
      },
      [
        { action: "dynamodb:PutItem", resource: arn("users"), leadingKeys: ["u"], touchesItems: true },
        { action: "dynamodb:ConditionCheckItem", resource: arn("sessions"), leadingKeys: ["t"], touchesItems: true },
      ],
    ],
    [
      "a table the app does not define: its ARN, leading keys unknown",
      "GetItem",
      { TableName: "other", Key: { id: { S: "1" } } },
      [{ action: "dynamodb:GetItem", resource: arn("other"), leadingKeys: "unknown", touchesItems: true }],
    ],
    [
      "an operation not modelled",
      "ExecuteStatement",
      { Statement: "SELECT * FROM users" },
      "operation ExecuteStatement is not modelled by the local IAM check",
    ],
  ])("%s", (_, operation, body, expected) => {
    expect(summary(operation, body)).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>]>([
    ["no key condition", {}],
    ["a condition on another attribute only", { KeyConditionExpression: "sk = :s", ExpressionAttributeValues: { ":s": { S: "x" } } }],
    ["a placeholder without its value", { KeyConditionExpression: "tokenHash = :missing" }],
  ])("a Query's leading keys are unknown (so conditions on them fail closed) with %s", (_, body) => {
    expect(queryLeadingKeys(body, "tokenHash")).toBe("unknown");
  });
});
