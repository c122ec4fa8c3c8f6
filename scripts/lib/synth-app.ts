/**
 * Synthesizes the app in-process, as `main.ts` does, into a throw-away folder and returns every stack's JSON.
 * For scripts that read the synthesized stacks (the diagram); the repository's `cdktf.out/` is not touched.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../config/load";
import type { AppConfig } from "../../config/schema";
import { synthesizeStacks } from "../../stacks/synthesize";
import type { TerraformJson } from "./terraform-json";

export interface SynthAppOptions {
  /** Config to load, `config/<environment>.json`; ignored when `config` is given. */
  readonly environment?: string;
  /** An already validated config. @default loadConfig({ environment }) */
  readonly config?: AppConfig;
}

export interface SynthesizedApp {
  readonly config: AppConfig;
  /** Stack ids in deploy order (the order `addStacks` creates them). */
  readonly stackIds: readonly string[];
  readonly json: Readonly<Record<string, TerraformJson>>;
}

/**
 * Builds the three stacks on a fresh `App`, synthesizes them into a temp folder, reads every `cdk.tf.json` and
 * deletes the folder. Throws the config's ConfigError, or the Lambda artifact error when `npm run package` has
 * not run.
 */
export function synthApp(options: SynthAppOptions = {}): SynthesizedApp {
  const config = options.config ?? loadConfig({ environment: options.environment });
  const workDir = mkdtempSync(join(tmpdir(), "synth-app-"));
  try {
    const { stackIds, json } = synthesizeStacks({ config, outdir: join(workDir, "out"), stateDir: join(workDir, "state") });
    return { config, stackIds, json };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
