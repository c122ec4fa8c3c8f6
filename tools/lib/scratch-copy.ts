/**
 * A copy of the repository's sources in a temporary folder, for what edits sources the way a developer does
 * (the watch mode's test and bench) without touching the checkout: app/, tools/, and the
 * files they read at the root, with node_modules linked rather than copied. Commands run in it (`node --import tsx
 * tools/local/start.ts`) use the copy's sources throughout.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { REPO_ROOT } from "../../app/lambda-packages/artifacts";

/** What is copied: the product, the tooling, and the root files they read (versions, the lock file in the package hash, the TypeScript and cdktf settings). */
const COPIED = ["app", "tools", "package.json", "package-lock.json", "tsconfig.json", "cdktf.json"] as const;
/**
 * Left out of the copied folders: local state, caches, and the built packages, which the copy builds itself (a
 * bundle names the files it holds relative to the repository, and the copy reaches node_modules through a link).
 */
const SKIPPED = new Set(["node_modules", ".local-data", "cdktf.out", ".terraform", "dist"]);

export interface ScratchCopy {
  /** The copy's root folder. */
  readonly root: string;
  /** Absolute path of a repository-relative path in the copy. */
  path(relativePath: string): string;
  /** Rewrites a file of the copy; throws when `change` leaves it as it was, so an edit that matched nothing is caught. */
  edit(relativePath: string, change: (text: string) => string): void;
  /** Deletes the copy. */
  remove(): void;
}

/** Copies the sources into a new folder under the OS temp folder. */
export function scratchCopy(prefix = "scratch-"): ScratchCopy {
  const root = mkdtempSync(join(tmpdir(), prefix));
  for (const entry of COPIED) {
    cpSync(join(REPO_ROOT, entry), join(root, entry), { recursive: true, filter: (source) => !SKIPPED.has(basename(source)) });
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  const path = (relativePath: string) => join(root, relativePath);
  return {
    root,
    path,
    edit: (relativePath, change) => {
      const before = readFileSync(path(relativePath), "utf8");
      const after = change(before);
      if (after === before) throw new Error(`The edit of ${relativePath} changed nothing`);
      writeFileSync(path(relativePath), after);
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
