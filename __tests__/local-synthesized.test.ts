/**
 * How the local stack reads the synthesized app (tools/local/synthesized.ts): references resolved within a stack
 * and across stacks, deterministic local values for attributes known only after apply, and the tables and
 * functions it derives from the JSON.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableDefinitions } from "../tools/local/dynamodb";
import { functionDefinitions } from "../tools/local/functions";
import { functionOfInvokeArn } from "../tools/local/rest-api";
import { packageAndSynthesize } from "../tools/local/package-and-synthesize";
import { SynthesizedApp } from "../tools/local/synthesized";
import { FAKE_ACCOUNT_ID } from "../tools/lib/fake-arns";
import { version } from "../package.json";

describe("SynthesizedApp", () => {
  let dir: string;
  let app: SynthesizedApp;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "local-synthesized-"));
    await packageAndSynthesize({ environment: "dev", outdir: join(dir, "out"), stateDir: join(dir, "state"), buildPackages: false });
    app = new SynthesizedApp(join(dir, "out"), { invokeUrl: (stage) => `http://127.0.0.1:4000/${stage}` });
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const computeStack = () => app.stacks.get("compute-stack")!;

  test("resolves a cross-stack reference through the producing stack's output to the table's name", () => {
    const reference =
      "${data.terraform_remote_state.cross-stack-reference-input-data-stack.outputs.cross-stack-output-aws_dynamodb_tableusers_table_9E85B616name}";

    expect(app.resolve(computeStack(), reference)).toBe("dev-service-users");
  });

  test("resolves an interpolation inside a string, with the fake account for the caller identity", () => {
    const [bucket] = app.resources("aws_s3_bucket");

    expect(app.argument(bucket, "bucket")).toBe(`dev-service-lambda-pkgs-${FAKE_ACCOUNT_ID}-us-east-1`);
  });

  test("gives computed attributes deterministic local values: ARNs, invoke ARNs and the stage URL", () => {
    const [users] = app.resources("aws_lambda_function").filter((f) => f.config.function_name === "dev-service-users");
    const invokeArn = String(app.resolve(users.stack, `\${aws_lambda_function.${users.name}.invoke_arn}`));

    expect(invokeArn).toBe(
      `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:${FAKE_ACCOUNT_ID}:function:dev-service-users/invocations`,
    );
    expect(functionOfInvokeArn(invokeArn)).toBe("dev-service-users");
    expect(app.output("api-stack", "api_invoke_url")).toBe("http://127.0.0.1:4000/dev");
  });

  test("refuses an expression that is not a reference, naming it", () => {
    expect(() => app.resolve(computeStack(), "${sha1(jsonencode([1]))}")).toThrow(
      "Cannot resolve ${sha1(jsonencode([1]))} locally: only references are supported, not expressions",
    );
  });

  test("derives each function's environment from the synthesized variables, cross-stack references resolved", () => {
    const byName = Object.fromEntries(functionDefinitions(app).map((f) => [f.name, f]));
    const common = { ALLOWED_ORIGINS: "http://localhost:3000", METRICS_NAMESPACE: "dev-service", SERVICE_VERSION: version };
    const tables = { USERS_TABLE_NAME: "dev-service-users", SESSIONS_TABLE_NAME: "dev-service-sessions" };

    const idle = { SESSION_IDLE_TIMEOUT_SECONDS: "7200" };
    expect(byName["dev-service-users"].environment).toEqual({ ...common, ...tables, ...idle });
    expect(byName["dev-service-sessions"].environment).toEqual({
      ...common,
      ...tables,
      ...idle,
      SESSION_TTL_SECONDS: "28800",
      MAX_SESSIONS_PER_USER: "10",
    });
    expect(byName["dev-service-authorizer"].environment).toEqual({ ...common, ...idle, SESSIONS_TABLE_NAME: "dev-service-sessions" });
    expect(byName["dev-service-health"]).toMatchObject({
      handler: "lambda-handler.handler",
      timeoutSeconds: 10,
      memorySize: 512,
      logFormat: "JSON",
      applicationLogLevel: "DEBUG",
    });
    expect(byName["dev-service-health"].zipPath).toMatch(/[/\\]compute-stack[/\\]assets[/\\].*[/\\]health\.zip$/);
  });

  test("serves a function the ZIP of the package object it runs, and refuses one pinned to an earlier version it does not have", () => {
    const compute = computeStack();
    const [health] = app.resources("aws_lambda_function").filter((f) => f.config.function_name === "dev-service-health");
    const object = app.resources("aws_s3_object").find((o) => `\${aws_s3_object.${o.name}.version_id}` === health.config.s3_object_version);
    expect(object).toBeDefined();
    const definition = functionDefinitions(app).find((f) => f.name === "dev-service-health")!;
    expect(definition.zipPath).toBe(join(compute.dir, String(object!.config.source)));

    const json = structuredClone(compute.json);
    json.resource!.aws_lambda_function[health.name].s3_object_version = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
    expect(() => functionDefinitions(app.withStackJson("compute-stack", json))).toThrow(
      /^Function dev-service-health is pinned to version 3HL4kq\S+ of s3:\/\/dev-service-lambda-pkgs-\d+-us-east-1\/health\/lambda\.zip \(lambda\.functions\.<fn>\.packageVersionId in the config\); the local run has only the build in this checkout/,
    );
  });

  test("derives the tables' keys and indexes from the synthesized aws_dynamodb_table resources", () => {
    const sessions = tableDefinitions(app).find((t) => t.TableName === "dev-service-sessions");

    expect(sessions).toEqual({
      TableName: "dev-service-sessions",
      AttributeDefinitions: [
        { AttributeName: "tokenHash", AttributeType: "S" },
        { AttributeName: "userId", AttributeType: "S" },
        { AttributeName: "createdAt", AttributeType: "N" },
      ],
      KeySchema: [{ AttributeName: "tokenHash", KeyType: "HASH" }],
      GlobalSecondaryIndexes: [
        {
          IndexName: "byUserId",
          KeySchema: [
            { AttributeName: "userId", KeyType: "HASH" },
            { AttributeName: "createdAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "KEYS_ONLY" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
    });
  });
});
