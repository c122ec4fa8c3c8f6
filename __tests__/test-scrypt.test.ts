/**
 * The cheaper scrypt of the tests that are not about hashing (currentScryptParams, __tests__/support/test-scrypt.ts)
 * cannot reach a deployed function: it is honoured only inside jest (there also in the sandboxes of a local stack
 * a test starts with it) and never where Lambda's runtime runs the code, and no synthesized function's
 * environment carries it. The production parameters themselves are asserted
 * by the handler tests that are about hashing (users-handler, sessions-handler).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { currentScryptParams, hashPassword, SCRYPT_PARAMS } from "../app/lambda-packages/shared/passwords";
import { resources, synthStacks } from "./support/synth";
import { TEST_SCRYPT_N } from "./support/test-scrypt";

const IN_JEST = { JEST_WORKER_ID: "1", NODE_ENV: "test" };
/** Some of what the local run (tools/local/functions.ts) sets in a sandbox, as Lambda does. */
const LOCAL_SANDBOX = { AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x", AWS_LAMBDA_FUNCTION_NAME: "dev-service-users", LAMBDA_TASK_ROOT: "/tmp/code" };

describe("currentScryptParams", () => {
  test("is N=32768, r=8, p=1 without TEST_SCRYPT_N", () => {
    expect(SCRYPT_PARAMS).toEqual({ N: 32768, r: 8, p: 1 });
    expect(currentScryptParams(IN_JEST)).toBe(SCRYPT_PARAMS);
  });

  test("lowers N inside jest when TEST_SCRYPT_N asks for it", () => {
    expect(currentScryptParams({ ...IN_JEST, TEST_SCRYPT_N })).toEqual({ N: Number(TEST_SCRYPT_N), r: 8, p: 1 });
  });

  test("lowers N in a local run's sandbox inside jest, which sets what Lambda's runtime sets for the handler but no runtime API", () => {
    expect(currentScryptParams({ ...IN_JEST, TEST_SCRYPT_N, ...LOCAL_SANDBOX })).toEqual({ N: Number(TEST_SCRYPT_N), r: 8, p: 1 });
  });

  test.each([
    [
      "on Lambda (its runtime sets the reserved AWS_LAMBDA_RUNTIME_API)",
      { ...IN_JEST, TEST_SCRYPT_N, ...LOCAL_SANDBOX, AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001" },
    ],
    [
      "on Lambda (its runtime sets the reserved LAMBDA_RUNTIME_DIR)",
      { ...IN_JEST, TEST_SCRYPT_N, ...LOCAL_SANDBOX, LAMBDA_RUNTIME_DIR: "/var/runtime" },
    ],
    ["outside jest (no JEST_WORKER_ID)", { NODE_ENV: "test", TEST_SCRYPT_N }],
    ["when NODE_ENV is not test", { JEST_WORKER_ID: "1", NODE_ENV: "production", TEST_SCRYPT_N }],
    ["without NODE_ENV", { JEST_WORKER_ID: "1", TEST_SCRYPT_N }],
  ])("ignores TEST_SCRYPT_N %s", (_, env) => {
    expect(currentScryptParams(env)).toBe(SCRYPT_PARAMS);
  });

  test.each(["1000", "1", "65536", "", "16x"])("refuses TEST_SCRYPT_N=%j, naming what it accepts", (value) => {
    expect(() => currentScryptParams({ ...IN_JEST, TEST_SCRYPT_N: value })).toThrow(
      `TEST_SCRYPT_N must be a power of two from 2 to 32768, received ${JSON.stringify(value)}`,
    );
  });

  test("is what hashPassword uses by default", async () => {
    const previous = process.env.TEST_SCRYPT_N;
    process.env.TEST_SCRYPT_N = TEST_SCRYPT_N;
    try {
      expect(await hashPassword("a passphrase")).toMatch(new RegExp(`^scrypt\\$N=${TEST_SCRYPT_N},r=8,p=1\\$`));
    } finally {
      if (previous === undefined) delete process.env.TEST_SCRYPT_N;
      else process.env.TEST_SCRYPT_N = previous;
    }
  });
});

describe("the synthesized functions", () => {
  const environments = readdirSync(join(__dirname, "..", "app", "config"))
    .filter((file) => file.endsWith(".json"))
    .map((file) => file.replace(/\.json$/, ""));

  test.each(environments)("of %s carry none of the variables that switch the cheaper scrypt on", (environment) => {
    const synth = synthStacks({ environment });
    try {
      const functions = Object.values(synth.json).flatMap((json) => resources(json, "aws_lambda_function"));
      expect(functions.length).toBeGreaterThan(0);
      for (const fn of functions) {
        const variables = Object.keys((fn.config.environment as { variables?: Record<string, string> } | undefined)?.variables ?? {});
        expect({ function: fn.id, knobs: variables.filter((name) => ["TEST_SCRYPT_N", "JEST_WORKER_ID", "NODE_ENV"].includes(name)) }).toEqual({
          function: fn.id,
          knobs: [],
        });
      }
    } finally {
      synth.cleanup();
    }
  });
});
