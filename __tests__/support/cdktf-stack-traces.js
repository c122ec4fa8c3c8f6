/**
 * A jest setup file: cdktf records a complete stack trace for every token it creates (Lazy, Intrinsic and a
 * few more keep it as `creationStack`, shown when a token cannot be resolved). Under jest, each of those
 * traces goes through jest's source-map support, which maps every frame back to its source: about a second of
 * CPU per synthesized app, most of the CPU of a stack unit test. This makes cdktf's capture format the frames
 * as V8 does by default (same frames, positions in the loaded JavaScript instead of the TypeScript source),
 * for cdktf's own captures only: test failures and every other stack trace keep their source-mapped frames.
 */
const stackTrace = require("cdktf/lib/tokens/private/stack-trace");

stackTrace.captureStackTrace = function captureStackTrace(below) {
  const object = { stack: "" };
  const previousLimit = Error.stackTraceLimit;
  const previousPrepare = Error.prepareStackTrace;
  Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
  Error.prepareStackTrace = (_error, frames) => frames.map(String);
  try {
    Error.captureStackTrace(object, below || captureStackTrace);
    return object.stack;
  } finally {
    Error.stackTraceLimit = previousLimit;
    Error.prepareStackTrace = previousPrepare;
  }
};
