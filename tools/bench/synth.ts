/**
 * Section 1, synth: the three stacks synthesized in a fresh process with the deep imports the code uses,
 * against the same stacks with every provider import answered by the `@cdktf/provider-aws` barrel
 * (tools/bench/children/synth-child.ts explains why that is the same program), runs interleaved; then the whole
 * `cdktf synth` command and the synth step of `cdktf diff`, each against the same command on an empty cdktf
 * app (one empty stack, app command `node main.js`) built in a temp folder: cdktf-cli's own cost, the floor.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { REPO_ROOT } from "../../app/lambda-packages/artifacts";
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

export interface BenchSynthOptions {
  readonly hook: TsHook;
  readonly tmp: string;
  /** Measured runs per variant (after one warm-up each). */
  readonly runs: number;
  readonly cliRuns: number;
}

const CHILD = join(REPO_ROOT, "tools", "bench", "children", "synth-child.ts");
const TARGET_RATIO = 5;
/** `cdktf synth` (and diff's synth step) of the app at most this many times that of an empty cdktf app. */
const CLI_TARGET_RATIO = 1.3;
const CLI = join(REPO_ROOT, "node_modules", ".bin", "cdktf");

/** An empty cdktf app in `dir`: one empty stack, a plain `node main.js` app command, the repository's cdktf. */
function emptyApp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "main.js"),
    ['const { App, TerraformStack } = require("cdktf");', "const app = new App();", 'new TerraformStack(app, "empty");', "app.synth();", ""].join(
      "\n",
    ),
  );
  writeFileSync(
    join(dir, "cdktf.json"),
    `${JSON.stringify({ language: "typescript", app: "node main.js", terraformProviders: [], terraformModules: [], context: {} }, null, 2)}\n`,
  );
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/** The real terraform on PATH, or undefined. */
function findTerraform(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "terraform"))) return join(dir, "terraform");
  }
  return undefined;
}

/**
 * A `terraform` for `cdktf diff` that records when it is called and stops the diff at `terraform init` (which
 * would need the provider and, for the plan, AWS), passing every other call (cdktf-cli's version checks) to the
 * real one. The time of that first `init` is the end of the diff's synth step.
 */
function terraformShim(dir: string, realTerraform: string): { dir: string; log: string } {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "calls.log");
  const script = join(dir, "terraform");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      `echo "$(date +%s%N) $1" >> ${JSON.stringify(log)}`,
      'if [ "$1" = init ]; then echo "bench: stopped cdktf diff at terraform init" >&2; exit 1; fi',
      `exec ${JSON.stringify(realTerraform)} "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return { dir, log };
}

interface CliFigures {
  readonly synthMs: number[];
  readonly synthRss: number[];
  readonly diffSynthStepMs: number[];
  readonly failures: string[];
}

/** SHA-256 over every stack's cdk.tf.json, with the per-run output folder replaced by a placeholder. */
function outputHash(outdir: string): string {
  const hash = createHash("sha256");
  const stacks = join(outdir, "stacks");
  for (const stack of readdirSync(stacks).sort()) {
    const text = readFileSync(join(stacks, stack, "cdk.tf.json"), "utf8")
      .split(outdir)
      .join("<outdir>");
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

export async function benchSynth(options: BenchSynthOptions): Promise<SectionResult> {
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
  // app/cdktf-app.ts, packaging that is a no-op when the ZIPs are up to date, then app/main.ts, with tsx), into
  // a temp output folder; and the same for
  // the empty app. Then `cdktf diff` of one stack of each, up to the moment it starts `terraform init`.
  const timeBinary = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;
  const empty = emptyApp(join(dir, "empty-app"));
  const realTerraform = findTerraform();
  const cli: Record<"app" | "empty", CliFigures> = {
    app: { synthMs: [], synthRss: [], diffSynthStepMs: [], failures: [] },
    empty: { synthMs: [], synthRss: [], diffSynthStepMs: [], failures: [] },
  };
  const cliEnv = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" };
  const variants = { app: { cwd: REPO_ROOT, stack: "data-stack" }, empty: { cwd: empty, stack: "empty" } } as const;
  let cliRun = 0;
  for (let i = -1; i < options.cliRuns; i++) {
    const order: Array<"app" | "empty"> = i % 2 === 0 ? ["app", "empty"] : ["empty", "app"];
    for (const variant of order) {
      const { cwd, stack } = variants[variant];
      const figures = cli[variant];
      const output = join(dir, `cli-${cliRun}`);
      const rssFile = join(dir, `cli-${cliRun}.rss`);
      cliRun++;
      const [command, args] = timeBinary
        ? [timeBinary, ["-f", "%M", "-o", rssFile, CLI, "synth", "--output", output]]
        : [CLI, ["synth", "--output", output]];
      const synth = await run(command, args, { cwd, env: cliEnv });
      rmSync(output, { recursive: true, force: true });
      if (synth.code !== 0) {
        figures.failures.push(`synth exit ${synth.code}: ${synth.stderr.trim().split("\n").slice(-3).join(" / ")}`);
      } else if (i >= 0) {
        figures.synthMs.push(synth.wallMs);
        if (timeBinary && existsSync(rssFile)) {
          const kib = Number(readFileSync(rssFile, "utf8").trim().split("\n").pop());
          if (Number.isFinite(kib)) figures.synthRss.push(kib / 1024);
        }
      }
      if (!realTerraform) continue;
      const shim = terraformShim(join(dir, `shim-${cliRun}`), realTerraform);
      const startedNs = BigInt(Date.now()) * 1_000_000n;
      const diff = await run(CLI, ["diff", stack, "--output", output], {
        cwd,
        env: { ...cliEnv, PATH: `${shim.dir}${delimiter}${process.env.PATH ?? ""}` },
      });
      rmSync(output, { recursive: true, force: true });
      const init = existsSync(shim.log)
        ? readFileSync(shim.log, "utf8")
            .split("\n")
            .find((line) => line.endsWith(" init"))
        : undefined;
      if (!init) {
        figures.failures.push(`diff never reached terraform init (exit ${diff.code}): ${diff.stderr.trim().split("\n").slice(-3).join(" / ")}`);
      } else if (i >= 0) {
        figures.diffSynthStepMs.push(Number(BigInt(init.split(" ")[0]) - startedNs) / 1e6);
      }
    }
  }
  const appSynth = summarize(cli.app.synthMs);
  const emptySynth = summarize(cli.empty.synthMs);
  const appDiff = summarize(cli.app.diffSynthStepMs);
  const emptyDiff = summarize(cli.empty.diffSynthStepMs);
  const cliRatio = ratio(appSynth.median, emptySynth.median);
  const diffRatio = ratio(appDiff.median, emptyDiff.median);
  const cliWalls = cli.app.synthMs;
  const cliWall = appSynth;
  const cliMem = summarize(cli.app.synthRss);
  const cliFailures = [...cli.app.failures.map((f) => `app: ${f}`), ...cli.empty.failures.map((f) => `empty app: ${f}`)];
  rmSync(dir, { recursive: true, force: true });

  const cliTarget = (what: string, figure: number, appMs: Summary, emptyMs: Summary): TargetResult => ({
    target: `${what} within ${CLI_TARGET_RATIO}x of an empty cdktf app's`,
    figure: `${Number.isFinite(figure) ? `${figure.toFixed(2)}x` : "n/a"} (${fmt(appMs.median, 0)} vs ${fmt(emptyMs.median, 0)} ms)`,
    met: Number.isFinite(figure) ? figure <= CLI_TARGET_RATIO : undefined,
  });
  const cliTargets: TargetResult[] = [
    cliTarget("`cdktf synth`", cliRatio, appSynth, emptySynth),
    realTerraform
      ? cliTarget("`cdktf diff`'s synth step (until it starts `terraform init`)", diffRatio, appDiff, emptyDiff)
      : {
          target: `\`cdktf diff\`'s synth step within ${CLI_TARGET_RATIO}x of an empty cdktf app's`,
          figure: "not measured: no terraform on PATH",
          met: undefined,
        },
  ];

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
    targets: [target, ...cliTargets],
    data: {
      runsPerVariant: options.runs,
      deep,
      barrel,
      identicalOutput: identical,
      speedup,
      memoryRatio,
      cdktfSynth: { runs: cliWalls.length, wallMs: cliWall, maxRssMiB: timeBinary ? cliMem : null, failures: cliFailures },
      cdktfSynthOverDeepProcess: ratio(cliWall.median, deep.processWallMs.median),
      cdktfSynthEmptyApp: { wallMs: emptySynth, maxRssMiB: timeBinary ? summarize(cli.empty.synthRss) : null },
      cdktfSynthOverEmptyApp: cliRatio,
      cdktfDiffSynthStep: realTerraform ? { appMs: appDiff, emptyAppMs: emptyDiff, ratio: diffRatio } : null,
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
          [
            "provider modules loaded",
            String(deep.providerModules),
            String(barrel.providerModules),
            fmtRatio(ratio(barrel.providerModules, deep.providerModules)),
          ],
          [
            `\`cdktf synth\` command, ms (${cliWalls.length} runs)`,
            fmtSpread(cliWall, 0),
            "",
            `${fmtRatio(ratio(cliWall.median, deep.processWallMs.median))} of the deep process`,
          ],
          ...(timeBinary ? [["`cdktf synth` largest process RSS, MiB", fmtSpread(cliMem, 0), "", ""]] : []),
        ],
        notes: [
          `Both variants run the same app/stacks/ and app/constructs/ (pre-transpiled, no compiler in the process); the barrel one answers each of its ${barrel.rewrittenImports} distinct \`@cdktf/provider-aws/lib/<x>\` imports with the barrel's \`<x>\` namespace. Output identical: ${identical ? "yes" : "NO"}.`,
          "Time to synth: from the first require to app.synth() returning, inside the child (hrtime); peak RSS: the child's getrusage maxRSS. One warm-up run per variant first (file cache), not counted.",
        ],
      },
      {
        title: `cdktf-cli: the app against an empty cdktf app (median (min-max) of ${options.cliRuns} runs each, interleaved, after one warm-up)`,
        headers: ["command", "the app, ms", "empty app (baseline), ms", "app / empty"],
        rows: [
          ["`cdktf synth`", fmtSpread(appSynth, 0), fmtSpread(emptySynth, 0), `${cliRatio.toFixed(2)}x`],
          realTerraform
            ? [
                "`cdktf diff <stack>` until `terraform init` (its synth step)",
                fmtSpread(appDiff, 0),
                fmtSpread(emptyDiff, 0),
                `${diffRatio.toFixed(2)}x`,
              ]
            : ["`cdktf diff <stack>` until `terraform init` (its synth step)", "not measured: no terraform on PATH", "", ""],
        ],
        notes: [
          "`cdktf synth`: cdktf-cli running the app command of cdktf.json (`node --require tsx/cjs app/cdktf-app.ts`: packaging, a no-op when every ZIP is up to date, then app/main.ts, in one process without a compiler), CHECKPOINT_DISABLE=1, into a temp folder; its RSS is the largest process of the tree (GNU time %M). The empty app: one empty TerraformStack, app command `node main.js`, the same cdktf-cli and cdktf, in a temp folder.",
          "`cdktf diff`: the same commands' diff of one stack (data-stack; the empty app's only stack) with a `terraform` first on PATH that passes cdktf-cli's version checks to the real one and stops the diff at `terraform init`; the figure is spawn to that init: everything `cdktf diff` does before Terraform plans (a plan needs the provider and AWS, so the rest cannot run offline, and it is Terraform's cost, not the app's).",
          ...(cliFailures.length > 0 ? [`cdktf failures: ${cliFailures.join("; ")}`] : []),
        ],
      },
    ],
  };
}
