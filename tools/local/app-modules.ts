/**
 * The app's modules as `npm start -- --watch` loads them again after an edit. The first synthesis uses the modules
 * imported at start; a re-synthesis after an edit to a stack, a construct or the config schema needs the edited
 * code, which Node's module cache would not give. freshPackageAndSynthesize() drops the repository's own modules
 * from the cache (those of node_modules stay: cdktf and the provider classes load once, so a re-synthesis takes
 * about half a second where a new process would take seconds) and requires package-and-synthesize.ts anew, which
 * brings the app's modules with it. Modules already running keep their code: only new requires see the new files.
 *
 * The cache is CommonJS's (`require.cache`), which tsx fills for the repository's TypeScript files; under jest's
 * own module registry nothing is dropped, so a re-synthesis there runs the code loaded first.
 */
import { resolve, sep } from "node:path";
import type * as Build from "../../app/lambda-packages/build";
import type { packageAndSynthesize } from "./package-and-synthesize";

const REPO_ROOT = resolve(__dirname, "..", "..");
/** The product's folder: stacks, constructs, config, handlers. */
export const APP_DIR = resolve(REPO_ROOT, "app");
const NODE_MODULES = `${sep}node_modules${sep}`;

/** Files of app/ in the module cache: the app modules this process has loaded since the last fresh load. */
export function loadedAppModules(): string[] {
  return Object.keys(require.cache)
    .filter((path) => path.startsWith(`${APP_DIR}${sep}`) && !path.includes(NODE_MODULES))
    .sort();
}

/** A fresh copy of the repository's modules (see the file comment): what a reload synthesizes and builds with. */
export interface FreshAppModules {
  readonly packageAndSynthesize: typeof packageAndSynthesize;
  /** The package build the synthesis runs, for later rebuilds with the same code (an edit to build.ts included). */
  readonly build: Pick<typeof Build, "buildPackage" | "listFunctions">;
}

/** Drops the repository's modules from the cache and loads package-and-synthesize.ts and the package build anew. */
export function freshAppModules(): FreshAppModules {
  for (const path of Object.keys(require.cache)) {
    if (path.startsWith(`${REPO_ROOT}${sep}`) && !path.includes(NODE_MODULES)) delete require.cache[path];
  }
  const fresh = <T>(specifier: string): T => {
    const entry = require.resolve(specifier);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require, not an import: it must bypass the cache emptied above
    const loaded = require(entry) as T;
    // Node lists every module a module required among its children; this one lives on, so the fresh copies would too.
    const index = module.children.findIndex((child) => child.id === entry);
    if (index >= 0) module.children.splice(index, 1);
    return loaded;
  };
  const { packageAndSynthesize } = fresh<typeof import("./package-and-synthesize")>("./package-and-synthesize");
  const { buildPackage, listFunctions } = fresh<typeof Build>("../../app/lambda-packages/build");
  return { packageAndSynthesize, build: { buildPackage, listFunctions } };
}
