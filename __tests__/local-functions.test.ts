/**
 * Local Lambda functions (tools/local/functions.ts and the runtime in tools/local/lambda-runtime.ts) with small handlers
 * packaged here: the environment a sandbox gets, warm sandboxes, one invocation at a time per sandbox and
 * scale-out, errors, timeouts, crashes, failed inits and Lambda's JSON log lines.
 */
import { availableParallelism } from "node:os";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { strToU8, zipSync } from "fflate";
import {
  ABANDONED_ERROR_TYPE,
  DEFAULT_MAX_CONCURRENCY,
  LocalFunction,
  type FunctionDefinition,
  type InvocationResult,
} from "../tools/local/functions";

const HANDLER = `
let invocations = 0;
let active = 0;
let maxActive = 0;
if (process.env.FAIL_INIT_WHILE && require("node:fs").existsSync(process.env.FAIL_INIT_WHILE)) throw new Error("init failed on purpose");
exports.handler = async (event, context) => {
  invocations++;
  switch (event.action) {
    case "env": return { env: { ...process.env } };
    case "count": return { invocations };
    case "context": return { functionName: context.functionName, memoryLimitInMB: context.memoryLimitInMB, awsRequestId: context.awsRequestId, invokedFunctionArn: context.invokedFunctionArn, remaining: context.getRemainingTimeInMillis() };
    case "sleep":
    case "hold":
      active++;
      maxActive = Math.max(maxActive, active);
      if (event.action === "sleep") await new Promise((resolve) => setTimeout(resolve, event.ms));
      // "hold" runs until the test creates the file event.until: in flight for exactly as long as the test needs.
      else while (!require("node:fs").existsSync(event.until)) await new Promise((resolve) => setTimeout(resolve, 5));
      active--;
      return { invocations, maxActive };
    case "throw": throw new TypeError("bad input on purpose");
    case "crash":
      setTimeout(() => { throw new Error("crash on purpose"); }, 0);
      return new Promise(() => undefined);
    case "log":
      console.debug("a debug line");
      console.info({ msg: "an object" });
      console.warn("a", "formatted", 1);
      return null;
    case "undefined": return undefined;
  }
};
`;

/** The next version of the code: it says which one it is, and can still be slow. */
const HANDLER_V2 = `
exports.handler = async (event) => {
  if (event.action === "sleep") await new Promise((resolve) => setTimeout(resolve, event.ms));
  return { version: 2, tableName: process.env.TABLE_NAME, taskRoot: process.env.LAMBDA_TASK_ROOT };
};
`;

describe("LocalFunction", () => {
  let dir: string;
  const running: LocalFunction[] = [];
  const logs: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "local-functions-"));
    writeFileSync(join(dir, "fn.zip"), zipSync({ "lambda-handler.js": strToU8(HANDLER) }));
    writeFileSync(join(dir, "fn-v2.zip"), zipSync({ "lambda-handler.js": strToU8(HANDLER_V2) }));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((fn) => fn.stop()));
    logs.splice(0);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function start(overrides: Partial<FunctionDefinition> = {}, maxConcurrency?: number): LocalFunction {
    const definition: FunctionDefinition = {
      name: "test-fn",
      arn: "arn:aws:lambda:us-east-1:000000000000:function:test-fn",
      handler: "lambda-handler.handler",
      runtime: "nodejs22.x",
      memorySize: 256,
      timeoutSeconds: 5,
      environment: { TABLE_NAME: "things" },
      logFormat: "JSON",
      applicationLogLevel: "INFO",
      logGroup: "/aws/lambda/test-fn",
      region: "eu-west-1",
      zipPath: join(dir, "fn.zip"),
      ...overrides,
    };
    const fn = new LocalFunction(definition, {
      codeDir: join(dir, "code"),
      baseEnvironment: { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:1", AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "secret" },
      log: (line) => logs.push(line),
      maxConcurrency,
    });
    running.push(fn);
    return fn;
  }

  const payload = (result: InvocationResult): any => {
    if (!result.ok) throw new Error(`invocation failed: ${result.error.errorType}: ${result.error.errorMessage}`);
    return result.payload;
  };

  test("gives the handler exactly the function's environment, what Lambda sets and the local endpoint", async () => {
    process.env.LOCAL_FUNCTIONS_TEST_LEAK = "must not be seen";
    try {
      const { env } = payload(await start().invoke({ action: "env" }));

      expect(Object.keys(env).sort()).toEqual(
        [
          "TABLE_NAME",
          "AWS_ENDPOINT_URL_DYNAMODB",
          "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY",
          "AWS_REGION",
          "AWS_DEFAULT_REGION",
          "AWS_LAMBDA_FUNCTION_NAME",
          "AWS_LAMBDA_FUNCTION_VERSION",
          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
          "AWS_LAMBDA_LOG_GROUP_NAME",
          "AWS_LAMBDA_LOG_STREAM_NAME",
          "AWS_LAMBDA_LOG_FORMAT",
          "AWS_LAMBDA_LOG_LEVEL",
          "AWS_EXECUTION_ENV",
          "LAMBDA_TASK_ROOT",
          "_HANDLER",
          "LOCAL_LAMBDA_FUNCTION_ARN",
        ].sort(),
      );
      expect(env).toMatchObject({
        TABLE_NAME: "things",
        AWS_REGION: "eu-west-1",
        AWS_LAMBDA_FUNCTION_NAME: "test-fn",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
        AWS_LAMBDA_LOG_LEVEL: "INFO",
        AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
        AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:1",
      });
    } finally {
      delete process.env.LOCAL_FUNCTIONS_TEST_LEAK;
    }
  });

  test("passes a Lambda context with the function's name, memory, request id and remaining time", async () => {
    const context = payload(await start().invoke({ action: "context" }));

    expect(context).toMatchObject({
      functionName: "test-fn",
      memoryLimitInMB: "256",
      invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:test-fn",
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(5000);
  });

  test("keeps a sandbox warm: module state survives between invocations", async () => {
    const fn = start();

    await fn.invoke({ action: "count" });
    const second = payload(await fn.invoke({ action: "count" }));

    expect(second.invocations).toBe(2);
    expect(fn.invocations).toBe(2);
  });

  test("runs one invocation at a time in a sandbox and queues the rest when it may not scale out", async () => {
    const fn = start({}, 1);

    const results = await Promise.all([fn.invoke({ action: "sleep", ms: 50 }), fn.invoke({ action: "sleep", ms: 50 })]);

    expect(results.map((r) => payload(r))).toEqual([
      { invocations: 1, maxActive: 1 },
      { invocations: 2, maxActive: 1 },
    ]);
  });

  test("drops a queued invocation whose caller gives up before a worker is free; the running one finishes", async () => {
    const fn = start({}, 1);
    const gaveUp = new AbortController();

    const running = fn.invoke({ action: "sleep", ms: 300 });
    const queued = fn.invoke({ action: "sleep", ms: 0 }, { signal: gaveUp.signal });
    const next = fn.invoke({ action: "count" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    gaveUp.abort();

    expect(await queued).toMatchObject({ ok: false, error: { errorType: ABANDONED_ERROR_TYPE } });
    expect(payload(await running)).toEqual({ invocations: 1, maxActive: 1 });
    // The dropped invocation never reached the handler: the one queued behind it is the second the sandbox ran.
    expect(payload(await next)).toEqual({ invocations: 2 });
    expect(fn.abandoned).toBe(1);
    expect(logs.some((line) => / not started after \d+ ms waiting for one of 1 workers: the caller gave up$/.test(line))).toBe(true);
  });

  test("drops an invocation that gets a worker too late to run its whole timeout before its caller gives up", async () => {
    const fn = start({ timeoutSeconds: 1 }, 1);

    const running = fn.invoke({ action: "sleep", ms: 300 });
    // Its caller stops waiting in 1.1 s; the worker is free after 0.3 s, leaving 0.8 s: less than the 1 s timeout.
    const late = fn.invoke({ action: "sleep", ms: 0 }, { mustEndBy: Date.now() + 1100 });
    const inTime = fn.invoke({ action: "count" }, { mustEndBy: Date.now() + 5000 });

    expect(await late).toMatchObject({ ok: false, error: { errorType: ABANDONED_ERROR_TYPE } });
    expect(payload(await running)).toEqual({ invocations: 1, maxActive: 1 });
    expect(payload(await inTime)).toEqual({ invocations: 2 });
    expect(fn.abandoned).toBe(1);
  });

  test("caps the workers at maxConcurrency, by default two per CPU core and at least 4, and a lower reserved concurrency caps them further", async () => {
    expect(DEFAULT_MAX_CONCURRENCY).toBe(Math.max(4, 2 * availableParallelism()));
    const fn = start({ reservedConcurrency: 2 }, 3);

    const results = await Promise.all([1, 2, 3].map(() => fn.invoke({ action: "sleep", ms: 100 })));

    // Three overlapping invocations, two workers: one of them ran two of the invocations.
    expect(results.map((r) => payload(r).invocations).sort()).toEqual([1, 1, 2]);
    expect(fn.coldStarts).toBe(2);
    expect(() => start({}, 0)).toThrow("maxConcurrency must be a whole number of at least 1, received 0");
  });

  test("scales out to another sandbox, each with its own cold start, when invocations overlap", async () => {
    const fn = start({}, 2);

    const results = await Promise.all([fn.invoke({ action: "sleep", ms: 50 }), fn.invoke({ action: "sleep", ms: 50 })]);

    expect(results.map((r) => payload(r))).toEqual([
      { invocations: 1, maxActive: 1 },
      { invocations: 1, maxActive: 1 },
    ]);
  });

  test("reports a thrown error as Lambda does, and the sandbox stays warm", async () => {
    const fn = start();

    const result = await fn.invoke({ action: "throw" });

    expect(result).toMatchObject({ ok: false, error: { errorType: "TypeError", errorMessage: "bad input on purpose" } });
    expect(payload(await fn.invoke({ action: "count" })).invocations).toBe(2);
  });

  test("returns null for a handler that returns undefined", async () => {
    expect(payload(await start().invoke({ action: "undefined" }))).toBeNull();
  });

  test("ends an invocation past the timeout with Task timed out, and the next one gets a new sandbox", async () => {
    const fn = start({ timeoutSeconds: 0.2 });

    const result = await fn.invoke({ action: "sleep", ms: 10_000 });

    expect(result).toMatchObject({ ok: false, error: { errorType: "Sandbox.Timedout", errorMessage: "Task timed out after 0.20 seconds" } });
    expect(payload(await fn.invoke({ action: "count" })).invocations).toBe(1);
  });

  test("fails the invocation of a sandbox that crashes, and the next one gets a new sandbox", async () => {
    const fn = start();

    const result = await fn.invoke({ action: "crash" });

    expect(result).toMatchObject({ ok: false, error: { errorType: "Runtime.ExitError" } });
    expect(result.ok || result.error.errorMessage).toContain("crash on purpose");
    expect(payload(await fn.invoke({ action: "count" })).invocations).toBe(1);
  });

  test("fails invocations while the init fails and retries the init on each one", async () => {
    const flag = join(dir, "fail-init");
    writeFileSync(flag, "");
    const fn = start({ environment: { FAIL_INIT_WHILE: flag } });

    const failedInit = await fn.invoke({ action: "count" });
    rmSync(flag);
    const retried = await fn.invoke({ action: "count" });

    expect(failedInit).toMatchObject({ ok: false, error: { errorMessage: "init failed on purpose" } });
    expect(existsSync(flag)).toBe(false);
    expect(payload(retried).invocations).toBe(1);
  });

  test("writes Lambda's JSON log lines with the request id and drops levels below the function's log level", async () => {
    const fn = start();

    await fn.invoke({ action: "log" });
    await fn.stop();

    const lines = logs.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { timestamp: expect.any(String), level: "INFO", requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), message: { msg: "an object" } },
      { timestamp: expect.any(String), level: "WARN", requestId: lines[0].requestId, message: "a formatted 1" },
    ]);
  });

  describe("update()", () => {
    test("runs new invocations on the new code while one in flight finishes on the old sandbox, which is then retired", async () => {
      const fn = start();
      await fn.warm();
      const codeDir = join(dir, "code", "test-fn");
      const oldSha = fn.codeSha256;

      const release = join(dir, "release-in-flight");
      const inFlight = fn.invoke({ action: "hold", until: release });
      await fn.update({ ...fn.definition, zipPath: join(dir, "fn-v2.zip") });
      const next = payload(await fn.invoke({ action: "count" }));
      const live = fn.liveWorkers;
      writeFileSync(release, "");
      const finished = payload(await inFlight);

      expect(next).toEqual({ version: 2, tableName: "things", taskRoot: join(codeDir, "2") });
      expect(live).toBe(2);
      // The old code's answer: the in-flight invocation was not moved or cut short.
      expect(finished).toEqual({ invocations: 1, maxActive: 1 });
      expect(fn.liveWorkers).toBe(1);
      expect(existsSync(join(codeDir, "1"))).toBe(false);
      expect(existsSync(join(codeDir, "2", "lambda-handler.js"))).toBe(true);
      expect(fn.codeSha256).not.toBe(oldSha);
      expect(fn.invocations).toBe(2);
    });

    test("ends idle sandboxes of the old code at once and starts the new environment's", async () => {
      const fn = start({}, 3);
      await Promise.all([fn.invoke({ action: "sleep", ms: 100 }), fn.invoke({ action: "sleep", ms: 100 })]);
      expect(fn.liveWorkers).toBe(2);
      const coldStarts = fn.coldStarts;

      await fn.update({ ...fn.definition, environment: { TABLE_NAME: "others" } });

      expect(fn.liveWorkers).toBe(1);
      expect(fn.coldStarts).toBe(coldStarts + 1);
      expect(payload(await fn.invoke({ action: "env" })).env.TABLE_NAME).toBe("others");
      expect(fn.definition.environment).toEqual({ TABLE_NAME: "others" });
    });

    test("gives a queued invocation a sandbox of the new code, and applies a new reserved concurrency", async () => {
      const fn = start({}, 1);
      await fn.warm();
      const release = join(dir, "release-busy");
      const busy = fn.invoke({ action: "hold", until: release });
      const queued = fn.invoke({ action: "count" });

      // update() switches to the new code at once, then waits for the busy sandbox, the only one allowed, to warm one of the new code.
      const updated = fn.update({ ...fn.definition, zipPath: join(dir, "fn-v2.zip"), reservedConcurrency: 1 });
      writeFileSync(release, "");
      await updated;

      expect(payload(await queued)).toMatchObject({ version: 2 });
      expect(payload(await busy)).toEqual({ invocations: 1, maxActive: 1 });
      expect(fn.liveWorkers).toBe(1);
    });

    test("runs the new code for an invocation whose sandbox was still starting when the code changed", async () => {
      const fn = start();
      const starting = fn.invoke({ action: "count" });

      const update = fn.update({ ...fn.definition, zipPath: join(dir, "fn-v2.zip") });

      expect(payload(await starting)).toMatchObject({ version: 2 });
      await update;
      // The sandbox of the old code was ended as soon as it had started, and its folder went with it.
      expect(existsSync(join(dir, "code", "test-fn", "1"))).toBe(false);
    });

    test("refuses the definition of another function and keeps running the current one", async () => {
      const fn = start();

      await expect(fn.update({ ...fn.definition, name: "other-fn" })).rejects.toThrow(
        "update() keeps the function's name: test-fn cannot become other-fn",
      );
      expect(payload(await fn.invoke({ action: "count" })).invocations).toBe(1);
    });
  });
});
