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

/** packageAndSynthesize() of a fresh copy of the repository's modules (see the file comment). */
export function freshPackageAndSynthesize(): typeof packageAndSynthesize {
  for (const path of Object.keys(require.cache)) {
    if (path.startsWith(`${REPO_ROOT}${sep}`) && !path.includes(NODE_MODULES)) delete require.cache[path];
  }
  const entry = require.resolve("./package-and-synthesize");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a require, not an import: it must bypass the cache emptied above
  const fresh = (require(entry) as typeof import("./package-and-synthesize")).packageAndSynthesize;
  // Node lists every module a module required among its children; this one lives on, so the fresh copies would too.
  const loaded = require.cache[entry];
  const index = loaded ? module.children.indexOf(loaded) : -1;
  if (index >= 0) module.children.splice(index, 1);
  return fresh;
}
