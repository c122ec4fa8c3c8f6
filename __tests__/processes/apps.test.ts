/**
 * The cdktf apps as cdktf runs them, processes of their own: cdktf.json's app command packages what is stale and
 * synthesizes the three stacks; a bad config stops app/main.ts and app/bootstrap/main.ts before anything is
 * synthesized, printing only the config's problems; a bug is printed with its stack. Exit codes, standard
 * streams and the files written are what is checked; report-error.test.ts and config.test.ts test the
 * formatting and the validation in-process.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../../app/config/load";
import { STACK_IDS } from "../../app/stacks";
import { tempDirsOfThisFile } from "../support/temp-dirs";
import { thrownBy } from "../support/thrown";

const ROOT = resolve(__dirname, "..", "..");
const tempDir = tempDirsOfThisFile();
const tsx = require.resolve("tsx/cjs");

/** Runs `entry` from the repository root (as cdktf does, so the messages name app/config/<env>.json). */
function run(entry: string, env: Record<string, string>, preload: readonly string[] = []) {
  const result = spawnSync(process.execPath, ["--require", tsx, ...preload.flatMap((p) => ["--require", p]), join(ROOT, entry)], {
    cwd: ROOT,
    // Nothing is synthesized (the config is refused, or synth throws), but never into the repository.
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: join(tempDir("apps-out-"), "out"), ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.trimEnd() };
}

/** The message loadConfig throws for `environment`, as the apps must print it. */
const configMessage = (environment: string): string => thrownBy(() => loadConfig({ environment })).message;

describe("the cdktf app (app/main.ts)", () => {
  test("cdktf.json's app command packages what is stale and synthesizes the three stacks", () => {
    const { app } = JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8")) as { app: string };
    const outdir = join(tempDir("cdktf-app-"), "out");
    const result = spawnSync(app, { shell: true, cwd: ROOT, env: { ...process.env, APP_ENV: "prod", CDKTF_OUTDIR: outdir }, encoding: "utf8" });
    const stacks = existsSync(join(outdir, "stacks")) ? readdirSync(join(outdir, "stacks")).sort() : [];
    const written = stacks.filter((stack) => existsSync(join(outdir, "stacks", stack, "cdk.tf.json")));

    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: "" });
    expect(result.stdout).toMatch(/^\d+ package\(s\) in app\/lambda-packages\/dist up to date|bundled into app\/lambda-packages\/dist/m);
    expect({ stacks, written }).toEqual({ stacks: [...STACK_IDS].sort(), written: [...STACK_IDS].sort() });
  });

  test("stops before synthesizing anything when the config is bad, and says why", () => {
    const outdir = join(tempDir("cdktf-main-"), "out");
    const result = run("app/main.ts", { APP_ENV: "staging", CDKTF_OUTDIR: outdir });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Invalid config app/config/staging.json (1 problem); nothing was synthesized:");
    expect(result.stderr).toContain("(file): expected an existing file (APP_ENV=staging; available: dev, prod), found no such file");
    expect(existsSync(outdir)).toBe(false);
  });
});

describe("the cdktf apps' errors (app/report-error.ts), run as processes", () => {
  test.each(["app/main.ts", "app/bootstrap/main.ts"])("%s prints only the config's problems for a bad config and exits 1", (entry) => {
    expect(run(entry, { APP_ENV: "no-such-environment" })).toEqual({ status: 1, stdout: "", stderr: configMessage("no-such-environment") });
  });

  test("app/main.ts prints the stack of a bug and exits 1", () => {
    // The bug: App#synth throws a TypeError, injected before app/main.ts runs.
    const preload = join(tempDir("apps-bug-"), "inject-bug.js");
    writeFileSync(
      preload,
      `require(${JSON.stringify(require.resolve("cdktf"))}).App.prototype.synth = function synth() { throw new TypeError("injected bug"); };\n`,
    );
    const result = run("app/main.ts", { APP_ENV: "dev" }, [preload]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^TypeError: injected bug\n\s+at (App\.)?synth /);
  });
});
