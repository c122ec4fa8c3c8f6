/**
 * The synthesized stacks pass `terraform init`, `validate` and `plan` with the real CLI and AWS provider, offline:
 * the provider comes from the mirror named by TF_PROVIDER_MIRROR, credentials are fake, STS is a local fake and
 * downstream stacks read stub upstream state from a temp folder. Needs `npm run package` and Terraform on PATH:
 *
 *   npm run package && TF_PROVIDER_MIRROR=<mirror dir> npx jest __tests__/terraform.test.ts
 */
import { availableParallelism } from "node:os";
import { listEnvironments, loadConfig } from "../config/load";
import { STACK_IDS } from "../stacks";
import { resources, synthStacks, SynthResult } from "./support/synth";
import {
  checkStack,
  isInside,
  mapLimit,
  outcome,
  prepareTerraform,
  remoteStateReads,
  StackCheck,
  summarizePlan,
  TerraformContext,
  writeStubStates,
} from "./support/terraform";

/** Every config in config/, and whether it turns the WAF on in api-stack. */
const ENVIRONMENTS = listEnvironments().map((environment) => ({ environment, waf: loadConfig({ environment }).api.waf.enabled }));

/**
 * Terraform commands in flight at once. Each one starts a ~700 MB provider and is CPU-bound while it does;
 * on 2 cores, 2 at a time was fastest.
 */
const CONCURRENCY = Math.max(2, availableParallelism());

interface EnvironmentRun {
  readonly synth: SynthResult;
  readonly stubStates: readonly string[];
  readonly checks: Readonly<Record<string, StackCheck>>;
}

let terraform: TerraformContext | undefined;
const runs = new Map<string, EnvironmentRun>();
const synths: SynthResult[] = [];

beforeAll(async () => {
  terraform = prepareTerraform();
  const ctx = terraform;
  const prepared = ENVIRONMENTS.map(({ environment }) => {
    const synth = synthStacks({ environment });
    synths.push(synth);
    return { environment, synth, stubStates: writeStubStates(synth.json, synth.stateDir, ctx.version) };
  });
  const jobs = prepared.flatMap(({ environment, synth }) => synth.stackIds.map((stackId) => ({ environment, synth, stackId })));
  const checks = await mapLimit(jobs, CONCURRENCY, (job) => checkStack(ctx, job.stackId, job.synth.dir(job.stackId)));
  for (const { environment, synth, stubStates } of prepared) {
    const own = checks.filter((_, i) => jobs[i].environment === environment);
    runs.set(environment, { synth, stubStates, checks: Object.fromEntries(own.map((c) => [c.stackId, c])) });
  }
}, 20 * 60_000);

afterAll(() => {
  for (const synth of synths) synth.cleanup();
  terraform?.cleanup();
});

function run(environment: string): EnvironmentRun {
  const found = runs.get(environment);
  if (!found) throw new Error(`the ${environment} stacks were not synthesized (see the beforeAll error above)`);
  return found;
}

function planOf(environment: string, stackId: string) {
  const check = run(environment).checks[stackId];
  if (!check?.planJson) throw new Error(`${stackId} has no plan: ${outcome(check?.plan ?? check?.validate ?? check?.init)}`);
  return summarizePlan(check.planJson);
}

describe("Terraform on the synthesized stacks, offline", () => {
  test("finds Terraform 1.x on PATH", () => {
    expect(terraform?.version).toMatch(/^1\.\d+\.\d+/);
  });

  test("synthesizes the three stacks in deploy order", () => {
    for (const { environment } of ENVIRONMENTS) expect(run(environment).synth.stackIds).toEqual([...STACK_IDS]);
  });

  describe.each(ENVIRONMENTS)("with the $environment config", ({ environment, waf }) => {
    test("points every cross-stack terraform_remote_state at a stub state inside the test's temp state folder", () => {
      const { synth, stubStates } = run(environment);
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
      const { init } = run(environment).checks[stackId];
      expect(outcome(init)).toBe("exit 0");
      if (terraform?.mirror) expect(init?.stdout).toMatch(/Installed hashicorp\/aws v5\.\d+\.\d+/);
    });

    test.each([...STACK_IDS])("%s: terraform validate accepts the configuration", (stackId) => {
      expect(outcome(run(environment).checks[stackId].validate)).toBe("exit 0");
    });

    test.each([...STACK_IDS])("%s: terraform plan succeeds with fake credentials", (stackId) => {
      const check = run(environment).checks[stackId];
      expect(outcome(check.plan)).toBe("exit 0");
      expect(outcome(check.show)).toBe("exit 0");
    });

    test.each([...STACK_IDS])("%s: the plan creates every resource the stack declares and deletes or updates nothing", (stackId) => {
      const { synth } = run(environment);
      const declared = Object.entries(synth.json[stackId].resource ?? {}).flatMap(([type, blocks]) =>
        Object.keys(blocks).map((id) => `${type}.${id}`),
      );
      const plan = planOf(environment, stackId);
      expect(plan.createdAddresses).toEqual(declared.sort());
      expect(plan.deletes).toEqual([]);
      expect(plan.updates).toEqual([]);
    });

    test.each([...STACK_IDS])("%s: the plan calls AWS only for sts:GetCallerIdentity, answered by the local fake", (stackId) => {
      const { synth, checks } = run(environment);
      const calls = checks[stackId].awsCalls;
      const readsCallerIdentity = Object.keys(synth.json[stackId].data?.aws_caller_identity ?? {}).length > 0;
      expect(calls.filter((c) => !(c.method === "POST" && c.action === "GetCallerIdentity"))).toEqual([]);
      expect(calls.length > 0).toBe(readsCallerIdentity);
    });

    test("data-stack plans two DynamoDB tables, the app's KMS key and the package bucket", () => {
      expect(planOf(environment, "data-stack").creates).toMatchObject({
        aws_dynamodb_table: 2,
        aws_kms_key: 1,
        aws_kms_alias: 1,
        aws_s3_bucket: 1,
      });
    });

    test("compute-stack plans one Lambda function per defined function, with its package object", () => {
      const { synth } = run(environment);
      const functions = Object.keys(synth.stacks.compute.functions).length;
      expect(functions).toBeGreaterThan(0);
      expect(planOf(environment, "compute-stack").creates).toMatchObject({
        aws_lambda_function: functions,
        aws_s3_object: functions,
      });
      expect(resources(synth.json["compute-stack"], "aws_lambda_function")).toHaveLength(functions);
    });

    test("api-stack plans the REST API and its stage", () => {
      expect(planOf(environment, "api-stack").creates).toMatchObject({
        aws_api_gateway_rest_api: 1,
        aws_api_gateway_stage: 1,
        aws_api_gateway_deployment: 1,
      });
    });

    test(`api-stack ${waf ? "plans" : "does not plan"} a WAF web ACL, and never the account's API Gateway logging role (the bootstrap's)`, () => {
      const { creates } = planOf(environment, "api-stack");
      const expected = waf ? 1 : 0;
      expect({
        aws_wafv2_web_acl: creates.aws_wafv2_web_acl ?? 0,
        aws_wafv2_web_acl_association: creates.aws_wafv2_web_acl_association ?? 0,
        aws_api_gateway_account: creates.aws_api_gateway_account ?? 0,
      }).toEqual({ aws_wafv2_web_acl: expected, aws_wafv2_web_acl_association: expected, aws_api_gateway_account: 0 });
    });
  });
});
