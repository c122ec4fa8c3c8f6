/**
 * The local admin credentials, for tests and tools (dynalite checks that a signature is present, not what it
 * says): the IAM proxy in front of dynalite (tools/local/iam/dynamodb-proxy.ts) passes requests signed with this key
 * id unevaluated. Kept apart from dynamodb.ts so that a tool can use them without loading dynalite.
 */
export const LOCAL_AWS_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIDLOCALSTACK",
  AWS_SECRET_ACCESS_KEY: "local-stack-secret",
} as const;

/** The headers of one DynamoDB JSON API call signed (with a placeholder signature) by the local admin key. */
export function localDynamoDbHeaders(operation: string): Record<string, string> {
  return {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": `DynamoDB_20120810.${operation}`,
    "x-amz-date": "20240101T000000Z",
    authorization: `AWS4-HMAC-SHA256 Credential=${LOCAL_AWS_CREDENTIALS.AWS_ACCESS_KEY_ID}/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
  };
}
