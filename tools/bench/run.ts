/**
 * `npm run bench`: the benchmarks of issue 6. Every figure is a median with its spread over several runs, set
 * against a baseline measured in the same run; targets are printed next to the figures. Prints one table per
 * section, writes tools/bench/results/latest.json (figures, raw summaries, machine and versions) and
 * tools/bench/results/latest.md (the tables, for docs/testing.md). Asserts nothing: exits non-zero only when it could not run.
 *
 *   npm run bench -- [--only synth,tests,lambda,request,passwords,breached,watch] [--skip-tests] [--quick]
 *
 * --skip-tests leaves out section 2 (the slow one); --quick takes fewer runs everywhere (a smoke run, not for
 * docs/testing.md). Writing the results is skipped when only some sections ran or one could not run, unless --write
 * is given. Exits non-zero only when a section could not run; a missed target is reported, never an error.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, platform, release, tmpdir, totalmem, arch } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../../app/lambda-packages/artifacts";
import { renderMarkdown, renderText, targetsTable, verdict, type SectionResult, type Table, type TargetResult } from "./lib/report";
import { prepareTsHook } from "./lib/ts-hook";

const SECTIONS = ["synth", "tests", "lambda", "request", "passwords", "breached", "watch"] as const;
type Section = (typeof SECTIONS)[number];
const RESULTS_DIR = join(REPO_ROOT, "tools", "bench", "results");

const USAGE = `Usage: npm run bench -- [--only ${SECTIONS.join(",")}] [--skip-tests] [--quick] [--write]`;

function packageVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return null;
  }
}

function machine(): Record<string, unknown> {
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? "unknown",
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    freeMemoryMiBAtStart: Math.round(freemem() / 2 ** 20),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    packages: Object.fromEntries(
      [
        "cdktf",
        "cdktf-cli",
        "@cdktf/provider-aws",
        "constructs",
        "typescript",
        "jest",
        "esbuild",
        "@aws-lite/client",
        "@aws-lite/dynamodb",
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/lib-dynamodb",
        "zod",
        "dynalite",
      ].map((name) => [name, packageVersion(name)]),
    ),
  };
}

async function runSection(section: Section, quick: boolean, tmp: string, hook: () => ReturnType<typeof prepareTsHook>): Promise<SectionResult> {
  switch (section) {
    case "synth": {
      const { benchSynth } = await import("./synth");
      return benchSynth({ hook: hook(), tmp, runs: quick ? 2 : 7, cliRuns: quick ? 1 : 3 });
    }
    case "tests": {
      const { benchTests } = await import("./tests");
      return benchTests({ tmp, unitRuns: quick ? 1 : 3, fullRuns: quick ? 1 : 2 });
    }
    case "lambda": {
      const { benchLambda } = await import("./lambda");
      return benchLambda({ tmp, samples: quick ? 5 : 25 });
    }
    case "request": {
      const { benchRequestPath } = await import("./request-path");
      return benchRequestPath({ tmp, quick });
    }
    case "passwords": {
      const { benchPasswords } = await import("./passwords");
      return benchPasswords({ samples: quick ? 3 : 11 });
    }
    case "breached": {
      const { benchBreachedPasswords } = await import("./breached-passwords");
      return benchBreachedPasswords({ tmp, samples: quick ? 5 : 25, randomStrings: quick ? 100_000 : 1_000_000 });
    }
    case "watch": {
      const { benchWatch } = await import("./watch");
      return benchWatch({ tmp, quick });
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      "skip-tests": { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let sections: Section[] = [...SECTIONS];
  if (values.only !== undefined) {
    const wanted = values.only
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = wanted.filter((s) => !(SECTIONS as readonly string[]).includes(s));
    if (unknown.length > 0) {
      console.error(`Unknown section(s) ${unknown.join(", ")}. ${USAGE}`);
      return 2;
    }
    sections = SECTIONS.filter((s) => wanted.includes(s));
  }
  if (values["skip-tests"]) sections = sections.filter((s) => s !== "tests");
  const complete = sections.length === SECTIONS.length && !values.quick;

  const info = machine();
  console.log(
    `bench: ${sections.join(", ")}${values.quick ? " (quick)" : ""} on ${info.cpus} x ${info.cpuModel}, ${info.memoryMiB} MiB, Node ${process.version}\n`,
  );
  const tmp = mkdtempSync(join(tmpdir(), "bench-"));
  let tsHook: ReturnType<typeof prepareTsHook> | undefined;
  const hook = () => (tsHook ??= prepareTsHook());

  const started = Date.now();
  const results: SectionResult[] = [];
  const failures: Array<{ section: string; error: string }> = [];
  try {
    for (const section of sections) {
      const sectionStarted = Date.now();
      console.log(`-- ${section} ...`);
      try {
        const result = await runSection(section, values.quick, tmp, hook);
        results.push(result);
        for (const table of result.tables) console.log(renderText(table));
        for (const t of result.targets) console.log(`   target: ${t.target}: ${t.figure} -> ${verdict(t)}`);
        console.log(`-- ${section} done in ${((Date.now() - sectionStarted) / 1000).toFixed(0)} s\n`);
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        failures.push({ section, error: message });
        console.error(`-- ${section} could not run:\n${message}\n`);
      }
    }
  } finally {
    tsHook?.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  }

  const targets: TargetResult[] = results.flatMap((r) => r.targets);
  const summary = targetsTable(targets);
  console.log(renderText(summary));
  const durationSeconds = Math.round((Date.now() - started) / 1000);
  console.log(`bench finished in ${durationSeconds} s`);

  if ((complete && failures.length === 0) || values.write) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const json = {
      machine: info,
      durationSeconds,
      sections: Object.fromEntries(results.map((r) => [r.name, r.data])),
      targets,
      failures,
    };
    const jsonPath = join(RESULTS_DIR, "latest.json");
    const mdPath = join(RESULTS_DIR, "latest.md");
    // Written to a temp name and renamed, so an interrupted run never leaves half a file.
    writeFileSync(`${jsonPath}.tmp`, `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(`${mdPath}.tmp`, markdown(info, results, summary, durationSeconds));
    renameSync(`${jsonPath}.tmp`, jsonPath);
    renameSync(`${mdPath}.tmp`, mdPath);
    console.log(`wrote ${join("tools", "bench", "results", "latest.json")} and ${join("tools", "bench", "results", "latest.md")}`);
  } else {
    console.log(
      `${failures.length > 0 ? "a section could not run" : "partial or quick run"}: tools/bench/results/ left as it was (pass --write to overwrite it)`,
    );
  }
  // Missed targets never fail the bench; a section that could not run does.
  return failures.length > 0 ? 1 : 0;
}

function markdown(info: Record<string, unknown>, results: readonly SectionResult[], summary: Table, seconds: number): string {
  const packages = info.packages as Record<string, string | null>;
  return [
    `<!-- generated by npm run bench on ${String(info.date)}; do not edit by hand -->`,
    `Measured by \`npm run bench\` on ${String(info.date).slice(0, 10)}: ${String(info.cpus)} x ${String(info.cpuModel)}, ` +
      `${String(info.memoryMiB)} MiB, ${String(info.os)}, Node ${String(info.node)}, cdktf ${packages.cdktf}, ` +
      `@cdktf/provider-aws ${packages["@cdktf/provider-aws"]} (shared, noisy machine: medians, spread in parentheses; ${seconds} s in all).`,
    "",
    renderMarkdown(summary),
    ...results.flatMap((r) => r.tables.map(renderMarkdown)),
  ].join("\n");
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
