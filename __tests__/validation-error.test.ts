/**
 * A construct that refuses its props throws a ValidationError whose message starts with the construct's path,
 * so the one line `app/main.ts` prints says which construct of which stack is wrong.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, TerraformStack, TerraformVariable } from "cdktf";
import { ApiGatewayLoggingRole } from "../app/bootstrap/api-gateway-logging-role";
import { StateBucket } from "../app/bootstrap/state-bucket";
import { AppKey } from "../app/constructs/app-key";
import { NodeFunction, type FunctionSettings } from "../app/constructs/node-function";
import { PackageBucket } from "../app/constructs/package-bucket";
import { RegionalWaf } from "../app/constructs/regional-waf";
import { SecureTable, type SecureTableProps } from "../app/constructs/secure-table";
import { ValidationError } from "../app/constructs/validation-error";

const WAF_LOGGING = { kmsKeyArn: "k", retentionInDays: 30, accountId: "123456789012", region: "us-east-1" };

/** A stand-in for a built ZIP: NodeFunction's asset only needs the file to exist. */
const zipDir = mkdtempSync(join(tmpdir(), "validation-error-"));
const ZIP_PATH = join(zipDir, "health.zip");
writeFileSync(ZIP_PATH, "not a real zip");
afterAll(() => rmSync(zipDir, { recursive: true, force: true }));

const SETTINGS: FunctionSettings = {
  runtime: "nodejs22.x",
  architecture: "arm64",
  memorySize: 512,
  timeoutSeconds: 10,
  reservedConcurrency: null,
  logRetentionDays: 14,
  applicationLogLevel: "INFO",
  systemLogLevel: "INFO",
};

const TABLE: SecureTableProps = {
  tableName: "t-users",
  partitionKey: { name: "pk", type: "S" },
  kmsKeyArn: "arn:aws:kms:us-east-1:000000000000:key/k",
  deletionProtection: false,
  pointInTimeRecovery: false,
};

const cases: ReadonlyArray<{ construct: string; add: (stack: TerraformStack) => unknown; message: string }> = [
  {
    construct: "AppKey",
    add: (stack) =>
      new AppKey(stack, "app-key", {
        aliasName: "t-app",
        accountId: "000000000000",
        region: "us-east-1",
        alarmArnPattern: "*",
        deletionWindowInDays: 6,
      }),
    message: "stack/app-key: deletionWindowInDays must be 7..30, received 6",
  },
  {
    construct: "PackageBucket",
    add: (stack) => new PackageBucket(stack, "packages", { bucketName: "t-packages", kmsKeyArn: "k", noncurrentVersionRetentionDays: 0 }),
    message: "stack/packages: noncurrentVersionRetentionDays must be a positive integer, received 0",
  },
  {
    construct: "SecureTable (key types)",
    add: (stack) =>
      new SecureTable(stack, "users", {
        ...TABLE,
        globalSecondaryIndexes: [{ name: "byPk", partitionKey: { name: "pk", type: "N" } }],
      }),
    message: "stack/users: key attribute pk of t-users is both S and N",
  },
  {
    construct: "SecureTable (alarms)",
    add: (stack) =>
      new SecureTable(stack, "users", {
        ...TABLE,
        alarms: {
          topicArn: "arn:aws:sns:us-east-1:000000000000:t",
          periodSeconds: 300,
          evaluationPeriods: 1,
          throttledRequests: 1,
          systemErrors: 1,
          operations: [],
        },
      }),
    message: "stack/users: alarms.operations of t-users must name at least one operation, received none",
  },
  {
    construct: "RegionalWaf",
    add: (stack) => new RegionalWaf(stack, "waf", { name: "t-waf", resourceArn: "arn", rateLimitPer5Minutes: 9, logging: WAF_LOGGING }),
    message: "stack/waf: rateLimitPer5Minutes must be an integer >= 10, received 9",
  },
  {
    construct: "RegionalWaf (route limit)",
    add: (stack) =>
      new RegionalWaf(stack, "waf", {
        name: "t-waf",
        resourceArn: "arn",
        rateLimitPer5Minutes: 100,
        routeRateLimits: [{ name: "post-sessions", method: "POST", path: "/sessions", limitPer5Minutes: 5 }],
        logging: WAF_LOGGING,
      }),
    message: "stack/waf: the rate limit of POST /sessions must be an integer >= 10, received 5",
  },
  {
    construct: "NodeFunction (memory)",
    add: (stack) => nodeFunction(stack, { settings: { ...SETTINGS, memorySize: 64 } }),
    message: "stack/health: memorySize must be 128..10240 MB, received 64",
  },
  {
    construct: "NodeFunction (name)",
    add: (stack) => nodeFunction(stack, { functionName: "f".repeat(65) }),
    message: `stack/health: functionName must be at most 64 characters, received "${"f".repeat(65)}"`,
  },
  {
    construct: "ApiGatewayLoggingRole",
    add: (stack) => new ApiGatewayLoggingRole(stack, "logging-role", { roleName: "r".repeat(65) }),
    message: `stack/logging-role: roleName must be at most 64 characters, received "${"r".repeat(65)}"`,
  },
  {
    construct: "StateBucket (retention)",
    add: (stack) => new StateBucket(stack, "state", { bucketName: "t-state", noncurrentVersionRetentionDays: 1.5 }),
    message: "stack/state: noncurrentVersionRetentionDays must be a positive integer, received 1.5",
  },
  {
    construct: "StateBucket (versions kept)",
    add: (stack) => new StateBucket(stack, "state", { bucketName: "t-state", keepNoncurrentVersions: 101 }),
    message: "stack/state: keepNoncurrentVersions must be an integer 1..100 (S3's limit), received 101",
  },
];

function nodeFunction(stack: TerraformStack, override: { settings?: FunctionSettings; functionName?: string }): NodeFunction {
  return new NodeFunction(stack, "health", {
    functionName: override.functionName ?? "t-health",
    description: "health",
    artifact: { name: "health", zipPath: ZIP_PATH, sha256Hex: "0".repeat(64), sha256Base64: "A".repeat(44), s3Key: "health/0.zip", sizeBytes: 1 },
    packageBucket: "t-packages",
    settings: override.settings ?? SETTINGS,
    kmsKeyArn: "arn:aws:kms:us-east-1:000000000000:key/k",
    accountId: "000000000000",
    region: "us-east-1",
    environment: {},
  });
}

describe("a construct that refuses its props", () => {
  test.each(cases)("$construct throws a ValidationError naming its path, the prop and the value", ({ add, message }) => {
    const newStack = () => new TerraformStack(new App({ outdir: "/nonexistent-never-synthesized" }), "stack");
    expect(() => add(newStack())).toThrow(ValidationError);
    // An error object: the message must be equal, not merely contained.
    expect(() => add(newStack())).toThrow(new Error(message));
  });

  test("does not check a value that is a token, known only at apply time", () => {
    const stack = new TerraformStack(new App({ outdir: "/nonexistent-never-synthesized" }), "stack");
    const number = (id: string) => new TerraformVariable(stack, id, { type: "number" }).numberValue;
    const string = (id: string) => new TerraformVariable(stack, id, { type: "string" }).stringValue;
    expect(() => {
      new AppKey(stack, "app-key", {
        aliasName: "t-app",
        accountId: "000000000000",
        region: "us-east-1",
        alarmArnPattern: "*",
        deletionWindowInDays: number("window"),
      });
      new PackageBucket(stack, "packages", { bucketName: "t-packages", kmsKeyArn: "k", noncurrentVersionRetentionDays: number("retention") });
      new RegionalWaf(stack, "waf", { name: "t-waf", resourceArn: "arn", rateLimitPer5Minutes: number("rate"), logging: WAF_LOGGING });
      nodeFunction(stack, { settings: { ...SETTINGS, memorySize: number("memory") }, functionName: string("name") });
      new ApiGatewayLoggingRole(stack, "logging-role", { roleName: string("role") });
      new StateBucket(stack, "state", {
        bucketName: "t-state",
        noncurrentVersionRetentionDays: number("kept-days"),
        keepNoncurrentVersions: number("kept"),
      });
    }).not.toThrow();
  });
});
