/**
 * Builds what the local stack runs from: the Lambda ZIPs (`npm run package`, in-process) and the three stacks
 * synthesized with the app's own `addStacks`, exactly as `cdktf synth` would, into a folder of the caller's.
 * This is the only file of `tools/local/` that knows about the cdktf app; everything after it reads the JSON.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../app/config/load";
import { AppConfigSchema, type AppConfig } from "../../app/config/schema";
import { buildAll } from "../../app/lambda-packages/build";

export interface PackageAndSynthesizeOptions {
  /** Config file to load: `app/config/<environment>.json`. */
  readonly environment: string;
  /** Changes the loaded config before synthesis (e.g. a tighter throttle for a test); the result is validated. */
  readonly configOverride?: (config: AppConfig) => AppConfig;
  /** Folder to synthesize into; emptied first. */
  readonly outdir: string;
  /** Folder the `terraform_remote_state` paths point into (nothing is written there). */
  readonly stateDir: string;
  /** Run the package build first (it rewrites a ZIP only when its sources changed). @default true */
  readonly buildPackages?: boolean;
}

/** Packages the functions, then synthesizes the app into `outdir`; returns the config it was built from. */
export async function packageAndSynthesize(options: PackageAndSynthesizeOptions): Promise<AppConfig> {
  const loaded = loadConfig({ environment: options.environment });
  const config = options.configOverride ? AppConfigSchema.parse(options.configOverride(loaded)) : loaded;
  if (options.buildPackages ?? true) await buildAll();

  // cdktf, the provider classes and the stacks load here, on the first synthesis, not when this module is imported:
  // the checks `npm start` makes before it synthesizes (its arguments, the data folder's lock) answer without them.
  const { synthesizeStacks } = await import("../lib/synthesize");
  rmSync(options.outdir, { recursive: true, force: true });
  mkdirSync(options.stateDir, { recursive: true });
  synthesizeStacks({ config, outdir: options.outdir, stateDir: options.stateDir });
  return config;
}

/** The folders of one environment's local data: `<dataDir>/<environment>/...`. */
export function localDataDirs(dataDir: string, environment: string) {
  const root = join(dataDir, environment);
  return {
    root,
    /** dynalite's LevelDB files: the only thing kept across restarts. */
    dynamodb: join(root, "dynamodb"),
    synth: join(root, "cdktf.out"),
    state: join(root, "state"),
    functions: join(root, "functions"),
    outputs: join(root, "outputs.json"),
  };
}
