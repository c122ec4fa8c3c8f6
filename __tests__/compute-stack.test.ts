import { loadConfig } from "../config/load";
import { functionSettings } from "../stacks/compute-stack";
import { loadLambdaArtifact } from "../lambda-packages/artifacts";
import { statementsOf } from "./support/policies";
import { resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";

let prod: SynthResult;
let compute: TerraformJson;

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
  compute = prod.json["compute-stack"];
});
afterAll(() => prod.cleanup());

/** `${data.terraform_remote_state...}` reference to a data-stack output about `resource` and `attribute`. */
const fromDataStack = (resource: string, attribute: string) =>
  expect.stringMatching(
    new RegExp(
      `^\\$\\{data\\.terraform_remote_state\\.cross-stack-reference-input-data-stack\\.outputs\\.cross-stack-output-${resource}(_[0-9A-F]{8})?${attribute}\\}$`,
    ),
  );

const byName = (type: string, attribute: string, value: string) => {
  const found = resources(compute, type).find((r) => r.config[attribute] === value);
  expect(found).toBeDefined();
  return found!;
};

describe("ComputeStack", () => {
  describe("health function", () => {
    const fn = () => byName("aws_lambda_function", "function_name", "prod-service-health").config as Record<string, any>;

    test("runs lambda-handler.handler on nodejs22.x arm64 with memory and timeout from config", () => {
      expect(fn()).toMatchObject({
        handler: "lambda-handler.handler",
        runtime: "nodejs22.x",
        architectures: ["arm64"],
        memory_size: 256,
        timeout: 5,
      });
    });

    test("gets the table names from data-stack through cross-stack references", () => {
      expect(fn().environment.variables).toEqual({
        USERS_TABLE_NAME: fromDataStack("aws_dynamodb_tableusers_table", "name"),
        SESSIONS_TABLE_NAME: fromDataStack("aws_dynamodb_tablesessions_table", "name"),
        SERVICE_VERSION: "0.1.0",
        ALLOWED_ORIGINS: "",
      });
    });

    test("traces with X-Ray and logs JSON at the configured levels into its own log group", () => {
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      expect(fn().tracing_config).toEqual({ mode: "Active" });
      expect(fn().logging_config).toEqual({
        log_format: "JSON",
        application_log_level: "INFO",
        system_log_level: "WARN",
        log_group: `\${aws_cloudwatch_log_group.${logGroup.id}.name}`,
      });
    });

    test("deploys the static ZIP from the package bucket under a content-addressed key", () => {
      const artifact = loadLambdaArtifact("health");
      const [object] = resources(compute, "aws_s3_object");
      expect(object.config).toMatchObject({
        bucket: fromDataStack("aws_s3_bucketpackages_bucket", "bucket"),
        key: `health/${artifact.sha256Hex}.zip`,
        source: expect.stringMatching(/^assets\/.+\/health\.zip$/),
      });
      expect(fn()).toMatchObject({
        s3_bucket: `\${aws_s3_object.${object.id}.bucket}`,
        s3_key: `\${aws_s3_object.${object.id}.key}`,
        s3_object_version: `\${aws_s3_object.${object.id}.version_id}`,
        source_code_hash: artifact.sha256Base64,
      });
    });

    test("is created after its log group and its policy", () => {
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      const policy = byName("aws_iam_role_policy", "name", "prod-service-health-access");
      expect(fn().depends_on).toEqual([
        `aws_cloudwatch_log_group.${logGroup.id}`,
        `aws_iam_role_policy.${policy.id}`,
      ]);
    });

    test("has a log group with the configured retention, encrypted with the app key", () => {
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      expect(logGroup.config).toMatchObject({
        retention_in_days: 90,
        kms_key_id: fromDataStack("aws_kms_keyapp-key", "arn"),
      });
    });

    test("has a role only Lambda of this account can assume", () => {
      const role = byName("aws_iam_role", "name", "prod-service-health-role");
      expect(statementsOf(compute, role.config.assume_role_policy)).toEqual([
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          condition: [
            {
              test: "StringEquals",
              variable: "aws:SourceAccount",
              values: [fromDataStack("dataaws_caller_identitycaller", "account_id")],
            },
          ],
        },
      ]);
    });

    test("may read only the health probe keys, use the key through DynamoDB, write its own logs and traces", () => {
      const policy = byName("aws_iam_role_policy", "name", "prod-service-health-access");
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      const probe = (table: string) => ({
        actions: ["dynamodb:GetItem"],
        resources: [fromDataStack(`aws_dynamodb_table${table}_table`, "arn")],
        condition: [{ test: "ForAllValues:StringEquals", variable: "dynamodb:LeadingKeys", values: ["health#probe"] }],
      });
      expect(statementsOf(compute, policy.config.policy)).toEqual([
        { sid: "ProbeUsersTable", ...probe("users") },
        { sid: "ProbeSessionsTable", ...probe("sessions") },
        {
          sid: "UseAppKeyThroughDynamoDb",
          actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
          resources: [fromDataStack("aws_kms_keyapp-key", "arn")],
          condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["dynamodb.us-east-1.amazonaws.com"] }],
        },
        {
          sid: "WriteOwnLogs",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`\${aws_cloudwatch_log_group.${logGroup.id}.arn}:*`],
        },
        { sid: "SendTraces", actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] },
      ]);
    });

    test("never grants logs:CreateLogGroup (the log group exists before the function)", () => {
      const actions = resources(compute, "aws_iam_role_policy").flatMap((p) =>
        statementsOf(compute, p.config.policy).flatMap((s) => s.actions ?? []),
      );
      expect(actions).not.toContain("logs:CreateLogGroup");
    });
  });

  describe("function settings", () => {
    test("apply the function's overrides on top of the Lambda defaults", () => {
      const lambda = loadConfig({ environment: "prod" }).lambda;
      expect(functionSettings(lambda, "health")).toMatchObject({ memorySize: 256, timeoutSeconds: 5, runtime: "nodejs22.x" });
      expect(functionSettings(lambda, "users")).toMatchObject({ memorySize: 512, timeoutSeconds: 10 });
    });

    test("reserved concurrency from config reaches the function", () => {
      const config = loadConfig({ environment: "dev" });
      const synth = synthStacks({
        config: { ...config, lambda: { ...config.lambda, functions: { health: { reservedConcurrency: 5 } } } },
      });
      try {
        const [fn] = resources(synth.json["compute-stack"], "aws_lambda_function");
        expect(fn.config.reserved_concurrent_executions).toBe(5);
      } finally {
        synth.cleanup();
      }
    });

    test("a function without reserved concurrency stays on the unreserved pool", () => {
      const [fn] = resources(compute, "aws_lambda_function");
      expect(fn.config.reserved_concurrent_executions).toBeUndefined();
    });
  });

  describe("outputs", () => {
    test.each(["health_function_name", "health_log_group_name"])("%s has a description", (name) => {
      expect(compute.output?.[name]?.description).toEqual(expect.any(String));
    });
  });
});
