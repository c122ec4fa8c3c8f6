/**
 * `npm run test:deployed -- <outputs.json> [--env <name>]`: runs the end-to-end suite (`__tests__/e2e/`)
 * against a real deployment instead of the local stack. The outputs file is the one of
 * `npx cdktf output data-stack api-stack --outputs-file outputs.json`; the tables are read with the AWS
 * credentials of the environment. `--env` (default APP_ENV, else prod) names the config whose throttling the
 * deployment has, so the throttling test knows the limits it probes.
 *
 * Without a valid outputs file it refuses, with a message and exit code 2: it never passes without testing.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { OutputsFileError, readOutputsFile } from "./target/outputs";

const USAGE = [
  "Usage: npm run test:deployed -- <outputs.json> [--env <name>]",
  "  <outputs.json>: npx cdktf output data-stack api-stack --outputs-file outputs.json",
  "  --env: the config the deployment was made with (default: APP_ENV, else prod)",
].join("\n");

function main(): number {
  let args: { values: { env?: string }; positionals: string[] };
  try {
    args = parseArgs({ options: { env: { type: "string" } }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [outputsFile, ...extra] = args.positionals;
  if (!outputsFile || extra.length > 0) {
    console.error(`Refusing to run: the deployed end-to-end suite needs the outputs file of a deployment.\n${USAGE}`);
    return 2;
  }
  try {
    const target = readOutputsFile(outputsFile);
    if (target.dynamoDbEndpoint) console.log(`Note: ${target.source} describes a local stack (DynamoDB at ${target.dynamoDbEndpoint}).`);
  } catch (error) {
    if (!(error instanceof OutputsFileError)) throw error;
    console.error(`Refusing to run: ${error.message}`);
    return 2;
  }

  const root = resolve(__dirname, "..");
  const jest = spawnSync(process.execPath, [require.resolve("jest/bin/jest"), "--runInBand", "--ci", join("__tests__", "e2e")], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      E2E_TARGET: "deployed",
      E2E_OUTPUTS: resolve(outputsFile),
      E2E_ENVIRONMENT: args.values.env ?? process.env.APP_ENV ?? "prod",
    },
  });
  return jest.status ?? 1;
}

process.exit(main());
