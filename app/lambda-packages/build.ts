/**
 * `npm run package`: bundles every function in app/lambda-packages/<name>/index.ts with esbuild and writes
 * app/lambda-packages/dist/<name>.zip (one file, lambda-handler.js, so the Lambda handler is
 * `lambda-handler.handler`) and <name>.manifest.json. The ZIP bytes depend only on the code the function
 * bundles: fixed entry order, timestamps, modes and compression, no absolute path, and no output that depends
 * on code the bundler left out (see the esbuild options), so every machine and every clone builds the same bytes
 * and a change to one function's code changes no other function's ZIP. A package whose manifest matches its
 * sources is not bundled again (`--force` rebuilds it), so running it when nothing changed costs a few
 * milliseconds; esbuild and fflate are loaded only when something is built.
 *
 * Importing this module has no side effect; the CLI runs only when it is the entry point.
 */
import type { BuildContext, BuildOptions, BuildResult, Metafile, Plugin } from "esbuild";
import type { ZipOptions } from "fflate";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import {
  artifactFromBytes,
  checkLambdaArtifact,
  computeSourceHash,
  DIST_DIR,
  displayPath,
  LAMBDA_PACKAGES_DIR,
  REPO_ROOT,
  type LambdaArtifact,
  type LambdaManifest,
} from "./artifacts";

/** Name of the bundle inside each ZIP; the Lambda handler setting is `lambda-handler.handler`. */
export const HANDLER_FILE = "lambda-handler.js";

/** Folders of app/lambda-packages/ that are not functions. */
const NOT_FUNCTIONS = new Set(["shared", "dist", "node_modules"]);

/**
 * ZIP entry timestamp. fflate writes DOS date fields from the *local* getters of this Date, so it is built
 * from local components: the same fields (1980-01-01 00:00:00, the DOS epoch) in every TZ.
 */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** External attributes: regular file, mode 0644, in the high 16 bits (with os = 3, Unix). */
const ZIP_FILE_ATTRS = (0o100644 << 16) >>> 0;
const ZIP_ENTRY_OPTIONS: ZipOptions = { level: 9, mem: 8, mtime: ZIP_MTIME, os: 3, attrs: ZIP_FILE_ATTRS };

/**
 * Compiler options for the handlers, given inline so that no tsconfig.json on disk (the repo's or any other)
 * changes the bundle without changing the source hash: build.ts itself is part of that hash.
 */
const TSCONFIG_RAW = { compilerOptions: { target: "ES2022", useDefineForClassFields: true, strict: true } };

/**
 * @aws-lite/client requires its vendored XML parser (26 KB minified, a fifth of the bundle) only when a service
 * answers in XML; DynamoDB speaks JSON. The bundle gets a stub instead, which throws if it is ever required.
 * If a future aws-lite moves the file, the filter stops matching and the bundle is merely bigger.
 */
const stubAwsLiteXml: Plugin = {
  name: "stub-aws-lite-xml",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/_vendor\/xml$/ }, (args) =>
      /[\\/]@aws-lite[\\/]client[\\/]/.test(args.importer) ? { path: "aws-lite-xml", namespace: "stub" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents: 'throw new Error("XML support of @aws-lite/client is not bundled (app/lambda-packages/build.ts)");',
      loader: "js",
    }));
  },
};

export interface BuildPackageOptions {
  /** Where to write <name>.zip and <name>.manifest.json. @default app/lambda-packages/dist */
  readonly outDir?: string;
  /** Folder holding <name>/index.ts and shared/ (a copy of app/lambda-packages/ in tests). @default app/lambda-packages/ */
  readonly sourceDir?: string;
  /** Bundle even when the ZIP in outDir is up to date with its sources. @default false */
  readonly force?: boolean;
}

export interface BuiltPackage extends LambdaArtifact {
  readonly manifestPath: string;
  readonly sourceHash: string;
  /** The files of the sources folder the bundle holds, relative to it (the manifest's `inputs`). */
  readonly inputs: readonly string[];
  /** False when the package was up to date with its sources and the bundler did not run. */
  readonly bundled: boolean;
  /** False when the ZIP and manifest on disk already had these exact bytes and were left untouched. */
  readonly written: boolean;
}

/** Functions = subfolders of sourceDir holding an index.ts, except shared/ and dist/; sorted. */
export function listFunctions(sourceDir: string = LAMBDA_PACKAGES_DIR): string[] {
  return readdirSync(sourceDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !NOT_FUNCTIONS.has(e.name) && existsSync(join(sourceDir, e.name, "index.ts")))
    .map((e) => e.name)
    .sort();
}

/**
 * Bundles one function and writes its ZIP and manifest (only the files whose bytes changed), unless the ZIP in
 * outDir is already up to date with the sources (then nothing runs and nothing is written).
 */
export async function buildPackage(name: string, options: BuildPackageOptions = {}): Promise<BuiltPackage> {
  return buildPackageWith(
    async (entry, sourceDir) => {
      const { code, inputs } = await bundle(entry, sourceDir);
      return { zip: await zipOf(code), inputs };
    },
    name,
    options,
  );
}

/** Packages one entry point: its ZIP and the files of the sources folder its bundle read. */
type Packager = (entry: string, sourceDir: string) => Promise<{ zip: Uint8Array; inputs: string[] }>;

/** The ZIP of a bundle: one entry, HANDLER_FILE, with fixed options, so its bytes depend on the code only. */
async function zipOf(code: Uint8Array): Promise<Uint8Array> {
  const { zipSync } = await import("fflate");
  return zipSync({ [HANDLER_FILE]: [code, ZIP_ENTRY_OPTIONS] }, ZIP_ENTRY_OPTIONS);
}

/** buildPackage() with the ZIP made by `packager`: a fresh esbuild build, or a rebuild of an incremental context. */
async function buildPackageWith(packager: Packager, name: string, options: BuildPackageOptions): Promise<BuiltPackage> {
  const sourceDir = resolve(options.sourceDir ?? LAMBDA_PACKAGES_DIR);
  const outDir = resolve(options.outDir ?? DIST_DIR);
  const entry = join(sourceDir, name, "index.ts");
  if (!existsSync(entry)) {
    throw new Error(`Lambda function "${name}" has no source: ${displayPath(entry)} does not exist.`);
  }
  const sourceHash = computeSourceHash(name, { sourceDir });
  const manifestPath = join(outDir, `${name}.manifest.json`);
  if (!options.force) {
    const current = checkLambdaArtifact(name, { distDir: outDir, sourceDir, sourceHash });
    if (current.ok) return { ...current.artifact, manifestPath, sourceHash, inputs: current.manifest.inputs, bundled: false, written: false };
  }

  const { zip, inputs } = await packager(entry, sourceDir);

  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, `${name}.zip`);
  const artifact = artifactFromBytes(name, zipPath, zip);
  const manifest: LambdaManifest = { function: name, sourceHash, zipSha256: artifact.sha256Hex, inputs };
  const zipWritten = writeIfChanged(zipPath, zip);
  const manifestWritten = writeIfChanged(manifestPath, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));

  return { ...artifact, manifestPath, sourceHash, inputs, bundled: true, written: zipWritten || manifestWritten };
}

/**
 * The bundle of one entry point. The options keep each function's output a function of the code it bundles
 * only. esbuild's identifier minifier picks its short names by how often each character occurs in every file
 * the bundle touches, counted over whole files, including the code that tree shaking then drops; so an edit to
 * `endSessionsOfUser` in shared/sessions.ts renamed identifiers all over the authorizer's bundle, which does not
 * contain that function. Identifiers are therefore kept, and whitespace too: the bundle stays readable, its
 * stack traces name real functions and lines, and it needs no source map (Lambda reads none unless
 * NODE_OPTIONS has --enable-source-maps, and a map in the ZIP would change with every line added above a
 * bundled function in any shared module). Syntax minification stays: it is local to the code it rewrites.
 * Kept names compress well: the ZIPs are smaller than the minified bundle with its map was.
 */
async function bundle(entry: string, sourceDir: string): Promise<{ code: Uint8Array; inputs: string[] }> {
  const { build } = await import("esbuild");
  return bundleOutput(await build(bundleOptions(entry)), entry, sourceDir);
}

/** The esbuild options of one entry point's bundle (see bundle()). */
function bundleOptions(entry: string): BuildOptions & { write: false; metafile: true } {
  return {
    entryPoints: [entry],
    // Every path esbuild records (the `// app/lambda-packages/shared/x.ts` comment before each module's code) is
    // relative to the repository root, because the output file is placed there; nothing absolute reaches it.
    absWorkingDir: REPO_ROOT,
    outfile: join(REPO_ROOT, HANDLER_FILE),
    // Sources copied outside the repository (tests) still resolve the repository's dependencies.
    nodePaths: [join(REPO_ROOT, "node_modules")],
    tsconfigRaw: TSCONFIG_RAW,
    platform: "node",
    target: "node22",
    format: "cjs",
    bundle: true,
    minifySyntax: true,
    minifyIdentifiers: false,
    minifyWhitespace: false,
    legalComments: "none",
    charset: "utf8",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [stubAwsLiteXml],
  };
}

/** The one output file of a bundle and the sources it read, or an error when esbuild wrote anything else. */
function bundleOutput(
  result: BuildResult<{ write: false; metafile: true }>,
  entry: string,
  sourceDir: string,
): { code: Uint8Array; inputs: string[] } {
  const [output] = result.outputFiles;
  if (result.outputFiles.length !== 1 || !output) {
    throw new Error(`esbuild produced ${result.outputFiles.length} files for ${displayPath(entry)}, expected ${HANDLER_FILE} only`);
  }
  return { code: output.contents, inputs: sourceInputs(result.metafile, sourceDir) };
}

/**
 * The files of `sourceDir` esbuild read for a bundle, from its metafile (keys relative to absWorkingDir, the
 * repository root): relative to `sourceDir`, with forward slashes, sorted. Dependencies (node_modules) and the
 * stub of stubAwsLiteXml (namespace "stub:") are outside it and left out: a dependency changes with
 * package-lock.json, which the source hash covers.
 */
function sourceInputs(metafile: Metafile, sourceDir: string): string[] {
  return Object.keys(metafile.inputs)
    .filter((input) => !/^[a-z-]+:/.test(input))
    .map((input) => relative(sourceDir, resolve(REPO_ROOT, input)))
    .filter((path) => path !== "" && !path.startsWith("..") && !isAbsolute(path) && !path.split(sep).includes("node_modules"))
    .map((path) => path.split(sep).join("/"))
    .sort();
}

/** Builds every function of sourceDir, in parallel. */
export async function buildAll(options: BuildPackageOptions = {}): Promise<BuiltPackage[]> {
  return Promise.all(listFunctions(options.sourceDir).map((name) => buildPackage(name, options)));
}

/** How many ZIPs incrementalBuild() keeps for bundles that come back (a few per function). */
const ZIPS_KEPT = 32;

/** Builds every function of one sources folder again and again; see incrementalBuild(). */
export interface IncrementalBuild {
  /** buildAll() of the folder as it is now. */
  buildAll(): Promise<BuiltPackage[]>;
  /** Ends the esbuild contexts. */
  dispose(): Promise<void>;
}

/**
 * For a caller that rebuilds the same sources folder many times (the package-isolation test edits one module at a
 * time): each function keeps an esbuild context, whose rebuild parses again only the files whose contents changed
 * since its last build, and a bundle whose code it zipped recently gets that ZIP again (the ZIP is a function of
 * the code only, and compressing is most of a build's CPU). Same options, same up-to-date check, same bytes and
 * manifests as buildAll.
 */
export function incrementalBuild(options: BuildPackageOptions = {}): IncrementalBuild {
  const contexts = new Map<string, Promise<BuildContext<{ write: false; metafile: true }>>>();
  // By function and bundle digest, the most recent first out: an edit made and undone gives back a bundle seen before.
  const zips = new Map<string, Uint8Array>();
  const rebuild: Packager = async (entry, sourceDir) => {
    let context = contexts.get(entry);
    if (!context) {
      context = import("esbuild").then(({ context: create }) => create(bundleOptions(entry)));
      contexts.set(entry, context);
    }
    const { code, inputs } = bundleOutput(await (await context).rebuild(), entry, sourceDir);
    const key = `${entry}\0${createHash("sha256").update(code).digest("hex")}`;
    const zip = zips.get(key) ?? (await zipOf(code));
    zips.delete(key);
    zips.set(key, zip);
    if (zips.size > ZIPS_KEPT) zips.delete(zips.keys().next().value!);
    return { zip, inputs };
  };
  return {
    buildAll: () => Promise.all(listFunctions(options.sourceDir).map((name) => buildPackageWith(rebuild, name, options))),
    dispose: async () => {
      const open = [...contexts.values()];
      contexts.clear();
      await Promise.all(open.map(async (context) => (await context).dispose()));
    },
  };
}

/** ZIPs and manifests in outDir that belong to no current function. */
export function orphanedFiles(outDir: string, names: readonly string[]): string[] {
  if (!existsSync(outDir)) return [];
  const expected = new Set(names.flatMap((n) => [`${n}.zip`, `${n}.manifest.json`]));
  return readdirSync(outDir)
    .filter((f) => (f.endsWith(".zip") || f.endsWith(".manifest.json")) && !expected.has(f))
    .map((f) => join(outDir, f));
}

function writeIfChanged(path: string, bytes: Uint8Array): boolean {
  if (existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0) return false;
  writeFileSync(path, bytes);
  return true;
}

function parseArgs(argv: readonly string[]): BuildPackageOptions {
  const options: { outDir?: string; sourceDir?: string; force?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === "--force") {
      options.force = true;
    } else if ((arg === "--out-dir" || arg === "--source-dir") && value !== undefined) {
      if (arg === "--out-dir") options.outDir = value;
      else options.sourceDir = value;
      i++;
    } else {
      throw new Error(`Unknown argument ${arg}. Usage: build.ts [--out-dir <dir>] [--source-dir <dir>] [--force]`);
    }
  }
  return options;
}

/** `npm run package [--out-dir <dir>] [--source-dir <dir>] [--force]`: builds what is stale and says what it did. */
export async function packageCommand(argv: readonly string[]): Promise<void> {
  const options = parseArgs(argv);
  const started = process.hrtime.bigint();
  const built = await buildAll(options);
  const outDir = resolve(options.outDir ?? DIST_DIR);
  // Only in the default dist/: an --out-dir may hold ZIPs that are none of this build's business.
  const orphans =
    options.outDir === undefined
      ? orphanedFiles(
          outDir,
          built.map((b) => b.name),
        )
      : [];
  for (const orphan of orphans) {
    unlinkSync(orphan);
    console.log(`removed ${displayPath(orphan)} (no such function)`);
  }
  const ms = (Number(process.hrtime.bigint() - started) / 1e6).toFixed(0);
  const bundled = built.filter((b) => b.bundled);
  if (bundled.length === 0) {
    // The common case (cdktf synth runs this first every time): one line, nothing was touched.
    console.log(`${built.length} package(s) in ${displayPath(outDir)} up to date (${ms} ms)`);
    return;
  }
  const width = Math.max(0, ...built.map((b) => b.name.length));
  for (const b of built) {
    const kb = (b.sizeBytes / 1024).toFixed(1).padStart(6);
    const state = !b.bundled ? "  (up to date)" : b.written ? "" : "  (rebuilt, same bytes)";
    console.log(`${b.name.padEnd(width)} ${kb} KB  sha256 ${b.sha256Hex.slice(0, 12)}${state}`);
  }
  console.log(`${bundled.length} of ${built.length} package(s) bundled into ${displayPath(outDir)} in ${ms} ms`);
}

if (require.main === module) {
  packageCommand(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
