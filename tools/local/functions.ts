/**
 * Local Lambda functions: each synthesized `aws_lambda_function` runs from its own ZIP (the asset its
 * `aws_s3_object` uploads) in worker threads that play Lambda's execution environments: exactly the function's
 * environment variables plus what Lambda sets, one invocation at a time, warm between invocations, the heap
 * limited to the memory size. A timeout ("Task timed out after N seconds") or a crash terminates the worker, as
 * Lambda discards a sandbox.
 *
 * Overlapping invocations scale out to `maxConcurrency` workers (DEFAULT_MAX_CONCURRENCY; a lower reserved
 * concurrency caps it) and queue beyond. An invocation that would get its worker too late to run its whole
 * timeout before the gateway's integration timeout is dropped unstarted, so a local 504 never hides a write (on
 * AWS the function's timeout ends it first); one that has started runs to its end. docs/local-run.md, "What the local stack
 * does not emulate", on Lambda's scale-out.
 *
 * `update()` swaps a function's code or settings while it serves (`npm start -- --watch`): each version is a code
 * generation unpacked into its own folder; new invocations get sandboxes of the new one, an invocation in flight
 * finishes on its old sandbox, which is then retired, as Lambda moves `$LATEST` to new code.
 */
import { createHash, randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, resolve, sep } from "node:path";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import { transformSync } from "esbuild";
import { unzipSync } from "fflate";
import type { InvokeMessage, LambdaError, RuntimeData, RuntimeMessage } from "./lambda-runtime";
import type { ResourceRef, SynthesizedApp } from "./synthesized";

/** What the local stack needs to run one synthesized function. */
export interface FunctionDefinition {
  readonly name: string;
  readonly arn: string;
  /** "lambda-handler.handler": file (without .js) and export. */
  readonly handler: string;
  readonly runtime: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly reservedConcurrency?: number;
  /** The function's own environment variables, resolved. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logFormat: "JSON" | "Text";
  readonly applicationLogLevel?: string;
  readonly logGroup: string;
  readonly region: string;
  /** Absolute path of the deployment package. */
  readonly zipPath: string;
}

/** The outcome of one invocation, as the Lambda Invoke API reports it. */
export type InvocationResult =
  | { readonly ok: true; readonly payload: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly error: LambdaError; readonly durationMs: number };

type Json = Record<string, unknown>;

/** Definitions of every `aws_lambda_function` of the app (Terraform's defaults where an argument is absent). */
export function functionDefinitions(app: SynthesizedApp): FunctionDefinition[] {
  return app.resources("aws_lambda_function").map((fn) => {
    const environment = app.argument<Json>(fn, "environment", {}).variables as Record<string, unknown> | undefined;
    const logging = app.argument<Json>(fn, "logging_config", {});
    const name = app.argument<string>(fn, "function_name");
    const reserved = app.argument<number | undefined>(fn, "reserved_concurrent_executions", undefined);
    return {
      name,
      arn: String(app.resolve(fn.stack, `\${aws_lambda_function.${fn.name}.arn}`)),
      handler: app.argument<string>(fn, "handler"),
      runtime: app.argument<string>(fn, "runtime"),
      memorySize: app.argument<number>(fn, "memory_size", 128),
      timeoutSeconds: app.argument<number>(fn, "timeout", 3),
      ...(reserved !== undefined && reserved >= 0 ? { reservedConcurrency: reserved } : {}),
      environment: Object.fromEntries(Object.entries(environment ?? {}).map(([k, v]) => [k, String(v)])),
      logFormat: logging.log_format === "JSON" ? "JSON" : "Text",
      ...(typeof logging.application_log_level === "string" ? { applicationLogLevel: logging.application_log_level } : {}),
      logGroup: typeof logging.log_group === "string" ? logging.log_group : `/aws/lambda/${name}`,
      region: fn.stack.region,
      zipPath: packagePath(app, fn),
    };
  });
}

/**
 * Throws when a function's timeout is longer than the gateway waits for it (a test's shorter integration timeout):
 * the gateway would drop every invocation of it (see the file comment).
 */
export function checkTimeoutsFit(definitions: readonly FunctionDefinition[], integrationTimeoutMs: number | undefined): void {
  if (integrationTimeoutMs === undefined) return;
  for (const definition of definitions) {
    if (definition.timeoutSeconds * 1000 > integrationTimeoutMs) {
      throw new Error(
        `integrationTimeoutMs ${integrationTimeoutMs} is shorter than the ${definition.timeoutSeconds} s timeout of function ${definition.name}: ` +
          "the gateway would drop every invocation of it (see functions.ts); lower the function's timeout in configOverride",
      );
    }
  }
}

/**
 * The ZIP a function deploys: its `filename`, or the `source` of the `aws_s3_object` at its s3_bucket/s3_key. The
 * local run has one version of each object, the build in this checkout (its `version_id` is "local"), so a function
 * pinned to another version (a rollback in the config) cannot be served and is an error, not the wrong code.
 */
function packagePath(app: SynthesizedApp, fn: ResourceRef): string {
  const filename = app.argument<string | undefined>(fn, "filename", undefined);
  if (filename) return resolve(fn.stack.dir, filename);
  const name = app.argument<string>(fn, "function_name");
  const bucket = app.argument<string>(fn, "s3_bucket");
  const key = app.argument<string>(fn, "s3_key");
  const object = app
    .resources("aws_s3_object")
    .find((o) => app.argument(o, "bucket") === bucket && app.argument(o, "key") === key && typeof o.config.source === "string");
  if (!object) throw new Error(`Function ${name}: no aws_s3_object with a source uploads s3://${bucket}/${key}`);
  const version = app.argument<string | undefined>(fn, "s3_object_version", undefined);
  const current = app.resolve(object.stack, `\${${object.type}.${object.name}.version_id}`);
  if (version !== undefined && version !== current) {
    throw new Error(
      `Function ${name} is pinned to version ${version} of s3://${bucket}/${key} (lambda.functions.<fn>.packageVersionId in the config); the local run has only the build in this checkout. Remove the pin to run it locally.`,
    );
  }
  return resolve(object.stack.dir, app.argument<string>(object, "source"));
}

/** Settings shared by every function of a local stack. */
export interface FunctionRuntimeOptions {
  /** Folder to unpack the packages into (`<dir>/<function name>/`). */
  readonly codeDir: string;
  /** Environment every sandbox gets on top of the function's own: endpoint, region, fake credentials. */
  readonly baseEnvironment: Readonly<Record<string, string>>;
  /** Where the functions' log lines go. */
  readonly log: (line: string) => void;
  /** Most concurrent sandboxes of each function (a lower reserved concurrency wins). @default DEFAULT_MAX_CONCURRENCY */
  readonly maxConcurrency?: number;
}

/**
 * Workers per function by default: two per CPU core, at least 4. The functions mostly wait on DynamoDB, so a
 * second worker per core keeps the cores busy; each worker is a V8 isolate of some 20-40 MB. Lambda would run
 * up to the account's concurrency (1,000 by default) instead.
 */
export const DEFAULT_MAX_CONCURRENCY = Math.max(4, 2 * availableParallelism());

/** errorType of an invocation dropped before it started: its caller gave up, or would before it could end. */
export const ABANDONED_ERROR_TYPE = "Local.InvocationAbandoned";

/** How long the caller waits for an invocation. */
export interface InvokeOptions {
  /** Fires when the caller stops waiting; a queued invocation is then dropped. */
  readonly signal?: AbortSignal;
  /** Epoch ms the caller stops waiting: an invocation that could not run its whole timeout by then is dropped. */
  readonly mustEndBy?: number;
}

/** Thrown by acquire() when the caller's signal fires while the invocation waits for a worker. */
class Abandoned extends Error {}

let runtimeCode: string | undefined;

/** lambda-runtime.ts compiled to CommonJS once, for `new Worker(code, { eval: true })`. */
function runtimeSource(): string {
  runtimeCode ??= transformSync(readFileSync(join(__dirname, "lambda-runtime.ts"), "utf8"), {
    loader: "ts",
    format: "cjs",
    target: "node20",
    sourcefile: "lambda-runtime.ts",
  }).code;
  return runtimeCode;
}

/** Unpacks a ZIP into an empty folder, refusing entries that would land outside it; returns the ZIP's SHA-256 (hex). */
function unpack(zipPath: string, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const zip = readFileSync(zipPath);
  for (const [name, bytes] of Object.entries(unzipSync(zip))) {
    const target = normalize(join(dir, name));
    if (isAbsolute(name) || !target.startsWith(`${dir}${sep}`)) throw new Error(`${zipPath}: entry "${name}" points outside the package`);
    if (name.endsWith("/")) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
  return createHash("sha256").update(zip).digest("hex");
}

/** One version of a function's code and settings, unpacked in its own folder: what its sandboxes run. */
interface CodeGeneration {
  /** 1 at start, one more per update(). */
  readonly number: number;
  readonly definition: FunctionDefinition;
  /** `<codeDir>/<function name>/<number>`: LAMBDA_TASK_ROOT of its sandboxes. */
  readonly taskRoot: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly maxConcurrency: number;
  /** SHA-256 (hex) of the ZIP it was unpacked from. */
  readonly zipSha256: string;
}

/** One execution environment: a worker thread running lambda-runtime.ts on one code generation. */
class Sandbox {
  alive = true;
  private pending?: { readonly requestId: string; readonly settle: (message: RuntimeMessage) => void };

  private constructor(
    readonly generation: CodeGeneration,
    private readonly worker: Worker,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts a worker and waits for its init (a cold start); a failed init is retried by the next invocation. */
  static start(generation: CodeGeneration, log: (line: string) => void): Promise<Sandbox> {
    const { definition, taskRoot, environment } = generation;
    const [file, exportName] = splitHandler(definition.handler);
    const data: RuntimeData = { modulePath: join(taskRoot, `${file}.js`), exportName };
    const worker = new Worker(runtimeSource(), {
      eval: true,
      workerData: data,
      env: environment,
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: definition.memorySize },
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on("line", (line) => log(line));
    }
    const sandbox = new Sandbox(generation, worker, log);
    return new Promise((resolvePromise, reject) => {
      worker.on("message", (message: RuntimeMessage) => {
        if (message.type === "log") {
          log(message.line);
        } else if (message.type === "init") {
          if (!message.ok) log(`init failed: ${message.error?.errorType}: ${message.error?.errorMessage}`);
          resolvePromise(sandbox);
        } else {
          sandbox.settle(message);
        }
      });
      worker.on("error", (error) => {
        sandbox.die(`${error.name}: ${error.message}`);
        reject(error);
      });
      worker.on("exit", (code) => {
        sandbox.die(`the runtime exited with code ${code}`);
        reject(new Error(`the runtime exited with code ${code} during init`));
      });
    });
  }

  /** Runs one invocation; the sandbox is terminated when it times out. */
  invoke(event: unknown, requestId: string, timeoutMs: number): Promise<RuntimeMessage> {
    const message: InvokeMessage = { type: "invoke", requestId, event, deadlineMs: Date.now() + timeoutMs };
    return new Promise((settle) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        settle(failure(requestId, "Sandbox.Timedout", `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
        void this.terminate();
      }, timeoutMs);
      this.pending = {
        requestId,
        settle: (reply) => {
          clearTimeout(timer);
          settle(reply);
        },
      };
      this.worker.postMessage(message);
    });
  }

  /** Ends the sandbox on purpose (timeout, stop): nothing is logged. */
  async terminate(): Promise<void> {
    this.alive = false;
    const pending = this.pending;
    this.pending = undefined;
    pending?.settle(failure(pending.requestId, "Runtime.ExitError", `RequestId: ${pending.requestId} Error: the sandbox was stopped`));
    await this.worker.terminate();
  }

  private settle(reply: Extract<RuntimeMessage, { requestId: string }>): void {
    if (reply.requestId !== this.pending?.requestId) return;
    const { settle } = this.pending;
    this.pending = undefined;
    settle(reply);
  }

  /** The sandbox crashed: the invocation in flight, if any, fails like Lambda's "Runtime exited" error. */
  private die(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.log(`sandbox crashed: ${reason}`);
    const pending = this.pending;
    this.pending = undefined;
    pending?.settle(failure(pending.requestId, "Runtime.ExitError", `RequestId: ${pending.requestId} Error: Runtime exited: ${reason}`));
  }
}

function failure(requestId: string, errorType: string, errorMessage: string): RuntimeMessage {
  return { type: "error", requestId, error: { errorType, errorMessage, trace: [] } };
}

function splitHandler(handler: string): [file: string, exportName: string] {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0) throw new Error(`Handler "${handler}" must look like "file.export"`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

/** A function with its pool of warm sandboxes, all of its current code generation but those finishing an invocation. */
export class LocalFunction {
  /** Invocations received, counted before they run: what the e2e tests check to prove a call never got here. */
  invocations = 0;
  /** Sandboxes started so far (cold starts), including replacements of timed-out or crashed ones. */
  coldStarts = 0;
  /** Invocations dropped before they started (the caller gave up, or would before they could end). */
  abandoned = 0;
  private readonly idle: Sandbox[] = [];
  private readonly all = new Set<Sandbox>();
  private readonly waiting: Array<() => void> = [];
  private starting = 0;
  private readonly cap: number;
  private current: CodeGeneration;
  private stopped = false;

  constructor(
    definition: FunctionDefinition,
    private readonly options: FunctionRuntimeOptions,
  ) {
    const cap = options.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    if (!Number.isInteger(cap) || cap < 1) throw new Error(`maxConcurrency must be a whole number of at least 1, received ${cap}`);
    this.cap = cap;
    rmSync(join(options.codeDir, definition.name), { recursive: true, force: true });
    this.current = this.generation(definition, 1);
  }

  /** The definition the function runs now (the last one given to update()). */
  get definition(): FunctionDefinition {
    return this.current.definition;
  }

  /** SHA-256 (hex) of the ZIP the function runs now. */
  get codeSha256(): string {
    return this.current.zipSha256;
  }

  /** Sandboxes alive now (busy or idle), those of an older code generation finishing an invocation included. */
  get liveWorkers(): number {
    return this.all.size;
  }

  /**
   * Runs `definition` from now on (the same function: its code, environment or settings changed): unpacks its ZIP
   * as a new code generation and warms one sandbox of it. Invocations that get a sandbox after this call run the
   * new generation; the idle sandboxes of the old one are ended at once, the busy ones when their invocation ends.
   */
  async update(definition: FunctionDefinition): Promise<void> {
    if (this.stopped) throw new Error(`Function ${this.definition.name} is stopped`);
    if (definition.name !== this.definition.name) {
      throw new Error(`update() keeps the function's name: ${this.definition.name} cannot become ${definition.name}`);
    }
    this.current = this.generation(definition, this.current.number + 1);
    await Promise.all(this.idle.splice(0).map((sandbox) => this.retire(sandbox)));
    // The cap may have changed, and the queue must not wait for workers of the old generation.
    for (const wake of this.waiting.splice(0)) wake();
    await this.warm();
  }

  /** Starts the first sandbox now, so init errors show at start-up rather than on the first request. */
  async warm(): Promise<void> {
    this.release(await this.acquire());
  }

  /**
   * Invokes the function with `event`, waiting for a free sandbox when all are busy. An invocation whose caller
   * stops waiting (`signal`), or that could not run its whole timeout before `mustEndBy`, is dropped (never
   * started) and answers an ABANDONED_ERROR_TYPE error.
   */
  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvocationResult> {
    this.invocations++;
    const started = performance.now();
    const duration = () => Math.round(performance.now() - started);
    const requestId = randomUUID();
    const abandon = (reason: string): InvocationResult => {
      this.abandoned++;
      const errorMessage = `RequestId: ${requestId} not started after ${duration()} ms waiting for one of ${this.current.maxConcurrency} workers: ${reason}`;
      this.options.log(errorMessage);
      return { ok: false, error: { errorType: ABANDONED_ERROR_TYPE, errorMessage, trace: [] }, durationMs: duration() };
    };
    let sandbox: Sandbox;
    try {
      sandbox = await this.acquire(options.signal);
    } catch (error) {
      if (error instanceof Abandoned) return abandon("the caller gave up");
      const errorMessage = `RequestId: ${requestId} Error: ${(error as Error).message}`;
      return { ok: false, error: { errorType: "Runtime.ExitError", errorMessage, trace: [] }, durationMs: duration() };
    }
    const { timeoutSeconds } = sandbox.generation.definition;
    const timeoutMs = timeoutSeconds * 1000;
    if (options.mustEndBy !== undefined && options.mustEndBy - Date.now() < timeoutMs) {
      this.release(sandbox);
      return abandon(`the caller gives up in ${Math.max(0, options.mustEndBy - Date.now())} ms, before the ${timeoutSeconds} s timeout`);
    }
    const reply = await sandbox.invoke(event, requestId, timeoutMs);
    this.release(sandbox);
    if (reply.type === "result") return { ok: true, payload: JSON.parse(reply.payload) as unknown, durationMs: duration() };
    if (reply.type === "error") {
      if (reply.error.errorType === "Sandbox.Timedout") this.options.log(`${requestId} ${reply.error.errorMessage}`);
      return { ok: false, error: reply.error, durationMs: duration() };
    }
    throw new Error(`Unexpected reply from the sandbox of ${this.definition.name}`);
  }

  /** Terminates every sandbox. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.all].map((sandbox) => sandbox.terminate()));
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async acquire(signal?: AbortSignal): Promise<Sandbox> {
    for (;;) {
      if (this.stopped) throw new Error(`Function ${this.definition.name} is stopped`);
      if (signal?.aborted) {
        this.waiting.shift()?.(); // the wake-up this caller may have taken goes to the next one in the queue
        throw new Abandoned();
      }
      const idle = this.idle.pop();
      if (idle?.alive) return idle;
      if (idle) {
        this.forget(idle);
        continue;
      }
      if (this.all.size + this.starting < this.current.maxConcurrency) {
        this.starting++;
        try {
          this.coldStarts++;
          const sandbox = await Sandbox.start(this.current, this.options.log);
          this.all.add(sandbox);
          if (this.stopped || sandbox.generation !== this.current) {
            // Stopped, or updated while it started: an invocation that gets a sandbox now runs the new code.
            await this.retire(sandbox);
            continue;
          }
          if (signal?.aborted) {
            // Started for a caller that gave up meanwhile: kept warm for the next one.
            this.release(sandbox);
            throw new Abandoned();
          }
          return sandbox;
        } finally {
          this.starting--;
        }
      }
      await this.waitForWorker(signal);
    }
  }

  /** Resolves when a worker may be free; also when `signal` fires (acquire() then gives up). */
  private waitForWorker(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolvePromise) => {
      const wake = () => {
        signal?.removeEventListener("abort", onAbort);
        resolvePromise();
      };
      const onAbort = () => {
        const index = this.waiting.indexOf(wake);
        if (index >= 0) this.waiting.splice(index, 1);
        resolvePromise();
      };
      this.waiting.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private release(sandbox: Sandbox): void {
    if (sandbox.alive && !this.stopped && sandbox.generation === this.current) this.idle.push(sandbox);
    else if (sandbox.alive && !this.stopped) void this.retire(sandbox);
    else this.forget(sandbox);
    this.waiting.shift()?.();
  }

  /** Ends a sandbox that is not needed any more (its generation is not the current one, or the function stopped). */
  private retire(sandbox: Sandbox): Promise<void> {
    this.forget(sandbox);
    return sandbox.terminate();
  }

  /** Drops an ended sandbox; the folder of an old generation goes with its last sandbox. */
  private forget(sandbox: Sandbox): void {
    this.all.delete(sandbox);
    const { generation } = sandbox;
    if (generation === this.current || this.stopped) return;
    if (![...this.all].some((other) => other.generation === generation)) rmSync(generation.taskRoot, { recursive: true, force: true });
  }

  /** Unpacks `definition`'s ZIP as code generation `number`, with the environment its sandboxes get. */
  private generation(definition: FunctionDefinition, number: number): CodeGeneration {
    const taskRoot = join(this.options.codeDir, definition.name, String(number));
    const zipSha256 = unpack(definition.zipPath, taskRoot);
    const environment = {
      ...definition.environment,
      ...this.options.baseEnvironment,
      AWS_REGION: definition.region,
      AWS_DEFAULT_REGION: definition.region,
      AWS_LAMBDA_FUNCTION_NAME: definition.name,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: definition.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: `tools/local/[$LATEST]${randomUUID().replace(/-/g, "")}`,
      AWS_LAMBDA_LOG_FORMAT: definition.logFormat,
      ...(definition.logFormat === "JSON" && definition.applicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: definition.applicationLogLevel } : {}),
      AWS_EXECUTION_ENV: `AWS_Lambda_${definition.runtime}`,
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: definition.handler,
      LOCAL_LAMBDA_FUNCTION_ARN: definition.arn,
    };
    return { number, definition, taskRoot, environment, maxConcurrency: Math.min(definition.reservedConcurrency ?? this.cap, this.cap), zipSha256 };
  }
}
