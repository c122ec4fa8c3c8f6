/**
 * Synthesizes the whole app (all stacks on one `App`, as `app/main.ts` does) into throw-away folders, so tests can
 * assert on the Terraform JSON with cross-stack references resolved. `Testing.synth` works on one stack and
 * leaves cross-stack wiring out; this helper is for everything that crosses a stack boundary.
 *
 * Nothing here writes into the repository: the output folder and the state folder are fresh temp folders
 * unless the caller passes its own, so the `terraform_remote_state` paths of a test synth never point at real
 * state files.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_ENVIRONMENT, loadConfig } from "../../app/config/load";
import type { AppConfig } from "../../app/config/schema";
import type { AppStacksProps } from "../../app/stacks";
import { synthesizeStacks, type SynthesisResult } from "../../tools/lib/synthesize";
import { TerraformApp, type TerraformJson } from "../../tools/lib/terraform-json";

export type { TerraformJson, TerraformOutputJson } from "../../tools/lib/terraform-json";

/** A resource or data source of one type: its logical id (the key in the JSON) and its arguments. */
export interface TerraformBlock {
  readonly id: string;
  readonly config: Record<string, unknown>;
}

export interface SynthOptions {
  /** Config file to load, `app/config/<environment>.json`; ignored when `config` is given. @default "prod" (not APP_ENV, so a test's result does not depend on the shell) */
  readonly environment?: string;
  /** An already validated config, e.g. a modified copy of a loaded one. @default loadConfig({ environment }) */
  readonly config?: AppConfig;
  /** Finds a function's ZIP. @default loadLambdaArtifact (needs `npm run package`) */
  readonly artifacts?: AppStacksProps["artifacts"];
  /** Folder of the local state files the cross-stack `terraform_remote_state` blocks read. @default a fresh temp folder */
  readonly stateDir?: string;
  /** Synth output folder. @default a fresh temp folder */
  readonly outdir?: string;
  /** Reported by the health function. @default the version in package.json */
  readonly serviceVersion?: string;
}

/** synthesizeStacks()'s result with what a test needs around it: the config, the folders, cleanup. */
export interface SynthResult extends Pick<SynthesisResult, "app" | "stacks" | "stackIds" | "json"> {
  /** The config the stacks were built from. */
  readonly config: AppConfig;
  /** Absolute synth output folder (holds `manifest.json` and `stacks/<id>/cdk.tf.json`). */
  readonly outdir: string;
  /** Absolute folder the local backends and `terraform_remote_state` paths point into. */
  readonly stateDir: string;
  /** Absolute folder of one stack's `cdk.tf.json` (where `terraform init` runs); throws for an unknown id. */
  dir(stackId: string): string;
  /** Deletes the temp folders this call created (never a folder the caller passed in). */
  cleanup(): void;
}

/**
 * Builds a full `App` with the three stacks (`addStacks`), synthesizes it and reads back every stack's JSON.
 * Each call gets its own temp folders unless given some, so tests may run in parallel; call `cleanup()` in an
 * `afterAll` to delete them.
 *
 * @example
 *   const synth = synthStacks({ environment: "dev" });
 *   const [fn] = resources(synth.json["compute-stack"], "aws_lambda_function");
 */
export function synthStacks(options: SynthOptions = {}): SynthResult {
  const created: string[] = [];
  const tempDir = (label: string): string => {
    const dir = mkdtempSync(join(tmpdir(), `cdktf-${label}-`));
    created.push(dir);
    return dir;
  };
  const outdir = resolve(options.outdir ?? tempDir("out"));
  const stateDir = resolve(options.stateDir ?? tempDir("state"));
  const config = options.config ?? loadConfig({ environment: options.environment ?? DEFAULT_ENVIRONMENT });

  const { app, stacks, stackIds, json, stackDirs } = synthesizeStacks({
    config,
    outdir,
    stateDir,
    artifacts: options.artifacts,
    serviceVersion: options.serviceVersion,
  });

  return {
    app,
    stacks,
    config,
    outdir,
    stateDir,
    stackIds,
    json,
    dir(stackId: string): string {
      const dir = stackDirs[stackId];
      if (!dir) throw new Error(`No stack "${stackId}" was synthesized; stacks: ${stackIds.join(", ")}`);
      return dir;
    },
    cleanup(): void {
      for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every `resource "<type>"` of a stack, e.g. `resources(json, "aws_lambda_function")`; empty when none. */
export function resources(json: TerraformJson, type: string): TerraformBlock[] {
  return blocksOf(json.resource, type);
}

/** The one `resource "<type>"` of a stack; fails the test when there is not exactly one. */
export function onlyResource(json: TerraformJson, type: string): TerraformBlock {
  const found = resources(json, type);
  expect(found.map((r) => r.id)).toHaveLength(1);
  return found[0];
}

/** Every `data "<type>"` of a stack, e.g. `dataSources(json, "terraform_remote_state")`; empty when none. */
export function dataSources(json: TerraformJson, type: string): TerraformBlock[] {
  return blocksOf(json.data, type);
}

function blocksOf(section: TerraformJson["resource"], type: string): TerraformBlock[] {
  return Object.entries(section?.[type] ?? {}).map(([id, config]) => ({ id, config }));
}

const models = new WeakMap<object, TerraformApp>();

/**
 * Where the references in `value` (an argument of `stack`) come from, followed across stacks through remote
 * state: `<stack>/<construct path>.<attribute><suffix>` each, e.g. `compute-stack/health/function.invoke_arn`.
 * Tests assert wiring with it, by the construct that produces a value, not by cdktf's names for the outputs
 * and remote states it generates.
 */
export function sourcesOf(result: Pick<SynthResult, "json" | "stackIds">, stack: string, value: unknown): string[] {
  let app = models.get(result.json);
  if (!app) models.set(result.json, (app = new TerraformApp(result.json, result.stackIds)));
  return app.resolveAll(stack, value).map((r) => `${r.block.stack}/${r.block.constructPath.join("/")}.${r.attribute}${r.suffix}`);
}

/**
 * An asymmetric matcher for `toEqual`/`toMatchObject`: a string that is exactly one `${...}` reference of
 * `stack` whose source (see sourcesOf) is `source`.
 */
export function comesFrom(result: Pick<SynthResult, "json" | "stackIds">, stack: string, source: string) {
  const describe = () => `comesFrom(${stack} <- ${source})`;
  return {
    asymmetricMatch: (actual: unknown) =>
      typeof actual === "string" && /^\$\{[^{}]+\}[^${}]*$/.test(actual) && sourcesOf(result, stack, actual).join(" ") === source,
    toString: describe,
    toAsymmetricMatcher: describe,
    getExpectedType: () => "string",
  };
}
