/**
 * Section 1, synth: the three stacks synthesized in a fresh process with the deep imports the code uses,
 * against the same stacks with every provider import answered by the `@cdktf/provider-aws` barrel
 * (bench/children/synth-child.ts explains why that is the same program), runs interleaved; then the whole
 * `cdktf synth` command.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../lambda-packages/artifacts";
import { run, runJson } from "./lib/proc";
import type { SectionResult, TargetResult } from "./lib/report";
import { fmt, fmtRatio, fmtSpread, ratio, summarize, type Summary } from "./lib/stats";
import type { TsHook } from "./lib/ts-hook";

interface ChildResult {
  readonly mode: "deep" | "barrel";
  readonly loadMs: number;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly totalMs: number;
  readonly maxRssMiB: number;
  readonly providerModules: number;
  readonly rewrittenImports: number;
}

interface VariantFigures {
  readonly inProcessMs: Summary;
  readonly loadMs: Summary;
  readonly constructMs: Summary;
  readonly synthMs: Summary;
  readonly processWallMs: Summary;
  readonly maxRssMiB: Summary;
  readonly providerModules: number;
  readonly rewrittenImports: number;
  readonly outputSha256: string;
}

export interface SynthOptions {
  readonly hook: TsHook;
  readonly tmp: string;
  /** Measured runs per variant (after one warm-up each). */
  readonly runs: number;
  readonly cliRuns: number;
}

const CHILD = join(REPO_ROOT, "bench", "children", "synth-child.ts");
const TARGET_RATIO = 5;

/** SHA-256 over every stack's cdk.tf.json, with the per-run output folder replaced by a placeholder. */
function outputHash(outdir: string): string {
  const hash = createHash("sha256");
  const stacks = join(outdir, "stacks");
  for (const stack of readdirSync(stacks).sort()) {
    const text = readFileSync(join(stacks, stack, "cdk.tf.json"), "utf8").split(outdir).join("<outdir>");
    hash.update(`${stack}\0${text}\0`);
  }
  return hash.digest("hex");
}

function figures(results: readonly ChildResult[], walls: readonly number[], sha: string): VariantFigures {
  return {
    inProcessMs: summarize(results.map((r) => r.totalMs)),
    loadMs: summarize(results.map((r) => r.loadMs)),
    constructMs: summarize(results.map((r) => r.constructMs)),
    synthMs: summarize(results.map((r) => r.synthMs)),
    processWallMs: summarize(walls),
    maxRssMiB: summarize(results.map((r) => r.maxRssMiB)),
    providerModules: results[0]?.providerModules ?? 0,
    rewrittenImports: results[0]?.rewrittenImports ?? 0,
    outputSha256: sha,
  };
}

export async function benchSynth(options: SynthOptions): Promise<SectionResult> {
  const dir = mkdtempSync(join(options.tmp, "synth-"));
  // One state folder for every run: its absolute path is written into the cross-stack terraform_remote_state
  // blocks, so sharing it lets the outputs of the two variants be compared byte for byte.
  const stateDir = join(dir, "state");
  mkdirSync(stateDir);
  const results: Record<"deep" | "barrel", ChildResult[]> = { deep: [], barrel: [] };
  const walls: Record<"deep" | "barrel", number[]> = { deep: [], barrel: [] };
  const hashes: Record<"deep" | "barrel", Set<string>> = { deep: new Set(), barrel: new Set() };

  let runIndex = 0;
  for (let i = -1; i < options.runs; i++) {
    // Alternate which variant goes first, so a slow phase of the machine does not land on one variant only.
    const order: Array<"deep" | "barrel"> = i % 2 === 0 ? ["deep", "barrel"] : ["barrel", "deep"];
    for (const mode of order) {
      const outdir = join(dir, `out-${runIndex++}`);
      const { result, wallMs } = await runJson<ChildResult>(process.execPath, [...options.hook.nodeArgs, CHILD, mode, outdir, stateDir], {
        cwd: REPO_ROOT,
      });
      hashes[mode].add(outputHash(outdir));
      rmSync(outdir, { recursive: true, force: true });
      if (i < 0) continue; // warm-up: file cache, nothing recorded
      results[mode].push(result);
      walls[mode].push(wallMs);
    }
  }
  const deep = figures(results.deep, walls.deep, [...hashes.deep].join(","));
  const barrel = figures(results.barrel, walls.barrel, [...hashes.barrel].join(","));
  const identical = hashes.deep.size === 1 && hashes.barrel.size === 1 && deep.outputSha256 === barrel.outputSha256;
  const speedup = ratio(barrel.inProcessMs.median, deep.inProcessMs.median);
  const memoryRatio = ratio(barrel.maxRssMiB.median, deep.maxRssMiB.median);

  // The whole command, as `npm run synth` runs it (cdktf-cli, which runs the app command of cdktf.json:
  // `npm run --silent package && ts-node --transpile-only main.ts`), into a temp output folder.
  const cli = join(REPO_ROOT, "node_modules", ".bin", "cdktf");
  const timeBinary = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const cliWalls: number[] = [];
  const cliRss: number[] = [];
  const cliFailures: string[] = [];
  for (let i = 0; i < options.cliRuns; i++) {
    const output = join(dir, `cli-${i}`);
    const rssFile = join(dir, `cli-${i}.rss`);
    const [command, args] = timeBinary
      ? [timeBinary, ["-f", "%M", "-o", rssFile, cli, "synth", "--output", output]]
      : [cli, ["synth", "--output", output]];
    const outcome = await run(command, args, { cwd: REPO_ROOT, env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" } });
    if (outcome.code !== 0) {
      cliFailures.push(`exit ${outcome.code}: ${outcome.stderr.trim().split("\n").slice(-3).join(" / ")}`);
      continue;
    }
    cliWalls.push(outcome.wallMs);
    if (timeBinary && existsSync(rssFile)) {
      const kib = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop());
      if (Number.isFinite(kib)) cliRss.push(kib / 1024);
    }
  }
  const cliWall = summarize(cliWalls);
  const cliMem = summarize(cliRss);
  rmSync(dir, { recursive: true, force: true });

  const target: TargetResult = {
    target: `three-stack synth >= ${TARGET_RATIO}x faster than the barrel import`,
    figure: `${fmtRatio(speedup)} (${fmt(deep.inProcessMs.median, 0)} vs ${fmt(barrel.inProcessMs.median, 0)} ms; whole process incl. Node start-up ${fmtRatio(ratio(barrel.processWallMs.median, deep.processWallMs.median))})`,
    met: Number.isFinite(speedup) ? speedup >= TARGET_RATIO : undefined,
    ...(Number.isFinite(speedup) && speedup < TARGET_RATIO
      ? {
          why:
            `the barrel adds ${fmt(barrel.loadMs.median - deep.loadMs.median, 0)} ms of loading, but a deep-import synth still loads cdktf, zod and the app ` +
            `(${fmt(deep.loadMs.median, 0)} ms) and builds and writes the stacks (${fmt(deep.constructMs.median + deep.synthMs.median, 0)} ms), which bounds the ratio near 5x`,
        }
      : {}),
  };

  const row = (label: string, deepValue: Summary, barrelValue: Summary, digits = 0): string[] => [
    label,
    fmtSpread(deepValue, digits),
    fmtSpread(barrelValue, digits),
    fmtRatio(ratio(barrelValue.median, deepValue.median)),
  ];
  return {
    name: "synth",
    targets: [target],
    data: {
      runsPerVariant: options.runs,
      deep,
      barrel,
      identicalOutput: identical,
      speedup,
      memoryRatio,
      cdktfSynth: { runs: cliWalls.length, wallMs: cliWall, maxRssMiB: timeBinary ? cliMem : null, failures: cliFailures },
      cdktfSynthOverDeepProcess: ratio(cliWall.median, deep.processWallMs.median),
    },
    tables: [
      {
        title: `Synth: three stacks, prod config, fresh process (median (min-max) of ${options.runs} runs each, interleaved)`,
        headers: ["figure", "deep imports (the app)", "barrel import (baseline)", "barrel / deep"],
        rows: [
          row("time to synth, ms", deep.inProcessMs, barrel.inProcessMs),
          row("· loading the code, ms", deep.loadMs, barrel.loadMs),
          row("· building the constructs, ms", deep.constructMs, barrel.constructMs),
          row("· writing the JSON, ms", deep.synthMs, barrel.synthMs),
          row("process wall time, ms", deep.processWallMs, barrel.processWallMs),
          row("peak RSS, MiB", deep.maxRssMiB, barrel.maxRssMiB),
          ["provider modules loaded", String(deep.providerModules), String(barrel.providerModules), fmtRatio(ratio(barrel.providerModules, deep.providerModules))],
          [
            `\`cdktf synth\` command, ms (${cliWalls.length} runs)`,
            fmtSpread(cliWall, 0),
            "",
            `${fmtRatio(ratio(cliWall.median, deep.processWallMs.median))} of the deep process`,
          ],
          ...(timeBinary ? [["`cdktf synth` largest process RSS, MiB", fmtSpread(cliMem, 0), "", ""]] : []),
        ],
        notes: [
          `Both variants run the same stacks/ and constructs/ (pre-transpiled, no compiler in the process); the barrel one answers each of its ${barrel.rewrittenImports} distinct \`@cdktf/provider-aws/lib/<x>\` imports with the barrel's \`<x>\` namespace. Output identical: ${identical ? "yes" : "NO"}.`,
          "Time to synth: from the first require to app.synth() returning, inside the child (hrtime); peak RSS: the child's getrusage maxRSS. One warm-up run per variant first (file cache), not counted.",
          "`cdktf synth`: cdktf-cli running the app command of cdktf.json (package + ts-node main.ts), CHECKPOINT_DISABLE=1, into a temp folder; its RSS is the largest process of the tree (GNU time %M).",
          ...(cliFailures.length > 0 ? [`cdktf synth failures: ${cliFailures.join("; ")}`] : []),
        ],
      },
    ],
  };
}
