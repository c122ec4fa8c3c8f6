/**
 * jest's test order, with the suites that run Terraform moved to the front. jest starts the slowest suites
 * first when it has their durations from an earlier run, but on a fresh clone (CI) it has none and orders by
 * file size, which would start the Terraform suites (small files, the longest runs) last and leave one worker
 * running them alone at the end.
 */
const { readFileSync } = require("node:fs");
const Sequencer = require("@jest/test-sequencer").default;

/**
 * The marker of a suite that runs Terraform: it prepares the Terraform harness (support/terraform.ts) or
 * declares the environment suite (support/terraform-suite.ts). Importing a helper of either is not enough.
 */
const RUNS_TERRAFORM = /\b(?:prepareTerraform|describeTerraformOffline)\(/;

class TerraformFirstSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const runsTerraform = (test) => RUNS_TERRAFORM.test(readFileSync(test.path, "utf8"));
    return [...sorted.filter(runsTerraform), ...sorted.filter((test) => !runsTerraform(test))];
  }
}

module.exports = TerraformFirstSequencer;
module.exports.RUNS_TERRAFORM = RUNS_TERRAFORM;
