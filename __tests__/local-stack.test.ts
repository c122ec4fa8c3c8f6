/**
 * startLocalStack() as a whole: what it starts from the synthesized stacks, its outputs, persistence of the
 * tables across restarts, `fresh`, and a table whose keys changed.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dynamoDbCall, startDynamoDb, type TableDefinition } from "../tools/local/dynamodb";
import { TABLE_NAMES } from "../app/lambda-packages/shared/tables";
import { startLocalStack, type LocalStack } from "../tools/local/stack";

const PASSWORD = "correct horse battery staple";

describe("startLocalStack", () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "local-stack-"));
  });

  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const start = (fresh = false) => startLocalStack({ environment: "dev", dataDir, fresh, buildPackages: false });
  const post = (stack: LocalStack, path: string, body: unknown) =>
    fetch(`${stack.baseUrl}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  test("serves the stage, lists its routes and writes outputs shaped like cdktf output's", async () => {
    const stack = await start();
    try {
      expect(stack.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dev$/);
      expect(stack.tables).toEqual(Object.fromEntries(TABLE_NAMES.map((table) => [table, `dev-service-${table}`])));
      expect(stack.tables).toMatchObject({ users: "dev-service-users", sessions: "dev-service-sessions" });
      expect(stack.routes).toContainEqual({
        method: "GET",
        path: "/users/me",
        auth: "authorizer dev-service-authorizer",
        target: "dev-service-users",
      });
      expect(stack.routes).toContainEqual({ method: "OPTIONS", path: "/users/me", auth: "none", target: "(MOCK)" });
      const written = JSON.parse(readFileSync(join(dataDir, "dev", "outputs.json"), "utf8"));
      expect(written).toEqual(stack.outputs);
      expect(written).toMatchObject({
        "data-stack": { users_table_name: "dev-service-users", sessions_table_name: "dev-service-sessions" },
        "api-stack": { api_invoke_url: stack.baseUrl, api_stage_name: "dev" },
        "local-stack": { dynamodb_endpoint: stack.dynamoDbEndpoint, region: "us-east-1" },
      });
      expect((await fetch(`${stack.baseUrl}/health`)).status).toBe(200);
      expect(stack.invocations()["dev-service-health"]).toBe(1);
    } finally {
      await stack.stop();
    }
  });

  test("keeps the tables' data across a restart on the same folder, and a fresh start begins empty", async () => {
    const first = await start();
    try {
      expect((await post(first, "/users", { email: "kept@example.com", password: PASSWORD, name: "Kept" })).status).toBe(201);
    } finally {
      await first.stop();
    }

    const restarted = await start();
    try {
      expect((await post(restarted, "/sessions", { email: "kept@example.com", password: PASSWORD })).status).toBe(201);
    } finally {
      await restarted.stop();
    }

    const fresh = await start(true);
    try {
      expect((await post(fresh, "/sessions", { email: "kept@example.com", password: PASSWORD })).status).toBe(401);
    } finally {
      await fresh.stop();
    }
  }, 60_000);
});

describe("startDynamoDb", () => {
  const table = (partitionKey: string): TableDefinition => ({
    TableName: "things",
    AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: "S" }],
    KeySchema: [{ AttributeName: partitionKey, KeyType: "HASH" }],
    BillingMode: "PAY_PER_REQUEST",
  });

  test("keeps an existing table and refuses one whose keys changed, saying to start fresh", async () => {
    const path = mkdtempSync(join(tmpdir(), "local-dynamodb-"));
    try {
      const first = await startDynamoDb([table("id")], { path });
      try {
        await dynamoDbCall(first.endpoint, "PutItem", { TableName: "things", Item: { id: { S: "a" } } });
      } finally {
        await first.close();
      }

      const same = await startDynamoDb([table("id")], { path });
      let item: unknown;
      try {
        ({ Item: item } = await dynamoDbCall<{ Item?: unknown }>(same.endpoint, "GetItem", { TableName: "things", Key: { id: { S: "a" } } }));
      } finally {
        await same.close();
      }
      expect(item).toEqual({ id: { S: "a" } });

      await expect(startDynamoDb([table("pk")], { path })).rejects.toThrow(
        `Local table things in ${path} has keys [id:HASH], but the synthesized table has [pk:HASH]. Start with --fresh to recreate the local tables (this deletes their data).`,
      );
    } finally {
      rmSync(path, { recursive: true, force: true });
    }
  });
});
