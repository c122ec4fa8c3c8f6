/**
 * The cdktf apps print a user error (config, construct props, Lambda package, cdktf validation) as its message
 * alone and anything else (a bug) with its stack, then exit 1: app/report-error.ts, and app/main.ts and
 * app/bootstrap/main.ts run as processes.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Annotations, App, TerraformStack } from "cdktf";
import { ConfigError, loadConfig } from "../app/config/load";
import { ValidationError } from "../app/constructs/validation-error";
import { LambdaArtifactError, loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { formatError, isUserError } from "../app/report-error";
import { tempDirsOfThisFile } from "./support/temp-dirs";

const ROOT = resolve(__dirname, "..");
const STACK_FRAME = /\n\s+at /;

const tempDir = tempDirsOfThisFile();

/** What `fn` throws; the test fails when it throws nothing. */
function thrownBy(fn: () => unknown): Error {
  let threw = false;
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    threw = true;
    thrown = error;
  }
  expect(threw).toBe(true);
  return thrown as Error;
}

function cdktfAnnotationFailure(): Error {
  const app = new App({ outdir: tempDir("report-error-out-") });
  const stack = new TerraformStack(app, "stack");
  Annotations.of(stack).addError("every resource needs the name prefix");
  return thrownBy(() => app.synth());
}

describe("formatError", () => {
  const userErrors: ReadonlyArray<[string, () => Error]> = [
    ["a ConfigError", () => thrownBy(() => loadConfig({ environment: "no-such-environment" }))],
    ["a ValidationError", () => new ValidationError("memorySize must be 128..10240 MB, received 64", new TerraformStack(new App(), "compute-stack"))],
    ["a LambdaArtifactError", () => thrownBy(() => loadLambdaArtifact("no-such-function"))],
    ["cdktf's failure on an error annotation", cdktfAnnotationFailure],
  ];

  test.each(userErrors)("prints only the message of %s, without a stack", (_what, make) => {
    const error = make();
    expect(isUserError(error)).toBe(true);
    expect(formatError(error)).toBe(error.message.trimEnd());
    expect(formatError(error)).not.toMatch(STACK_FRAME);
  });

  test("the user errors are of the classes the apps' messages come from", () => {
    expect(userErrors.slice(0, 3).map(([, make]) => make().constructor)).toEqual([ConfigError, ValidationError, LambdaArtifactError]);
    expect(cdktfAnnotationFailure().message).toContain("[stack] every resource needs the name prefix");
  });

  test("prints a bug with its stack and the error that caused it", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'arn')", { cause: new RangeError("inner cause") });
    const text = formatError(bug);
    expect(isUserError(bug)).toBe(false);
    expect(text).toMatch(/^TypeError: Cannot read properties of undefined \(reading 'arn'\)\n\s+at /);
    expect(text).toContain("RangeError: inner cause");
  });

  test("prints a thrown value that is not an Error as it is", () => {
    expect(formatError("just a string")).toBe("'just a string'");
  });
});

describe("the cdktf apps, run as processes", () => {
  const tsx = require.resolve("tsx/cjs");
  /** Runs `entry` from the repository root (as cdktf does, so the messages name app/config/<env>.json). */
  const run = (entry: string, env: Record<string, string>, preload: readonly string[] = []) => {
    const result = spawnSync(process.execPath, ["--require", tsx, ...preload.flatMap((p) => ["--require", p]), join(ROOT, entry)], {
      cwd: ROOT,
      // Nothing is synthesized (the config is refused, or synth throws), but never into the repository.
      env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: tempDir("report-error-out-"), ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr.trimEnd() };
  };
  const configMessage = thrownBy(() => loadConfig({ environment: "no-such-environment" })).message;

  test.each(["app/main.ts", "app/bootstrap/main.ts"])("%s prints only the config's problems for a bad config and exits 1", (entry) => {
    expect(run(entry, { APP_ENV: "no-such-environment" })).toEqual({ status: 1, stdout: "", stderr: configMessage });
  });

  test("app/main.ts prints the stack of a bug and exits 1", () => {
    // The bug: App#synth throws a TypeError, injected before app/main.ts runs.
    const preload = join(tempDir("report-error-bug-"), "inject-bug.js");
    writeFileSync(
      preload,
      `require(${JSON.stringify(require.resolve("cdktf"))}).App.prototype.synth = function synth() { throw new TypeError("injected bug"); };\n`,
    );
    const result = run("app/main.ts", { APP_ENV: "dev" }, [preload]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^TypeError: injected bug\n\s+at (App\.)?synth /);
  });
});
