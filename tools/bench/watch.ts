/**
 * Section 6, `npm start -- --watch` (tools/local/watch.ts): the two targets of issue 20, measured as a developer
 * meets them, on `node --import tsx tools/local/start.ts --watch` running in a scratch copy of the sources
 * (tools/lib/scratch-copy.ts), against the baseline of the same run, a restart by hand.
 * - Handler edit to the next request running it: from the write of app/lambda-packages/health/index.ts (a new
 *   SERVICE_VERSION) to the first GET /health answering that version, polled every POLL_MS. The reload's own
 *   time, from its [watch] line, is given beside it.
 * - A route's throttling edit to being applied: from the write of app/config/dev.json (api.routeThrottling for
 *   GET /health set to a burst of 1, or removed again, alternately) to the first answer that shows it (a 429 once
 *   set, a 200 once removed), polled every POLL_MS.
 * - Baseline, a restart by hand: the same handler edit, then `start.ts` (no --watch) started anew until the first
 *   GET /health answers the new version: what a developer did before --watch, less the Ctrl-C.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { CommandOutput } from "../lib/command-output";
import { scratchCopy, type ScratchCopy } from "../lib/scratch-copy";
import { WATCH_LOG_PREFIX } from "../local/watch";
import type { SectionResult, Table, TargetResult } from "./lib/report";
import { fmt, ratio, fmtRatio, summarize, type Summary } from "./lib/stats";

export interface WatchBenchOptions {
  readonly tmp: string;
  readonly quick: boolean;
}

const HEALTH = "app/lambda-packages/health/index.ts";
const DEV_CONFIG = "app/config/dev.json";
const POLL_MS = 10;
const HANDLER_TARGET_MS = 1000;
const THROTTLE_TARGET_MS = 5000;
/** No single figure may wait longer than this for the change to show. */
const GIVE_UP_MS = 60_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const setVersion = (text: string, value: string) =>
  text.replace(/const SERVICE_VERSION = [^;]+;/, `const SERVICE_VERSION = ${JSON.stringify(value)};`);

/** Starts `tools/local/start.ts` in the copy on a free port; resolves with its output and the API's URL once it serves. */
async function startLocal(copy: ScratchCopy, dataDir: string, watch: boolean): Promise<{ command: CommandOutput; baseUrl: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "tools/local/start.ts", ...(watch ? ["--watch"] : []), "--port", "0", "--no-web", "--data-dir", dataDir],
    { cwd: copy.root, stdio: ["ignore", "pipe", "pipe"] },
  );
  const command = new CommandOutput(child);
  const baseUrl = await command.waitFor(
    () => (/Ctrl-C stops\./.test(command.text) ? /API\s+(http:\/\/\S+)/.exec(command.text)?.[1] : undefined),
    "banner",
    180_000,
  );
  return { command, baseUrl };
}

/** Polls `check` every POLL_MS until it is true; the time since `since`, in ms. */
async function until(since: number, what: string, check: () => Promise<boolean>): Promise<number> {
  for (;;) {
    if (await check()) return performance.now() - since;
    if (performance.now() - since > GIVE_UP_MS) throw new Error(`${what}: not seen within ${GIVE_UP_MS} ms`);
    await sleep(POLL_MS);
  }
}

async function healthVersion(baseUrl: string): Promise<string | undefined> {
  const response = await fetch(`${baseUrl}/health`);
  return response.status === 200 ? ((await response.json()) as { version: string }).version : undefined;
}

interface WatchFigures {
  readonly handlerMs: number[];
  /** The reloads' own durations, from their [watch] lines. */
  readonly handlerReloadMs: number[];
  readonly throttleMs: number[];
  readonly throttleReloadMs: number[];
  readonly restartMs: number[];
}

/** The duration at the end of a [watch] line. */
const reloadMs = (line: string) => Number(/\((\d+) ms\)$/.exec(line)?.[1] ?? Number.NaN);

export async function benchWatch(options: WatchBenchOptions): Promise<SectionResult> {
  const handlerRuns = options.quick ? 3 : 11;
  const throttleRuns = options.quick ? 2 : 6;
  const restartRuns = options.quick ? 1 : 3;
  const copy = scratchCopy("bench-watch-");
  const figures: WatchFigures = { handlerMs: [], handlerReloadMs: [], throttleMs: [], throttleReloadMs: [], restartMs: [] };
  try {
    const { command, baseUrl } = await startLocal(copy, join(options.tmp, "watch-data"), true);
    const watchLines = () => command.lines().filter((line) => line.startsWith(WATCH_LOG_PREFIX));
    /** The [watch] line of the reload after `seen` lines, which must be a successful one. */
    const reloadLine = async (seen: number) => {
      const line = await command.waitFor(() => watchLines()[seen], "[watch] line");
      if (/: not reloaded, /.test(line)) throw new Error(`The reload failed:\n${command.text.slice(command.text.indexOf(line))}`);
      return line;
    };
    try {
      // One edit first, not counted: the first build loads esbuild.
      for (let i = -1; i < handlerRuns; i++) {
        const marker = `bench-${i + 1}`;
        const seen = watchLines().length;
        const started = performance.now();
        copy.edit(HEALTH, (text) => setVersion(text, marker));
        const ms = await until(started, `version ${marker}`, async () => (await healthVersion(baseUrl)) === marker);
        const line = await reloadLine(seen);
        if (i >= 0) {
          figures.handlerMs.push(ms);
          figures.handlerReloadMs.push(reloadMs(line));
        }
      }
      for (let i = 0; i < throttleRuns; i++) {
        const tighten = i % 2 === 0;
        const seen = watchLines().length;
        const started = performance.now();
        copy.edit(DEV_CONFIG, (text) => {
          const config = JSON.parse(text);
          if (tighten) config.api.routeThrottling["GET /health"] = { rateLimit: 0.01, burstLimit: 1 };
          else delete config.api.routeThrottling["GET /health"];
          return `${JSON.stringify(config, null, 2)}\n`;
        });
        const wanted = tighten ? 429 : 200;
        figures.throttleMs.push(await until(started, `status ${wanted}`, async () => (await fetch(`${baseUrl}/health`)).status === wanted));
        figures.throttleReloadMs.push(reloadMs(await reloadLine(seen)));
      }
    } finally {
      await command.stop();
    }

    for (let i = 0; i < restartRuns; i++) {
      const marker = `restart-${i}`;
      const started = performance.now();
      copy.edit(HEALTH, (text) => setVersion(text, marker));
      const { command: restarted, baseUrl: restartedUrl } = await startLocal(copy, join(options.tmp, `restart-data-${i}`), false);
      try {
        figures.restartMs.push(await until(started, `version ${marker} after a restart`, async () => (await healthVersion(restartedUrl)) === marker));
      } finally {
        await restarted.stop();
      }
    }
  } finally {
    copy.remove();
  }
  return report(figures);
}

function report(figures: WatchFigures): SectionResult {
  const handler = summarize(figures.handlerMs);
  const throttle = summarize(figures.throttleMs);
  const restart = summarize(figures.restartMs);
  const s = (ms: number) => fmt(ms / 1000, 2);
  const spread = (x: Summary) => `${s(x.median)} (${s(x.min)}-${s(x.max)})`;
  const table: Table = {
    title: "npm start --watch: an edit to what serves it, against a restart by hand (seconds, median (min-max))",
    headers: ["figure", "--watch", "reload's own time", "restart by hand (baseline)", "restart / --watch", "runs"],
    rows: [
      [
        "handler edit (health/index.ts) -> next request running it",
        spread(handler),
        spread(summarize(figures.handlerReloadMs)),
        spread(restart),
        fmtRatio(ratio(restart.median, handler.median)),
        `${handler.n} (restart ${restart.n})`,
      ],
      ["route throttling edit (dev.json) -> applied", spread(throttle), spread(summarize(figures.throttleReloadMs)), "", "", String(throttle.n)],
    ],
    notes: [
      `From the write of the file to the first answer that shows the change (GET /health polled every ${POLL_MS} ms): the new version; for throttling, a 429 once GET /health is set to a burst of 1, a 200 once that is removed, alternately. The debounce (100 ms) is included.`,
      "The reload's own time is the one its [watch] line prints: rebuilding the package and starting the new code's first worker, or re-synthesizing and applying.",
      "Restart by hand: the same handler edit, then the local stack started anew (packaging, synthesis, tables, workers) until the first request answers the new version; the Ctrl-C before it is left out.",
      "Runs in a scratch copy of the sources; the stack, the client and the bench share this machine's cores.",
    ],
  };
  const targets: TargetResult[] = [
    {
      target: "npm start --watch: handler edit to the next request running it, p50 at most 1 s",
      figure: `p50 ${s(handler.median)} s (max ${s(handler.max)} s, ${handler.n} edits); a restart by hand: ${s(restart.median)} s`,
      met: handler.median <= HANDLER_TARGET_MS,
      ...(handler.median > HANDLER_TARGET_MS ? { why: "the rebuild and the new worker's start took longer on this run" } : {}),
    },
    {
      target: "npm start --watch: a route's throttling edit to being applied, at most 5 s",
      figure: `max ${s(throttle.max)} s, p50 ${s(throttle.median)} s (${throttle.n} edits)`,
      met: throttle.max <= THROTTLE_TARGET_MS,
      ...(throttle.max > THROTTLE_TARGET_MS ? { why: "a re-synthesis took longer on this run" } : {}),
    },
  ];
  return { name: "watch", tables: [table], targets, data: { figures, summaries: { handler, throttle, restart } } };
}
