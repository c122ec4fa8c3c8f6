/**
 * The local stack in a process of its own, for tests that kill it: `node --import tsx local-stack-child.ts <dataDir>`,
 * spawned by a jest worker (whose environment it inherits), starts the dev stack on a free port with that worker's
 * cheaper scrypt (support/test-scrypt.ts) and prints one JSON line {baseUrl, dynamoDbEndpoint, tables} once it
 * serves.
 */
import { startLocalStack } from "../../tools/local/stack";
import { cheapScryptEnvironment } from "./test-scrypt";

const [dataDir] = process.argv.slice(2);
if (!dataDir) {
  console.error("usage: local-stack-child.ts <dataDir>");
  process.exit(2);
}
startLocalStack({ environment: "dev", dataDir, buildPackages: false, functionEnvironment: cheapScryptEnvironment() }).then(
  (stack) => {
    process.stdout.write(`${JSON.stringify({ baseUrl: stack.baseUrl, dynamoDbEndpoint: stack.dynamoDbEndpoint, tables: stack.tables })}\n`);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
