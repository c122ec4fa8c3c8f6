import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { loadLambdaArtifact } from "../../app/lambda-packages/artifacts";
import { version } from "../../package.json";
import { addStacks, AppStacks, AppStacksProps } from "../../app/stacks/index";
import { readSynthesized, type TerraformJson } from "./terraform-json";

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

  const { stackIds, json, stackDirs } = readSynthesized(
    options.outdir,
    Object.values(stacks).map((stack) => stack.node.id),
  );
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
