/**
 * Section 3, Lambda packages: each function's ZIP size and cold init (the time `require("lambda-handler.js")`
 * takes in a fresh Node process, measured inside that process with hrtime around the require), against two
 * baselines built in this run:
 * - sdk: the same handler with app/lambda-packages/shared/dynamodb.ts replaced by tools/bench/sdk-dynamodb.ts (AWS SDK v3
 *   document client, same interface), built by the app's own buildPackage() from a copy of the sources, so the
 *   esbuild options, minification and ZIP writing are exactly the app's and the rest of the handler is identical;
 * - unbundled: the handler's own .ts files transpiled one by one (esbuild transform, no bundling, no
 *   minification) into a temp folder whose node_modules is the repository's, so every dependency loads from
 *   node_modules as it would without a bundler. The compiler never runs in the measured process.
 * Samples are interleaved (function x variant, round robin) so a noisy moment hits every variant alike.
 */
import { transformSync } from "esbuild";
import { unzipSync } from "fflate";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadConfig } from "../../app/config/load";
import type { AppConfig, FunctionName } from "../../app/config/schema";
import { LAMBDA_PACKAGES_DIR, loadLambdaArtifact, REPO_ROOT } from "../../app/lambda-packages/artifacts";
import { functionEnvironment } from "../../app/stacks/compute-stack";
import { buildPackage, HANDLER_FILE, listFunctions } from "../../app/lambda-packages/build";
import { runJson } from "./lib/proc";
import type { SectionResult, TargetResult } from "./lib/report";
import { fmt, fmtRatio, fmtSpread, ratio, summarize, type Summary } from "./lib/stats";

export interface LambdaOptions {
  readonly tmp: string;
  /** Cold starts per function and variant. */
  readonly samples: number;
}

type Variant = "app" | "sdk" | "unbundled";
const VARIANTS: readonly Variant[] = ["app", "sdk", "unbundled"];
export const ZIP_LIMIT_BYTES = 100 * 1024;
export const INIT_LIMIT_MS = 30;

/** Runs in the child: `node -e INIT_CHILD <module>`; prints {ms, modules, kib}. */
export const INIT_CHILD = `
const path = process.argv[1];
const t0 = process.hrtime.bigint();
require(path);
const t1 = process.hrtime.bigint();
const files = Object.keys(require.cache);
let bytes = 0;
for (const file of files) { try { bytes += require("node:fs").statSync(file).size; } catch {} }
process.stdout.write(JSON.stringify({ ms: Number(t1 - t0) / 1e6, modules: files.length, kib: bytes / 1024 }) + "\\n");
process.exit(0);
`;

export interface InitSample {
  readonly ms: number;
  readonly modules: number;
  readonly kib: number;
}

/** Unzips a function's ZIP into dir; returns its handler file. */
export function extract(zipPath: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zipPath)))) writeFileSync(join(dir, name), bytes);
  return join(dir, HANDLER_FILE);
}

/** A copy of app/lambda-packages/ (functions and shared/) whose shared/dynamodb.ts re-exports the SDK baseline. */
function sdkSourceDir(root: string): string {
  const dir = join(root, "sdk-src");
  for (const entry of readdirSync(LAMBDA_PACKAGES_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === "dist" || entry.name === "node_modules") continue;
    const from = join(LAMBDA_PACKAGES_DIR, entry.name);
    mkdirSync(join(dir, entry.name), { recursive: true });
    for (const file of readdirSync(from)) {
      if (statSync(join(from, file)).isFile()) copyFileSync(join(from, file), join(dir, entry.name, file));
    }
  }
  writeFileSync(join(dir, "shared", "dynamodb.ts"), `export * from ${JSON.stringify(join(REPO_ROOT, "tools", "bench", "sdk-dynamodb"))};\n`);
  return dir;
}

/** The function's sources and shared/ transpiled file by file; returns the entry point. */
function unbundled(root: string, name: string): string {
  const base = join(root, "unbundled");
  const target = join(base, "lambda-packages");
  for (const folder of [name, "shared"]) {
    for (const file of readdirSync(join(LAMBDA_PACKAGES_DIR, folder))) {
      if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
      const source = join(LAMBDA_PACKAGES_DIR, folder, file);
      const out = join(target, folder, file.replace(/\.ts$/, ".js"));
      mkdirSync(dirname(out), { recursive: true });
      const { code } = transformSync(readFileSync(source, "utf8"), {
        loader: "ts",
        format: "cjs",
        target: "node22",
        sourcefile: source,
        tsconfigRaw: { compilerOptions: { target: "ES2022", useDefineForClassFields: true, strict: true } },
      });
      writeFileSync(out, code);
    }
  }
  try {
    symlinkSync(join(REPO_ROOT, "node_modules"), join(base, "node_modules"), "dir");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return join(target, name, "index.js");
}

let prodConfig: AppConfig | undefined;

/** What Lambda and the stack give function `name` (prod config) for a cold init; nothing here is contacted during init. */
export function initEnvironment(name: string, home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDBENCH",
    AWS_SECRET_ACCESS_KEY: "bench-secret",
    AWS_SESSION_TOKEN: "bench-session",
    AWS_LAMBDA_FUNCTION_NAME: `bench-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
    AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:9",
    // What compute-stack gives the function (its tables' names, its own variables), from the prod config.
    ...functionEnvironment((prodConfig ??= loadConfig({ environment: "prod" })), name as FunctionName, "0.0.0-bench", (table) => `bench-${table}`),
  };
}

export async function benchLambda(options: LambdaOptions): Promise<SectionResult> {
  const root = mkdtempSync(join(options.tmp, "lambda-"));
  const names = listFunctions();
  const sdkSources = sdkSourceDir(root);
  const home = join(root, "home");
  mkdirSync(home);

  const zipBytes: Record<Variant, Record<string, number>> = { app: {}, sdk: {}, unbundled: {} };
  const handlerBytes: Record<Variant, Record<string, number>> = { app: {}, sdk: {}, unbundled: {} };
  const entry: Record<Variant, Record<string, string>> = { app: {}, sdk: {}, unbundled: {} };
  for (const name of names) {
    // The shipped ZIP, as `npm run package` built it (refused when stale, like synth does).
    const artifact = loadLambdaArtifact(name);
    zipBytes.app[name] = artifact.sizeBytes;
    entry.app[name] = extract(artifact.zipPath, join(root, "app", name));
    const sdk = await buildPackage(name, { sourceDir: sdkSources, outDir: join(root, "sdk-dist") });
    zipBytes.sdk[name] = sdk.sizeBytes;
    entry.sdk[name] = extract(sdk.zipPath, join(root, "sdk", name));
    entry.unbundled[name] = unbundled(root, name);
    for (const variant of ["app", "sdk"] as const) handlerBytes[variant][name] = statSync(entry[variant][name]).size;
  }

  const env = (name: string): NodeJS.ProcessEnv => initEnvironment(name, home);

  const samples: Record<Variant, Record<string, InitSample[]>> = { app: {}, sdk: {}, unbundled: {} };
  for (let i = -1; i < options.samples; i++) {
    for (const name of names) {
      for (const variant of VARIANTS) {
        const { result } = await runJson<InitSample>(process.execPath, ["-e", INIT_CHILD, entry[variant][name]], { env: env(name), cwd: root });
        if (i < 0) continue; // warm-up round
        (samples[variant][name] ??= []).push(result);
      }
    }
  }

  const init: Record<Variant, Record<string, Summary>> = { app: {}, sdk: {}, unbundled: {} };
  const loaded: Record<Variant, Record<string, { modules: number; kib: number }>> = { app: {}, sdk: {}, unbundled: {} };
  for (const variant of VARIANTS) {
    for (const name of names) {
      const list = samples[variant][name];
      init[variant][name] = summarize(list.map((s) => s.ms));
      loaded[variant][name] = { modules: list[0].modules, kib: Math.round(list[0].kib) };
    }
  }

  const kb = (bytes: number) => fmt(bytes / 1024, 1);
  const bigZips = names.filter((n) => zipBytes.app[n] >= ZIP_LIMIT_BYTES);
  const slowInits = names.filter((n) => init.app[n].median >= INIT_LIMIT_MS);
  const targets: TargetResult[] = [
    {
      target: "each function ZIP < 100 KB",
      figure: names.map((n) => `${n} ${kb(zipBytes.app[n])} KB`).join(", "),
      met: bigZips.length === 0,
      ...(bigZips.length > 0 ? { why: `${bigZips.join(", ")} over the limit` } : {}),
    },
    {
      target: "each cold init median < 30 ms",
      figure: names.map((n) => `${n} ${fmt(init.app[n].median, 1)} ms`).join(", "),
      met: slowInits.length === 0,
      ...(slowInits.length > 0 ? { why: `${slowInits.join(", ")} over the limit on this run` } : {}),
    },
  ];

  return {
    name: "lambda",
    targets,
    data: {
      samplesPerVariant: options.samples,
      zipBytes,
      handlerJsBytes: { app: handlerBytes.app, sdk: handlerBytes.sdk },
      initMs: init,
      loaded,
      sdkOverApp: Object.fromEntries(names.map((n) => [n, ratio(init.sdk[n].median, init.app[n].median)])),
      unbundledOverApp: Object.fromEntries(names.map((n) => [n, ratio(init.unbundled[n].median, init.app[n].median)])),
    },
    tables: [
      {
        title: `Lambda packages: ZIP size and cold init (require of the handler in a fresh Node process; median (min-max) of ${options.samples})`,
        headers: [
          "function",
          "ZIP, KB",
          "init, ms",
          "SDK v3 baseline: ZIP, KB",
          "init, ms",
          "SDK / app",
          "unbundled baseline: init, ms",
          "unbundled / app",
        ],
        rows: names.map((n) => [
          n,
          kb(zipBytes.app[n]),
          fmtSpread(init.app[n], 1),
          kb(zipBytes.sdk[n]),
          fmtSpread(init.sdk[n], 1),
          fmtRatio(ratio(init.sdk[n].median, init.app[n].median)),
          fmtSpread(init.unbundled[n], 1),
          fmtRatio(ratio(init.unbundled[n].median, init.app[n].median)),
        ]),
        notes: [
          "App: lambda-handler.js from app/lambda-packages/dist/<fn>.zip (aws-lite + zod/mini, bundled by `npm run package`: syntax minified, names and lines kept, no source map).",
          `ZIPs hold lambda-handler.js only; its size unzipped: ${names.map((n) => `${n} ${kb(handlerBytes.app[n])} KB (SDK: ${kb(handlerBytes.sdk[n])} KB)`).join(", ")}.`,
          "SDK v3 baseline: the same handler with shared/dynamodb.ts swapped for tools/bench/sdk-dynamodb.ts (@aws-sdk/lib-dynamodb document client), built by the app's buildPackage() (same esbuild options, same ZIP writer).",
          "Unbundled baseline: the handler's .ts files transpiled one by one (esbuild transform, before the measurement), dependencies from node_modules; " +
            `modules loaded: ${names.map((n) => `${n} ${loaded.unbundled[n].modules}`).join(", ")} (bundled: 1).`,
          "Init = hrtime around require() in the child, nothing subtracted; the client's asynchronous set-up that continues after require() returns is not in it, for either client. One warm-up round first, not counted.",
        ],
      },
    ],
  };
}
