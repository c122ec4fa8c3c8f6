/**
 * The bootstrap's pipeline stack for tests: each config in app/config/ with an S3 backend and a `pipeline` section
 * added (the checked-in configs keep state locally and have none), synthesized on a full bootstrap App.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { addBootstrapStacks } from "../../app/bootstrap";
import { PIPELINE_STACK_ID } from "../../app/bootstrap/pipeline-roles";
import { loadConfig } from "../../app/config/load";
import { AppConfig, AppConfigSchema, PipelineConfig } from "../../app/config/schema";
import { dataSources, resources, TerraformJson } from "./synth";
import type { PolicyStatement } from "./policies";
import { FAKE_ACCOUNT_ID } from "../../tools/lib/fake-arns";

/** The repository the test configs trust. */
export const TEST_REPOSITORY = "acme/prod-service";

/** `app/config/<environment>.json` with an S3 backend and a pipeline section, validated like a config file. */
export function pipelineConfig(environment: string, pipeline: Partial<PipelineConfig> = {}): AppConfig {
  const base = loadConfig({ environment });
  return AppConfigSchema.parse({
    ...base,
    backend: { type: "s3", bucket: "acme-tfstate-123456789012", keyPrefix: "prod-service", region: "us-east-1" },
    pipeline: { repository: TEST_REPOSITORY, oidcProvider: { type: "create" }, maxSessionSeconds: 3600, ...pipeline },
  });
}

export interface PipelineSynth {
  readonly config: AppConfig;
  /** The pipeline stack's `cdk.tf.json`. */
  readonly json: TerraformJson;
  /** Folder of the pipeline stack's `cdk.tf.json`. */
  readonly dir: string;
  /** Every stack id the bootstrap app synthesized. */
  readonly stackIds: readonly string[];
  readonly stateDir: string;
  cleanup(): void;
}

/** Synthesizes the whole bootstrap app for `config`, as app/bootstrap/main.ts does, and reads the pipeline stack. */
export function synthPipeline(config: AppConfig): PipelineSynth {
  const outdir = mkdtempSync(join(tmpdir(), "pipeline-out-"));
  const stateDir = mkdtempSync(join(tmpdir(), "pipeline-state-"));
  const app = new App({ outdir, stackTraces: false });
  addBootstrapStacks(app, { config, stateDir });
  app.synth();
  const dir = join(outdir, "stacks", PIPELINE_STACK_ID);
  return {
    config,
    json: JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as TerraformJson,
    dir,
    stackIds: readdirSync(join(outdir, "stacks")).sort(),
    stateDir,
    cleanup: () => {
      rmSync(outdir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** One synthesized role with its trust statements and every statement of the policies attached to it. */
export interface SynthesizedRole {
  readonly id: string;
  readonly name: string;
  readonly trust: PolicyStatement[];
  readonly permissions: PolicyStatement[];
  /** Each attached policy's document, as IAM would count it once the account id is known. */
  readonly policySizes: number[];
}

const documentId = (reference: unknown) => /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(reference))?.[1];

/** The roles of a synthesized stack, with their trust policy and attached (managed) policies resolved. */
export function synthesizedRoles(json: TerraformJson, accountId = FAKE_ACCOUNT_ID): SynthesizedRole[] {
  const documents = new Map(dataSources(json, "aws_iam_policy_document").map((d) => [d.id, d.config.statement as PolicyStatement[]]));
  const policies = new Map(resources(json, "aws_iam_policy").map((p) => [p.id, documentId(p.config.policy)]));
  const attachments = resources(json, "aws_iam_role_policy_attachment");
  return resources(json, "aws_iam_role").map((role) => {
    const attached = attachments
      .filter((a) => a.config.role === `\${aws_iam_role.${role.id}.name}`)
      .map((a) => documents.get(policies.get(/^\$\{aws_iam_policy\.([^.]+)\.arn\}$/.exec(String(a.config.policy_arn))?.[1] ?? "") ?? "") ?? []);
    return {
      id: role.id,
      name: String(role.config.name),
      trust: documents.get(documentId(role.config.assume_role_policy) ?? "") ?? [],
      permissions: attached.flat(),
      policySizes: attached.map((statements) => iamDocumentSize(statements, accountId)),
    };
  });
}

/** The role named `name`; throws (failing the test) when there is none. */
export function roleNamed(roles: readonly SynthesizedRole[], name: string): SynthesizedRole {
  const role = roles.find((r) => r.name === name);
  if (!role) throw new Error(`no role ${name}; roles: ${roles.map((r) => r.name).join(", ")}`);
  return role;
}

/** A document's length in IAM's JSON form, whitespace excluded, with interpolations replaced by the account id. */
function iamDocumentSize(statements: readonly PolicyStatement[], accountId: string): number {
  const iam = statements.map((s) => {
    const condition: Record<string, Record<string, string[]>> = {};
    for (const c of s.condition ?? []) (condition[c.test] ??= {})[c.variable] = c.values;
    return { Sid: s.sid, Effect: s.effect, Action: s.actions, Resource: s.resources, ...(s.condition ? { Condition: condition } : {}) };
  });
  return JSON.stringify({ Version: "2012-10-17", Statement: iam }).replace(/\$\{[^}]+\}/g, accountId).length;
}
