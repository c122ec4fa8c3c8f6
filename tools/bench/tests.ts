/**
 * Section 2, tests: the two tiers (__tests__/support/test-tiers.js). Wall time and CPU seconds of
 * `npm run test:unit` (type check, lint and the unit suites: the inner loop) and of the whole `npm test` (the
 * gate), in the same run, against jest's own floor: the same jest config running one trivial test file
 * (start-up of jest, its worker and ts-jest; no test of this repository can be faster).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { REPO_ROOT } from "../../app/lambda-packages/artifacts";
import { run, type ProcessResult } from "./lib/proc";
import type { SectionResult, TargetResult } from "./lib/report";
import { fmt, fmtRatio, fmtSpread, ratio, summarize, type Summary } from "./lib/stats";

export interface TestsOptions {
  readonly tmp: string;
  readonly unitRuns: number;
  readonly fullRuns: number;
}

const JEST = join(REPO_ROOT, "node_modules", ".bin", "jest");
/** The targets of issue 20: the unit tier in seconds here and as a share of `npm test`; `npm test`'s CPU no more than before the split. */
const UNIT_LIMIT_SECONDS = 20;
const UNIT_SHARE_LIMIT = 0.3;
const NPM_TEST_LIMIT_CPU_SECONDS = 137;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the tier list is a CommonJS file jest.config.js reads
const { INTEGRATION_SUITES } = require("../../__tests__/support/test-tiers") as { INTEGRATION_SUITES: Record<string, string> };

interface JestJson {
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  numTotalTestSuites: number;
  testResults: Array<{ name: string; startTime: number; endTime: number; status: string }>;
}

interface RunFigures {
  /** Spawn to exit; for a run that did not exit by itself, spawn to its results file. */
  readonly wallMs: number;
  /** False: jest wrote its results but did not exit (a handle left open by a test) and was killed. */
  readonly exited: boolean;
  readonly exitCode: number | null;
  readonly tests: number;
  readonly failed: number;
  readonly suites: number;
  readonly slowest: Array<{ file: string; seconds: number }>;
  /** Every suite's wall time, s, by repository path: the test sequencer starts the longest first on a fresh clone. */
  readonly suiteSeconds: Record<string, number>;
  readonly failedSuites: string[];
}

/** The directory of the offline provider mirror, found as .ci/run finds it, unless TF_PROVIDER_MIRROR is set. */
function providerMirror(): string | undefined {
  if (process.env.TF_PROVIDER_MIRROR) return process.env.TF_PROVIDER_MIRROR;
  const search = (dir: string, depth: number): string | undefined => {
    if (depth > 8) return undefined;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return undefined;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isFile() && entry.name.startsWith("terraform-provider-aws_v5.100.0")) return path;
      if (entry.isDirectory() && entry.name !== "node_modules" && !entry.name.startsWith(".")) {
        const found = search(path, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  for (const root of ["/opt", "/usr/local", "/usr/share", "/srv", "/root", "/home"]) {
    const binary = search(root, 0);
    if (binary && binary.includes("/registry.terraform.io/")) return binary.slice(0, binary.indexOf("/registry.terraform.io/"));
  }
  return undefined;
}

function readJestJson(path: string, outcome: ProcessResult): RunFigures {
  const wallMs = outcome.killedAfterOutput ? (outcome.outputFileMs ?? outcome.wallMs) : outcome.wallMs;
  const common = { wallMs, exited: !outcome.killedAfterOutput, exitCode: outcome.code };
  if (!existsSync(path)) return { ...common, tests: 0, failed: 0, suites: 0, slowest: [], suiteSeconds: {}, failedSuites: [] };
  const json = JSON.parse(readFileSync(path, "utf8")) as JestJson;
  const seconds = json.testResults.map((r) => ({ file: relative(REPO_ROOT, r.name), seconds: (r.endTime - r.startTime) / 1000 }));
  return {
    ...common,
    tests: json.numTotalTests,
    failed: json.numFailedTests,
    suites: json.numTotalTestSuites,
    slowest: [...seconds].sort((a, b) => b.seconds - a.seconds).slice(0, 5),
    suiteSeconds: Object.fromEntries(seconds.sort((a, b) => a.file.localeCompare(b.file)).map((s) => [s.file, Math.round(s.seconds * 10) / 10])),
    failedSuites: json.testResults.filter((r) => r.status !== "passed").map((r) => relative(REPO_ROOT, r.name)),
  };
}

/**
 * Runs argv[2:] as this process's child, as a child subreaper (prctl PR_SET_CHILD_SUBREAPER), and writes to argv[1]
 * the CPU seconds (user + sys) of every process of the tree, those orphaned before they ended included (esbuild's
 * service outlives the jest worker that started it, so GNU time, which counts only the children each process waited
 * for, misses its CPU). Waits up to 60 s for orphans after the command ends, then counts what ended.
 */
const TREE_CPU_PY = [
  "import ctypes, os, sys, time, resource",
  "ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)",
  "pid = os.fork()",
  "if pid == 0: os.execvp(sys.argv[2], sys.argv[2:])",
  "started, code, deadline, wall = time.time(), 1, None, 0.0",
  "while True:",
  "    try:",
  "        done, status = os.waitpid(-1, os.WNOHANG if deadline else 0)",
  "    except ChildProcessError:",
  "        break",
  "    if done == pid: code, deadline, wall = os.waitstatus_to_exitcode(status), time.time() + 60, time.time() - started",
  "    if done == 0:",
  "        if time.time() > deadline: break",
  "        time.sleep(0.05)",
  "r = resource.getrusage(resource.RUSAGE_CHILDREN)",
  "open(sys.argv[1], 'w').write('%.2f %.3f' % (r.ru_utime + r.ru_stime, wall))",
  "sys.exit(code)",
].join("\n");

/** python3 on PATH (the machines have it), for TREE_CPU_PY; without it, GNU time's count. */
const PYTHON = (process.env.PATH ?? "")
  .split(":")
  .map((dir) => join(dir, "python3"))
  .find((path) => existsSync(path));

/** What TREE_CPU_PY wrote: every process's CPU seconds and the seconds to the command's exit, or undefined. */
function readTreeCpu(file: string): { cpuSeconds: number; wallSeconds: number } | undefined {
  if (!existsSync(file)) return undefined;
  const [cpuSeconds, wallSeconds] = readFileSync(file, "utf8").trim().split(" ").map(Number);
  return Number.isFinite(cpuSeconds) && Number.isFinite(wallSeconds) ? { cpuSeconds, wallSeconds } : undefined;
}

/**
 * CPU seconds the whole machine spent busy so far (user, nice, system, irq, softirq of /proc/stat, in USER_HZ = 100
 * ticks a second), or undefined off Linux. Its growth over a run, less the run's own CPU, is what other processes
 * (other workers of a shared machine) took meanwhile.
 */
function machineBusySeconds(): number | undefined {
  try {
    const [user, nice, system, , , irq, softirq] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const ticks = user + nice + system + irq + softirq;
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** One measured `npm run`: jest's figures, its CPU seconds two ways, and the CPU other processes took meanwhile. */
interface MeasuredRun {
  readonly figures: RunFigures;
  /** GNU time's user + sys: the processes that were waited for. */
  readonly waitedCpuSeconds?: number;
  /** Every process of the tree, orphans included (TREE_CPU_PY). */
  readonly treeCpuSeconds?: number;
  /** CPU seconds the rest of the machine was busy during the run (machine busy time less the run's own), when known. */
  readonly othersCpuSeconds?: number;
}

/** CPU seconds of runs: every process's when measured, else GNU time's. */
function cpuOf(runs: readonly MeasuredRun[]): Summary {
  return summarize(
    runs.flatMap((r) => {
      const cpu = r.treeCpuSeconds ?? r.waitedCpuSeconds;
      return cpu === undefined ? [] : [cpu];
    }),
  );
}

/** The CPU seconds other processes took during each run, "12, 30"; "n/a" when not measured. */
function othersCpu(runs: readonly MeasuredRun[]): string {
  const figures = runs.map((r) => (r.othersCpuSeconds === undefined ? "n/a" : fmt(r.othersCpuSeconds, 0)));
  return figures.length > 0 ? figures.join(", ") : "n/a";
}

/** CPU seconds (user + sys) GNU time wrote for the whole process tree, or undefined. */
function readCpuSeconds(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const [user, sys] = readFileSync(file, "utf8").trim().split("\n").pop()?.split(" ").map(Number) ?? [];
  return Number.isFinite(user) && Number.isFinite(sys) ? user + sys : undefined;
}

export async function benchTests(options: TestsOptions): Promise<SectionResult> {
  const dir = mkdtempSync(join(options.tmp, "tests-"));
  const mirror = providerMirror();
  // As .ci/run runs them: the Terraform suites need the offline provider mirror.
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", ...(mirror ? { TF_PROVIDER_MIRROR: mirror } : {}) };
  // CPU seconds (user + sys) of the whole process tree, from GNU time: what a run costs on a shared machine,
  // whose other load stretches the wall time but not this.
  const timeBinary = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

  // jest's floor: one trivial test file through the repository's jest config (ts-jest transform included).
  const floorDir = join(dir, "floor");
  mkdirSync(floorDir);
  writeFileSync(join(floorDir, "floor.test.ts"), 'test("does nothing", () => {\n  expect(1 + 1).toBe(2);\n});\n');
  // The unit project of jest.config.js with only that file: jest's --roots does not reach into projects.
  const floorConfig = join(dir, "jest.floor.config.js");
  writeFileSync(
    floorConfig,
    [
      `const { projects, ...global } = require(${JSON.stringify(join(REPO_ROOT, "jest.config.js"))});`,
      'const { displayName, testPathIgnorePatterns, ...unit } = projects.find((project) => project.displayName === "unit");',
      `module.exports = { ...global, ...unit, roots: [${JSON.stringify(floorDir)}], testMatch: ["**/*.test.ts"] };`,
    ].join("\n"),
  );
  const floor: RunFigures[] = [];
  for (let i = 0; i < 2; i++) {
    const out = join(dir, `floor-${i}.json`);
    const outcome = await run(JEST, ["--config", floorConfig, "--json", "--outputFile", out], { cwd: REPO_ROOT, env, outputFile: out });
    floor.push(readJestJson(out, outcome));
  }

  /** One `npm run <script>` with jest's results in a file, its CPU seconds and what other processes took meanwhile. */
  const npmRun = async (script: string, label: string, timeoutMs: number): Promise<MeasuredRun> => {
    const out = join(dir, `${label}.json`);
    const cpuFile = join(dir, `${label}.cpu`);
    const treeFile = join(dir, `${label}.tree-cpu`);
    let argv = ["npm", "run", script, "--", "--json", "--outputFile", out];
    if (timeBinary) argv = [timeBinary, "-f", "%U %S", "-o", cpuFile, ...argv];
    if (PYTHON) argv = [PYTHON, "-c", TREE_CPU_PY, treeFile, ...argv];
    const busyBefore = machineBusySeconds();
    const outcome = await run(argv[0], argv.slice(1), { cwd: REPO_ROOT, env, outputFile: out, timeoutMs });
    const busyAfter = machineBusySeconds();
    const tree = readTreeCpu(treeFile);
    const figures = readJestJson(out, outcome);
    const own = tree?.cpuSeconds ?? readCpuSeconds(cpuFile);
    return {
      // The wrapper's own figure when there is one: spawn to npm's exit, not to the last orphan's.
      figures: tree && figures.exited ? { ...figures, wallMs: tree.wallSeconds * 1000 } : figures,
      waitedCpuSeconds: readCpuSeconds(cpuFile),
      treeCpuSeconds: tree?.cpuSeconds,
      othersCpuSeconds:
        busyBefore !== undefined && busyAfter !== undefined && own !== undefined ? Math.max(0, busyAfter - busyBefore - own) : undefined,
    };
  };

  // A developer's repeated run: one unit run first, not counted, fills the type check's and ESLint's caches.
  await npmRun("test:unit", "unit-warmup", 5 * 60 * 1000);
  // Interleaved (unit, full, unit, full, ..., then the unit runs left): a shared machine's load comes and goes over
  // minutes, and the ratio of the two tiers is meant to compare them under the same conditions. A full run leaves the
  // unit tier's caches (the type check's build info, ESLint's cache) as they were.
  const unitRuns: MeasuredRun[] = [];
  const fullRuns: MeasuredRun[] = [];
  for (let i = 0; i < Math.max(options.unitRuns, options.fullRuns); i++) {
    if (i < options.unitRuns) unitRuns.push(await npmRun("test:unit", `unit-${i}`, 5 * 60 * 1000));
    if (i < options.fullRuns) fullRuns.push(await npmRun("test", `full-${i}`, 8 * 60 * 1000));
  }
  const unit = unitRuns.map((r) => r.figures);
  const full = fullRuns.map((r) => r.figures);

  const cores = availableParallelism();
  const floorWall = summarize(floor.map((r) => r.wallMs / 1000));
  const unitWall = summarize(unit.map((r) => r.wallMs / 1000));
  const fullWall = summarize(full.map((r) => r.wallMs / 1000));
  const unitCpu = cpuOf(unitRuns);
  const fullCpu = cpuOf(fullRuns);
  const fullWaitedCpu = summarize(fullRuns.flatMap((r) => (r.waitedCpuSeconds === undefined ? [] : [r.waitedCpuSeconds])));
  const green = (runs: readonly RunFigures[]) => runs.length > 0 && runs.every((r) => r.tests > 0 && r.failed === 0 && r.exitCode === 0);
  const counts = (runs: readonly RunFigures[]) => {
    const last = runs[runs.length - 1];
    if (!last) return "";
    const problems = [
      ...(last.failed > 0 ? [`${last.failed} FAILED`] : []),
      ...(last.failed === 0 && last.exitCode !== 0 && last.exited ? [`exit ${last.exitCode} (the type check or a lint failed)`] : []),
      ...(runs.some((r) => !r.exited) ? ["did not exit after its results (open handle; killed, time is to the results)"] : []),
      ...(last.tests === 0 ? [`no results (exit ${last.exitCode})`] : []),
    ];
    return `${last.suites} suites, ${last.tests} tests${problems.length > 0 ? `, ${problems.join(", ")}` : ""}`;
  };
  const row = (label: string, wall: Summary, cpu: Summary, runs: readonly MeasuredRun[], baseline: string): string[] => [
    label,
    fmtSpread(wall, 1),
    cpu.n > 0 ? fmtSpread(cpu, 0) : "",
    String(wall.n),
    runs.length > 0 ? othersCpu(runs) : "",
    counts(runs.map((r) => r.figures)),
    baseline,
  ];
  const unitShare = ratio(unitWall.median, fullWall.median);
  const slowestOf = (runs: readonly RunFigures[]) =>
    (runs[runs.length - 1]?.slowest ?? []).map((s) => `${s.file.replace(/^__tests__\//, "")} ${fmt(s.seconds, 1)} s`).join(", ");
  const slowest = slowestOf(full);
  const cpuKind = PYTHON ? "every process of the run, orphans included" : "GNU time: the processes waited for";
  const targets: TargetResult[] = [
    {
      target: `\`npm run test:unit\` at most ${UNIT_LIMIT_SECONDS} s on this machine`,
      figure:
        `${fmt(unitWall.median, 1)} s wall, ${fmt(unitCpu.median, 0)} CPU-s (${fmt(unitCpu.median / cores, 1)} s of work per core on ${cores}); ` +
        `other processes took ${othersCpu(unitRuns)} CPU-s meanwhile`,
      met: green(unit) ? unitWall.median <= UNIT_LIMIT_SECONDS : undefined,
    },
    {
      target: `\`npm run test:unit\` at most ${UNIT_SHARE_LIMIT}x \`npm test\``,
      figure: `${fmtRatio(unitShare)} (${fmt(unitWall.median, 1)} vs ${fmt(fullWall.median, 1)} s wall; CPU ${fmtRatio(ratio(unitCpu.median, fullCpu.median))})`,
      met: green(unit) && green(full) ? unitShare <= UNIT_SHARE_LIMIT : undefined,
    },
    {
      target: `\`npm test\` at most ${NPM_TEST_LIMIT_CPU_SECONDS} CPU-s`,
      figure:
        `${fmt(fullCpu.median, 0)} CPU-s (${cpuKind}${PYTHON && fullWaitedCpu.n > 0 ? `; GNU time's count, as the ${NPM_TEST_LIMIT_CPU_SECONDS} was measured: ${fmt(fullWaitedCpu.median, 0)}` : ""}), ` +
        `${fmt(fullWall.median, 1)} s wall, other processes ${othersCpu(fullRuns)} CPU-s meanwhile; slowest suites: ${slowest}`,
      met: green(full) && fullCpu.n > 0 ? fullCpu.median <= NPM_TEST_LIMIT_CPU_SECONDS : undefined,
    },
  ];

  return {
    name: "tests",
    targets,
    data: {
      integrationSuites: INTEGRATION_SUITES,
      providerMirror: mirror ?? null,
      cpuCounted: cpuKind,
      jestFloorSeconds: floorWall,
      unitSeconds: unitWall,
      unitCpuSeconds: unitCpu.n > 0 ? unitCpu : null,
      npmTestSeconds: fullWall,
      npmTestCpuSeconds: fullCpu.n > 0 ? fullCpu : null,
      npmTestGnuTimeCpuSeconds: fullWaitedCpu.n > 0 ? fullWaitedCpu : null,
      cores,
      unitOverFloor: ratio(unitWall.median, floorWall.median),
      unitOverNpmTest: unitShare,
      othersCpuSeconds: { unit: unitRuns.map((r) => r.othersCpuSeconds ?? null), full: fullRuns.map((r) => r.othersCpuSeconds ?? null) },
      runs: { floor, unit, full },
    },
    tables: [
      {
        title: "Tests: the two tiers, wall time and CPU seconds (median (min-max))",
        headers: ["run", "wall, s", "CPU-s", "runs", "other processes' CPU-s meanwhile", "suites and tests", "ratio"],
        rows: [
          row("jest floor: one trivial test (baseline)", floorWall, summarize([]), [], ""),
          row("`npm run test:unit` (type check, lint, unit suites)", unitWall, unitCpu, unitRuns, `${fmtRatio(unitShare)} \`npm test\``),
          row(
            "`npm test` (package, type check, lint, format, every suite)",
            fullWall,
            fullCpu,
            fullRuns,
            `${fmtRatio(ratio(fullWall.median, floorWall.median))} the floor`,
          ),
        ],
        notes: [
          `Unit tier: every suite but the integration tier of __tests__/support/test-tiers.js (${Object.keys(INTEGRATION_SUITES).join(", ")}: they run Terraform, start the local stack, drive a browser, bundle every function or start another process).`,
          `\`npm run test:unit\` after one run not counted (a developer's repeated run with no change: its type check, \`tsc --build\`, finds nothing changed and its ESLint run is cached); \`npm test\` checks everything from scratch. The runs of the two alternate (unit, full, unit, ...), so that both see the machine's load of the same minutes.`,
          `Slowest suites of \`npm test\`: ${slowest}. Of \`npm run test:unit\`: ${slowestOf(unit)}.`,
          `CPU seconds: user + sys of ${cpuKind}${PYTHON && fullWaitedCpu.n > 0 ? ` (GNU time, which misses the orphans such as esbuild's service, counted ${fmt(fullWaitedCpu.median, 0)} for \`npm test\`)` : ""}, ${cores} cores; a shared machine's other load stretches the wall time (and somewhat the CPU seconds): the table gives, per run, the CPU seconds the rest of the machine spent meanwhile (/proc/stat's busy time less the run's own; ${cores} cores x the wall time is all there was).`,
          ...(() => {
            const failing = [...new Set([...unit, ...full].flatMap((r) => r.failedSuites))];
            return failing.length > 0 ? [`Suites failing in this run: ${failing.map((f) => f.replace(/^__tests__\//, "")).join(", ")}.`] : [];
          })(),
          `Both ran with CHECKPOINT_DISABLE=1 and TF_PROVIDER_MIRROR=${mirror ?? "(none found: the Terraform suites cannot init offline)"}, as .ci/run does, in the repository with its caches as they were (jest's transform cache, Prettier's cache of the files it checked). A fresh clone has neither, and its first \`npm test\` is slower.`,
        ],
      },
    ],
  };
}
