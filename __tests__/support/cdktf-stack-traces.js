/**
 * A jest setup file: cdktf records a complete stack trace for every token it creates (Lazy, Intrinsic and a
 * few more keep it as `creationStack`, shown only when a token cannot be resolved). Under jest, each of those
 * traces went through jest's source-map support, which maps every frame back to its source: about a second of
 * CPU per synthesized app. Here cdktf's capture records the frames as before (every frame, from the same place)
 * but formats them only when something reads `creationStack` (an error message), as V8 formats them by default
 * (positions in the loaded JavaScript instead of the TypeScript source). Test failures and every other stack
 * trace keep their source-mapped frames.
 */
const stackTrace = require("cdktf/lib/tokens/private/stack-trace");

const formatFrames = (_error, frames) => frames.map(String);

/** The frames V8 recorded on `holder`, formatted once, on first use. */
function lazyFrames(holder) {
  let frames;
  const load = () => {
    if (frames === undefined) {
      const previousPrepare = Error.prepareStackTrace;
      Error.prepareStackTrace = formatFrames;
      try {
        frames = Array.isArray(holder.stack) ? holder.stack : [];
      } finally {
        Error.prepareStackTrace = previousPrepare;
      }
    }
    return frames;
  };
  // An array to every reader (cdktf joins it and reads its length): a Proxy that reads through to the formatted frames.
  return new Proxy([], {
    get: (_target, key) => Reflect.get(load(), key),
    has: (_target, key) => Reflect.has(load(), key),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
      return descriptor && key !== "length" ? { ...descriptor, configurable: true } : descriptor;
    },
  });
}

stackTrace.captureStackTrace = function captureStackTrace(below) {
  const holder = {};
  const previousLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
  try {
    Error.captureStackTrace(holder, below || captureStackTrace);
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
  return lazyFrames(holder);
};
