/**
 * Runs the repository's TypeScript in child processes without a compiler in them: every .ts file a child may
 * load is transpiled here, once, by esbuild (per file, as ts-node --transpile-only does), into a cache that a
 * tiny preloaded hook hands to Node's CommonJS loader. What a child then measures is loading and running the
 * code, not compiling it, and its memory high-water mark holds no TypeScript compiler.
 */
import { transformSync } from "esbuild";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../../app/lambda-packages/artifacts";

/** Folders of the repository whose .ts files children may load. */
const SOURCE_FOLDERS = ["app", "tools/bench"];
const SKIP = new Set(["node_modules", "dist", "results", "cdktf.out", "web"]);

/** The compiler options that change emitted code, as in tsconfig.json (target ES2022: define semantics for fields). */
const TSCONFIG_RAW = { compilerOptions: { target: "ES2022", useDefineForClassFields: true, esModuleInterop: true } } as const;

export interface TsHook {
  /** Arguments for `node` that install the hook: `node ...nodeArgs <file.ts>`. */
  readonly nodeArgs: readonly string[];
  readonly files: number;
  cleanup(): void;
}

function listTs(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name) || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listTs(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) found.push(path);
  }
  return found;
}

/** Transpiles the repository's sources into a temp folder and returns how to preload them in a child. */
export function prepareTsHook(): TsHook {
  const dir = mkdtempSync(join(tmpdir(), "bench-ts-"));
  const cache: Record<string, string> = {};
  for (const folder of SOURCE_FOLDERS) {
    for (const file of listTs(join(REPO_ROOT, folder))) {
      cache[file] = transformSync(readFileSync(file, "utf8"), {
        loader: "ts",
        format: "cjs",
        target: "node20",
        sourcefile: file,
        tsconfigRaw: TSCONFIG_RAW,
      }).code;
    }
  }
  const cachePath = join(dir, "cache.json");
  writeFileSync(cachePath, JSON.stringify(cache));
  const hookPath = join(dir, "hook.js");
  writeFileSync(
    hookPath,
    [
      `const cache = require(${JSON.stringify(cachePath)});`,
      'require.extensions[".ts"] = function (module, filename) {',
      "  const code = cache[filename];",
      '  if (code === undefined) throw new Error("bench: " + filename + " was not transpiled by tools/bench/lib/ts-hook.ts");',
      "  module._compile(code, filename);",
      "};",
      "",
    ].join("\n"),
  );
  return {
    nodeArgs: ["--require", hookPath],
    files: Object.keys(cache).length,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
