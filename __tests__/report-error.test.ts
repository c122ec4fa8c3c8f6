/**
 * The cdktf apps print a user error (config, construct props, Lambda package, cdktf validation) as its message
 * alone and anything else (a bug) with its stack, then exit 1: app/report-error.ts. processes/apps.test.ts runs
 * app/main.ts and app/bootstrap/main.ts as processes.
 */
import { Annotations, App, TerraformStack } from "cdktf";
import { ConfigError, loadConfig } from "../app/config/load";
import { ValidationError } from "../app/constructs/validation-error";
import { LambdaArtifactError, loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { formatError, isUserError } from "../app/report-error";
import { tempDirsOfThisFile } from "./support/temp-dirs";
import { thrownBy } from "./support/thrown";

const STACK_FRAME = /\n\s+at /;

const tempDir = tempDirsOfThisFile();

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
