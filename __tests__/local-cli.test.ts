/**
 * The command-line entry points, run as an operator runs them: `npm start` (serves, logs each request, stops
 * on Ctrl-C), `npm run verify` against the local stack and against a target where nothing listens, and
 * `npm run test:deployed`, which must refuse to run without a deployment rather than pass. Each script goes through
 * npm in one test; the others run its command from package.json without npm.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { OPERATIONS_CHECKS } from "../tools/target/operations";
import { TABLE_NAMES } from "../app/lambda-packages/shared/tables";
import { tempDirsOfThisFile } from "./support/temp-dirs";

const ROOT = resolve(__dirname, "..");
const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

/** `npm run --silent <script> -- <args>` in the repository, with the output of both streams. */
function npmRun(script: string, args: string[]): { status: number | null; output: string } {
  return outputOf(spawnSync("npm", ["run", "--silent", script, "--", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 }));
}

/**
 * The command of an npm script (`node --import tsx <file>`, read from package.json) with <args>, without npm: for
 * the tests of what the tool does, not of the script's wiring (each script has one test through npmRun), since
 * npm's own start-up costs more CPU than a tool that prints its usage.
 */
function scriptRun(script: string, args: string[]): { status: number | null; output: string } {
  return outputOf(spawnSync(process.execPath, [...nodeArgsOf(script), ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 }));
}

/** The arguments of node in an npm script that is `node <arguments>`. */
function nodeArgsOf(script: string): string[] {
  const [command, ...args] = (scripts[script] ?? "").split(" ");
  if (command !== "node") throw new Error(`npm script ${script} is not a node command: ${scripts[script]}`);
  return args;
}

function outputOf(result: SpawnSyncReturns<string>): { status: number | null; output: string } {
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A port nothing listens on: taken from the OS, then released. */
function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

const tempDir = tempDirsOfThisFile();

describe("the command-line entry points", () => {
  let dir: string;

  beforeAll(() => {
    dir = tempDir("local-cli-");
  });

  test("npm start serves the API and the web client, logs one line per request, shows the worker cap, and prints the metrics and stops cleanly on SIGINT", async () => {
    // --web-port 0: a free port, not the dev origin's 3000, which a developer's `npm start` may hold.
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "tools/local/start.ts", "--port", "0", "--web-port", "0", "--data-dir", join(dir, "data"), "--max-concurrency", "3"],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    let exitCode: number | null | undefined;
    const watchers: Array<() => void> = [];
    const changed = () => watchers.splice(0).forEach((notify) => notify());
    child.stdout.on("data", (chunk: Buffer) => ((output += chunk.toString()), changed()));
    child.stderr.on("data", (chunk: Buffer) => ((output += chunk.toString()), changed()));
    child.on("exit", (code) => ((exitCode = code), changed()));
    /** Resolves with the first match of `pattern` in everything printed so far; rejects if the process ends first. */
    const waitFor = (pattern: RegExp): Promise<RegExpMatchArray> =>
      new Promise((resolveMatch, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) resolveMatch(match);
          else if (exitCode !== undefined) reject(new Error(`npm start exited with ${exitCode} before printing ${pattern}:\n${output}`));
          else watchers.push(check);
        };
        check();
      });
    const exited = () =>
      new Promise<number | null>((resolveExit) => (exitCode !== undefined ? resolveExit(exitCode) : child.once("exit", resolveExit)));

    try {
      const [, baseUrl] = await waitFor(/API\s+(http:\/\/127\.0\.0\.1:\d+\/dev)\n/);
      await waitFor(/Ctrl-C stops\./);
      expect(output).toMatch(/GET\s+\/users\/me\s+authorizer dev-service-authorizer\s+dev-service-users/);
      expect(output).toContain("Workers   up to 3 per function (--max-concurrency); more concurrent requests wait in a queue");

      const [, webOrigin] = await waitFor(/Web\s+(http:\/\/localhost:\d+)\s/);
      // Port 0 is not the dev config's allowed origin, and the banner says so.
      expect(output).toContain(`does not allow ${webOrigin}: the browser will refuse the page's requests`);

      expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
      await waitFor(/GET \/dev\/health 200 \d+ ms dev-service-health/);

      const page = await fetch(`${webOrigin.replace("localhost", "127.0.0.1")}/`);
      expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
      expect(await page.text()).toContain('<script src="app.js" defer></script>');
      const config = await fetch(`${webOrigin.replace("localhost", "127.0.0.1")}/config.js`);
      expect(await config.text()).toBe(`window.APP_CONFIG = ${JSON.stringify({ apiUrl: baseUrl })};\n`);

      const metrics = await fetch(`${new URL(baseUrl).origin}/_local/metrics`);
      expect(metrics.status).toBe(200);
      expect(await metrics.json()).toEqual({});

      child.kill("SIGINT");
      expect(await exited()).toBe(0);
      expect(output).toContain("SIGINT: stopping the local stack...\nMetrics the functions wrote (EMF):\n  (no metrics written)\nStopped.");
    } finally {
      if (exitCode === undefined) child.kill("SIGKILL");
    }
  }, 60_000);

  it.each(["0", "many"])(
    "npm start --max-concurrency %s exits 2 before it starts anything, and says what it takes",
    (value) => {
      const run = spawnSync(
        process.execPath,
        ["--import", "tsx", "tools/local/start.ts", "--data-dir", join(dir, "never-used"), "--max-concurrency", value],
        {
          cwd: ROOT,
          encoding: "utf8",
          timeout: 60_000,
        },
      );

      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`--max-concurrency must be a whole number from 1 to 1000, received "${value}"`);
      expect(run.stderr).toContain("Usage: npm start -- ");
      expect(existsSync(join(dir, "never-used"))).toBe(false);
    },
    60_000,
  );

  test("npm run verify -- --local checks a fresh local stack step by step and exits 0", () => {
    const result = npmRun("verify", ["--local"]);

    expect(result.status).toBe(0);
    for (const step of [
      "ok    GET /health answers 200 with status ok",
      "ok    POST /users signs up a throwaway user",
      "ok    POST /sessions logs in",
      "ok    GET /users/me and GET /users/{id} return the user",
      "ok    DynamoDB holds the user and a hashed session",
      "ok    GET /users/me with an unknown token is refused",
      "ok    DELETE /users/me deletes the user (confirmed with its password)",
      "ok    the user is gone from DynamoDB and its token is refused",
    ]) {
      expect(result.output).toContain(step);
    }
    // The operations path needs AWS: every check of it is named as skipped, and the summary does not claim it.
    for (const name of Object.values(OPERATIONS_CHECKS)) {
      expect(result.output).toContain(`SKIPPED ${name}: --local runs no AWS: the local stack has no CloudWatch, X-Ray, WAF or Lambda quotas`);
    }
    expect(result.output).toContain("Verification passed for the API path only; the operations path was SKIPPED (not verified).");
    expect(result.output).not.toContain("Verification passed.");
  }, 120_000);

  test("npm run verify exits 1 at the first step when nothing listens at the target", async () => {
    const port = await freePort();
    const outputs = join(dir, "outputs-of-a-stopped-stack.json");
    writeFileSync(
      outputs,
      JSON.stringify({
        "data-stack": Object.fromEntries(TABLE_NAMES.map((table) => [`${table}_table_name`, `dev-service-${table}`])),
        "api-stack": { api_invoke_url: `http://127.0.0.1:${port}/dev` },
        "local-stack": { dynamodb_endpoint: `http://127.0.0.1:${port}`, region: "us-east-1" },
      }),
    );

    const result = scriptRun("verify", [outputs]);

    expect(result.status).toBe(1);
    expect(result.output).toContain(
      `FAIL  GET /health answers 200 with status ok: cannot reach the API (fetch failed: connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    expect(result.output).toContain("Verification FAILED.");
    expect(result.output).not.toContain("ok    ");
  }, 60_000);

  it.each([
    ["no arguments", [], "Usage: npm run verify -- <outputs.json>"],
    ["an outputs file that does not exist", ["no-such-outputs.json"], `Outputs file ${join(ROOT, "no-such-outputs.json")} does not exist.`],
  ])("npm run verify with %s exits 2 and says what to pass", (_, args, message) => {
    const result = scriptRun("verify", args);

    expect(result.status).toBe(2);
    expect(result.output).toContain(message);
  });

  it.each([
    ["no outputs file", [] as string[], "Refusing to run: the deployed end-to-end suite needs the outputs file of a deployment."],
    ["an outputs file without the API's URL", ["__no_api__"], 'has no "api-stack".api_invoke_url'],
  ])("npm run test:deployed with %s refuses to run and exits 2", (_, args, message) => {
    const withoutApi = join(dir, "outputs-without-api.json");
    writeFileSync(
      withoutApi,
      JSON.stringify({ "data-stack": Object.fromEntries(TABLE_NAMES.map((table) => [`${table}_table_name`, `${table}-table`])) }),
    );

    // Through npm once (the script's wiring), then the tool alone.
    const result = (args.length === 0 ? npmRun : scriptRun)(
      "test:deployed",
      args.map((a) => (a === "__no_api__" ? withoutApi : a)),
    );

    expect(result.status).toBe(2);
    expect(result.output).toContain(message);
    expect(result.output).not.toMatch(/Tests:/);
  });
});
