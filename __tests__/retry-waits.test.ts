/**
 * support/retry-waits.ts: the backoff draws are 0 while a test holds them, Math.random is itself again after,
 * and the two backoffs it is for still draw their wait from Math.random.
 */
import { readFileSync } from "node:fs";
import { backoffDelayMs } from "../app/lambda-packages/shared/batch-retry";
import { withoutRetryWaits } from "./support/retry-waits";

const draws = (n: number) => Array.from({ length: n }, () => Math.random());

describe("withoutRetryWaits", () => {
  test("draws 0 while the test runs, so batch-retry's waits are 0 ms", async () => {
    let inside: number[] = [];
    let delays: number[] = [];

    await withoutRetryWaits(async () => {
      inside = draws(5);
      delays = [0, 1, 2, 3, 4].map((retry) => backoffDelayMs(retry));
    })();

    expect(inside).toEqual([0, 0, 0, 0, 0]);
    expect(delays).toEqual([0, 0, 0, 0, 0]);
  });

  test("gives Math.random back when the test ends, failed or not", async () => {
    const original = Math.random;

    await expect(
      withoutRetryWaits(async () => {
        throw new Error("the test failed");
      })(),
    ).rejects.toThrow("the test failed");

    expect(Math.random).toBe(original);
    expect(draws(20).some((draw) => draw > 0)).toBe(true);
  });

  test("keeps the draws at 0 until the last of tests running side by side ends", async () => {
    let releaseFirst!: () => void;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    let secondDuringFirst: number[] = [];
    let afterFirst: number[] = [];

    const first = withoutRetryWaits(() => firstMayEnd)();
    const second = withoutRetryWaits(async () => {
      secondDuringFirst = draws(3);
      releaseFirst();
      await first;
      afterFirst = draws(3);
    })();
    await Promise.all([first, second]);

    expect(secondDuringFirst).toEqual([0, 0, 0]);
    expect(afterFirst).toEqual([0, 0, 0]);
    expect(draws(20).some((draw) => draw > 0)).toBe(true);
  });

  test("@aws-lite/client still draws its retry wait from Math.random (else the helper would no longer shorten it)", () => {
    const source = readFileSync(require.resolve("@aws-lite/client/src/request/request.js"), "utf8");

    expect(source).toMatch(/async function retryDelay[^]*?Math\.floor\(Math\.random\(\) \* delayBase \* Math\.pow\(2, i\)\)/);
  });
});
