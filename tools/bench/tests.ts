/**
 * Section 2, tests: wall time of the unit tests (jest without the suites that run Terraform or the end-to-end
 * suite) and of the whole `npm test`, against jest's own floor: the same jest config running one trivial test
 * file (start-up of jest, its worker and ts-jest; no test of this repository can be faster).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
/** The target for the whole `npm test` (issue 13). */
const NPM_TEST_LIMIT_SECONDS = 45;
const TESTS_DIR = join(REPO_ROOT, "__tests__");
/** A suite is not a unit suite when it lives here or runs Terraform (as jest's sequencer tells them apart). */
const E2E_DIR = join(TESTS_DIR, "e2e");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest's sequencer is a CommonJS file without types
const { RUNS_TERRAFORM } = require("../../__tests__/support/longest-first-sequencer") as { RUNS_TERRAFORM: RegExp };

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

function listTestFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "support" ? [] : listTestFiles(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

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

export async function benchTests(options: TestsOptions): Promise<SectionResult> {
  const dir = mkdtempSync(join(options.tmp, "tests-"));
  const all = listTestFiles(TESTS_DIR);
  const excluded = all.filter((file) => file.startsWith(`${E2E_DIR}/`) || RUNS_TERRAFORM.test(readFileSync(file, "utf8")));
  const ignore = ["/node_modules/", ...excluded.map((file) => `${escape(file)}$`)];
  const env = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" };

  // jest's floor: one trivial test file through the repository's jest config (ts-jest transform included).
  const floorDir = join(dir, "floor");
  mkdirSync(floorDir);
  writeFileSync(join(floorDir, "floor.test.ts"), 'test("does nothing", () => {\n  expect(1 + 1).toBe(2);\n});\n');
  const floor: RunFigures[] = [];
  const unit: RunFigures[] = [];
  for (let i = 0; i < Math.max(2, options.unitRuns); i++) {
    const out = join(dir, `floor-${i}.json`);
    const outcome = await run(JEST, ["--roots", floorDir, "--json", "--outputFile", out], { cwd: REPO_ROOT, env, outputFile: out });
    floor.push(readJestJson(out, outcome));
  }
  for (let i = 0; i < options.unitRuns; i++) {
    const out = join(dir, `unit-${i}.json`);
    const outcome = await run(JEST, ["--testPathIgnorePatterns", ...ignore, "--json", "--outputFile", out], {
      cwd: REPO_ROOT,
      env,
      outputFile: out,
      timeoutMs: 5 * 60 * 1000,
    });
    unit.push(readJestJson(out, outcome));
  }

  const mirror = providerMirror();
  const fullEnv = { ...env, ...(mirror ? { TF_PROVIDER_MIRROR: mirror } : {}) };
  const full: RunFigures[] = [];
  // CPU seconds (user + sys) of the whole process tree, from GNU time: what the run costs on a shared machine,
  // whose other load stretches the wall time but not this.
  const timeBinary = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const fullCpuSeconds: number[] = [];
  for (let i = 0; i < options.fullRuns; i++) {
    const out = join(dir, `full-${i}.json`);
    const cpuFile = join(dir, `full-${i}.cpu`);
    const [command, args] = timeBinary
      ? [timeBinary, ["-f", "%U %S", "-o", cpuFile, "npm", "test", "--", "--json", "--outputFile", out]]
      : ["npm", ["test", "--", "--json", "--outputFile", out]];
    const outcome = await run(command, args, {
      cwd: REPO_ROOT,
      env: fullEnv,
      outputFile: out,
      timeoutMs: 6 * 60 * 1000,
    });
    full.push(readJestJson(out, outcome));
    if (timeBinary && existsSync(cpuFile)) {
      const [user, sys] = readFileSync(cpuFile, "utf8").trim().split("\n").pop()?.split(" ").map(Number) ?? [];
      if (Number.isFinite(user) && Number.isFinite(sys)) fullCpuSeconds.push(user + sys);
    }
  }

  const fullCpu = summarize(fullCpuSeconds);
  const cores = availableParallelism();
  const floorWall = summarize(floor.map((r) => r.wallMs / 1000));
  const unitWall = summarize(unit.map((r) => r.wallMs / 1000));
  const fullWall = summarize(full.map((r) => r.wallMs / 1000));
  const counts = (runs: readonly RunFigures[]) => {
    const last = runs[runs.length - 1];
    if (!last) return "";
    const problems = [
      ...(last.failed > 0 ? [`${last.failed} FAILED`] : []),
      ...(runs.some((r) => !r.exited) ? ["did not exit after its results (open handle; killed, time is to the results)"] : []),
      ...(last.tests === 0 ? [`no results (exit ${last.exitCode})`] : []),
    ];
    return `${last.suites} suites, ${last.tests} tests${problems.length > 0 ? `, ${problems.join(", ")}` : ""}`;
  };
  const row = (label: string, s: Summary, runs: readonly RunFigures[], baseline: string): string[] => [
    label,
    fmtSpread(s, 1),
    String(s.n),
    counts(runs),
    baseline,
  ];

  const fullMedian = fullWall.median;
  const target: TargetResult = {
    target: `\`npm test\` at most ${NPM_TEST_LIMIT_SECONDS} s on this machine`,
    figure:
      `${fmt(fullMedian, 1)} s wall` +
      (fullCpuSeconds.length > 0 ? `, ${fmt(fullCpu.median, 0)} CPU-s (${fmt(fullCpu.median / cores, 1)} s of work per core on ${cores})` : "") +
      `; unit tests ${fmt(unitWall.median, 1)} s, jest floor ${fmt(floorWall.median, 1)} s in the same run`,
    met: Number.isFinite(fullMedian) && full.every((r) => r.tests > 0 && r.failed === 0) ? fullMedian <= NPM_TEST_LIMIT_SECONDS : undefined,
  };

  return {
    name: "tests",
    targets: [target],
    data: {
      unitSuitesExcluded: excluded.map((file) => relative(REPO_ROOT, file)),
      providerMirror: mirror ?? null,
      jestFloorSeconds: floorWall,
      unitSeconds: unitWall,
      npmTestSeconds: fullWall,
      npmTestCpuSeconds: fullCpuSeconds.length > 0 ? fullCpu : null,
      cores,
      unitOverFloor: ratio(unitWall.median, floorWall.median),
      npmTestOverUnit: ratio(fullWall.median, unitWall.median),
      runs: { floor, unit, full },
    },
    tables: [
      {
        title: "Tests: wall time, s (median (min-max))",
        headers: ["run", "seconds", "runs", "suites and tests", "ratio"],
        rows: [
          row("jest floor: one trivial test (baseline)", floorWall, floor, ""),
          row("unit tests", unitWall, unit, `${fmtRatio(ratio(unitWall.median, floorWall.median))} the floor`),
          row("`npm test` (package + every suite)", fullWall, full, `${fmtRatio(ratio(fullWall.median, unitWall.median))} the unit tests`),
          ...(fullCpuSeconds.length > 0
            ? [
                [
                  "`npm test`, CPU seconds (user + sys, every process)",
                  fmtSpread(fullCpu, 0),
                  String(fullCpu.n),
                  "",
                  `${fmt(fullCpu.median / cores, 1)} s per core on ${cores} cores`,
                ],
              ]
            : []),
        ],
        notes: [
          `Unit tests: jest with the repository's config minus ${excluded.map((f) => relative(TESTS_DIR, f)).join(", ")} (the suites that run Terraform or the end-to-end suite).`,
          `Slowest suites of \`npm test\`: ${(full[full.length - 1]?.slowest ?? []).map((s) => `${s.file.replace(/^__tests__\//, "")} ${fmt(s.seconds, 1)} s`).join(", ")}.`,
          ...(() => {
            const failing = [...new Set([...unit, ...full].flatMap((r) => r.failedSuites))];
            return failing.length > 0 ? [`Suites failing in this run: ${failing.map((f) => f.replace(/^__tests__\//, "")).join(", ")}.`] : [];
          })(),
          `\`npm test\` ran with CHECKPOINT_DISABLE=1 and TF_PROVIDER_MIRROR=${mirror ?? "(none found: the Terraform suites cannot init offline)"}, as .ci/run does, in the repository with its caches as they were (jest's transform cache, Prettier's cache of the files it checked): a developer's repeated run. A fresh clone has neither, and its first \`npm test\` is slower.`,
        ],
      },
    ],
  };
}
