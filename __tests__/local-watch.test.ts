/**
 * `npm start -- --watch` as a developer uses it: the command runs in a scratch copy of the sources
 * (tools/lib/scratch-copy.ts; the repository's own files are never edited) and each test saves a file there, then
 * waits for the reload's line and checks what the stack serves: an edited handler on the next request, an
 * invocation in flight finishing on the old code, a shared module rebuilding only the packages that bundle it, a
 * throttling or environment change from the config, the tables' data kept, and broken edits (a syntax error, a
 * config that does not validate) reported while the previous version keeps serving. The tests run in order on
 * one stack; the last one checks there was exactly one line per save.
 */
import { spawn } from "node:child_process";
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listFunctions } from "../app/lambda-packages/build";
import { CommandOutput } from "../tools/lib/command-output";
import { scratchCopy, type ScratchCopy } from "../tools/lib/scratch-copy";
import { WATCH_LOG_PREFIX } from "../tools/local/watch";
import { tempDirsOfThisFile } from "./support/temp-dirs";

const tempDir = tempDirsOfThisFile();
const HEALTH = "app/lambda-packages/health/index.ts";
const DEV_CONFIG = "app/config/dev.json";
const PASSWORD = "correct horse battery staple";
/** The line a reload's duration ends with. */
const TOOK = String.raw`\(\d+ ms\)$`;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("npm start -- --watch", () => {
  let copy: ScratchCopy;
  let command: CommandOutput;
  let baseUrl = "";
  let namePrefix = "";
  let saves = 0;

  const watchLines = () => command.lines().filter((line) => line.startsWith(WATCH_LOG_PREFIX));

  /** Saves with `write` (one save, however many writes it makes) and returns the reload's line and the lines after it. */
  async function save(write: () => void): Promise<{ line: string; after: string[] }> {
    const seen = watchLines().length;
    saves++;
    write();
    const line = await command.waitFor(() => watchLines()[seen], `[watch] line after save ${saves}`);
    const lines = command.lines();
    return { line, after: lines.slice(lines.indexOf(line) + 1) };
  }

  const edit = (path: string, change: (text: string) => string) => save(() => copy.edit(path, change));
  const editConfig = (change: (config: any) => void) =>
    edit(DEV_CONFIG, (text) => {
      const config = JSON.parse(text);
      change(config);
      return `${JSON.stringify(config, null, 2)}\n`;
    });
  const version = async () => ((await (await fetch(`${baseUrl}/health`)).json()) as { version: string }).version;
  const post = (path: string, body: unknown) =>
    fetch(`${baseUrl}${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const setVersion = (text: string, value: string) =>
    text.replace(/const SERVICE_VERSION = [^;]+;/, `const SERVICE_VERSION = ${JSON.stringify(value)};`);

  beforeAll(async () => {
    copy = scratchCopy("local-watch-");
    namePrefix = JSON.parse(readFileSync(copy.path(DEV_CONFIG), "utf8")).namePrefix;
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "tools/local/start.ts", "--watch", "--port", "0", "--no-web", "--data-dir", join(tempDir("local-watch-data-"), "data")],
      { cwd: copy.root, stdio: ["ignore", "pipe", "pipe"] },
    );
    command = new CommandOutput(child);
    baseUrl = await command.waitFor(
      () => (/Watching app\//.test(command.text) ? /API\s+(http:\/\/\S+)/.exec(command.text)?.[1] : undefined),
      "banner",
      120_000,
    );
  }, 150_000);

  afterAll(async () => {
    await command?.stop();
    copy?.remove();
  }, 30_000);

  test("serves an edited handler on the next request, after one line naming the file, the package rebuilt and the function", async () => {
    const before = await version();

    const { line } = await edit(HEALTH, (text) => setVersion(text, "watch-1"));

    const others = listFunctions(copy.path("app/lambda-packages")).filter((name) => name !== "health");
    expect(line).toMatch(
      new RegExp(
        `^${escape(`[watch] ${HEALTH}: rebuilt health (not ${others.join(", ")}: they do not bundle it); new code in ${namePrefix}health`)} ${TOOK}`,
      ),
    );
    expect(before).not.toBe("watch-1");
    expect(await version()).toBe("watch-1");
  });

  test("takes an editor's save (a temporary file renamed over the source, then written again) as one reload, and sees later writes", async () => {
    const path = copy.path(HEALTH);
    const text = setVersion(readFileSync(path, "utf8"), "watch-2");

    const renamed = await save(() => {
      writeFileSync(`${path}.tmp`, text);
      renameSync(`${path}.tmp`, path);
      writeFileSync(path, text);
    });
    const afterRename = await version();
    const written = await edit(HEALTH, (current) => setVersion(current, "watch-3"));

    for (const { line } of [renamed, written])
      expect(line).toMatch(new RegExp(`^${escape(`[watch] ${HEALTH}: rebuilt health`)}.*new code in ${namePrefix}health ${TOOK}`));
    expect(afterRename).toBe("watch-2");
    // Node 20's recursive fs.watch on Linux loses a file renamed over (watch.ts): this write would go unseen.
    expect(await version()).toBe("watch-3");
  });

  test("lets an invocation in flight finish on the old code while the next request runs the new code", async () => {
    await edit(HEALTH, (text) =>
      setVersion(text, "slow-old").replace(
        "async function health(): Promise<APIGatewayProxyResult> {",
        'async function health(): Promise<APIGatewayProxyResult> {\n  console.log("slow request started");\n  await new Promise((resolve) => setTimeout(resolve, 3000));',
      ),
    );
    const started = command.text.length;
    const slow = fetch(`${baseUrl}/health`).then(async (response) => ({
      version: ((await response.json()) as { version: string }).version,
      at: command.text.length,
    }));
    await command.waitFor(() => (command.text.indexOf("slow request started", started) >= 0 ? true : undefined), "slow request's log line");

    const { line } = await edit(HEALTH, (text) =>
      setVersion(text, "fast-new").replace(
        '\n  console.log("slow request started");\n  await new Promise((resolve) => setTimeout(resolve, 3000));',
        "",
      ),
    );
    const reloadedAt = command.text.indexOf(line);
    const next = await version();
    const inFlight = await slow;

    expect(next).toBe("fast-new");
    expect(inFlight.version).toBe("slow-old");
    // The slow request was answered after the reload: it ran across it.
    expect(inFlight.at).toBeGreaterThan(reloadedAt);
  });

  test("rebuilds only the packages whose bundle holds an edited shared module, and leaves the others' ZIPs alone", async () => {
    const dist = copy.path("app/lambda-packages/dist");
    const packages = listFunctions(copy.path("app/lambda-packages"));
    const inputsOf = (name: string): string[] => JSON.parse(readFileSync(join(dist, `${name}.manifest.json`), "utf8")).inputs;
    const shared = [...new Set(packages.flatMap(inputsOf))].filter((input) => input.startsWith("shared/")).sort();
    // A shared module some packages bundle and others do not, found from the manifests.
    const module = shared.find((input) => {
      const count = packages.filter((name) => inputsOf(name).includes(input)).length;
      return count > 0 && count < packages.length;
    });
    if (!module) throw new Error(`No shared module is bundled by some packages only: ${shared.join(", ")}`);
    const bundling = packages.filter((name) => inputsOf(name).includes(module));
    const others = packages.filter((name) => !bundling.includes(name));
    const zipTimes = () => others.map((name) => statSync(join(dist, `${name}.zip`)).mtimeMs);
    const othersBefore = zipTimes();

    // A statement with a side effect: the bundler keeps it, so the bundles that hold the module change.
    const { line } = await edit(`app/lambda-packages/${module}`, (text) => `${text}\n(globalThis as Record<string, unknown>).watchTestMarker = 1;\n`);

    expect(line).toMatch(
      new RegExp(
        `^${escape(
          `[watch] app/lambda-packages/${module}: rebuilt ${bundling.join(", ")} (not ${others.join(", ")}: ${others.length === 1 ? "it does" : "they do"} not bundle it); new code in ${bundling.map((name) => `${namePrefix}${name}`).join(", ")}`,
        )} ${TOOK}`,
      ),
    );
    expect(zipTimes()).toEqual(othersBefore);
  });

  test("applies a route's throttling edited in the config, and the tables keep their data", async () => {
    const email = `watch-${Date.now()}@example.com`;
    expect((await post("/users", { email, password: PASSWORD, name: "Watch" })).status).toBe(201);

    const { line } = await editConfig((config) => (config.api.routeThrottling["GET /health"] = { rateLimit: 0.01, burstLimit: 1 }));
    const statuses = [(await fetch(`${baseUrl}/health`)).status, (await fetch(`${baseUrl}/health`)).status];

    expect(line).toMatch(new RegExp(`^${escape(`[watch] ${DEV_CONFIG}: re-synthesized; applied throttling of GET /health`)} ${TOOK}`));
    expect(statuses).toEqual([200, 429]);
    expect((await post("/sessions", { email, password: PASSWORD })).status).toBe(201);
  });

  test("reports a config that does not validate, naming the file and the field, keeps the previous config, and reloads the fix", async () => {
    const broken = await editConfig((config) => (config.api.routeThrottling["GET /health"].burstLimit = "lots"));
    const whileBroken = [(await fetch(`${baseUrl}/health`)).status, (await fetch(`${baseUrl}/health`)).status];
    const fixed = await editConfig((config) => delete config.api.routeThrottling["GET /health"]);
    const afterFix = [(await fetch(`${baseUrl}/health`)).status, (await fetch(`${baseUrl}/health`)).status];

    expect(broken.line).toMatch(
      new RegExp(`^${escape(`[watch] ${DEV_CONFIG}: not reloaded, the config does not validate; the previous version keeps serving`)} ${TOOK}`),
    );
    expect(broken.after.slice(0, 2)).toEqual([
      `    Invalid config ${DEV_CONFIG} (1 problem); nothing was synthesized:`,
      '      - api.routeThrottling.GET /health.burstLimit: expected number, found string "lots"',
    ]);
    // The previous config's throttle (burst 1) still applies, until the fix lifts it.
    expect(whileBroken).toEqual([429, 429]);
    expect(fixed.line).toMatch(new RegExp(`^${escape(`[watch] ${DEV_CONFIG}: re-synthesized; applied throttling of GET /health`)} ${TOOK}`));
    expect(afterFix).toEqual([200, 200]);
  });
  test("restarts only the function whose environment the config changed", async () => {
    const { line } = await editConfig((config) => (config.sessions.lifetimeSeconds = 3600));

    expect(line).toMatch(new RegExp(`^${escape(`[watch] ${DEV_CONFIG}: re-synthesized; restarted ${namePrefix}sessions (environment)`)} ${TOOK}`));
  });
  test("reports a handler that does not build, keeps serving the previous code, and reloads the fix", async () => {
    const broken = await edit(HEALTH, (text) => setVersion(text, "never-served").replace("async function health(): ", "async function health()): "));
    const whileBroken = await version();
    const fixed = await edit(HEALTH, (text) => text.replace("async function health()): ", "async function health(): "));

    expect(broken.line).toMatch(
      new RegExp(`^${escape(`[watch] ${HEALTH}: not reloaded, the build of health failed; the previous version keeps serving`)} ${TOOK}`),
    );
    expect(broken.after[0]).toBe("    Build failed with 1 error:");
    expect(broken.after[1]).toMatch(new RegExp(`^    ${escape(HEALTH)}:\\d+:\\d+: ERROR: `));
    expect(whileBroken).toBe("fast-new");
    expect(fixed.line).toMatch(new RegExp(`^${escape(`[watch] ${HEALTH}: rebuilt health`)}.*new code in ${namePrefix}health ${TOOK}`));
    expect(await version()).toBe("never-served");
  });
  test("printed exactly one line per save", () => {
    expect(watchLines()).toHaveLength(saves);
  });
});
