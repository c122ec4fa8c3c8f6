/**
 * The synth cache of the tests (__tests__/support/synth.ts): a hit gives what a synthesis gives, with the test's own
 * state folder, and its key covers every repository module the synthesis loads, so an edit to any of them misses.
 */
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { moduleGraph } from "./support/module-graph";
import { SYNTH_INPUTS, synthStacks } from "./support/synth";

const ROOT = resolve(__dirname, "..");

/**
 * Every repository file `entry` imports, transitively, as esbuild resolves them (packages are covered by the lock
 * file, so they are left out).
 */
function repositoryImports(entry: string): string[] {
  return Object.keys(moduleGraph(entry).inputs).map((input) => resolve(ROOT, input));
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
    expect(modules).toContain(join(ROOT, "app", "stacks", "compute-stack.ts"));
    const uncovered = modules
      .filter((file) => !inputs.some((input) => file === input || file.startsWith(`${input}/`)))
      .map((file) => relative(ROOT, file));
    expect(modules.length).toBeGreaterThan(10);
    expect(uncovered).toEqual([]);
  });
});
