/**
 * Retries without their waits, for the tests of what happens when retries run out or succeed (a 503 after
 * aws-lite's five retries, a BatchGetItem sent again for its unprocessed keys): the functions back off with full
 * jitter, a wait drawn uniformly from [0, cap) with Math.random (@aws-lite/client's retryDelay, checked in 0.23.7
 * src/request/request.js; backoffDelayMs in app/lambda-packages/shared/batch-retry.ts), so a draw of 0 is one they
 * can make on Lambda. Each retry still happens, and in order; the test just does not sit through the 1.5 s (up to
 * 3.1 s) that aws-lite's five waits add up to on average. The backoff itself is tested with an injected random
 * (batch-retry.test.ts).
 *
 * The draws are 0 while at least one test that asked for it runs, so that tests running side by side
 * (test.concurrent) can each ask and each end.
 */

let holders = 0;
let random: jest.SpyInstance<number, []> | undefined;

function hold(): () => void {
  if (holders++ === 0) random = jest.spyOn(Math, "random").mockReturnValue(0);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) {
      random?.mockRestore();
      random = undefined;
    }
  };
}

/** Every backoff draw 0 for every test of the enclosing block (or file). */
export function retriesWithoutWaits(): void {
  let release: (() => void) | undefined;
  beforeAll(() => {
    release = hold();
  });
  afterAll(() => release?.());
}

/** `test`'s body (a test.each one too, its arguments passed on) with every backoff draw 0 while it runs. */
export function withoutRetryWaits<A extends unknown[]>(test: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    const release = hold();
    try {
      await test(...args);
    } finally {
      release();
    }
  };
}
