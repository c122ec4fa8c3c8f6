/**
 * The order jest runs the suites in (support/longest-first-sequencer.js): the longest first, by the durations
 * the bench recorded, so that on a fresh clone no long suite starts last.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest's sequencer is a CommonJS file without types
const { longestFirst, recordedSeconds, RUNS_TERRAFORM } = require("./support/longest-first-sequencer") as {
  longestFirst: (paths: string[], recorded: Record<string, number>, runsTerraform: (path: string) => boolean) => string[];
  recordedSeconds: (file?: string) => Record<string, number>;
  RUNS_TERRAFORM: RegExp;
};

const ROOT = join(__dirname, "..");
const suite = (name: string) => join(ROOT, "__tests__", name);

describe("the test order", () => {
  test("longest recorded first; a suite with no record before them, one that runs Terraform first of all; ties keep jest's order", () => {
    const paths = ["fast.test.ts", "new.test.ts", "slow.test.ts", "also-new.test.ts", "terraform-new.test.ts", "tie-a.test.ts", "tie-b.test.ts"].map(
      suite,
    );
    const recorded = { "__tests__/fast.test.ts": 0.2, "__tests__/slow.test.ts": 25.3, "__tests__/tie-a.test.ts": 3, "__tests__/tie-b.test.ts": 3 };
    const ordered = longestFirst(paths, recorded, (path) => path.endsWith("terraform-new.test.ts")).map((p) => p.replace(`${ROOT}/__tests__/`, ""));
    expect(ordered).toEqual([
      "terraform-new.test.ts",
      "new.test.ts",
      "also-new.test.ts",
      "slow.test.ts",
      "tie-a.test.ts",
      "tie-b.test.ts",
      "fast.test.ts",
    ]);
  });

  test("reads every suite's seconds from the bench's last full npm test, and nothing from a missing or foreign file", () => {
    const dir = mkdtempSync(join(tmpdir(), "test-order-"));
    try {
      const latest = join(dir, "latest.json");
      const run = (suiteSeconds: Record<string, number>) => ({ suites: 2, suiteSeconds });
      writeFileSync(
        latest,
        JSON.stringify({ sections: { tests: { runs: { full: [run({ "__tests__/a.test.ts": 1 }), run({ "__tests__/a.test.ts": 2 })] } } } }),
      );
      expect(recordedSeconds(latest)).toEqual({ "__tests__/a.test.ts": 2 });
      writeFileSync(latest, JSON.stringify({ sections: {} }));
      expect(recordedSeconds(latest)).toEqual({});
      expect(recordedSeconds(join(dir, "missing.json"))).toEqual({});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("marks as running Terraform the suites that prepare it, not those that import one of its helpers", () => {
    // Spelled in two parts, so that this file itself does not carry the marker.
    expect(RUNS_TERRAFORM.test(`beforeAll(() => { terraform = ${"prepareTerraform"}(); });`)).toBe(true);
    expect(RUNS_TERRAFORM.test(`${"describeTerraformOffline"}("prod");`)).toBe(true);
    expect(RUNS_TERRAFORM.test('import { remoteStateReads } from "../tools/terraform/harness";')).toBe(false);
  });
});
