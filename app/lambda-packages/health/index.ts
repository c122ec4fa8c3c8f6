/**
 * GET /health: 200 when both tables answer a GetItem within the timeout, 503 otherwise, with one entry per
 * check. The probe keys are the only keys the function's IAM policy lets it read (dynamodb:GetItem with a
 * dynamodb:LeadingKeys condition), so a 200 proves the tables exist, are reachable and can be decrypted.
 */
import type { APIGatewayProxyResult } from "aws-lambda";
import { awsErrorCode, dynamoDb } from "../shared/dynamodb";
import { integerEnv, requireEnv } from "../shared/env";
import { json, route } from "../shared/http";
import { log } from "../shared/log";
import { router, type Routes } from "../shared/router";
import { HEALTH_PROBE_KEYS, SESSIONS_TABLE, USERS_TABLE } from "../shared/table-keys";

const USERS_TABLE_NAME = requireEnv("USERS_TABLE_NAME");
const SESSIONS_TABLE_NAME = requireEnv("SESSIONS_TABLE_NAME");
const SERVICE_VERSION = requireEnv("SERVICE_VERSION");
/** Per check; keep it below the function timeout so a hung table still gets a 503, not a Lambda timeout. */
const CHECK_TIMEOUT_MS = integerEnv("HEALTH_CHECK_TIMEOUT_MS", 2000, 50, 10000);

export type CheckResult =
  { readonly status: "ok"; readonly latencyMs: number } | { readonly status: "error"; readonly latencyMs: number; readonly error: string };

export interface HealthBody {
  readonly status: "ok" | "error";
  readonly version: string;
  readonly checks: { readonly usersTable: CheckResult; readonly sessionsTable: CheckResult };
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

async function probe(check: string, tableName: string, keyName: string, keyValue: string): Promise<CheckResult> {
  const started = performance.now();
  const latency = (): number => Math.round(performance.now() - started);
  try {
    const db = await dynamoDb;
    await withTimeout(db.GetItem({ TableName: tableName, Key: { [keyName]: keyValue }, ConsistentRead: false }), CHECK_TIMEOUT_MS);
    return { status: "ok", latencyMs: latency() };
  } catch (error) {
    const code = awsErrorCode(error);
    log.warn("health check failed", { check, tableName, code, error });
    return { status: "error", latencyMs: latency(), error: code };
  }
}

async function health(): Promise<APIGatewayProxyResult> {
  const [usersTable, sessionsTable] = await Promise.all([
    probe("usersTable", USERS_TABLE_NAME, USERS_TABLE.partitionKey, HEALTH_PROBE_KEYS.users),
    probe("sessionsTable", SESSIONS_TABLE_NAME, SESSIONS_TABLE.partitionKey, HEALTH_PROBE_KEYS.sessions),
  ]);
  const ok = usersTable.status === "ok" && sessionsTable.status === "ok";
  const body: HealthBody = {
    status: ok ? "ok" : "error",
    version: SERVICE_VERSION,
    checks: { usersTable, sessionsTable },
  };
  return json(ok ? 200 : 503, body);
}

/** What this function serves; __tests__/routes.test.ts holds it to the health route of app/stacks/routes.ts. */
export const ROUTE_HANDLERS: Routes = { "/health": { GET: health } };

export const handler = route(router(ROUTE_HANDLERS));
