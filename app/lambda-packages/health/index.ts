/**
 * GET /health: 200 when every table of TABLES (app/lambda-packages/shared/tables.ts) answers a GetItem within the
 * timeout, 503 otherwise, with one check per table (`<table>Table`). The probe keys are the only keys the
 * function's IAM policy lets it read (dynamodb:GetItem with a dynamodb:LeadingKeys condition), so a 200 proves
 * the tables exist, are reachable and can be decrypted.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import { awsErrorCode, dynamoDb } from "../shared/dynamodb";
import { integerEnv, requireEnv } from "../shared/env";
import { json, route } from "../shared/http";
import { log } from "../shared/log";
import { router, type Routes } from "../shared/router";
import { healthCheckName, healthProbeKey, TABLE_NAMES, TABLES, tableNameVariable, type HealthCheckName } from "../shared/tables";

/** Every table: its check, its name (from `<TABLE>_TABLE_NAME`) and the key of its probe item. */
const PROBES = TABLE_NAMES.map((table) => ({
  check: healthCheckName(table),
  tableName: requireEnv(tableNameVariable(table)),
  key: healthProbeKey(TABLES[table]),
}));
const SERVICE_VERSION = requireEnv("SERVICE_VERSION");
/** Per check; keep it below the function timeout so a hung table still gets a 503, not a Lambda timeout. */
const CHECK_TIMEOUT_MS = integerEnv("HEALTH_CHECK_TIMEOUT_MS", 2000, 50, 10000);

export type CheckResult =
  { readonly status: "ok"; readonly latencyMs: number } | { readonly status: "error"; readonly latencyMs: number; readonly error: string };

export interface HealthBody {
  readonly status: "ok" | "error";
  readonly version: string;
  readonly checks: { readonly [check in HealthCheckName]: CheckResult };
}

class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function probe(check: string, tableName: string, key: Record<string, string | number>): Promise<CheckResult> {
  const started = performance.now();
  const latency = (): number => Math.round(performance.now() - started);
  try {
    const db = await dynamoDb;
    await withTimeout(db.GetItem({ TableName: tableName, Key: key, ConsistentRead: false }), CHECK_TIMEOUT_MS);
    return { status: "ok", latencyMs: latency() };
  } catch (error) {
    const code = awsErrorCode(error);
    log.warn("health check failed", { check, tableName, code, error });
    return { status: "error", latencyMs: latency(), error: code };
  }
}

async function health(): Promise<APIGatewayProxyResult> {
  const results = await Promise.all(PROBES.map(({ check, tableName, key }) => probe(check, tableName, key)));
  const ok = results.every((result) => result.status === "ok");
  const body: HealthBody = {
    status: ok ? "ok" : "error",
    version: SERVICE_VERSION,
    checks: Object.fromEntries(PROBES.map(({ check }, i) => [check, results[i]])) as HealthBody["checks"],
  };
  return json(ok ? 200 : 503, body);
}

/** What this function serves; __tests__/routes.test.ts holds it to the health route of app/stacks/routes.ts. */
export const ROUTE_HANDLERS: Routes = { "/health": { GET: health } };

export const handler = route(router(ROUTE_HANDLERS));
