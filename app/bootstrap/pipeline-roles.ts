/**
 * The GitHub Actions identities of one environment, created by the bootstrap when the config has a `pipeline`
 * section: GitHub's OIDC identity provider (or an existing one), a plan role for the repository's pull requests
 * and a deploy role for the repository's GitHub environment of the same name. No access keys: the workflows
 * exchange GitHub's OIDC token for a role session (aws-actions/configure-aws-credentials).
 */
import { Construct } from "constructs";
import { App, TerraformOutput } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import type { AppConfig, PipelineConfig } from "../config/schema";
import {
  APP_SERVICE_PERMISSIONS,
  PermissionScope,
  PermissionStatement,
  planDecryptStatements,
  stateReadStatements,
  stateWriteStatements,
  StateScope,
  verifyStatements,
  releaseStatements,
} from "./pipeline-permissions";
import { BootstrapStack } from "./bootstrap-stack";
import { requireS3Backend, stateKeyPrefix } from "./state-stack";

/** The bootstrap app's pipeline stack: `cdktf deploy pipeline` in app/bootstrap/. */
export const PIPELINE_STACK_ID = "pipeline";

/** GitHub's OIDC issuer, and the audience aws-actions/configure-aws-credentials asks for. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";

/**
 * Where the workflows find the role ARNs (the bootstrap's outputs say which to set): the plan role in a
 * repository variable per environment (a pull request's job has no GitHub environment), the deploy role in a
 * variable of the GitHub environment whose jobs may assume it.
 */
export function pipelineVariables(environment: string): { readonly planRoleArn: string; readonly deployRoleArn: string } {
  return { planRoleArn: `AWS_PLAN_ROLE_ARN_${environment.toUpperCase().replace(/-/g, "_")}`, deployRoleArn: "AWS_DEPLOY_ROLE_ARN" };
}

/** The `sub` claims GitHub puts in a job's OIDC token: a pull request's jobs, and the jobs of one GitHub environment. */
export const githubSubject = {
  pullRequest: (repository: string) => `repo:${repository}:pull_request`,
  environment: (repository: string, environment: string) => `repo:${repository}:environment:${environment}`,
};

/**
 * Role names. Deliberately outside `<namePrefix>*`: the deploy role may write the app's `<prefix>*` roles and
 * their policies, and must not be able to rewrite its own.
 */
export function pipelineRoleNames(namePrefix: string): { readonly plan: string; readonly deploy: string } {
  return { plan: `github-${namePrefix}plan`, deploy: `github-${namePrefix}deploy` };
}

export interface PipelineRolesProps {
  readonly pipeline: PipelineConfig;
  /** The GitHub environment, the config's `environment`: the deploy role trusts only its jobs. */
  readonly environment: string;
  readonly scope: PermissionScope;
  /** This environment's state objects. */
  readonly state: StateScope;
}

/** The OIDC provider (when created here), the plan role and the deploy role, each with its inline policy. */
export class PipelineRoles extends Construct {
  public readonly oidcProviderArn: string;
  public readonly oidcProvider?: IamOpenidConnectProvider;
  public readonly planRole: IamRole;
  public readonly deployRole: IamRole;
  private readonly maxSessionSeconds: number;
  private readonly permissionScope: PermissionScope;

  constructor(scope: Construct, id: string, props: PipelineRolesProps) {
    super(scope, id);
    const { pipeline, environment } = props;
    this.maxSessionSeconds = pipeline.maxSessionSeconds;
    this.permissionScope = props.scope;
    if (pipeline.oidcProvider.type === "create") {
      this.oidcProvider = new IamOpenidConnectProvider(this, "github", {
        url: `https://${GITHUB_OIDC_HOST}`,
        clientIdList: [GITHUB_OIDC_AUDIENCE],
        // No thumbprint_list: IAM verifies GitHub's OIDC endpoint against its own trusted CAs and ignores thumbprints for it.
      });
      this.oidcProviderArn = this.oidcProvider.arn;
    } else {
      this.oidcProviderArn = pipeline.oidcProvider.arn;
    }

    const names = pipelineRoleNames(props.scope.namePrefix);
    this.planRole = this.role("plan", {
      name: names.plan,
      description: `cdktf diff of ${environment} from pull requests of ${pipeline.repository}: reads the app's resources and state, writes nothing`,
      subject: githubSubject.pullRequest(pipeline.repository),
      statements: (scope) => [
        ...APP_SERVICE_PERMISSIONS.flatMap((service) => service.read(scope)),
        ...planDecryptStatements(scope),
        ...stateReadStatements(props.state),
      ],
    });
    this.deployRole = this.role("deploy", {
      name: names.deploy,
      description: `cdktf deploy of ${environment} from the ${environment} environment of ${pipeline.repository}`,
      subject: githubSubject.environment(pipeline.repository, environment),
      statements: (scope) => [
        ...APP_SERVICE_PERMISSIONS.flatMap((service) => [...service.read(scope), ...service.manage(scope)]),
        ...verifyStatements(scope),
        ...releaseStatements(scope),
        ...stateReadStatements(props.state),
        ...stateWriteStatements(props.state),
      ],
    });
  }

  private role(
    id: string,
    props: { name: string; description: string; subject: string; statements: (s: PermissionScope) => PermissionStatement[] },
  ): IamRole {
    const trust = new DataAwsIamPolicyDocument(this, `${id}-trust`, {
      statement: [
        {
          sid: "GitHubActionsOidc",
          actions: ["sts:AssumeRoleWithWebIdentity"],
          principals: [{ type: "Federated", identifiers: [this.oidcProviderArn] }],
          condition: [
            { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:aud`, values: [GITHUB_OIDC_AUDIENCE] },
            { test: "StringEquals", variable: `${GITHUB_OIDC_HOST}:sub`, values: [props.subject] },
          ],
        },
      ],
    });
    const role = new IamRole(this, id, {
      name: props.name,
      description: props.description,
      assumeRolePolicy: trust.json,
      maxSessionDuration: this.maxSessionSeconds,
    });
    // The permissions exceed what inline policies may hold (10,240 characters per role), so they are managed
    // policies of at most 6,144 characters each (IAM's quota), packed in order; sizes are measured with a
    // literal 12-digit account id, as IAM counts them once the id is resolved.
    const measured = mergeBySid(props.statements({ ...this.permissionScope, accountId: "123456789012" }));
    const real = new Map(mergeBySid(props.statements(this.permissionScope)).map((st) => [st.sid, st]));
    packStatements(measured, POLICY_SIZE_LIMIT).forEach((chunk, i) => {
      const document = new DataAwsIamPolicyDocument(this, `${id}-policy-${i + 1}`, {
        statement: chunk.map((st) => toDocumentStatement(real.get(st.sid)!)),
      });
      const policy = new IamPolicy(this, `${id}-permissions-${i + 1}`, {
        name: `${props.name}-${i + 1}`,
        description: `${props.description} (part ${i + 1})`,
        policy: document.json,
      });
      new IamRolePolicyAttachment(this, `${id}-attachment-${i + 1}`, { role: role.name, policyArn: policy.arn });
    });
    return role;
  }
}

/** IAM's limit for one customer managed policy, in characters without whitespace. */
export const POLICY_SIZE_LIMIT = 6144;

/** Characters of a statement as IAM counts them: its JSON without whitespace. */
export function statementSize(statement: PermissionStatement): number {
  const condition: Record<string, Record<string, string[]>> = {};
  for (const c of statement.condition ?? []) (condition[c.test] ??= {})[c.variable] = [...c.values];
  return JSON.stringify({
    Sid: statement.sid,
    Effect: statement.effect ?? "Allow",
    Action: statement.actions,
    Resource: statement.resources,
    ...(statement.condition ? { Condition: condition } : {}),
  }).length;
}

/** Packs statements, in order, into documents each within `limit` characters (with the document's own envelope). */
export function packStatements(statements: readonly PermissionStatement[], limit: number): PermissionStatement[][] {
  const envelope = JSON.stringify({ Version: "2012-10-17", Statement: [] }).length;
  const chunks: PermissionStatement[][] = [];
  let size = envelope;
  for (const statement of statements) {
    const add = statementSize(statement) + 1;
    if (envelope + add > limit) throw new Error(`pipeline policy statement "${statement.sid}" alone exceeds ${limit} characters`);
    if (chunks.length === 0 || size + add > limit) {
      chunks.push([]);
      size = envelope;
    }
    chunks[chunks.length - 1].push(statement);
    size += add;
  }
  return chunks;
}

/** Statements with one sid (the plan and deploy roles both get the state reads) appear once. */
function mergeBySid(statements: readonly PermissionStatement[]): PermissionStatement[] {
  const bySid = new Map<string, PermissionStatement>();
  for (const statement of statements) {
    const seen = bySid.get(statement.sid);
    if (seen && JSON.stringify(seen) !== JSON.stringify(statement)) {
      throw new Error(`two different pipeline policy statements share the sid "${statement.sid}"`);
    }
    bySid.set(statement.sid, statement);
  }
  return [...bySid.values()];
}

function toDocumentStatement(statement: PermissionStatement): DataAwsIamPolicyDocumentStatement {
  return {
    sid: statement.sid,
    effect: statement.effect ?? "Allow",
    actions: [...statement.actions],
    resources: [...statement.resources],
    condition: statement.condition?.map((c) => ({ test: c.test, variable: c.variable, values: [...c.values] })),
  };
}

export interface PipelineStackProps {
  readonly config: AppConfig;
  /** Folder of this stack's local state file; app/bootstrap/ when run by the cdktf CLI. */
  readonly stateDir: string;
}

/**
 * The pipeline identities of one environment. Like every bootstrap stack its state is a local file,
 * `state/<environment>/pipeline.tfstate` in app/bootstrap/: these roles are what reaches the S3 state.
 */
export class PipelineStack extends BootstrapStack {
  public readonly roles: PipelineRoles;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    const { config } = props;
    super(scope, id, { region: config.region, tags: config.tags, stateDir: props.stateDir, stateFile: `state/${config.environment}/${id}.tfstate` });
    const pipeline = requirePipeline(config);
    const backend = requireS3Backend(config);

    const accountId = new DataAwsCallerIdentity(this, "caller").accountId;
    this.roles = new PipelineRoles(this, "roles", {
      pipeline,
      environment: config.environment,
      scope: { accountId, region: config.region, namePrefix: config.namePrefix },
      state: { bucket: backend.bucket, keyPrefix: stateKeyPrefix(backend, config.environment) },
    });

    const variables = pipelineVariables(config.environment);
    new TerraformOutput(this, "plan_role_arn", {
      value: this.roles.planRole.arn,
      description: `Plan role of ${config.environment} for pull requests: set it as the repository variable ${variables.planRoleArn}`,
    });
    new TerraformOutput(this, "deploy_role_arn", {
      value: this.roles.deployRole.arn,
      description: `Deploy role of ${config.environment}: set it as the variable ${variables.deployRoleArn} of the GitHub environment "${config.environment}"`,
    });
    new TerraformOutput(this, "oidc_provider_arn", {
      value: this.roles.oidcProviderArn,
      description: "GitHub's OIDC identity provider in this account: other environments of this account name it in pipeline.oidcProvider",
    });
  }
}

/** The config's pipeline section; throws an Error that says what to add when there is none. */
export function requirePipeline(config: AppConfig, source = `app/config/${config.environment}.json`): PipelineConfig {
  if (!config.pipeline) {
    throw new Error(
      `${source} has no "pipeline" section, so there are no GitHub Actions roles to create. Add ` +
        '{"repository": "<owner>/<name>", "oidcProvider": {"type": "create"}, "maxSessionSeconds": 3600} to it.',
    );
  }
  return config.pipeline;
}

/** Adds the `pipeline` stack to `app` when `config` has a pipeline section (does not synthesize); undefined otherwise. */
export function addPipelineStack(app: App, props: PipelineStackProps): PipelineStack | undefined {
  if (!props.config.pipeline) return undefined;
  return new PipelineStack(app, PIPELINE_STACK_ID, props);
}
