/**
 * The app command of cdktf.json (`node --require tsx/cjs app/cdktf-app.ts`): brings the Lambda packages up
 * to date (nothing to do when no source changed since they were built), then runs app/main.ts, in one process, so
 * `cdktf synth`, `diff` and `deploy` pay for one Node and tsx start-up.
 *
 * tsx turns on Node's source maps; they are turned off again here unless NODE_OPTIONS asks for them
 * (`NODE_OPTIONS=--enable-source-maps npx cdktf synth`). cdktf captures a stack trace for every token it
 * creates, and with source maps on Node maps each of those frames through cdktf's inline maps: ~0.2 s of CPU
 * per synth for traces nobody reads. Without them a stack trace names the right functions and files, with the
 * line numbers of tsx's output.
 */
if (!process.env.NODE_OPTIONS?.includes("--enable-source-maps")) process.setSourceMapsEnabled(false);

import { packageCommand } from "./lambda-packages/build";
import { exitWithError } from "./report-error";

// app/main.ts reports its own errors; a packaging error, or one while loading main's modules, is reported the same way.
packageCommand([])
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- app/main.ts synthesizes when loaded: only after packaging succeeded
  .then(() => require("./main"))
  .catch(exitWithError);
