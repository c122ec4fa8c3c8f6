/**
 * jest's test order: the longest suites first, so that none of them starts late and runs alone at the end.
 * jest does that by itself when it has the durations of an earlier run on this machine, but on a fresh clone
 * (CI) it has none and orders by file size, which would start the Terraform suites (small files, long runs)
 * and the suites that mostly wait (fault injection, retries) last. So the suites are ordered by the durations
 * the last full `npm run bench` recorded (tools/bench/results/latest.json, `suiteSeconds`); a suite it does not know,
 * new since, goes first, the suites that run Terraform ahead of the others.
 */
const { readFileSync } = require("node:fs");
const { join, relative } = require("node:path");
const Sequencer = require("@jest/test-sequencer").default;

/**
 * The marker of a suite that runs Terraform: it prepares the Terraform harness (support/terraform.ts) or
 * declares the environment suite (support/terraform-suite.ts). Importing a helper of either is not enough.
 */
const RUNS_TERRAFORM = /\b(?:prepareTerraform|describeTerraformOffline)\(/;

const REPO_ROOT = join(__dirname, "..", "..");
const BENCH_RESULTS = join(REPO_ROOT, "tools", "bench", "results", "latest.json");

/** Seconds per suite (repository path) of the bench's last full `npm test`; empty when there is none. */
function recordedSeconds(file = BENCH_RESULTS) {
  try {
    const runs = JSON.parse(readFileSync(file, "utf8")).sections?.tests?.runs?.full ?? [];
    return runs.at(-1)?.suiteSeconds ?? {};
  } catch {
    return {};
  }
}

/**
 * `paths` (absolute, in jest's order) longest first: by recorded seconds; a suite with no record goes before all
 * recorded ones, one that runs Terraform first of all. Equal keys keep their order.
 */
function longestFirst(paths, recorded, runsTerraform) {
  const key = (path) => {
    const seconds = recorded[relative(REPO_ROOT, path)];
    if (seconds !== undefined) return seconds;
    return runsTerraform(path) ? Number.MAX_VALUE : Number.MAX_VALUE / 2;
  };
  const keys = new Map(paths.map((path) => [path, key(path)]));
  return [...paths].sort((a, b) => keys.get(b) - keys.get(a));
}

const runsTerraform = (path) => RUNS_TERRAFORM.test(readFileSync(path, "utf8"));

class LongestFirstSequencer extends Sequencer {
  sort(tests) {
    const jestOrder = super.sort(tests);
    const byPath = new Map(jestOrder.map((test) => [test.path, test]));
    return longestFirst(
      jestOrder.map((test) => test.path),
      recordedSeconds(),
      runsTerraform,
    ).map((path) => byPath.get(path));
  }
}

module.exports = LongestFirstSequencer;
module.exports.RUNS_TERRAFORM = RUNS_TERRAFORM;
module.exports.recordedSeconds = recordedSeconds;
module.exports.longestFirst = longestFirst;
