/**
 * What the end-to-end suite runs against, picked by E2E_TARGET:
 * - "local" (the default, and what `npm test` runs): a local stack started here on free ports with fresh
 *   tables in a temporary folder, with GET /health throttled to a small limit for the throttling test;
 * - "deployed" (`npm run test:deployed -- <outputs.json>`): the deployment in E2E_OUTPUTS, its throttling
 *   read from the config it was deployed with (E2E_ENVIRONMENT).
 * Either way the suite speaks HTTP to the API and reads the tables; only the local target can also count
 * function invocations. Either way every response is checked against docs/openapi.json (the contract test): an
 * undocumented status or field fails the request that received it, naming the route.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../app/config/load";
import type { AppConfig, ThrottleConfig } from "../../app/config/schema";
import type { Denial, Grant } from "../../tools/local/iam/local-iam";
import { LOCAL_METRICS_PATH, startLocalStack } from "../../tools/local/stack";
import { apiClient, type ApiClient } from "../../tools/target/api-client";
import { createDynamoDbReader, type DynamoDbReader } from "../../tools/target/dynamodb-reader";
import { readOutputsFile } from "../../tools/target/outputs";
import { ContractChecker } from "../support/contract";
import { cheapScryptEnvironment } from "../support/test-scrypt";

export interface E2eTarget {
  readonly name: "local" | "deployed";
  /** The API, every response checked against docs/openapi.json. */
  readonly api: ApiClient;
  /** What the contract check saw: responses checked, and the problems found (each also failed its request). */
  readonly contract: { readonly checked: number; readonly problems: readonly string[] };
  readonly db: DynamoDbReader;
  readonly tables: { readonly users: string; readonly sessions: string };
  /** The limits of GET /health, the route the throttling test bursts. */
  readonly healthThrottle: ThrottleConfig;
  /** Local only: how often the function behind a route (or its authorizer) has been invoked so far. */
  readonly invocations?: (method: string, path: string) => { readonly function: number; readonly authorizer: number };
  /** Local only: what the local run's IAM refused, what the role policies grant and which grants were used. */
  readonly iam?: { denials(): readonly Denial[]; grants(): Grant[]; exercised(): ReadonlySet<string> };
  /** Local only: the business metrics the functions wrote so far (metric -> sum), read from GET /_local/metrics. */
  readonly metrics?: () => Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** The throttle the local target gives GET /health: small, so a burst of a dozen requests goes over it. */
export const LOCAL_HEALTH_THROTTLE: ThrottleConfig = { rateLimit: 2, burstLimit: 4 };

/** `api` whose every response must be one docs/openapi.json allows; otherwise the call throws, naming the route. */
function contractChecked(api: ApiClient): { api: ApiClient; contract: { checked: number; problems: string[] } } {
  const checker = new ContractChecker();
  const contract = { checked: 0, problems: [] as string[] };
  const checked: ApiClient = async (method, path, options) => {
    const response = await api(method, path, options);
    const problems = checker.problems({
      method,
      path,
      status: response.status,
      contentType: response.headers.get("content-type"),
      text: response.text,
    });
    contract.checked++;
    if (problems.length > 0) {
      contract.problems.push(...problems);
      throw new Error(`contract: ${problems.join("\n")}`);
    }
    return response;
  };
  return { api: checked, contract };
}

function healthThrottleOf(config: AppConfig): ThrottleConfig {
  return config.api.routeThrottling["GET /health"] ?? config.api.throttling;
}

async function localTarget(): Promise<E2eTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), "e2e-local-"));
  const stack = await startLocalStack({
    environment: "dev",
    dataDir,
    fresh: true,
    functionEnvironment: cheapScryptEnvironment(),
    configOverride: (config) => ({
      ...config,
      api: { ...config.api, routeThrottling: { ...config.api.routeThrottling, "GET /health": LOCAL_HEALTH_THROTTLE } },
    }),
  });
  const routeOf = (method: string, path: string) => {
    const route = stack.routes.find((r) => r.method === method && r.path === path);
    if (!route) throw new Error(`The local stack has no route ${method} ${path}`);
    return route;
  };
  return {
    name: "local",
    ...contractChecked(apiClient(stack.baseUrl)),
    db: await createDynamoDbReader({ region: stack.region, dynamoDbEndpoint: stack.dynamoDbEndpoint }),
    tables: stack.tables,
    healthThrottle: LOCAL_HEALTH_THROTTLE,
    invocations: (method, path) => {
      const route = routeOf(method, path);
      const counts = stack.invocations();
      const authorizer = route.auth.startsWith("authorizer ") ? route.auth.slice("authorizer ".length) : undefined;
      return { function: counts[route.target] ?? 0, authorizer: authorizer ? (counts[authorizer] ?? 0) : 0 };
    },
    iam: stack.iam,
    metrics: async () => {
      const response = await fetch(new URL(LOCAL_METRICS_PATH, stack.baseUrl));
      if (response.status !== 200) throw new Error(`GET ${LOCAL_METRICS_PATH} answered ${response.status}`);
      const byNamespace = (await response.json()) as Record<string, Record<string, number>>;
      return Object.assign({}, ...Object.values(byNamespace)) as Record<string, number>;
    },
    close: async () => {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function deployedTarget(): Promise<E2eTarget> {
  const outputsFile = process.env.E2E_OUTPUTS;
  if (!outputsFile) {
    throw new Error("E2E_TARGET=deployed needs E2E_OUTPUTS=<outputs.json>; run it as: npm run test:deployed -- <outputs.json>");
  }
  const deployment = readOutputsFile(outputsFile);
  return {
    name: "deployed",
    ...contractChecked(apiClient(deployment.apiUrl)),
    db: await createDynamoDbReader(deployment),
    tables: deployment.tables,
    healthThrottle: healthThrottleOf(loadConfig({ environment: process.env.E2E_ENVIRONMENT ?? "prod" })),
    close: async () => undefined,
  };
}

/** The target named by E2E_TARGET ("local" when unset); throws for any other value. */
export function startTarget(): Promise<E2eTarget> {
  const name = process.env.E2E_TARGET ?? "local";
  if (name === "local") return localTarget();
  if (name === "deployed") return deployedTarget();
  throw new Error(`E2E_TARGET must be "local" or "deployed", received "${name}"`);
}
