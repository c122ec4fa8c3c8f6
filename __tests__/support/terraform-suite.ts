/**
 * The Terraform suite, one test file per environment (terraform-prod.test.ts, terraform-dev.test.ts) so that
 * jest runs them on two workers: the synthesized stacks pass `terraform init` and `terraform plan` (which
 * validates the configuration first, as `terraform validate` does) with the real CLI and AWS provider,
 * offline: the provider comes from the mirror named by TF_PROVIDER_MIRROR (linked into each stack, never
 * copied), credentials are fake, STS is a local fake and downstream stacks read stub upstream state from a
 * temp folder. Needs `npm run package` and Terraform on PATH:
 *
 *   npm run package && TF_PROVIDER_MIRROR=<mirror dir> npx jest __tests__/terraform-
 */
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../app/config/load";
import { TABLE_NAMES } from "../../app/lambda-packages/shared/tables";
import { STACK_IDS } from "../../app/stacks";
import { FUNCTION_NAMES } from "../../app/stacks/functions";
import { resources, synthStacks, SynthResult } from "./synth";
import {
  checkStacks,
  diagnosticLines,
  isInside,
  outcome,
  prepareTerraform,
  remoteStateReads,
  StackCheck,
  summarizePlan,
  TerraformContext,
  writeStubStates,
} from "../../tools/terraform/harness";

/** Each environment with a Terraform suite (one per config in app/config/, checked below). */
export const TERRAFORM_ENVIRONMENTS = { prod: {}, dev: {} } as const;
export type TerraformEnvironment = keyof typeof TERRAFORM_ENVIRONMENTS;

interface EnvironmentRun {
  readonly synth: SynthResult;
  readonly stubStates: readonly string[];
  readonly checks: Readonly<Record<string, StackCheck>>;
}

/** Declares the whole Terraform suite for one environment's config: call it once from a test file. */
export function describeTerraformOffline(environment: TerraformEnvironment): void {
  // What the config turns on in api-stack.
  const waf = loadConfig({ environment }).api.waf.enabled;
  let terraform: TerraformContext | undefined;
  let current: EnvironmentRun | undefined;
  let synthesized: SynthResult | undefined;

  beforeAll(async () => {
    terraform = prepareTerraform();
    const ctx = terraform;
    const synth = synthStacks({ environment });
    synthesized = synth;
    const stubStates = writeStubStates(synth.json, synth.stateDir, ctx.version);
    const checks = await checkStacks(
      ctx,
      synth.stackIds.map((stackId) => ({ stackId, dir: synth.dir(stackId) })),
    );
    current = { synth, stubStates, checks: Object.fromEntries(checks.map((c) => [c.stackId, c])) };
  }, 20 * 60_000);

  afterAll(() => {
    synthesized?.cleanup();
    terraform?.cleanup();
  });

  function run(): EnvironmentRun {
    if (!current) throw new Error(`the ${environment} stacks were not synthesized (see the beforeAll error above)`);
    return current;
  }

  function planOf(stackId: string) {
    const check = run().checks[stackId];
    if (!check?.planJson || check.plan?.code !== 0) throw new Error(`${stackId} has no plan: ${outcome(check?.plan ?? check?.init)}`);
    return summarizePlan(check.planJson);
  }

  describe(`Terraform on the synthesized ${environment} stacks, offline`, () => {
    test("finds Terraform 1.x on PATH", () => {
      expect(terraform?.version).toMatch(/^1\.\d+\.\d+/);
    });

    test("every config in app/config/ has its Terraform suite, terraform-<environment>.test.ts", () => {
      const configs = readdirSync(join(__dirname, "..", "..", "app", "config"))
        .filter((f) => f.endsWith(".json"))
        .map((f) => f.replace(/\.json$/, ""));
      // A suite is a test file that declares this one (terraform-json.test.ts, of the JSON model, is none).
      const suites = readdirSync(join(__dirname, ".."))
        .filter((f) => f.endsWith(".test.ts"))
        // A suite calls it at the top level of its file (a test about suites may quote the name).
        .filter((f) => /^describeTerraformOffline\(/m.test(readFileSync(join(__dirname, "..", f), "utf8")));
      expect({ configs: configs.sort(), suites: suites.sort() }).toEqual({
        configs: Object.keys(TERRAFORM_ENVIRONMENTS).sort(),
        suites: Object.keys(TERRAFORM_ENVIRONMENTS)
          .map((e) => `terraform-${e}.test.ts`)
          .sort(),
      });
    });

    test("synthesizes the three stacks in deploy order", () => {
      expect(run().synth.stackIds).toEqual([...STACK_IDS]);
    });

    describe(`with the ${environment} config`, () => {
      test("points every cross-stack terraform_remote_state at a stub state inside the test's temp state folder", () => {
        const { synth, stubStates } = run();
        const reads = remoteStateReads(synth.json);
        expect(reads.map((r) => `${r.consumer} <- ${r.producer}`).sort()).toEqual([
          "api-stack <- compute-stack",
          "api-stack <- data-stack",
          "compute-stack <- data-stack",
        ]);
        for (const read of reads) expect({ path: read.path, inside: isInside(synth.stateDir, read.path) }).toEqual({ path: read.path, inside: true });
        expect([...stubStates].sort()).toEqual([...new Set(reads.map((r) => r.path))].sort());
      });

      test.each([...STACK_IDS])("%s: terraform init installs the AWS provider", (stackId) => {
        const { init } = run().checks[stackId];
        expect(outcome(init)).toBe("exit 0");
        if (terraform?.mirror) expect(init?.stdout).toMatch(/Installed hashicorp\/aws v5\.\d+\.\d+/);
      });

      test.each([...STACK_IDS])("%s: terraform init links the provider from the mirror (or the plugin cache), without copying it", (stackId) => {
        const providers = join(run().checks[stackId].dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws");
        const installed = readdirSync(providers).flatMap((version) =>
          readdirSync(join(providers, version)).map((platform) => join(providers, version, platform)),
        );
        const linked = installed.map((path) => ({ path, linked: lstatSync(path).isSymbolicLink() }));
        expect(installed.length).toBeGreaterThan(0);
        // From the mirror, or through a plugin cache (TF_PLUGIN_CACHE_DIR, as the GitHub workflow sets it), it must
        // link; straight from the registry Terraform unpacks a copy.
        const links = terraform?.mirror !== undefined || Boolean(terraform?.env.TF_PLUGIN_CACHE_DIR);
        expect(linked).toEqual(installed.map((path) => ({ path, linked: links })));
      });

      test.each([...STACK_IDS])("%s: terraform plan succeeds with fake credentials", (stackId) => {
        expect(outcome(run().checks[stackId].plan)).toBe("exit 0");
      });

      test.each([...STACK_IDS])("%s: Terraform's validation (plan runs it first) finds no error and no warning", (stackId) => {
        const check = run().checks[stackId];
        expect(check.planJson).toBeDefined();
        expect(diagnosticLines(check)).toEqual([]);
      });

      test.each([...STACK_IDS])("%s: the plan creates every resource the stack declares and deletes or updates nothing", (stackId) => {
        const { synth } = run();
        const declared = Object.entries(synth.json[stackId].resource ?? {}).flatMap(([type, blocks]) =>
          Object.keys(blocks).map((id) => `${type}.${id}`),
        );
        const plan = planOf(stackId);
        expect(plan.createdAddresses).toEqual(declared.sort());
        expect(plan.deletes).toEqual([]);
        expect(plan.updates).toEqual([]);
      });

      test.each([...STACK_IDS])("%s: the plan calls AWS only for sts:GetCallerIdentity, answered by the local fake", (stackId) => {
        const { synth, checks } = run();
        const calls = checks[stackId].awsCalls;
        const readsCallerIdentity = Object.keys(synth.json[stackId].data?.aws_caller_identity ?? {}).length > 0;
        expect(calls.filter((c) => !(c.method === "POST" && c.action === "GetCallerIdentity"))).toEqual([]);
        expect(calls.length > 0).toBe(readsCallerIdentity);
      });

      test(`data-stack plans the ${TABLE_NAMES.length} DynamoDB tables of TABLES, the app's KMS key and the package bucket`, () => {
        expect(planOf("data-stack").creates).toMatchObject({
          aws_dynamodb_table: TABLE_NAMES.length,
          aws_kms_key: 1,
          aws_kms_alias: 1,
          aws_s3_bucket: 1,
        });
      });

      test("compute-stack plans one Lambda function per defined function, with its package object", () => {
        const { synth } = run();
        // The declaration compute-stack makes its functions from: counting the live stack's would synthesize a second time.
        const functions = FUNCTION_NAMES.length;
        expect(functions).toBeGreaterThan(0);
        expect(planOf("compute-stack").creates).toMatchObject({
          aws_lambda_function: functions,
          aws_s3_object: functions,
        });
        expect(resources(synth.json["compute-stack"], "aws_lambda_function")).toHaveLength(functions);
      });

      test("api-stack plans the REST API and its stage", () => {
        expect(planOf("api-stack").creates).toMatchObject({
          aws_api_gateway_rest_api: 1,
          aws_api_gateway_stage: 1,
          aws_api_gateway_deployment: 1,
        });
      });

      test(`api-stack ${waf ? "plans" : "does not plan"} a WAF web ACL, and never the account's API Gateway logging role (the bootstrap's)`, () => {
        const { creates } = planOf("api-stack");
        const expected = waf ? 1 : 0;
        expect({
          aws_wafv2_web_acl: creates.aws_wafv2_web_acl ?? 0,
          aws_wafv2_web_acl_association: creates.aws_wafv2_web_acl_association ?? 0,
          aws_api_gateway_account: creates.aws_api_gateway_account ?? 0,
        }).toEqual({ aws_wafv2_web_acl: expected, aws_wafv2_web_acl_association: expected, aws_api_gateway_account: 0 });
      });
    });
  });
}
