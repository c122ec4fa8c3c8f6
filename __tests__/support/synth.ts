/**
 * Synthesizes the whole app (all stacks on one `App`, as `app/main.ts` does) into throw-away folders, so tests can
 * assert on the Terraform JSON with cross-stack references resolved. `Testing.synth` works on one stack and
 * leaves cross-stack wiring out; this helper is for everything that crosses a stack boundary.
 *
 * Nothing here writes into the repository's sources: the output folder and the state folder are fresh temp
 * folders unless the caller passes its own, so the `terraform_remote_state` paths of a test synth never point at
 * real state files.
 *
 * Many suites synthesize the same configs (prod, dev and a few variants), each in its own jest module registry,
 * so the output is shared through a cache on disk (node_modules/.cache/test-synth/): keyed by the config, the
 * service version and the content of every input of the synthesis (app/, with the ZIPs it references,
 * tools/lib/, this file, package.json and package-lock.json), holding the files cdktf wrote. A hit copies them into
 * the test's fresh output folder with the state folder's path put in, and reads them back as a synth does; the
 * live `app` and `stacks` are synthesized only when a test reads them. A synth with its own `artifacts` or
 * `outdir`, or with `cache: false`, bypasses it.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { DEFAULT_ENVIRONMENT, loadConfig } from "../../app/config/load";
import type { AppConfig } from "../../app/config/schema";
import type { AppStacksProps } from "../../app/stacks";
import type { SynthesisResult } from "../../tools/lib/synthesize";
import { readSynthesized, TerraformApp, type TerraformJson } from "../../tools/lib/terraform-json";

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
  /** Use the synth cache (see the file) when the options allow it. @default true */
  readonly cache?: boolean;
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
  const synthesize = (into: string) =>
    // Loaded here, not at the top: a suite whose synths all hit the cache never loads cdktf and the provider.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("../../tools/lib/synthesize") as typeof import("../../tools/lib/synthesize")).synthesizeStacks({
      config,
      outdir: into,
      stateDir,
      artifacts: options.artifacts,
      serviceVersion: options.serviceVersion,
    });

  const cacheable = options.cache !== false && options.artifacts === undefined && options.outdir === undefined;
  const entry = cacheable ? cacheEntry(config, options.serviceVersion) : undefined;
  let live: Pick<SynthesisResult, "app" | "stacks"> | undefined;
  let synthesized: Pick<SynthesisResult, "stackIds" | "json" | "stackDirs">;
  if (entry && existsSync(entry)) {
    synthesized = fromCache(entry, outdir, stateDir);
  } else {
    const result = synthesize(outdir);
    live = result;
    synthesized = result;
    if (entry) toCache(entry, outdir, stateDir, result.stackIds);
  }
  const { stackIds, json, stackDirs } = synthesized;
  // The live app of a cache hit: synthesized (into a folder of its own) the first time a test asks for it.
  const liveApp = () => (live ??= synthesize(tempDir("live")));

  return {
    get app() {
      return liveApp().app;
    },
    get stacks() {
      return liveApp().stacks;
    },
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

const REPO_ROOT = resolve(__dirname, "..", "..");
const CACHE_DIR = join(REPO_ROOT, "node_modules", ".cache", "test-synth");
/** Every input of a synthesis besides its options: folders (every file under them) and files, from the repository root. */
export const SYNTH_INPUTS = ["app", "tools/lib", "__tests__/support/synth.ts", "package.json", "package-lock.json"];
/** Stands for the state folder's absolute path in the cached files. */
const STATE_DIR_MARK = "<synth-cache:state-dir>";
/** Cache entries of other inputs older than this are deleted when a new entry is written. */
const STALE_AFTER_MS = 60 * 60 * 1000;

let inputsDigest: string | undefined;

/** SHA-256 over the paths and contents of SYNTH_INPUTS, once per suite. */
function digestOfInputs(): string {
  if (inputsDigest) return inputsDigest;
  const files: string[] = [];
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) if (name !== "node_modules") walk(join(path, name));
    } else {
      files.push(path);
    }
  };
  for (const input of SYNTH_INPUTS) walk(join(REPO_ROOT, input));
  const hash = createHash("sha256");
  for (const file of files) {
    const content = readFileSync(file);
    hash.update(`${relative(REPO_ROOT, file)}\0${content.length}\0`);
    hash.update(content);
  }
  return (inputsDigest = hash.digest("hex").slice(0, 32));
}

/** The cache folder of one synthesis: <inputs>/<config and service version>. */
function cacheEntry(config: AppConfig, serviceVersion: string | undefined): string {
  const key = createHash("sha256")
    .update(JSON.stringify({ config, serviceVersion: serviceVersion ?? null }))
    .digest("hex")
    .slice(0, 32);
  return join(CACHE_DIR, digestOfInputs(), key);
}

/** Every file of a synth output folder, relative to it. */
function filesOf(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesOf(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

/** `text` with every occurrence of `from`, as it appears inside a JSON string, replaced by `to`. */
function replaceInJson(text: string, from: string, to: string): string {
  return text.split(JSON.stringify(from).slice(1, -1)).join(JSON.stringify(to).slice(1, -1));
}

/** The cache's record of the stack ids in deploy order (cdktf's manifest lists them alphabetically). */
const STACK_IDS_FILE = "synth-cache-stack-ids.json";

/** Writes an output folder into the cache, with the state folder's path marked; a concurrent writer of the same entry wins. */
function toCache(entry: string, outdir: string, stateDir: string, stackIds: readonly string[]): void {
  const inputs = join(entry, "..");
  if (!existsSync(inputs)) {
    mkdirSync(inputs, { recursive: true });
    for (const other of readdirSync(CACHE_DIR)) {
      const path = join(CACHE_DIR, other);
      if (path !== inputs && Date.now() - statSync(path).mtimeMs > STALE_AFTER_MS) rmSync(path, { recursive: true, force: true });
    }
  }
  const staging = `${entry}.${process.pid}-${randomBytes(4).toString("hex")}`;
  for (const file of filesOf(outdir)) {
    mkdirSync(join(staging, file, ".."), { recursive: true });
    writeFileSync(join(staging, file), replaceInJson(readFileSync(join(outdir, file), "utf8"), stateDir, STATE_DIR_MARK));
  }
  writeFileSync(join(staging, STACK_IDS_FILE), JSON.stringify(stackIds));
  try {
    renameSync(staging, entry);
  } catch {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Copies a cached output into `outdir` with `stateDir` put back, and reads it as a synthesis does. */
function fromCache(entry: string, outdir: string, stateDir: string): Pick<SynthesisResult, "stackIds" | "json" | "stackDirs"> {
  for (const file of filesOf(entry).filter((f) => f !== STACK_IDS_FILE)) {
    mkdirSync(join(outdir, file, ".."), { recursive: true });
    writeFileSync(join(outdir, file), replaceInJson(readFileSync(join(entry, file), "utf8"), STATE_DIR_MARK, stateDir));
  }
  return readSynthesized(outdir, JSON.parse(readFileSync(join(entry, STACK_IDS_FILE), "utf8")) as string[]);
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
