/**
 * `startLocalStack()`: the whole app on this machine, started from its synthesized Terraform JSON only. It
 * packages and synthesizes the app (synth-app.ts), then reads `cdk.tf.json` back and starts
 * - DynamoDB (dynalite) with the synthesized tables, persisted under `<dataDir>/<environment>/dynamodb`,
 * - every synthesized Lambda function in its own warm worker threads (functions.ts),
 * - the REST API stage on an HTTP server (api-gateway.ts).
 * Nothing talks to AWS: the functions get AWS_ENDPOINT_URL_DYNAMODB and fake credentials.
 */
import { rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { AppConfig } from "../config/schema";
import { ApiGateway, serveApiGateway } from "./api-gateway";
import { LOCAL_AWS_CREDENTIALS, startDynamoDb, tableDefinitions } from "./dynamodb";
import { functionDefinitions, LocalFunction } from "./functions";
import { LocalMetrics, type MetricTotals } from "./metrics";
import { unsupportedLines } from "./mock-integration";
import { restApiModel } from "./rest-api";
import { localDataDirs, synthApp } from "./synth-app";
import { SynthesizedApp } from "./synthesized";

/** Where local data lives by default: `.local-data/` in the repository (git-ignored). */
export const DEFAULT_DATA_DIR = resolve(__dirname, "..", ".local-data");
/** Local-only endpoint, outside the stage path (no API route can be there): the metrics seen so far. */
export const LOCAL_METRICS_PATH = "/_local/metrics";
/** The environment the local stack runs by default (see local/start.ts for why). */
export const DEFAULT_LOCAL_ENVIRONMENT = "dev";

export interface LocalStackOptions {
  /** Config of `config/<environment>.json`. @default "dev" */
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
  /** The local DynamoDB endpoint (fake credentials: any key id and secret). */
  readonly dynamoDbEndpoint: string;
  readonly region: string;
  readonly tables: { readonly users: string; readonly sessions: string };
  readonly routes: readonly LocalRoute[];
  /** The origins the API allows from a browser (`api.corsOrigins` of the config it was synthesized from). */
  readonly corsOrigins: readonly string[];
  /** The stacks' outputs, shaped like the file of `cdktf output --outputs-file`, plus `local-stack`. */
  readonly outputs: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Invocations received so far, by function name. */
  invocations(): Record<string, number>;
  /** The EMF metrics the functions wrote so far (also at `GET <origin>/_local/metrics`). */
  metrics(): MetricTotals;
  /** The same, one line per metric, for printing. */
  metricLines(): string[];
  stop(): Promise<void>;
}

/** Starts the local stack; call `stop()` to end it. */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const environment = options.environment ?? DEFAULT_LOCAL_ENVIRONMENT;
  const log = options.log ?? (() => undefined);
  const dirs = localDataDirs(resolve(options.dataDir ?? DEFAULT_DATA_DIR), environment);
  if (options.fresh) rmSync(dirs.dynamodb, { recursive: true, force: true });

  const config = await synthApp({
    environment,
    configOverride: options.configOverride,
    outdir: dirs.synth,
    stateDir: dirs.state,
    buildPackages: options.buildPackages,
  });
  let invokeUrl: string | undefined;
  const app = new SynthesizedApp(dirs.synth, { invokeUrl: () => invokeUrl ?? "" });
  const api = restApiModel(app);

  const metrics = new LocalMetrics();
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) await stopOne();
  };
  try {
    const dynamoDb = await startDynamoDb(tableDefinitions(app), { path: dirs.dynamodb });
    stoppers.push(() => dynamoDb.close());

    const functions = new Map<string, LocalFunction>();
    stoppers.push(async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
    });
    for (const definition of functionDefinitions(app)) {
      const fn = new LocalFunction(definition, {
        codeDir: dirs.functions,
        baseEnvironment: { AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint, ...LOCAL_AWS_CREDENTIALS },
        log: (line) => {
          metrics.record(line);
          log(`  [${definition.name}] ${line}`);
        },
      });
      functions.set(definition.name, fn);
    }
    await Promise.all([...functions.values()].map((fn) => fn.warm()));

    const gateway = new ApiGateway({
      api,
      log,
      invoke: (name, event) => {
        const fn = functions.get(name);
        if (!fn) throw new Error(`The API integrates function ${name}, which the app does not define`);
        return fn.invoke(event);
      },
    });
    const routes = gateway.routes().map((method) => ({
      method: method.httpMethod,
      path: method.resourcePath,
      auth: method.authorizer ? `authorizer ${method.authorizer.functionName}` : "none",
      target: method.integration.type === "AWS_PROXY" ? method.integration.functionName : "(MOCK)",
    }));
    for (const route of routes) {
      const target = route.target === "(MOCK)" ? undefined : route.target;
      const authorizer = route.auth.startsWith("authorizer ") ? route.auth.slice("authorizer ".length) : undefined;
      for (const name of [target, authorizer]) {
        if (name && !functions.has(name)) throw new Error(`${route.method} ${route.path} uses function ${name}, which the app does not define`);
      }
    }
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

    const outputs = resolveOutputs(app);
    outputs["local-stack"] = { dynamodb_endpoint: dynamoDb.endpoint, region: api.region };
    writeFileSync(dirs.outputs, `${JSON.stringify(outputs, null, 2)}\n`);
    const dataOutputs = outputs["data-stack"] ?? {};

    return {
      environment,
      baseUrl: server.invokeUrl,
      dynamoDbEndpoint: dynamoDb.endpoint,
      region: api.region,
      tables: { users: String(dataOutputs.users_table_name), sessions: String(dataOutputs.sessions_table_name) },
      routes,
      corsOrigins: config.api.corsOrigins,
      outputs,
      invocations: () => Object.fromEntries([...functions].map(([name, fn]) => [name, fn.invocations])),
      metrics: () => metrics.snapshot(),
      metricLines: () => metrics.lines(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
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
