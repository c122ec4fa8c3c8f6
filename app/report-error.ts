/**
 * How the command-line entry points (app/main.ts, app/bootstrap/main.ts, app/cdktf-app.ts) report the error that
 * stops them. An error the user is to fix says what to change in its message, so only the message is printed;
 * anything else is a bug, printed with its stack (and the chain of causes) so that it can be found.
 */
import { inspect } from "node:util";
import { ConfigError } from "./config/load";
import { ValidationError } from "./constructs/validation-error";
import { LambdaArtifactError } from "./lambda-packages/artifacts";

/**
 * The first line of cdktf 0.21's own validation failures (lib/errors.js: `encounteredAnnotationWithLevelError`
 * for an Aspect's `Annotations.addError`, `stackValidationFailure` for `node.addValidation`). They are plain
 * Errors whose message already names each construct path and problem.
 */
const CDKTF_VALIDATION_FAILURES = ['Encountered Annotations with level "ERROR":', "Validation failed with the following errors:"];

/**
 * True for an error the user is to fix: an invalid config (ConfigError), a construct that refused its props
 * (ValidationError), a missing or stale Lambda package (LambdaArtifactError), or cdktf's validation failure.
 */
export function isUserError(error: unknown): error is Error {
  if (error instanceof ConfigError || error instanceof ValidationError || error instanceof LambdaArtifactError) return true;
  return error instanceof Error && CDKTF_VALIDATION_FAILURES.some((start) => error.message.startsWith(start));
}

/** What to print for `error`: its message for a user error; otherwise its stack, own properties and causes. */
export function formatError(error: unknown): string {
  if (isUserError(error)) return error.message.trimEnd();
  return inspect(error, { depth: 4 });
}

/** Prints `error` as formatError() does, to stderr, and exits with code 1. */
export function exitWithError(error: unknown): never {
  console.error(formatError(error));
  return process.exit(1);
}
