/**
 * The third-party packages of a handler's module graph, loaded once per test file and handed to every isolated
 * load of the handler (loadHandler in dynalite.ts), so that a load compiles and runs the app's own code again but
 * not zod or @aws-lite. The packages are not listed by hand: they are the bare specifiers esbuild finds in the
 * module graph of the file being loaded (type-only imports and node: built-ins left out).
 *
 * Sharing a package is safe when it keeps no state of a handler at module scope. What these keep there (read in
 * @aws-lite/client 0.23.7 and zod 4.6.7): aws-lite, one HTTP agent per protocol and keep-alive setting (a pool of
 * connections, keyed by host and port), the ~/.aws files it read, by path (only when the environment leaves the
 * endpoint, region or credentials unset), and whether the instance metadata hosts answered (only without
 * credentials); zod, its registry and config, on globalThis in any case, which the app does not use. Clients, with
 * their endpoint, region and credentials, are created by the app's code, once per load:
 * __tests__/shared-packages.test.ts checks it.
 */
import { transformSync, type ImportKind } from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join } from "node:path";
import { moduleGraph } from "./module-graph";

/** The kinds of import that load a module (a bundle's `require.resolve("@aws-lite/client")` loads nothing). */
const LOADING: ReadonlySet<ImportKind> = new Set<ImportKind>(["import-statement", "require-call", "dynamic-import"]);

const importsByEntry = new Map<string, readonly string[]>();
const loaded = new Map<string, unknown>();

/**
 * The packages the module graph of `entry` (a source file, or a bundled lambda-handler.js, which imports none)
 * imports at run time, as written in the import (`zod/mini`, `@aws-lite/client`); sorted, computed once per entry.
 */
export function packageImports(entry: string): readonly string[] {
  let imports = importsByEntry.get(entry);
  if (imports === undefined) {
    const specifiers = Object.values(moduleGraph(entry).inputs).flatMap((input) =>
      input.imports.filter((i) => i.external && LOADING.has(i.kind) && !isBuiltin(i.path)).map((i) => i.path),
    );
    imports = [...new Set(specifiers)].sort();
    importsByEntry.set(entry, imports);
  }
  return imports;
}

/** The module object of a package, the same object for every caller in this test file (loaded on first use). */
export function sharedPackage(specifier: string): unknown {
  if (!loaded.has(specifier)) {
    const path = require.resolve(specifier);
    loaded.set(specifier, isEsModule(path) ? esModuleAsCommonJs(specifier, path) : jest.requireActual(specifier));
  }
  return loaded.get(specifier);
}

/**
 * Registers every package of `entry`'s graph as a mock answering with sharedPackage(), for the module registry
 * that jest.isolateModules() is about to create. Call it before the isolated registry exists: the packages are
 * loaded into the test file's own registry, and with the test file's environment, not the handler's.
 */
export function sharePackagesOf(entry: string): void {
  for (const specifier of packageImports(entry)) {
    const module = sharedPackage(specifier);
    jest.doMock(specifier, () => module);
  }
}

/** `.mjs`, or `.js` in a package whose package.json says "type": "module". */
function isEsModule(path: string): boolean {
  if (path.endsWith(".mjs")) return true;
  if (!path.endsWith(".js")) return false;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type === "module";
  }
  return false;
}

/**
 * An ES module package (@aws-lite/dynamodb: src/index.mjs) converted to CommonJS by esbuild, which is also what
 * the bundler does to it in the real ZIP: jest's CommonJS runtime cannot require it on Node 20 (jest supports
 * require(esm) from Node 24.9). Only a self-contained file is supported: one that imports nothing.
 */
function esModuleAsCommonJs(specifier: string, path: string): unknown {
  const { code } = transformSync(readFileSync(path, "utf8"), { format: "cjs", loader: "js", sourcefile: path });
  const module = { exports: {} as unknown };
  const refuse = (imported: string): never => {
    throw new Error(
      `${specifier} (${path}) is an ES module that imports ${imported}: __tests__/support/shared-packages.ts converts only self-contained ones`,
    );
  };
  new Function("module", "exports", "require", code)(module, module.exports, refuse);
  return module.exports;
}
