/**
 * The Node.js Lambda runtime of one local sandbox: runs inside a worker thread started by functions.ts, with
 * the function's environment as `process.env`. It loads the handler (the "init" of a cold start, retried on the
 * next invocation when it fails, as Lambda does), then handles one invocation at a time: calls the handler with
 * the event and a Lambda context, and posts back the JSON of the result or the error in Lambda's
 * `{errorType, errorMessage, trace}` shape.
 *
 * `console` writes Lambda's log lines, posted to the main thread: JSON (`{timestamp, level, requestId, message}`, levels below
 * AWS_LAMBDA_LOG_LEVEL dropped) when AWS_LAMBDA_LOG_FORMAT is JSON, else `timestamp<TAB>requestId<TAB>LEVEL<TAB>message`.
 * What the function writes to process.stdout itself is posted line by line as is, as Lambda sends it to CloudWatch
 * Logs unwrapped (the business metrics' EMF lines take that path); on the same port, so it stays in order.
 *
 * This file is compiled by esbuild when the local stack starts and must only import Node built-ins.
 */
import { format } from "node:util";
import { parentPort, workerData } from "node:worker_threads";

/** What functions.ts passes to the worker. */
export interface RuntimeData {
  /** Absolute path of the handler module, e.g. <task root>/lambda-handler.js. */
  readonly modulePath: string;
  /** Exported name of the handler function, e.g. "handler". */
  readonly exportName: string;
}

/** main thread -> worker */
export interface InvokeMessage {
  readonly type: "invoke";
  readonly requestId: string;
  readonly event: unknown;
  /** Epoch ms when the invocation times out. */
  readonly deadlineMs: number;
}

/** worker -> main thread; log lines travel on the same port, so they arrive before the result they precede. */
export type RuntimeMessage =
  | { readonly type: "log"; readonly line: string }
  | { readonly type: "init"; readonly ok: boolean; readonly error?: LambdaError }
  | { readonly type: "result"; readonly requestId: string; readonly payload: string }
  | { readonly type: "error"; readonly requestId: string; readonly error: LambdaError };

export interface LambdaError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

type Handler = (event: unknown, context: unknown, callback?: (error: unknown, result?: unknown) => void) => unknown;

const LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
type Level = (typeof LEVELS)[number];

const data = workerData as RuntimeData;
const port = parentPort!;
const env = process.env;
const jsonLogs = env.AWS_LAMBDA_LOG_FORMAT === "JSON";
const minLevel = LEVELS.indexOf((env.AWS_LAMBDA_LOG_LEVEL ?? "INFO").toUpperCase() as Level);
let currentRequestId: string | undefined;

function toLambdaError(error: unknown, fallbackType = "Error"): LambdaError {
  if (error instanceof Error) {
    return { errorType: error.name || fallbackType, errorMessage: error.message, trace: (error.stack ?? "").split("\n") };
  }
  return { errorType: fallbackType, errorMessage: String(error), trace: [] };
}

function write(level: Level, args: unknown[]): void {
  if (jsonLogs && LEVELS.indexOf(level) < Math.max(0, minLevel)) return;
  const timestamp = new Date().toISOString();
  if (!jsonLogs) {
    port.postMessage({
      type: "log",
      line: `${timestamp}\t${currentRequestId ?? "undefined"}\t${level}\t${format(...args)}`,
    } satisfies RuntimeMessage);
    return;
  }
  const [first] = args;
  const entry: Record<string, unknown> = { timestamp, level, requestId: currentRequestId };
  if (args.length === 1 && first instanceof Error) {
    const { errorType, errorMessage, trace } = toLambdaError(first);
    Object.assign(entry, { message: errorMessage, errorType, errorMessage, stackTrace: trace });
  } else if (args.length === 1 && first !== null && typeof first === "object") {
    entry.message = first;
  } else {
    entry.message = format(...args);
  }
  port.postMessage({ type: "log", line: JSON.stringify(entry) } satisfies RuntimeMessage);
}

let pendingStdout = "";
process.stdout.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown): boolean => {
  pendingStdout += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
  const lines = pendingStdout.split("\n");
  pendingStdout = lines.pop() ?? "";
  for (const line of lines) port.postMessage({ type: "log", line } satisfies RuntimeMessage);
  const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
  if (typeof done === "function") done();
  return true;
}) as typeof process.stdout.write;

console.trace = (...args: unknown[]) => write("TRACE", args);
console.debug = (...args: unknown[]) => write("DEBUG", args);
console.log = (...args: unknown[]) => write("INFO", args);
console.info = (...args: unknown[]) => write("INFO", args);
console.warn = (...args: unknown[]) => write("WARN", args);
console.error = (...args: unknown[]) => write("ERROR", args);

let handler: Handler | undefined;

/** Loads the handler module; the error of a failed init, which the next invocation retries. */
function init(): LambdaError | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(data.modulePath) as Record<string, unknown>;
    const candidate = loaded[data.exportName];
    if (typeof candidate !== "function") {
      return { errorType: "Runtime.HandlerNotFound", errorMessage: `${data.modulePath} does not export a function "${data.exportName}"`, trace: [] };
    }
    handler = candidate as Handler;
    return undefined;
  } catch (error) {
    const lambdaError = toLambdaError(error, "Runtime.ImportModuleError");
    write("ERROR", [error]);
    return lambdaError;
  }
}

function context(message: InvokeMessage) {
  const name = env.AWS_LAMBDA_FUNCTION_NAME ?? "";
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
    invokedFunctionArn: env.LOCAL_LAMBDA_FUNCTION_ARN ?? name,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "128",
    awsRequestId: message.requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${name}`,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? "local",
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
}

/** Calls the handler, promise style, or callback style when it declares three parameters. */
function call(fn: Handler, message: InvokeMessage): Promise<unknown> {
  if (fn.length >= 3) {
    return new Promise((resolve, reject) => {
      const returned = fn(message.event, context(message), (error, result) => (error ? reject(error) : resolve(result)));
      if (returned && typeof (returned as Promise<unknown>).then === "function") (returned as Promise<unknown>).then(resolve, reject);
    });
  }
  return Promise.resolve(fn(message.event, context(message)));
}

async function invoke(message: InvokeMessage): Promise<RuntimeMessage> {
  currentRequestId = message.requestId;
  const initError = handler ? undefined : init();
  if (initError || !handler) return { type: "error", requestId: message.requestId, error: initError! };
  try {
    const result = await call(handler, message);
    // Lambda returns the JSON of the result; undefined becomes null.
    return { type: "result", requestId: message.requestId, payload: JSON.stringify(result ?? null) };
  } catch (error) {
    write("ERROR", [error]);
    return { type: "error", requestId: message.requestId, error: toLambdaError(error) };
  }
}

const initError = init();
port.postMessage({ type: "init", ok: !initError, error: initError } satisfies RuntimeMessage);
port.on("message", (message: InvokeMessage) => {
  void invoke(message).then((reply) => port.postMessage(reply));
});
