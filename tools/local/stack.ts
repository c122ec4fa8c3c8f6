/**
 * `startLocalStack()`: the whole app on this machine, started from its synthesized Terraform JSON only. It
 * packages and synthesizes the app (package-and-synthesize.ts), then reads `cdk.tf.json` back and starts
 * - DynamoDB (dynalite) with the synthesized tables, persisted under `<dataDir>/<environment>/dynamodb`,
 * - every synthesized Lambda function in its own warm worker threads (functions.ts),
 * - the REST API stage on an HTTP server (api-gateway.ts),
 * - IAM (tools/local/iam/): each function gets its own role session credentials, and the DynamoDB endpoint is a proxy
 *   that evaluates every request against the function's synthesized role policies; API Gateway invokes a
 *   function only when an `aws_lambda_permission` allows it.
 * Nothing talks to AWS: the functions get AWS_ENDPOINT_URL_DYNAMODB and local credentials. The data folder
 * `<dataDir>/<environment>` is locked first (data-lock.ts): a second stack on it is refused before it changes
 * anything. `reload()` applies an edit of the sources while it runs (reload.ts; `npm start -- --watch`).
 */
import { rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { AppConfig } from "../../app/config/schema";
import { TABLE_NAMES, type TableName } from "../../app/lambda-packages/shared/tables";
import { ApiGateway, serveApiGateway } from "./api-gateway";
import { lockDataFolder } from "./data-lock";
import { startDynamoDbFaults, type DynamoDbFaultInjector } from "./dynamodb-faults";
import { startDynamoDb, tableDefinitions } from "./dynamodb";
import { checkTimeoutsFit, functionDefinitions, LocalFunction } from "./functions";
import { startDynamoDbProxy } from "./iam/dynamodb-proxy";
import { lambdaServiceCalls } from "./iam/lambda-service";
import { LocalIam } from "./iam/local-iam";
import { LocalMetrics, type MetricTotals } from "./metrics";
import { unsupportedLines } from "./mock-integration";
import { checkRouteTargets, restApiModel } from "./rest-api";
import { localDataDirs, packageAndSynthesize } from "./package-and-synthesize";
import { StackReloader, type ReloadOutcome, type RunningStack } from "./reload";
import { SynthesizedApp } from "./synthesized";

/** Where local data lives by default: `.local-data/` in the repository (git-ignored). */
export const DEFAULT_DATA_DIR = resolve(__dirname, "..", "..", ".local-data");
/** Local-only endpoint, outside the stage path (no API route can be there): the metrics seen so far. */
export const LOCAL_METRICS_PATH = "/_local/metrics";
/** The environment the local stack runs by default (see tools/local/start.ts for why). */
export const DEFAULT_LOCAL_ENVIRONMENT = "dev";

export interface LocalStackOptions {
  /** Config of `app/config/<environment>.json`. @default "dev" */
  readonly environment?: string;
  /** Port of the API; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface the API listens on. @default "127.0.0.1" */
  readonly host?: string;
  /** Folder of the local data (tables, synth output, unpacked functions). @default .local-data */
  readonly dataDir?: string;
  /** Delete the environment's local tables first. @default false */
  readonly fresh?: boolean;
  /** Changes the config before synthesis, e.g. a tight throttle for a test. */
  readonly configOverride?: (config: AppConfig) => AppConfig;
  /** Build the Lambda packages first. @default true */
  readonly buildPackages?: boolean;
  /** Receives one line per request and the functions' log lines. @default nothing is logged */
  readonly log?: (line: string) => void;
  /** Most concurrent workers of each function; more invocations wait in a queue. @default DEFAULT_MAX_CONCURRENCY */
  readonly maxConcurrency?: number;
  /** How long the gateway waits for a function before it answers 504 (tests shorten it). @default 29 s */
  readonly integrationTimeoutMs?: number;
  /** Puts a fault proxy between the functions and DynamoDB (dynamodb-faults.ts), as `faults`. @default false */
  readonly faultInjection?: boolean;
  /** Variables every function gets on top of its own, e.g. a test's cheaper scrypt (__tests__/support/test-scrypt.ts). @default none */
  readonly functionEnvironment?: Readonly<Record<string, string>>;
}

/** One route of the API, for the route table. */
export interface LocalRoute {
  readonly method: string;
  readonly path: string;
  /** "none", or "authorizer <function>". */
  readonly auth: string;
  /** The function behind it, or "(MOCK)" for a mock integration such as CORS preflight. */
  readonly target: string;
}

export interface LocalStack {
  readonly environment: string;
  /** The stage's invoke URL, e.g. http://127.0.0.1:4000/dev (what `api_invoke_url` is on AWS). */
  readonly baseUrl: string;
  /** The local DynamoDB endpoint: requests signed with the local admin key id (AKIDLOCALSTACK) are not evaluated. */
  readonly dynamoDbEndpoint: string;
  readonly region: string;
  /** The local name of every table of app/lambda-packages/shared/tables.ts, from data-stack's `<table>_table_name`. */
  readonly tables: Readonly<Record<TableName, string>>;
  readonly routes: readonly LocalRoute[];
  /** The origins the API allows from a browser (`api.corsOrigins` of the config it was synthesized from). */
  readonly corsOrigins: readonly string[];
  /** The stacks' outputs, shaped like the file of `cdktf output --outputs-file`, plus `local-stack`. */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The functions' way to DynamoDB, to refuse, hang, slow or fail it: only with `faultInjection`. */
  readonly faults?: DynamoDbFaultInjector;
  /** Invocations received so far, by function name. */
  invocations(): Record<string, number>;
  /** The IAM of the run: denials, grants and the grants used so far, and the policies in force. */
  readonly iam: LocalIam;
  /** The synthesized app the stack runs (the mutation test derives edited copies of it); a reload replaces it. */
  readonly app: SynthesizedApp;
  /** Per function: workers alive, workers started (cold starts, replacements included), invocations dropped unstarted. */
  workerStats(): Record<string, { readonly live: number; readonly coldStarts: number; readonly abandoned: number }>;
  /** The EMF metrics the functions wrote so far (also at `GET <origin>/_local/metrics`). */
  metrics(): MetricTotals;
  /** The same, one line per metric, for printing. */
  metricLines(): string[];
  /**
   * Applies an edit of the sources (absolute paths of the files that changed): rebuilds the packages that bundle
   * them and swaps those functions' code, or re-synthesizes and restarts what changed, keeping the tables, their
   * data and the gateway's state; on a failure the stack runs on as it was (reload.ts). One reload at a time.
   */
  reload(changed: readonly string[]): Promise<ReloadOutcome>;
  stop(): Promise<void>;
}

/** Starts the local stack; call `stop()` to end it. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const environment = options.environment ?? DEFAULT_LOCAL_ENVIRONMENT;
  const log = options.log ?? (() => undefined);
  const dirs = localDataDirs(resolve(options.dataDir ?? DEFAULT_DATA_DIR), environment);
  // Before anything in the folder is touched (data-lock.ts); throws DataFolderLockedError when it is in use.
  const lock = lockDataFolder(dirs.root);
  if (lock.tookOverFrom) log(`Took over the stale lock of ${dirs.root} left by process ${lock.tookOverFrom.pid}, which is gone`);

  const metrics = new LocalMetrics();
  const stoppers: Array<() => Promise<void>> = [async () => lock.release()];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne();
  };
  try {
    if (options.fresh) rmSync(dirs.dynamodb, { recursive: true, force: true });
    const config = await packageAndSynthesize({
      environment,
      configOverride: options.configOverride,
      outdir: dirs.synth,
      stateDir: dirs.state,
      buildPackages: options.buildPackages,
    });
    let invokeUrl: string | undefined;
    const app = new SynthesizedApp(dirs.synth, { invokeUrl: () => invokeUrl ?? "" });
    const api = restApiModel(app);

    const dynamoDb = await startDynamoDb(tableDefinitions(app), { path: dirs.dynamodb });
    stoppers.push(() => dynamoDb.close());
    // The functions' endpoint: (in fault tests) the fault layer, standing for the network and DynamoDB's front
    // door, then the IAM check, then the engine.
    const iam = new LocalIam(app, { log });
    const iamProxy = await startDynamoDbProxy(dynamoDb.endpoint, iam);
    stoppers.push(() => iamProxy.close());
    const faults = options.faultInjection ? await startDynamoDbFaults(iamProxy.endpoint) : undefined;
    if (faults) stoppers.push(() => faults.close());
    const endpoint = faults ?? iamProxy;
    const logsDelivered = new Map<string, boolean>();

    const functions = new Map<string, LocalFunction>();
    stoppers.push(async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    });
    const definitions = functionDefinitions(app);
    checkTimeoutsFit(definitions, options.integrationTimeoutMs);
    for (const definition of definitions) {
      const fn = new LocalFunction(definition, {
        codeDir: dirs.functions,
        baseEnvironment: { ...options.functionEnvironment, AWS_ENDPOINT_URL_DYNAMODB: endpoint.endpoint, ...iam.credentialsOf(definition.name) },
        // Lambda delivers the logs with the role's credentials: without logs permissions they are lost.
        log: (line) => {
          // EMF lines reach CloudWatch (and their metrics) only when Lambda can deliver the function's logs.
          if (!(logsDelivered.get(definition.name) ?? true)) return;
          metrics.record(line);
          log(`  [${definition.name}] ${line}`);
        },
        maxConcurrency: options.maxConcurrency,
      });
      functions.set(definition.name, fn);
    }
    await Promise.all([...functions.values()].map((fn) => fn.warm()));

    const gateway = new ApiGateway({
      api,
      log,
      integrationTimeoutMs: options.integrationTimeoutMs,
      invoke: (name, event, invokeOptions) => {
        const fn = functions.get(name);
        if (!fn) throw new Error(`The API integrates function ${name}, which the app does not define`);
        logsDelivered.set(name, lambdaServiceCalls(iam, name).logsDelivered);
        return fn.invoke(event, invokeOptions);
      },
      mayInvoke: (name, sourceArn, qualifier) => iam.mayInvoke(name, sourceArn, qualifier),
    });
    checkRouteTargets(api, new Set(functions.keys()));
    for (const method of gateway.routes()) {
      if (method.integration.type !== "MOCK") continue;
      for (const line of unsupportedLines(method.integration.template)) {
        log(`warning: ${method.httpMethod} ${method.resourcePath}: the local gateway ignores the template line ${line}`);
      }
    }

    const server = await serveApiGateway(gateway, api, {
      port: options.port ?? 0,
      host: options.host,
      log,
      localEndpoints: { [LOCAL_METRICS_PATH]: () => metrics.snapshot() },
    });
    stoppers.push(() => server.close());
    invokeUrl = server.invokeUrl;

    const running: RunningStack = {
      environment,
      dirs,
      options,
      functions,
      gateway,
      iam,
      engineEndpoint: dynamoDb.endpoint,
      invokeUrl: server.invokeUrl,
      app,
      config,
      outputs: {},
      writeOutputs: () => {
        running.outputs = resolveOutputs(running.app);
        running.outputs["local-stack"] = { dynamodb_endpoint: endpoint.endpoint, region: api.region };
        writeFileSync(dirs.outputs, `${JSON.stringify(running.outputs, null, 2)}\n`);
      },
    };
    running.writeOutputs();
    const reloader = new StackReloader(running);

    return {
      environment,
      baseUrl: server.invokeUrl,
      dynamoDbEndpoint: endpoint.endpoint,
      region: api.region,
      get tables() {
        const dataOutputs = running.outputs["data-stack"] ?? {};
        return Object.fromEntries(TABLE_NAMES.map((table) => [table, String(dataOutputs[`${table}_table_name`])])) as Record<TableName, string>;
      },
      get routes() {
        return routesOf(gateway);
      },
      get corsOrigins() {
        return running.config.api.corsOrigins;
      },
      get outputs() {
        return running.outputs;
      },
      ...(faults ? { faults } : {}),
      invocations: () => Object.fromEntries([...functions].map(([name, fn]) => [name, fn.invocations])),
      iam,
      get app() {
        return running.app;
      },
      workerStats: () =>
        Object.fromEntries([...functions].map(([name, fn]) => [name, { live: fn.liveWorkers, coldStarts: fn.coldStarts, abandoned: fn.abandoned }])),
      metrics: () => metrics.snapshot(),
      metricLines: () => metrics.lines(),
      reload: (changed) => reloader.reload(changed),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The route table of what the gateway serves now. */
function routesOf(gateway: ApiGateway): LocalRoute[] {
  return gateway.routes().map((method) => ({
    method: method.httpMethod,
    path: method.resourcePath,
    auth: method.authorizer ? `authorizer ${method.authorizer.functionName}` : "none",
    target: method.integration.type === "AWS_PROXY" ? method.integration.functionName : "(MOCK)",
  }));
}

/** Every output the local stack can resolve, by stack: cdktf's own cross-stack outputs are left out, as `cdktf output` does. */
function resolveOutputs(app: SynthesizedApp): Record<string, Record<string, unknown>> {
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [stackId, stack] of app.stacks) {
    for (const name of Object.keys(stack.json.output ?? {})) {
      if (name.startsWith("cross-stack-output-")) continue;
      let value: unknown;
      try {
        value = app.output(stackId, name);
      } catch {
        continue; // an attribute the local stack does not emulate
      }
      (outputs[stackId] ??= {})[name] = value;
    }
  }
  return outputs;
}
