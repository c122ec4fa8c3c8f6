/**
 * The two test tiers. A suite belongs to the integration tier when it runs Terraform, starts the local stack
 * (in-process or as `npm start`), drives a browser, bundles every function (`buildAll`: esbuild and the ZIPs of
 * all functions, as the package-isolation test does once per shared module) or starts any other process (an app
 * or a tool run as a command: each costs a Node start-up and its module loading, most of a second of CPU); every
 * other suite is a unit suite, which runs in the jest worker alone. The suites that run the apps and tools as
 * commands are in __tests__/processes/, beside the unit suites that test the same code in-process: every suite of
 * that folder is in the integration tier, for starting a process, without a line here.
 * `npm run test:unit` runs the unit suites alone (the inner loop), `npm test` runs both tiers (the gate CI runs).
 * jest.config.js makes one jest project of each; __tests__/test-tiers.test.ts fails, naming the file and line, when
 * a unit suite does one of those five things or a suite listed here does none of them.
 */

const { readdirSync } = require("node:fs");
const { join } = require("node:path");

/** The folder, under __tests__/, of the suites that run the apps and tools as commands. */
const PROCESS_SUITES_DIR = "processes";

/** Integration suites, by path under __tests__/, with what puts each there. */
const INTEGRATION_SUITES = {
  "bootstrap.test.ts": "runs Terraform",
  "pipeline-roles.test.ts": "runs Terraform",
  "terraform-dev.test.ts": "runs Terraform",
  "terraform-prod.test.ts": "runs Terraform",
  "lambda-packages-isolation.test.ts": "bundles every function",
  "e2e/end-to-end.test.ts": "starts the local stack",
  "local-cli.test.ts": "starts the local stack",
  "local-faults.test.ts": "starts the local stack",
  "local-iam-mutation.test.ts": "starts the local stack",
  "local-sessions.test.ts": "starts the local stack",
  "local-stack.test.ts": "starts the local stack",
  "local-watch.test.ts": "starts the local stack",
  "web-client.test.ts": "drives a browser",
  ...Object.fromEntries(
    readdirSync(join(__dirname, "..", PROCESS_SUITES_DIR))
      .filter((file) => file.endsWith(".test.ts"))
      .sort()
      .map((file) => [`${PROCESS_SUITES_DIR}/${file}`, "starts a process"]),
  ),
};

module.exports = { INTEGRATION_SUITES, PROCESS_SUITES_DIR };
