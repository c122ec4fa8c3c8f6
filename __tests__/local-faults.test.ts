/**
 * The local stack under faults, end to end over HTTP on 127.0.0.1: DynamoDB refused and hung (the fault proxy
 * of tools/local/dynamodb-faults.ts), a function past its timeout, a burst larger than the worker cap against a slow
 * DynamoDB, a second start on a data folder in use, and a hard kill in the middle of a burst of writes.
 *
 * The stack runs with a shortened integration timeout (6 s instead of 29 s), function timeouts of 4 s and 2
 * workers per function, so every fault resolves within a few seconds. The functions give up on a DynamoDB call
 * after 3 s (DYNAMODB_TIMEOUT_MS), aws-lite's retries included.
 */
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { GATEWAY_RESPONSES } from "../app/lambda-packages/shared/error-codes";
import { DataFolderLockedError } from "../tools/local/data-lock";
import { dynamoDbCall } from "../tools/local/dynamodb";
import { startLocalStack, type LocalStack } from "../tools/local/stack";
import { tempDirsOfThisFile } from "./support/temp-dirs";
import { cheapScryptEnvironment } from "./support/test-scrypt";

const ROOT = resolve(__dirname, "..");
const PASSWORD = "correct horse battery staple";
const INTEGRATION_TIMEOUT_MS = 6000;
const USERS = "dev-service-users";

type Answer = { status: number; headers: Headers; body: any };

async function send(baseUrl: string, method: string, path: string, options: { json?: unknown; token?: string } = {}): Promise<Answer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.json === undefined ? {} : { "Content-Type": "application/json" }),
      ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

let emails = 0;
const uniqueEmail = (tag: string) => `${tag}-${process.pid}-${++emails}@example.com`;

/** The stored user item and e-mail claim of an address, read straight from the engine (no fault proxy). */
async function stored(endpoint: string, table: string, email: string): Promise<{ claim?: any; user?: any }> {
  const get = async (pk: string) =>
    (await dynamoDbCall<{ Item?: any }>(endpoint, "GetItem", { TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true })).Item;
  const claim = await get(`email#${email}`);
  const user = claim ? await get(`user#${claim.userId.S}`) : undefined;
  return { claim, user };
}

/** Every file under a folder with its size and mtime, to show that something changed nothing. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else {
        const { size, mtimeMs } = statSync(full);
        out.push(`${full} ${size} ${mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

const gatewayError = (type: keyof typeof GATEWAY_RESPONSES) => ({
  error: { code: GATEWAY_RESPONSES[type].code, message: GATEWAY_RESPONSES[type].message },
});

const tempDir = tempDirsOfThisFile();

describe("the local stack under faults", () => {
  let dataDir: string;
  let stack: LocalStack;
  let token: string;
  const logs: string[] = [];

  beforeAll(async () => {
    dataDir = tempDir("local-faults-");
    stack = await startLocalStack({
      environment: "dev",
      dataDir,
      buildPackages: false,
      faultInjection: true,
      functionEnvironment: cheapScryptEnvironment(),
      maxConcurrency: 2,
      integrationTimeoutMs: INTEGRATION_TIMEOUT_MS,
      log: (line) => logs.push(line),
      configOverride: (config) => ({
        ...config,
        lambda: { ...config.lambda, timeoutSeconds: 4, functions: {} },
      }),
    });
    const email = uniqueEmail("owner");
    expect((await send(stack.baseUrl, "POST", "/users", { json: { email, password: PASSWORD, name: "Owner" } })).status).toBe(201);
    const session = await send(stack.baseUrl, "POST", "/sessions", { json: { email, password: PASSWORD } });
    expect(session.status).toBe(201);
    token = session.body.token;
  }, 120_000);

  afterEach(() => stack.faults!.clear());

  afterAll(async () => {
    await stack?.stop();
  });

  /** What a client needs to see to retry later: 503, the retryable code, a message, Retry-After. */
  const expectRetryable = (answer: Answer) => {
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: { code: "SERVICE_UNAVAILABLE", message: expect.any(String) } });
    expect(answer.body.error.message.length).toBeGreaterThan(0);
    expect(answer.headers.get("retry-after")).toBe("1");
  };

  test.each([
    // aws-lite retries a refused connection for up to ~3 s, so the health check's own 2 s timeout may come first.
    ["refused", { kind: "refuse" } as const, expect.stringMatching(/^(ECONNREFUSED|TimeoutError)$/)],
    ["hung", { kind: "hang" } as const, "TimeoutError"],
  ])(
    "DynamoDB %s: health 503 naming the checks; bearer and public routes 503 SERVICE_UNAVAILABLE with Retry-After; all well once it is back",
    async (_, fault, check) => {
      await stack.faults!.set(fault);

      const [health, bearer, current, logIn] = await Promise.all([
        send(stack.baseUrl, "GET", "/health"),
        send(stack.baseUrl, "GET", "/users/me", { token }),
        send(stack.baseUrl, "GET", "/sessions/current", { token }),
        send(stack.baseUrl, "POST", "/sessions", { json: { email: "nobody@example.com", password: PASSWORD } }),
      ]);

      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        status: "error",
        checks: { usersTable: { status: "error", error: check }, sessionsTable: { status: "error", error: check } },
      });
      for (const answer of [bearer, current, logIn]) expectRetryable(answer);

      await stack.faults!.clear();
      expect((await send(stack.baseUrl, "GET", "/health")).status).toBe(200);
      expect((await send(stack.baseUrl, "GET", "/users/me", { token })).status).toBe(200);
    },
    30_000,
  );

  test("DynamoDB refused: a sign-up is 503 SERVICE_UNAVAILABLE and stores nothing", async () => {
    const email = uniqueEmail("refused");
    await stack.faults!.set({ kind: "refuse" });

    expectRetryable(await send(stack.baseUrl, "POST", "/users", { json: { email, password: PASSWORD, name: "Refused" } }));
    await stack.faults!.clear();
    expect(await stored(stack.dynamoDbEndpoint, stack.tables.users, email)).toEqual({ claim: undefined, user: undefined });
  }, 30_000);

  test("DynamoDB throttling: a bearer route and a sign-up are 503 SERVICE_UNAVAILABLE with Retry-After", async () => {
    await stack.faults!.set({ kind: "error", statusCode: 400, type: "ProvisionedThroughputExceededException" });

    const [bearer, signUp] = await Promise.all([
      send(stack.baseUrl, "GET", "/users/me", { token }),
      send(stack.baseUrl, "POST", "/users", { json: { email: uniqueEmail("throttled"), password: PASSWORD, name: "Throttled" } }),
    ]);

    expectRetryable(bearer);
    expectRetryable(signUp);
  }, 30_000);

  test("a function past its timeout: the documented 502, its worker discarded and replaced, the next calls fine", async () => {
    const signUp = (tag: string) => send(stack.baseUrl, "POST", "/users", { json: { email: uniqueEmail(tag), password: PASSWORD, name: "Pat" } });
    expect((await signUp("warm")).status).toBe(201);
    const before = stack.workerStats()[USERS];
    // Each write answers in 2.5 s, within the 3 s DynamoDB timeout; a sign-up makes two: past the 4 s function timeout.
    await stack.faults!.set({ kind: "slow", delayMs: 2500, operations: ["PutItem"] });

    const timedOut = await signUp("slow");

    expect(timedOut.status).toBe(502);
    expect(timedOut.body).toEqual(gatewayError("DEFAULT_5XX"));
    expect(logs.some((line) => line.includes(`[${USERS}]`) && line.includes("Task timed out after 4.00 seconds"))).toBe(true);
    expect(stack.workerStats()[USERS]).toMatchObject({ live: before.live - 1, coldStarts: before.coldStarts });

    await stack.faults!.clear();
    // As many calls at once as there were workers: one new worker replaces the discarded one.
    const next = await Promise.all(Array.from({ length: before.live }, () => signUp("after")));
    expect(next.map((a) => a.status)).toEqual(next.map(() => 201));
    expect(stack.workerStats()[USERS]).toMatchObject({ live: before.live, coldStarts: before.coldStarts + 1 });
  }, 30_000);

  test("a burst larger than the worker cap against a slow DynamoDB: every 504 wrote nothing, every write was answered 201", async () => {
    await stack.faults!.set({ kind: "slow", delayMs: 300 });
    const abandonedBefore = stack.workerStats()[USERS].abandoned;
    const burst = Array.from({ length: 24 }, () => uniqueEmail("burst"));

    const answers = await Promise.all(
      burst.map((email) => send(stack.baseUrl, "POST", "/users", { json: { email, password: PASSWORD, name: "Burst" } })),
    );
    await stack.faults!.clear();

    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s !== 201 && s !== 504)).toEqual([]);
    expect(statuses).toContain(201);
    expect(statuses).toContain(504);
    for (const [i, email] of burst.entries()) {
      const { claim, user } = await stored(stack.dynamoDbEndpoint, stack.tables.users, email);
      if (answers[i].status === 201) {
        expect({ email, claim: claim !== undefined, user: user?.id?.S }).toEqual({ email, claim: true, user: answers[i].body.id });
      } else {
        expect(answers[i].body).toEqual(gatewayError("INTEGRATION_TIMEOUT"));
        expect({ email, claim, user }).toEqual({ email, claim: undefined, user: undefined });
      }
    }
    expect(stack.workerStats()[USERS].abandoned - abandonedBefore).toBe(statuses.filter((s) => s === 504).length);
  }, 60_000);

  test("a second start on the data folder in use, even with fresh, is refused naming the folder and this process, and deletes nothing", async () => {
    const folder = join(dataDir, "dev");
    const before = snapshot(join(folder, "dynamodb"));

    const second = startLocalStack({ environment: "dev", dataDir, fresh: true, buildPackages: false });

    await expect(second).rejects.toThrow(DataFolderLockedError);
    await expect(second).rejects.toThrow(`The data folder ${folder} is in use by process ${process.pid} (`);
    expect(snapshot(join(folder, "dynamodb"))).toEqual(before);
    expect((await send(stack.baseUrl, "GET", "/users/me", { token })).status).toBe(200);
  });

  test("npm start on the data folder in use exits 1 naming the folder and the holding process, and changes nothing", () => {
    const folder = join(dataDir, "dev");
    const before = snapshot(folder);

    const run = spawnSync(process.execPath, ["--import", "tsx", "tools/local/start.ts", "--port", "0", "--data-dir", dataDir, "--fresh"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`The data folder ${folder} is in use by process ${process.pid} (`);
    expect(run.stdout).not.toContain("Local stack");
    expect(snapshot(folder)).toEqual(before);
  }, 60_000);
});

describe("a hard kill of the local stack in the middle of a burst of writes", () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = tempDir("local-kill-");
  });

  test("loses no acknowledged write, and the restart takes over the lock the killed process left", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "__tests__/support/local-stack-child.ts", dataDir], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolveExit) => child.on("exit", (_, signal) => resolveExit(signal)));
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const started = await new Promise<{ baseUrl: string }>((resolveStart, reject) => {
      let stdout = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split("\n").find((l) => l.startsWith("{"));
        if (line) resolveStart(JSON.parse(line));
      });
      child.on("exit", (code) => reject(new Error(`the stack exited with ${code} before it served:\n${stderr}`)));
    });

    const emails = Array.from({ length: 40 }, () => uniqueEmail("kill"));
    const acknowledged: Array<{ email: string; id: string }> = [];
    let killed = false;
    const outcomes = await Promise.all(
      emails.map(async (email, i) => {
        // Staggered, so writes are in flight at every moment of the burst.
        await new Promise((resolveDelay) => setTimeout(resolveDelay, i * 15));
        try {
          const answer = await send(started.baseUrl, "POST", "/users", { json: { email, password: PASSWORD, name: "Kill" } });
          if (answer.status === 201) {
            acknowledged.push({ email, id: answer.body.id });
            if (acknowledged.length === 8 && !killed) {
              killed = true;
              child.kill("SIGKILL");
            }
          }
          return answer.status;
        } catch {
          return "no answer";
        }
      }),
    );
    if (!killed) child.kill("SIGKILL");

    expect(await exited).toBe("SIGKILL");
    expect(acknowledged.length).toBeGreaterThanOrEqual(8);
    expect(outcomes).toContain("no answer");

    const restartLogs: string[] = [];
    const restarted = await startLocalStack({
      environment: "dev",
      dataDir,
      buildPackages: false,
      functionEnvironment: cheapScryptEnvironment(),
      log: (line) => restartLogs.push(line),
    });
    try {
      expect(restartLogs.some((line) => line.startsWith(`Took over the stale lock of ${join(dataDir, "dev")} left by process ${child.pid}`))).toBe(
        true,
      );
      const missing: string[] = [];
      for (const { email, id } of acknowledged) {
        const { claim, user } = await stored(restarted.dynamoDbEndpoint, restarted.tables.users, email);
        if (claim?.userId?.S !== id || user?.id?.S !== id) missing.push(email);
      }
      expect(missing).toEqual([]);
      const logIn = await send(restarted.baseUrl, "POST", "/sessions", { json: { email: acknowledged[0].email, password: PASSWORD } });
      expect(logIn.status).toBe(201);
    } finally {
      await restarted.stop();
    }
  }, 120_000);
});
