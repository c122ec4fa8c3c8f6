import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { loadLambdaArtifact } from "../../app/lambda-packages/artifacts";
import { version } from "../../package.json";
import { addStacks, AppStacks, AppStacksProps } from "../../app/stacks/index";

/** A synthesized `cdk.tf.json`: blocks keyed by type and then by logical id. */
export interface TerraformJson {
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, Array<Record<string, unknown>>>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, TerraformOutputJson>;
  readonly locals?: Record<string, unknown>;
  readonly [block: string]: unknown;
}

/** One entry of a stack's `output` block. */
export interface TerraformOutputJson {
  readonly value: unknown;
  readonly description?: string;
  readonly sensitive?: boolean;
  readonly [key: string]: unknown;
}

export interface SynthesizeOptions extends Pick<AppStacksProps, "config" | "stateDir"> {
  /** Folder the stacks are written to (`manifest.json`, `stacks/<id>/cdk.tf.json`). */
  readonly outdir: string;
  /** @default loadLambdaArtifact (needs `npm run package`) */
  readonly artifacts?: AppStacksProps["artifacts"];
  /** @default the version in package.json */
  readonly serviceVersion?: string;
}

/** What synthesizeStacks() returns: the live app and stacks, and the JSON it wrote. */
export interface SynthesisResult {
  readonly app: App;
  readonly stacks: AppStacks;
  /** Stack ids in deploy order (cdktf's manifest lists them alphabetically). */
  readonly stackIds: readonly string[];
  /** Parsed `cdk.tf.json` of every stack, keyed by stack id. */
  readonly json: Readonly<Record<string, TerraformJson>>;
  /** Absolute folder of one stack's `cdk.tf.json`, where Terraform runs. */
  readonly stackDirs: Readonly<Record<string, string>>;
}

/**
 * Synthesizes the three stacks in-process, as `app/main.ts` does, into `outdir`, and reads every stack back. For
 * the tools that work on the synthesized JSON (tests, the local stack, the diagram, the benchmarks).
 */
export function synthesizeStacks(options: SynthesizeOptions): SynthesisResult {
  const app = new App({ outdir: options.outdir, stackTraces: false });
  const stacks = addStacks(app, {
    config: options.config,
    artifacts: options.artifacts ?? ((name) => loadLambdaArtifact(name)),
    stateDir: options.stateDir,
    serviceVersion: options.serviceVersion ?? version,
  });
  app.synth();

  const manifest = JSON.parse(readFileSync(join(options.outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { workingDirectory: string; synthesizedStackPath: string }>;
  };
  const stackIds = Object.values(stacks).map((stack) => stack.node.id);
  const json: Record<string, TerraformJson> = {};
  const stackDirs: Record<string, string> = {};
  for (const id of stackIds) {
    json[id] = JSON.parse(readFileSync(join(options.outdir, manifest.stacks[id].synthesizedStackPath), "utf8")) as TerraformJson;
    stackDirs[id] = join(options.outdir, manifest.stacks[id].workingDirectory);
  }
  return { app, stacks, stackIds, json, stackDirs };
}

/**
 * Synthesizes the stacks into a throw-away folder and returns every stack's JSON; the folder is deleted, so
 * only the JSON outlives the call. For scripts that read the synthesized stacks (the diagram) without touching
 * the repository's `cdktf.out/`.
 */
export function synthesizeJson(options: Omit<SynthesizeOptions, "outdir" | "stateDir">): Pick<SynthesisResult, "stackIds" | "json"> {
  const workDir = mkdtempSync(join(tmpdir(), "synthesize-json-"));
  try {
    const { stackIds, json } = synthesizeStacks({ ...options, outdir: join(workDir, "out"), stateDir: join(workDir, "state") });
    return { stackIds, json };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
