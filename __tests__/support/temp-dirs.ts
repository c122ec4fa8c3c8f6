/** Temp folders of one test file, deleted after its tests. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Call once at the top level of a test file: returns `tempDir(prefix)`, which makes a fresh folder under the
 * OS temp folder, and registers an `afterAll` that deletes every folder it made.
 *
 * @example
 *   const tempDir = tempDirsOfThisFile();
 *   const outDir = tempDir("build-");
 */
export function tempDirsOfThisFile(): (prefix: string) => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return (prefix) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };
}
