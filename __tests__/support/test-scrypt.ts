/**
 * Cheaper password hashing for the tests that are not about hashing (currentScryptParams in
 * app/lambda-packages/shared/passwords.ts): N=16 instead of the production 32768, microseconds instead of ~60 ms
 * per hash. A file calls cheapScrypt() once at its top; a describe block whose tests all assert the production
 * parameters (the stored hash, the work done for a wrong credential, a re-hash) calls productionScrypt(), and a
 * single test among cheaper ones wraps its body in withProductionScrypt().
 */

/** Not 1024 nor 16384: tests use those as the outdated parameters that a log-in re-hashes. */
export const TEST_SCRYPT_N = "16";

/** TEST_SCRYPT_N for every test of the enclosing block. */
export function cheapScrypt(): void {
  beforeAll(() => {
    process.env.TEST_SCRYPT_N = TEST_SCRYPT_N;
  });
  afterAll(() => {
    delete process.env.TEST_SCRYPT_N;
  });
}

/**
 * The variables that switch the cheaper scrypt on in the functions of a local stack started by this jest worker
 * (startLocalStack's `functionEnvironment`): for the suites whose journeys sign up and log in many times but are
 * not about hashing. The local run sets no variable of Lambda's that currentScryptParams refuses it on.
 */
export function cheapScryptEnvironment(): Record<string, string> {
  const worker = process.env.JEST_WORKER_ID;
  if (worker === undefined) throw new Error("cheapScryptEnvironment() is for jest: JEST_WORKER_ID is not set");
  return { TEST_SCRYPT_N, JEST_WORKER_ID: worker, NODE_ENV: "test" };
}

/** The production parameters for every test of the enclosing block, inside a file that uses cheapScrypt(). */
export function productionScrypt(): void {
  let outer: string | undefined;
  beforeAll(() => {
    outer = process.env.TEST_SCRYPT_N;
    delete process.env.TEST_SCRYPT_N;
  });
  afterAll(() => {
    if (outer !== undefined) process.env.TEST_SCRYPT_N = outer;
  });
}

/** `test`'s body with the production parameters while it runs, inside a file or block that uses cheapScrypt(). */
export function withProductionScrypt(test: () => Promise<void>): () => Promise<void> {
  return async () => {
    const outer = process.env.TEST_SCRYPT_N;
    delete process.env.TEST_SCRYPT_N;
    try {
      await test();
    } finally {
      if (outer !== undefined) process.env.TEST_SCRYPT_N = outer;
    }
  };
}
