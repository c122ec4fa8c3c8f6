/**
 * Rewrites `__tests__/fixtures/api-stack.<env>.tf.json` from the current code, for a change to the API that is
 * meant to change its Terraform JSON. Review the fixture's diff before committing it: every renamed resource key
 * is a resource Terraform destroys and recreates. Needs `npm run package` (the app's synth reads the ZIPs).
 *
 *   node --import tsx __tests__/support/update-api-stack-fixtures.ts
 */
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import { fixtureEnvironments, fixturePath, synthesizedApiStackJson } from "./api-stack-fixture";

for (const environment of fixtureEnvironments()) {
  const path = fixturePath(environment);
  writeFileSync(path, synthesizedApiStackJson(environment));
  console.log(`wrote ${relative(process.cwd(), path)}`);
}
