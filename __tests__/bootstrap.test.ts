/**
 * The bootstrap app (app/bootstrap/), run once per account and region before the first deploy: API Gateway's
 * account-level CloudWatch role (with any backend) and, for an S3 backend, the state bucket. What each stack is
 * made of, that Terraform accepts and plans each offline, and that the bucket is the one the app's S3 backend uses.
 * The Terraform part needs Terraform on PATH and TF_PROVIDER_MIRROR (see __tests__/terraform.test.ts).
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { loadConfig } from "../app/config/load";
import { AppConfig, AppConfigSchema } from "../app/config/schema";
import { addBootstrapStacks } from "../app/bootstrap";
import { API_GATEWAY_ACCOUNT_STACK_ID } from "../app/bootstrap/api-gateway-account-stack";
import { addStateBucketStack, STATE_BUCKET_STACK_ID, stateKeyPrefix } from "../app/bootstrap/state-stack";
import { statementsOf } from "./support/policies";
import { dataSources, resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";
import {
  checkStacks,
  diagnosticLines,
  expectPlanCreatesExactlyTheDeclared,
  outcome,
  prepareTerraform,
  StackCheck,
  TerraformContext,
} from "../tools/terraform/harness";
import { tempDirsOfThisFile } from "./support/temp-dirs";

/** An S3 backend in another region than the app (us-east-1), so the test sees which region the bootstrap uses. */
const S3_BACKEND = { type: "s3", bucket: "prod-service-tfstate-123456789012", keyPrefix: "prod-service/", region: "us-east-2" } as const;

/** The prod config with the backend above, validated like a config file would be. */
const s3Config: AppConfig = AppConfigSchema.parse({ ...loadConfig({ environment: "prod" }), backend: S3_BACKEND });

interface BootstrapSynth {
  readonly json: TerraformJson;
  readonly dir: string;
  readonly stateDir: string;
}

const tempDirOfThisFile = tempDirsOfThisFile();
const tempDir = (label: string) => tempDirOfThisFile(`bootstrap-${label}-`);

function synthBootstrap(config: AppConfig): BootstrapSynth {
  const outdir = tempDir("out");
  const stateDir = tempDir("state");
  const app = new App({ outdir, stackTraces: false });
  addStateBucketStack(app, { config, stateDir });
  app.synth();
  const dir = join(outdir, "stacks", STATE_BUCKET_STACK_ID);
  return { json: JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as TerraformJson, dir, stateDir };
}

/** Every stack the bootstrap app synthesizes for `config`, as `app/bootstrap/main.ts` adds them. */
function synthBootstrapApp(
  config: AppConfig,
  stateDir = tempDir("state"),
): { stackIds: string[]; json: Record<string, TerraformJson>; dir: (id: string) => string; stateDir: string } {
  const outdir = tempDir("app-out");
  const app = new App({ outdir, stackTraces: false });
  addBootstrapStacks(app, { config, stateDir });
  app.synth();
  const stackIds = readdirSync(join(outdir, "stacks")).sort();
  const dir = (id: string) => join(outdir, "stacks", id);
  const json = Object.fromEntries(stackIds.map((id) => [id, JSON.parse(readFileSync(join(dir(id), "cdk.tf.json"), "utf8")) as TerraformJson]));
  return { stackIds, json, dir, stateDir };
}

let bootstrap: BootstrapSynth;
let appSynth: SynthResult;
let terraform: TerraformContext | undefined;
let check: StackCheck | undefined;
let accountCheck: StackCheck | undefined;
let localBootstrap: ReturnType<typeof synthBootstrapApp>;

beforeAll(async () => {
  bootstrap = synthBootstrap(s3Config);
  appSynth = synthStacks({ config: s3Config });
  localBootstrap = synthBootstrapApp(loadConfig({ environment: "dev" }));
  terraform = prepareTerraform();
  const ctx = terraform;
  [check, accountCheck] = await checkStacks(ctx, [
    { stackId: STATE_BUCKET_STACK_ID, dir: bootstrap.dir },
    { stackId: API_GATEWAY_ACCOUNT_STACK_ID, dir: localBootstrap.dir(API_GATEWAY_ACCOUNT_STACK_ID) },
  ]);
}, 5 * 60_000);

afterAll(() => {
  appSynth?.cleanup();
  terraform?.cleanup();
});

const only = (type: string) => {
  const found = resources(bootstrap.json, type);
  expect(found.map((r) => r.id)).toHaveLength(1);
  return found[0].config as Record<string, any>;
};
const bucketRef = () => `\${aws_s3_bucket.${resources(bootstrap.json, "aws_s3_bucket")[0].id}.id}`;
const address = (type: string) => `${type}.${resources(bootstrap.json, type)[0].id}`;

describe("bootstrap state bucket", () => {
  test("is named and placed by the config's backend section", () => {
    expect(only("aws_s3_bucket")).toMatchObject({ bucket: "prod-service-tfstate-123456789012", force_destroy: false });
    expect((bootstrap.json.provider as any).aws).toEqual([
      { region: "us-east-2", default_tags: [{ tags: { ...s3Config.tags, Stack: "state-bucket" } }] },
    ]);
  });

  test("cannot be destroyed by Terraform (prevent_destroy)", () => {
    expect(only("aws_s3_bucket").lifecycle).toEqual({ prevent_destroy: true });
  });

  test("is versioned", () => {
    expect(only("aws_s3_bucket_versioning")).toMatchObject({ bucket: bucketRef(), versioning_configuration: { status: "Enabled" } });
  });

  test("encrypts with SSE-S3, since it must exist before the app's KMS key", () => {
    expect(only("aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
  });

  test("blocks every kind of public access and disables ACLs", () => {
    expect(only("aws_s3_bucket_public_access_block")).toMatchObject({
      bucket: bucketRef(),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only("aws_s3_bucket_ownership_controls").rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  test("denies every request without TLS", () => {
    const policy = only("aws_s3_bucket_policy");
    expect(statementsOf(bootstrap.json, policy.policy)).toEqual([
      expect.objectContaining({
        sid: "DenyInsecureTransport",
        effect: "Deny",
        actions: ["s3:*"],
        principals: [{ type: "*", identifiers: ["*"] }],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
    ]);
  });

  test("applies ownership, public access block, policy and encryption one after the other", () => {
    expect(only("aws_s3_bucket_public_access_block").depends_on).toEqual([address("aws_s3_bucket_ownership_controls")]);
    expect(only("aws_s3_bucket_policy").depends_on).toEqual([address("aws_s3_bucket_public_access_block")]);
    expect(only("aws_s3_bucket_server_side_encryption_configuration").depends_on).toEqual([address("aws_s3_bucket_policy")]);
  });

  test("expires only replaced state versions, after 90 days and beyond the newest 10, never a current one", () => {
    const lifecycle = only("aws_s3_bucket_lifecycle_configuration");
    expect(lifecycle.depends_on).toEqual([address("aws_s3_bucket_versioning")]);
    const rules = lifecycle.rule as Array<Record<string, any>>;
    expect(rules.find((r) => r.id === "expire-noncurrent-state-versions")).toMatchObject({
      status: "Enabled",
      filter: [{ prefix: "" }],
      noncurrent_version_expiration: [{ noncurrent_days: 90, newer_noncurrent_versions: 10 }],
    });
    for (const rule of rules)
      expect({ id: rule.id, expiresCurrent: rule.expiration?.[0]?.days ?? null }).toEqual({ id: rule.id, expiresCurrent: null });
    expect(rules.map((r) => r.id).sort()).toEqual(["abort-incomplete-uploads", "expire-noncurrent-state-versions", "remove-expired-delete-markers"]);
  });

  test("keeps its own state in a local file named after the bucket, in the folder it is given", () => {
    expect((bootstrap.json.terraform as any).backend).toEqual({
      local: { path: join(bootstrap.stateDir, "prod-service-tfstate-123456789012.tfstate") },
    });
  });

  test("outputs the bucket, its region and the environment's state prefix", () => {
    const outputs = bootstrap.json.output ?? {};
    expect(Object.keys(outputs).sort()).toEqual(["state_bucket_arn", "state_bucket_name", "state_bucket_region", "state_key_prefix"]);
    expect(outputs.state_bucket_region.value).toBe("us-east-2");
    expect(outputs.state_key_prefix.value).toBe("prod-service/prod/");
    for (const output of Object.values(outputs)) expect(output.description).toEqual(expect.any(String));
  });
});

describe("bootstrap app", () => {
  test("with the local backend it sets up the API Gateway account settings and creates no state bucket", () => {
    expect(loadConfig({ environment: "dev" }).backend).toEqual({ type: "local" });
    expect(localBootstrap.stackIds).toEqual([API_GATEWAY_ACCOUNT_STACK_ID]);
  });

  test("with the S3 backend it also creates the state bucket", () => {
    expect(synthBootstrapApp(s3Config).stackIds).toEqual([API_GATEWAY_ACCOUNT_STACK_ID, STATE_BUCKET_STACK_ID]);
  });

  test("app/bootstrap/main.ts synthesizes the account settings for a config with the local backend", () => {
    const outdir = tempDir("cli");
    const run = spawnSync(process.execPath, ["--require", "tsx/cjs", "main.ts"], {
      cwd: join(__dirname, "..", "app", "bootstrap"),
      env: { ...process.env, APP_ENV: "prod", CDKTF_OUTDIR: outdir },
      encoding: "utf8",
    });
    expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({ status: 0, stderr: "" });
    expect(readdirSync(join(outdir, "stacks"))).toEqual([API_GATEWAY_ACCOUNT_STACK_ID]);
  });

  test("the state bucket stack on its own still refuses a local backend, saying what to set", () => {
    expect(() =>
      addStateBucketStack(new App({ outdir: tempDir("refuse") }), { config: loadConfig({ environment: "prod" }), stateDir: tempDir("refuse-state") }),
    ).toThrow(
      'app/config/prod.json has backend {"type":"local"}, so there is no state bucket to create. ' +
        'Set "backend" to {"type": "s3", "bucket": "<globally unique name>", "keyPrefix": "<prefix>", "region": "<region>"} ' +
        "and run the bootstrap again.",
    );
  });
});

describe("bootstrap API Gateway account settings", () => {
  const account = () => localBootstrap.json[API_GATEWAY_ACCOUNT_STACK_ID];
  const onlyIn = (json: TerraformJson, type: string) => {
    const found = resources(json, type);
    expect(found.map((r) => r.id)).toHaveLength(1);
    return found[0];
  };

  test("sets the region's CloudWatch role to a role only API Gateway can assume, with AWS's push-to-logs policy", () => {
    const role = onlyIn(account(), "aws_iam_role");
    expect(role.config.name).toBe("api-gateway-cloudwatch-logs-us-east-1");
    const trust = statementsOf(account(), role.config.assume_role_policy);
    expect(trust).toEqual([
      expect.objectContaining({ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }] }),
    ]);
    const attachment = onlyIn(account(), "aws_iam_role_policy_attachment");
    expect(attachment.config).toEqual(
      expect.objectContaining({
        role: `\${aws_iam_role.${role.id}.name}`,
        policy_arn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
      }),
    );
    expect(onlyIn(account(), "aws_api_gateway_account").config).toMatchObject({
      cloudwatch_role_arn: `\${aws_iam_role.${role.id}.arn}`,
      depends_on: [`aws_iam_role_policy_attachment.${attachment.id}`],
    });
  });

  test("resets the account setting when destroyed, instead of leaving it pointing at the deleted role (reset_on_delete)", () => {
    expect(onlyIn(account(), "aws_api_gateway_account").config.reset_on_delete).toBe(true);
  });

  test("is in the app's region, with the config's tags", () => {
    const dev = loadConfig({ environment: "dev" });
    expect((account().provider as any).aws).toEqual([
      { region: dev.region, default_tags: [{ tags: { ...dev.tags, Stack: API_GATEWAY_ACCOUNT_STACK_ID } }] },
    ]);
  });

  test("keeps its state in bootstrap's state/<environment>/, so no two configs share it", () => {
    expect((account().terraform as any).backend).toEqual({
      local: { path: join(localBootstrap.stateDir, "state", "dev", "api-gateway-account.tfstate") },
    });
    const prod = synthBootstrapApp(loadConfig({ environment: "prod" }), localBootstrap.stateDir);
    expect((prod.json[API_GATEWAY_ACCOUNT_STACK_ID].terraform as any).backend.local.path).toBe(
      join(localBootstrap.stateDir, "state", "prod", "api-gateway-account.tfstate"),
    );
  });

  test("outputs the role's ARN", () => {
    expect(account().output?.cloudwatch_role_arn).toMatchObject({ description: expect.any(String) });
  });

  test("terraform init and plan succeed offline, validation warns only of the deprecated reset_on_delete; the plan creates exactly the declared resources and calls no AWS API", () => {
    expect(outcome(accountCheck?.init)).toBe("exit 0");
    expect(outcome(accountCheck?.plan)).toBe("exit 0");
    // Only the deprecation of `reset_on_delete`, kept on purpose (see app/bootstrap/api-gateway-logging-role.ts);
    // validation and planning each report it.
    const diagnostics = accountCheck?.planJson?.diagnostics ?? [];
    const accountAddress = `aws_api_gateway_account.${resources(account(), "aws_api_gateway_account")[0].id}`;
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics).toEqual(
      diagnostics.map(() => ({
        severity: "warning",
        summary: "Attribute Deprecated",
        address: accountAddress,
        detail: expect.stringContaining("reset_on_delete"),
      })),
    );
    expectPlanCreatesExactlyTheDeclared(accountCheck, account());
  });
});

describe("bootstrap state bucket and the app's S3 backend", () => {
  test("every app stack keeps its state in the bootstrapped bucket and region, under <keyPrefix>/<environment>/<stack>.tfstate", () => {
    const bucket = only("aws_s3_bucket").bucket;
    const region = (bootstrap.json.provider as any).aws[0].region;
    const prefix = stateKeyPrefix(S3_BACKEND, "prod");
    for (const stackId of appSynth.stackIds) {
      const backend = (appSynth.json[stackId].terraform as any).backend;
      expect({ stackId, backend }).toEqual({
        stackId,
        backend: { s3: { bucket, region, key: `${prefix}${stackId}.tfstate`, encrypt: true, use_lockfile: true } },
      });
    }
  });

  test("every cross-stack read looks in the bootstrapped bucket and region", () => {
    const bucket = only("aws_s3_bucket").bucket;
    const reads = appSynth.stackIds.flatMap((id) => dataSources(appSynth.json[id], "terraform_remote_state"));
    expect(reads.length).toBeGreaterThan(0);
    for (const read of reads) {
      expect(read.config).toMatchObject({
        backend: "s3",
        config: { bucket, region: "us-east-2", key: expect.stringMatching(/^prod-service\/prod\/[a-z-]+\.tfstate$/) },
      });
    }
  });

  test("the bucket's lifecycle and policy cover every state key and its lock file", () => {
    const rules = only("aws_s3_bucket_lifecycle_configuration").rule as Array<Record<string, any>>;
    for (const rule of rules) expect(rule.filter).toEqual([{ prefix: "" }]);
    const policy = statementsOf(bootstrap.json, only("aws_s3_bucket_policy").policy)[0];
    expect(policy.resources).toContain(`\${aws_s3_bucket.${resources(bootstrap.json, "aws_s3_bucket")[0].id}.arn}/*`);
  });
});

describe("bootstrap state bucket with Terraform, offline", () => {
  test("terraform init and plan succeed, and Terraform's validation (plan runs it first) finds no error and no warning", () => {
    expect(outcome(check?.init)).toBe("exit 0");
    expect(outcome(check?.plan)).toBe("exit 0");
    expect(diagnosticLines(check)).toEqual([]);
  });

  test("the plan creates exactly the declared resources and calls no AWS API", () => {
    expectPlanCreatesExactlyTheDeclared(check, bootstrap.json);
  });
});
