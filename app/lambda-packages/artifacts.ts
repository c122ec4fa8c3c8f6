/**
 * Read side of the Lambda packages: what the CDKTF app needs at synth time to reference a ZIP built by
 * `npm run package` (app/lambda-packages/build.ts). Node builtins only, so importing it costs nothing: no esbuild,
 * no fflate.
 *
 * Freshness is decided by content, not mtime (mtimes are meaningless after a git clone): the build writes a
 * manifest with the hash of the sources it bundled, and loadLambdaArtifact() refuses a ZIP whose manifest
 * hash differs from the hash of the sources now on disk.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";

/** Repository root (this file lives in `<root>/app/lambda-packages/`). */
export const REPO_ROOT = resolve(__dirname, "..", "..");
/** Where the handler sources live: one folder per function, plus `shared/`. */
export const LAMBDA_PACKAGES_DIR = __dirname;
/** Where `npm run package` writes `<name>.zip` and `<name>.manifest.json`. */
export const DIST_DIR = join(__dirname, "dist");

/** A built Lambda package, ready to be uploaded and referenced by `aws_lambda_function`. */
export interface LambdaArtifact {
  /** Function name, i.e. its folder under app/lambda-packages/ ("health"). */
  readonly name: string;
  /** Absolute path of dist/<name>.zip. */
  readonly zipPath: string;
  /** SHA-256 of the ZIP bytes, hex. */
  readonly sha256Hex: string;
  /** SHA-256 of the ZIP bytes, base64: the format of aws_lambda_function.source_code_hash. */
  readonly sha256Base64: string;
  /**
   * Object key in the versioned package bucket: `${name}/lambda.zip`, one per function and the same for every build,
   * so a new build is a new version of the same object (kept as noncurrent when replaced) rather than a new object.
   */
  readonly s3Key: string;
  readonly sizeBytes: number;
}

/** Written next to each ZIP by the build; ties the ZIP to the sources it was built from. */
export interface LambdaManifest {
  readonly function: string;
  readonly sourceHash: string;
  readonly zipSha256: string;
  /**
   * The files of the sources folder the bundle holds (esbuild's metafile), relative to it, sorted: what
   * `npm start -- --watch` rebuilds this package for. The source hash covers more (all of shared/), so it stays
   * the test of freshness.
   */
  readonly inputs: readonly string[];
}

/** Repository-relative files that are part of every function's source hash, besides its own folder and shared/. */
const BUILD_INPUTS = ["app/lambda-packages/build.ts", "package-lock.json"] as const;

/**
 * SHA-256 (hex) over the sorted relative paths and contents of app/lambda-packages/<name>/**,
 * app/lambda-packages/shared/**, app/lambda-packages/build.ts and package-lock.json (so a dependency bump or a change
 * to the bundler options counts as a source change). Paths are hashed relative to the sources folder, so a
 * copy of the sources elsewhere hashes the same. Dotfiles, `dist` and `node_modules` are ignored.
 * @param options.sourceDir folder holding `<name>/` and `shared/`; @default app/lambda-packages/
 */
export function computeSourceHash(name: string, options: { sourceDir?: string } = {}): string {
  const sourceDir = resolve(options.sourceDir ?? LAMBDA_PACKAGES_DIR);
  const functionDir = join(sourceDir, name);
  if (!existsSync(join(functionDir, "index.ts"))) {
    throw new Error(`Lambda function "${name}" has no source: ${displayPath(join(functionDir, "index.ts"))} does not exist.`);
  }
  const files: Array<[label: string, path: string]> = [
    ...listFiles(functionDir).map((p): [string, string] => [toPosix(relative(sourceDir, p)), p]),
    ...listFiles(join(sourceDir, "shared")).map((p): [string, string] => [toPosix(relative(sourceDir, p)), p]),
    ...BUILD_INPUTS.map((p): [string, string] => [`<root>/${p}`, join(REPO_ROOT, p)]),
  ];
  files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const hash = createHash("sha256");
  for (const [label, path] of files) {
    const content = readFileSync(path);
    // Length-prefixed fields, so no two different file sets can produce the same byte stream.
    hash.update(`${label}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex");
}

/** What checkLambdaArtifact() found: the package, or why it cannot be used (missing, stale, altered). */
export type ArtifactCheck =
  { readonly ok: true; readonly artifact: LambdaArtifact; readonly manifest: LambdaManifest } | { readonly ok: false; readonly problem: string };

/**
 * Checks the package of one function without throwing: that the ZIP and its manifest exist, that the ZIP
 * matches the manifest and that its sources have not changed since it was built. `npm run package` uses it
 * to skip the bundler for a package that is up to date; loadLambdaArtifact() turns a problem into an error.
 * @param options.distDir @default app/lambda-packages/dist
 * @param options.sourceDir @default app/lambda-packages/
 * @param options.sourceHash the hash of the sources now, when the caller already computed it
 */
export function checkLambdaArtifact(name: string, options: { distDir?: string; sourceDir?: string; sourceHash?: string } = {}): ArtifactCheck {
  const distDir = resolve(options.distDir ?? DIST_DIR);
  const zipPath = join(distDir, `${name}.zip`);
  const manifestPath = join(distDir, `${name}.manifest.json`);
  const zipDisplay = displayPath(zipPath);
  const problem = (text: string): ArtifactCheck => ({ ok: false, problem: text });

  if (!existsSync(zipPath)) {
    return problem(`Lambda package ${zipDisplay} is missing. Run \`npm run package\` to build it.`);
  }
  if (!existsSync(manifestPath)) {
    return problem(`Lambda package manifest ${displayPath(manifestPath)} is missing. Run \`npm run package\` to build it.`);
  }
  const manifest = parseManifest(readFileSync(manifestPath, "utf8"), manifestPath);
  if (typeof manifest === "string") return problem(manifest);
  if (manifest.function !== name) {
    return problem(
      `Lambda package manifest ${displayPath(manifestPath)} describes function "${manifest.function}", expected "${name}". Run \`npm run package\`.`,
    );
  }
  const sourceHash = options.sourceHash ?? computeSourceHash(name, { sourceDir: options.sourceDir });
  if (manifest.sourceHash !== sourceHash) {
    return problem(`Lambda package ${zipDisplay} is stale: its sources changed since it was built. Run \`npm run package\`.`);
  }
  const artifact = artifactFromBytes(name, zipPath, readFileSync(zipPath));
  if (artifact.sha256Hex !== manifest.zipSha256) {
    return problem(
      `Lambda package ${zipDisplay} does not match its manifest (sha256 ${artifact.sha256Hex}, manifest says ${manifest.zipSha256}): it was changed after it was built. Run \`npm run package\`.`,
    );
  }
  return { ok: true, artifact, manifest };
}

/**
 * The manifest of one function's package as it is on disk, fresh or stale (`npm start -- --watch` reads which
 * files each package bundles from it); undefined when it is missing or unreadable.
 * @param options.distDir @default app/lambda-packages/dist
 */
export function readLambdaManifest(name: string, options: { distDir?: string } = {}): LambdaManifest | undefined {
  const manifestPath = join(resolve(options.distDir ?? DIST_DIR), `${name}.manifest.json`);
  if (!existsSync(manifestPath)) return undefined;
  const manifest = parseManifest(readFileSync(manifestPath, "utf8"), manifestPath);
  return typeof manifest === "string" ? undefined : manifest;
}

/**
 * A function's package cannot be used: missing, stale or altered. The user's to fix (the message says to run
 * `npm run package`), so the cdktf apps print only the message.
 */
export class LambdaArtifactError extends Error {
  constructor(
    readonly functionName: string,
    message: string,
  ) {
    super(message);
    this.name = "LambdaArtifactError";
  }
}

/**
 * Describes the package of one function for the CDKTF app, after checkLambdaArtifact(). Throws a
 * LambdaArtifactError that says what is wrong and to run `npm run package`, so synth refuses a missing or stale ZIP.
 * @param options.distDir @default app/lambda-packages/dist
 * @param options.sourceDir @default app/lambda-packages/
 */
export function loadLambdaArtifact(name: string, options: { distDir?: string; sourceDir?: string } = {}): LambdaArtifact {
  const check = checkLambdaArtifact(name, options);
  if (!check.ok) throw new LambdaArtifactError(name, check.problem);
  return check.artifact;
}

/** Builds the LambdaArtifact record from the ZIP bytes (shared with build.ts so both compute it the same way). */
export function artifactFromBytes(name: string, zipPath: string, bytes: Uint8Array): LambdaArtifact {
  const digest = createHash("sha256").update(bytes).digest();
  const sha256Hex = digest.toString("hex");
  return {
    name,
    zipPath,
    sha256Hex,
    sha256Base64: digest.toString("base64"),
    s3Key: `${name}/lambda.zip`,
    sizeBytes: bytes.length,
  };
}

/** The manifest, or the problem with it. */
function parseManifest(text: string, path: string): LambdaManifest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `Lambda package manifest ${displayPath(path)} is not valid JSON. Run \`npm run package\`.`;
  }
  const m = value as Partial<Record<keyof LambdaManifest, unknown>> | null;
  if (
    typeof m !== "object" ||
    m === null ||
    typeof m.function !== "string" ||
    typeof m.sourceHash !== "string" ||
    typeof m.zipSha256 !== "string" ||
    !Array.isArray(m.inputs) ||
    !m.inputs.every((input) => typeof input === "string")
  ) {
    return `Lambda package manifest ${displayPath(path)} must hold {function, sourceHash, zipSha256} strings and an inputs list of strings. Run \`npm run package\`.`;
  }
  return { function: m.function, sourceHash: m.sourceHash, zipSha256: m.zipSha256, inputs: m.inputs as string[] };
}

/** Regular files under dir, recursively, absolute paths; none when dir does not exist. */
function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "dist" || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Repository-relative path with forward slashes for messages; absolute when outside the repository. */
export function displayPath(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel.startsWith("..") || isAbsolute(rel) ? path : toPosix(rel);
}

function toPosix(path: string): string {
  return sep === "/" ? path : path.split(sep).join("/");
}
