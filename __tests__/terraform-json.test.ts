/**
 * The tooling's one model of the synthesized JSON (tools/lib/terraform-json.ts): reading a synth's output, parsing
 * references, following them across stacks through remote state, and evaluating them with each FakeArns strategy.
 * On a small hand-written two-stack app, so each case shows the JSON it starts from.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FAKE_ACCOUNT_ID, FakeArns, OPAQUE, type ArnStrategy } from "../tools/lib/fake-arns";
import { parseReference, readSynthesized, TerraformApp, type TerraformJson } from "../tools/lib/terraform-json";

const REMOTE = "data.terraform_remote_state.cross-stack-reference-input-data";

const JSON_OF_APP: Record<string, TerraformJson> = {
  data: {
    provider: { aws: [{ region: "eu-west-1" }] },
    data: { aws_caller_identity: { caller: {} } },
    resource: {
      aws_dynamodb_table: { users: { name: "app-users" } },
      aws_kms_key: { key: { description: "app key" } },
      aws_s3_bucket: { packages: { bucket: "app-pkgs-${data.aws_caller_identity.caller.account_id}" } },
      aws_wafv2_web_acl: { acl: { name: "app-acl" } },
    },
    output: {
      "cross-stack-output-users-arn": { value: "${aws_dynamodb_table.users.arn}" },
      "cross-stack-output-users-name": { value: "${aws_dynamodb_table.users.name}" },
      "cross-stack-output-key-arn": { value: "${aws_kms_key.key.arn}" },
      "cross-stack-output-bucket": { value: "${aws_s3_bucket.packages.bucket}" },
    },
  },
  compute: {
    provider: { aws: [{ region: "eu-west-1" }] },
    data: {
      terraform_remote_state: { "cross-stack-reference-input-data": { backend: "local", config: { path: "/state/terraform.data.tfstate" } } },
      aws_region: { current: {} },
    },
    resource: {
      aws_lambda_function: {
        users: {
          function_name: "app-users",
          environment: [{ variables: { TABLE: `\${${REMOTE}.outputs.cross-stack-output-users-name}` } }],
        },
      },
      aws_api_gateway_rest_api: { api: { name: "app-api" } },
      aws_iam_role_policy: {
        users: { policy: `\${${REMOTE}.outputs.cross-stack-output-users-arn}/index/byOwner` },
      },
    },
  },
};

const app = new TerraformApp(JSON_OF_APP, ["data", "compute"]);
const evaluate = (strategy: ArnStrategy, value: unknown, stack = "compute") => app.evaluate(stack, value, { arns: new FakeArns(strategy) });

describe("parseReference", () => {
  test("reads a resource reference, a data source and a remote-state output, and nothing else", () => {
    expect(parseReference("aws_dynamodb_table.users.arn")).toMatchObject({ address: "aws_dynamodb_table.users", attribute: "arn" });
    expect(parseReference(`${REMOTE}.outputs.cross-stack-output-users-arn`)).toMatchObject({
      address: REMOTE,
      attribute: "outputs",
      output: "cross-stack-output-users-arn",
    });
    expect(parseReference("sha1(jsonencode([1]))")).toBeUndefined();
  });
});

describe("TerraformApp.evaluate", () => {
  test("follows a cross-stack reference through the producer's output, keeping the text around it", () => {
    expect(evaluate("deterministic", app.json.compute.resource!.aws_iam_role_policy.users.policy)).toBe(
      `arn:aws:dynamodb:eu-west-1:${FAKE_ACCOUNT_ID}:table/app-users/index/byOwner`,
    );
    expect(evaluate("deterministic", app.json.compute.resource!.aws_lambda_function.users.environment)).toEqual([
      { variables: { TABLE: "app-users" } },
    ]);
  });

  test("finds the producer by the state file's name when the data source's name does not say it", () => {
    const renamed: Record<string, TerraformJson> = {
      ...JSON_OF_APP,
      compute: {
        data: { terraform_remote_state: { upstream: { backend: "local", config: { path: "/state/terraform.data.tfstate" } } } },
        resource: { aws_lambda_function: { f: { function_name: "${data.terraform_remote_state.upstream.outputs.cross-stack-output-users-name}" } } },
      },
    };
    const other = new TerraformApp(renamed, ["data", "compute"]);

    expect(other.evaluate("compute", "${aws_lambda_function.f.function_name}", { arns: new FakeArns("deterministic") })).toBe("app-users");
  });

  test("fills in the fake account for the caller identity and the provider's region for aws_region", () => {
    expect(evaluate("deterministic", "${aws_s3_bucket.packages.bucket}", "data")).toBe(`app-pkgs-${FAKE_ACCOUNT_ID}`);
    expect(evaluate("deterministic", "${data.aws_region.current.name}")).toBe("eu-west-1");
  });

  test("makes up what only AWS knows: the same deterministic values on every run, distinct per resource", () => {
    const api = (attribute: string) => evaluate("deterministic", `\${aws_api_gateway_rest_api.api.${attribute}}`);

    expect(api("id")).toMatch(/^[0-9a-f]{10}$/);
    expect(api("root_resource_id")).toMatch(/^[0-9a-f]{10}$/);
    expect(api("root_resource_id")).not.toBe(api("id"));
    expect(api("execution_arn")).toBe(`arn:aws:execute-api:eu-west-1:${FAKE_ACCOUNT_ID}:${String(api("id"))}`);
    expect(evaluate("deterministic", "${aws_lambda_function.users.invoke_arn}")).toBe(
      `arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:${FAKE_ACCOUNT_ID}:function:app-users/invocations`,
    );
    expect(evaluate("deterministic", "${aws_kms_key.key.arn}", "data")).toBe(evaluate("deterministic", "${aws_kms_key.key.arn}", "data"));
  });

  test.each([
    ["deterministic", /^arn:aws:kms:eu-west-1:123456789012:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/],
    ["opaque", new RegExp(`^arn:aws:kms:eu-west-1:123456789012:key/${OPAQUE}$`)],
    ["plausible", /^arn:aws:kms:eu-west-1:123456789012:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/],
  ] as const)("a KMS key's id under the %s strategy, followed across stacks", (strategy, expected) => {
    const remoteKey = `\${${REMOTE}.outputs.cross-stack-output-key-arn}`;

    expect(evaluate(strategy, remoteKey)).toMatch(expected);
  });

  test.each([
    ["deterministic", `arn:aws:wafv2:eu-west-1:${FAKE_ACCOUNT_ID}:web-acl/app-acl`],
    ["opaque", OPAQUE],
    ["plausible", `arn:aws:wafv2:eu-west-1:${FAKE_ACCOUNT_ID}:web-acl/app-acl`],
  ] as const)("the ARN of a type without a known format under the %s strategy", (strategy, expected) => {
    expect(evaluate(strategy, "${aws_wafv2_web_acl.acl.arn}", "data")).toBe(expected);
  });

  test.each([
    ["opaque", `x-${OPAQUE}`],
    ["plausible", "x-stub"],
  ] as const)("an expression that is no reference becomes what the %s strategy makes up", (strategy, expected) => {
    expect(evaluate(strategy, "x-${sha1(jsonencode([1]))}")).toBe(expected);
  });

  test.each([
    ["${sha1(jsonencode([1]))}", "Cannot resolve ${sha1(jsonencode([1]))} in stack compute: only references are supported, not expressions"],
    [
      "${aws_lambda_function.missing.arn}",
      "Cannot resolve ${aws_lambda_function.missing.arn} in stack compute: it refers to a resource that does not exist",
    ],
    [
      `\${${REMOTE}.outputs.cross-stack-output-nope}`,
      `Cannot resolve \${${REMOTE}.outputs.cross-stack-output-nope} in stack compute: no stack it reads has an output "cross-stack-output-nope"`,
    ],
    [
      "${aws_lambda_function.users.qualified_arn}",
      "Cannot resolve ${aws_lambda_function.users.qualified_arn} in stack compute: aws_lambda_function.users.qualified_arn is only known after apply and not emulated",
    ],
    [
      "${data.aws_availability_zones.all.names}",
      "Cannot resolve ${data.aws_availability_zones.all.names} in stack compute: data source aws_availability_zones is not emulated",
    ],
  ])("under the deterministic strategy, %s is an error saying what and where", (expression, message) => {
    expect(() => evaluate("deterministic", expression)).toThrow(message);
  });

  test("a caller's hooks take precedence: its own attributes, data sources and handling of what cannot be evaluated", () => {
    const value = app.evaluate("compute", ["${aws_lambda_function.users.version}", "${data.aws_region.current.id}", "${nope()}"], {
      arns: new FakeArns("deterministic"),
      computed: (block, attribute) => (attribute === "version" ? `${block.name}-v1` : undefined),
      dataSource: (block, attribute) => `${block.type}/${attribute}`,
      unresolved: (expression, stack, why) => `<${expression} in ${stack}: ${why}>`,
    });

    expect(value).toEqual(["users-v1", "aws_region/id", "<nope() in compute: only references are supported, not expressions>"]);
  });
});

describe("TerraformApp.resolve", () => {
  test("follows a remote-state read to the producer's block and says what crossed", () => {
    const [ref] = app.references("compute", app.json.compute.resource!.aws_iam_role_policy.users.policy);

    expect(app.resolve("compute", ref)).toMatchObject({
      block: { stack: "data", address: "aws_dynamodb_table.users" },
      attribute: "arn",
      suffix: "/index/byOwner",
      crossStack: { consumer: "compute", producer: "data", output: "cross-stack-output-users-arn" },
    });
  });
});

describe("readSynthesized", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "terraform-json-"));
    mkdirSync(join(dir, "stacks", "one"), { recursive: true });
    writeFileSync(join(dir, "stacks", "one", "cdk.tf.json"), JSON.stringify({ resource: { aws_s3_bucket: { b: { bucket: "b" } } } }));
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify({ stacks: { one: { workingDirectory: "stacks/one", synthesizedStackPath: "stacks/one/cdk.tf.json" } } }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads every stack the manifest lists, with its folder", () => {
    expect(readSynthesized(dir)).toEqual({
      stackIds: ["one"],
      json: { one: { resource: { aws_s3_bucket: { b: { bucket: "b" } } } } },
      stackDirs: { one: join(dir, "stacks", "one") },
    });
  });

  test("names the stacks there are when asked for one the manifest does not list", () => {
    expect(() => readSynthesized(dir, ["two"])).toThrow(`No stack "two" in ${join(dir, "manifest.json")}; stacks: one`);
  });
});
