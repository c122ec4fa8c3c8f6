import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { unzipSync } from "fflate";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { healthCheckName, healthProbeKey, TABLE_NAMES, TABLES, tableNameVariable } from "../app/lambda-packages/shared/tables";
import { handlerEnv, loadHandler, startDynalite, type LocalDynamo } from "./support/dynalite";

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const SOURCE = join(__dirname, "..", "app", "lambda-packages", "health", "index.ts");
const event = { httpMethod: "GET", resource: "/health", path: "/health", headers: {} } as unknown as APIGatewayProxyEvent;
const context = { awsRequestId: "test-request-id" } as Context;
/** What a stack trace in a body would look like: "at fn (file.ts:1:2)" frames or file positions. */
const STACK_TRACE = /\bat .+\(|\.(ts|js):\d+/;

function loadSource(env: Record<string, string | undefined>): Handler {
  return loadHandler<{ handler: Handler }>(SOURCE, env).handler;
}

/** One entry per table of TABLES (app/lambda-packages/shared/tables.ts), keyed `<table>Table`. */
const everyCheck = (check: unknown) => Object.fromEntries(TABLE_NAMES.map((table) => [healthCheckName(table), check]));

async function invoke(handler: Handler): Promise<{ response: APIGatewayProxyResult; body: any }> {
  const response = await handler(event, context);
  return { response, body: JSON.parse(response.body) };
}

describe("health handler", () => {
  let db: LocalDynamo;
  let warn: jest.SpyInstance;

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db.close();
  });
  beforeEach(() => {
    warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
  });

  it("answers 200 with every table's check ok, the version and the security headers", async () => {
    const handler = loadSource(handlerEnv(db, { SERVICE_VERSION: "1.2.3" }));

    const { response, body } = await invoke(handler);

    expect(response.statusCode).toBe(200);
    expect(body).toEqual({ status: "ok", version: "1.2.3", checks: everyCheck({ status: "ok", latencyMs: expect.any(Number) }) });
    expect(Object.keys(body.checks)).toEqual(expect.arrayContaining(["usersTable", "sessionsTable"]));
    expect(response.headers).toEqual({
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
      "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it("sends one eventually consistent GetItem per table, on the probe key only (what the IAM policy allows)", async () => {
    const recorded: Array<{ target: string | undefined; body: unknown }> = [];
    const proxy = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        void (async () => {
          const body = Buffer.concat(chunks);
          recorded.push({ target: req.headers["x-amz-target"] as string | undefined, body: JSON.parse(body.toString()) });
          const upstream = await fetch(db.endpoint, {
            method: "POST",
            headers: req.headers as Record<string, string>,
            body,
          });
          res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "" });
          res.end(Buffer.from(await upstream.arrayBuffer()));
        })();
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const { port } = proxy.address() as { port: number };
    const handler = loadSource(handlerEnv(db, { SERVICE_VERSION: "1", AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}` }));

    const { response } = await invoke(handler);
    await new Promise<void>((resolve) => proxy.close(() => resolve()));

    expect(response.statusCode).toBe(200);
    const attributeValue = (value: string | number) => (typeof value === "number" ? { N: String(value) } : { S: value });
    expect(recorded).toHaveLength(TABLE_NAMES.length);
    expect(recorded).toEqual(
      expect.arrayContaining(
        TABLE_NAMES.map((table) => ({
          target: "DynamoDB_20120810.GetItem",
          body: {
            TableName: db.tables[table],
            Key: Object.fromEntries(Object.entries(healthProbeKey(TABLES[table])).map(([name, value]) => [name, attributeValue(value)])),
            ConsistentRead: false,
          },
        })),
      ),
    );
    expect(recorded).toEqual(
      expect.arrayContaining([
        { target: "DynamoDB_20120810.GetItem", body: { TableName: db.tables.users, Key: { pk: { S: "health#probe" } }, ConsistentRead: false } },
        {
          target: "DynamoDB_20120810.GetItem",
          body: { TableName: db.tables.sessions, Key: { tokenHash: { S: "health#probe" } }, ConsistentRead: false },
        },
      ]),
    );
  });

  it.each(TABLE_NAMES.map((table) => [healthCheckName(table), tableNameVariable(table)]))(
    "answers 503 naming %s when its table does not exist, the other checks ok",
    async (failing, variable) => {
      const handler = loadSource(handlerEnv(db, { SERVICE_VERSION: "1", [variable]: "no-such-table" }));

      const { response, body } = await invoke(handler);

      expect(response.statusCode).toBe(503);
      expect(body.status).toBe("error");
      expect(body.checks[failing]).toEqual({
        status: "error",
        latencyMs: expect.any(Number),
        error: "ResourceNotFoundException",
      });
      for (const healthy of TABLE_NAMES.map(healthCheckName).filter((check) => check !== failing)) {
        expect(body.checks[healthy]).toEqual({ status: "ok", latencyMs: expect.any(Number) });
      }
      expect(response.body).not.toMatch(STACK_TRACE);
      expect(response.body).not.toContain("no-such-table");
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ msg: "health check failed", check: failing, code: "ResourceNotFoundException" }));
    },
  );

  describe("when DynamoDB accepts requests but does not answer in time", () => {
    let slow: HttpServer;
    const pending: ServerResponse[] = [];

    beforeAll(async () => {
      slow = createHttpServer((_req, res) => pending.push(res));
      await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    });
    afterAll(async () => {
      // Answer the abandoned requests (an empty GetItem result) so the client neither retries nor outlives the test.
      for (const res of pending) res.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}");
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    });

    it("answers 503 with TimeoutError for every check within HEALTH_CHECK_TIMEOUT_MS", async () => {
      const { port } = slow.address() as { port: number };
      const handler = loadSource(
        handlerEnv(db, {
          SERVICE_VERSION: "1",
          AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
          HEALTH_CHECK_TIMEOUT_MS: "100",
        }),
      );

      const started = Date.now();
      const { response, body } = await invoke(handler);

      expect(Date.now() - started).toBeLessThan(1000);
      expect(response.statusCode).toBe(503);
      expect(body.checks).toEqual(everyCheck({ status: "error", latencyMs: expect.any(Number), error: "TimeoutError" }));
      expect(response.body).not.toMatch(STACK_TRACE);
    });
  });

  it.each([...TABLE_NAMES.map(tableNameVariable), "SERVICE_VERSION"])("fails the cold start when %s is missing", (variable) => {
    const env = { ...handlerEnv(db, { SERVICE_VERSION: "1" }), [variable]: undefined };

    expect(() => loadSource(env)).toThrow(`Missing required environment variable ${variable}`);
  });

  it("fails the cold start when HEALTH_CHECK_TIMEOUT_MS is not a valid number of milliseconds", () => {
    const env = handlerEnv(db, { SERVICE_VERSION: "1", HEALTH_CHECK_TIMEOUT_MS: "2s" });

    expect(() => loadSource(env)).toThrow('Environment variable HEALTH_CHECK_TIMEOUT_MS must be an integer in 50..10000, received "2s"');
  });

  it("derives the probe key of every key attribute: a string or a number no item has", () => {
    const table = { description: "", partitionKey: { name: "ownerId", type: "S" }, sortKey: { name: "at", type: "N" }, indexes: {} } as const;
    expect(healthProbeKey(table)).toEqual({ ownerId: "health#probe", at: -1 });
    expect(healthProbeKey(TABLES.users)).toEqual({ pk: "health#probe" });
  });

  describe("the built ZIP (dist/health.zip)", () => {
    let dir: string;

    beforeAll(() => {
      const { zipPath } = loadLambdaArtifact("health");
      dir = mkdtempSync(join(tmpdir(), "health-zip-"));
      for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zipPath)))) {
        writeFileSync(join(dir, name), bytes);
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("answers 200 against dynalite from its lambda-handler.js", async () => {
      const { handler } = loadHandler<{ handler: Handler }>(join(dir, "lambda-handler.js"), handlerEnv(db, { SERVICE_VERSION: "zip" }));

      const { response, body } = await invoke(handler);

      expect(response.statusCode).toBe(200);
      expect(body).toMatchObject({ status: "ok", version: "zip" });
    });

    it("answers 503 naming the missing table from its lambda-handler.js", async () => {
      const { handler } = loadHandler<{ handler: Handler }>(
        join(dir, "lambda-handler.js"),
        handlerEnv(db, { SERVICE_VERSION: "zip", SESSIONS_TABLE_NAME: "no-such-table" }),
      );

      const { response, body } = await invoke(handler);

      expect(response.statusCode).toBe(503);
      expect(body.checks.sessionsTable).toMatchObject({ status: "error", error: "ResourceNotFoundException" });
      expect(response.body).not.toMatch(STACK_TRACE);
    });
  });
});
