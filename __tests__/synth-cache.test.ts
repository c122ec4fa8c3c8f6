/**
 * The synth cache of the tests (__tests__/support/synth.ts): a hit gives what a synthesis gives, with the test's own
 * state folder, and its key covers every repository module the synthesis loads, so an edit to any of them misses.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";
import { SYNTH_INPUTS, synthStacks } from "./support/synth";

const ROOT = resolve(__dirname, "..");

/** Every repository file `entry` imports, transitively (relative imports; packages are covered by the lock file). */
function repositoryImports(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const { importedFiles } = ts.preProcessFile(readFileSync(entry, "utf8"), true, true);
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith(".")) continue;
    const base = resolve(dirname(entry), fileName);
    const file = [base, `${base}.ts`, join(base, "index.ts")].find((candidate) => existsSync(candidate) && !candidate.endsWith("/"));
    if (file && !file.endsWith(".d.ts")) repositoryImports(file, seen);
  }
  return seen;
}

describe("the tests' synth cache", () => {
  test("a hit gives the JSON of a fresh synthesis, with the test's own state folder", () => {
    const first = synthStacks({ environment: "dev" });
    const hit = synthStacks({ environment: "dev" });
    const fresh = synthStacks({ environment: "dev", cache: false });
    try {
      const withState = (json: unknown, stateDir: string) => JSON.parse(JSON.stringify(json).split(stateDir).join("<state>"));
      expect(withState(hit.json, hit.stateDir)).toEqual(withState(fresh.json, fresh.stateDir));
      expect(withState(first.json, first.stateDir)).toEqual(withState(fresh.json, fresh.stateDir));
      expect(hit.stackIds).toEqual(fresh.stackIds);
      expect(JSON.stringify(hit.json)).toContain(hit.stateDir);
      expect(JSON.stringify(hit.json)).not.toContain("synth-cache");
      for (const id of hit.stackIds) expect(existsSync(join(hit.dir(id), "cdk.tf.json"))).toBe(true);
      expect(hit.stacks.api.node.id).toBe("api-stack");
    } finally {
      for (const synth of [first, hit, fresh]) synth.cleanup();
    }
  });

  test("its key covers every repository module the synthesis imports", () => {
    const inputs = SYNTH_INPUTS.map((input) => join(ROOT, input));
    const modules = [...repositoryImports(join(ROOT, "tools", "lib", "synthesize.ts")), join(ROOT, "__tests__", "support", "synth.ts")];
    const uncovered = modules
      .filter((file) => !inputs.some((input) => file === input || file.startsWith(`${input}/`)))
      .map((file) => relative(ROOT, file));
    expect(modules.length).toBeGreaterThan(10);
    expect(uncovered).toEqual([]);
  });
});
