/**
 * `npm run verify -- <outputs.json | --local [--env <name>]>`: the smoke check an operator runs after
 * `cdktf deploy`. The API path: health, a throwaway user signed up, logged in, read back through the API and
 * directly from DynamoDB, an unknown token refused, the user deleted and gone. Then, on AWS, the operations path
 * (tools/target/operations.ts): an alarm's SNS action, the verify requests in the access and function logs,
 * their X-Ray trace, the web ACL on the stage, Lambda's concurrency quota. One line per step; it stops at the
 * first failure (exit 1; a usage error exits 2). The throwaway user is deleted even when a later step fails.
 *
 * - `<outputs.json>`: the file of `npx cdktf output data-stack compute-stack api-stack --outputs-file outputs.json`
 *   (AWS, with the credentials of the environment), or `.local-data/<env>/outputs.json` of a running `npm start`.
 * - `--local`: starts its own local stack (fresh tables in a temporary folder, a free port), checks it and
 *   stops it, so it needs nothing running and leaves nothing behind.
 *
 * Against a local stack the operations path cannot run (no CloudWatch, X-Ray, WAF or quotas there): each of its
 * checks is printed as SKIPPED with the reason, and the summary says that only the API path was verified.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { apiClient, type ApiClient } from "./target/api-client";
import { createDynamoDbReader, type DynamoDbReader } from "./target/dynamodb-reader";
import {
  createOperationsClients,
  OperationsCheckFailed,
  operationsChecks,
  OPERATIONS_CHECKS,
  readOperationsTarget,
  type OperationsCheck,
  type RequestEvidence,
} from "./target/operations";
import { OutputsFileError, readOutputsFile, type DeploymentTarget } from "./target/outputs";
import { runCli } from "./lib/cli";

const USAGE =
  "Usage: npm run verify -- <outputs.json>   (from: npx cdktf output data-stack compute-stack api-stack --outputs-file outputs.json)\n       npm run verify -- --local [--env <name>]";

/** What verify does after the API path: the operations checks (AWS), or why they cannot run (local stack). */
export type OperationsPlan = { readonly checks: (evidence: RequestEvidence) => OperationsCheck[] } | { readonly skipBecause: string };

/** An X-Ray trace header that asks for the request to be sampled, so its trace can be looked up afterwards. */
function sampledTraceHeader(): string {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, "0");
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")};Sampled=1`;
}

/** A failed step: its message says what was expected and what came back. */
class CheckFailed extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new CheckFailed(message);
}

const describe = (response: { status: number; text: string }) => `${response.status} ${response.text.slice(0, 300)}`;

/** An error in words, with the cause fetch hides behind "fetch failed" (e.g. connect ECONNREFUSED 127.0.0.1:9). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  const reason = cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  return error.name === "TypeError" && error.message === "fetch failed" ? `cannot reach the API (${reason})` : `${error.name}: ${reason}`;
}

/** Runs the smoke check against a target; true when every step passed. */
export async function verify(target: DeploymentTarget, print: (line: string) => void, operations: OperationsPlan): Promise<boolean> {
  const api: ApiClient = apiClient(target.apiUrl);
  const startedAt = new Date();
  let healthRequestId = "";
  let refusedRequestId = "";
  const email = `verify+${randomUUID()}@example.com`;
  const password = randomBytes(18).toString("base64url");
  let db: DynamoDbReader | undefined;
  let userId: string | undefined;
  let token: string | undefined;
  let deleted = false;

  const step = async (name: string, run: () => Promise<string>): Promise<void> => {
    const started = performance.now();
    let detail: string;
    try {
      detail = await run();
    } catch (error) {
      throw new CheckFailed(
        `${name}: ${error instanceof CheckFailed || error instanceof OperationsCheckFailed ? error.message : describeError(error)}`,
      );
    }
    print(`ok    ${name} (${Math.round(performance.now() - started)} ms)${detail ? `: ${detail}` : ""}`);
  };

  print(
    `Verifying ${target.apiUrl} (tables ${Object.values(target.tables).join(", ")}${target.dynamoDbEndpoint ? ` at ${target.dynamoDbEndpoint}` : ""})`,
  );
  try {
    await step("GET /health answers 200 with status ok", async () => {
      const response = await api("GET", "/health", { headers: { "X-Amzn-Trace-Id": sampledTraceHeader() } });
      check(response.status === 200 && response.body?.status === "ok", `expected 200 {"status":"ok"}, got ${describe(response)}`);
      healthRequestId = response.headers.get("x-amzn-requestid") ?? "";
      return `version ${response.body.version}`;
    });
    await step("POST /users signs up a throwaway user", async () => {
      const response = await api("POST", "/users", { json: { email, password, name: "Verify Smoke Check" } });
      check(response.status === 201 && typeof response.body?.id === "string", `expected 201 with an id, got ${describe(response)}`);
      userId = response.body.id as string;
      return `${email} (${userId})`;
    });
    await step("POST /sessions logs in", async () => {
      const response = await api("POST", "/sessions", { json: { email, password } });
      check(response.status === 201 && typeof response.body?.token === "string", `expected 201 with a token, got ${describe(response)}`);
      token = response.body.token as string;
      return `session expires ${response.body.expiresAt}`;
    });
    await step("GET /users/me and GET /users/{id} return the user", async () => {
      const me = await api("GET", "/users/me", { token });
      check(me.status === 200 && me.body?.id === userId && me.body?.email === email, `expected 200 with the user, got ${describe(me)}`);
      const byId = await api("GET", `/users/${userId}`, { token });
      check(byId.status === 200 && byId.body?.id === userId, `expected 200 with the user, got ${describe(byId)}`);
      return "";
    });
    await step("DynamoDB holds the user and a hashed session", async () => {
      db = await createDynamoDbReader(target);
      const user = await db.getItem(target.tables.users, { pk: `user#${userId}` });
      check(
        user?.email === email,
        `expected the item user#${userId} in ${target.tables.users}, found ${user ? "an item with another email" : "none"}`,
      );
      check(
        typeof user.passwordHash === "string" && user.passwordHash.startsWith("scrypt$") && !user.passwordHash.includes(password),
        "expected an scrypt password hash",
      );
      const tokenHash = createHash("sha256").update(token!).digest("base64url");
      const session = await db.getItem(target.tables.sessions, { tokenHash });
      check(session?.userId === userId, `expected the session item of the token's hash in ${target.tables.sessions}`);
      return "";
    });
    await step("GET /users/me with an unknown token is refused", async () => {
      const response = await api("GET", "/users/me", { token: randomBytes(32).toString("base64url") });
      check(response.status === 401, `expected 401, got ${describe(response)}`);
      refusedRequestId = response.headers.get("x-amzn-requestid") ?? "";
      return "";
    });
    await step("DELETE /users/me deletes the user (confirmed with its password)", async () => {
      const response = await api("DELETE", "/users/me", { token, json: { currentPassword: password } });
      check(response.status === 204, `expected 204, got ${describe(response)}`);
      deleted = true;
      return "";
    });
    await step("the user is gone from DynamoDB and its token is refused", async () => {
      const user = await db!.getItem(target.tables.users, { pk: `user#${userId}` });
      check(user === undefined, `expected no item user#${userId} in ${target.tables.users}, found one`);
      const me = await api("GET", "/users/me", { token });
      check(me.status === 401, `expected 401 for the deleted user's token, got ${describe(me)}`);
      return "";
    });

    if ("skipBecause" in operations) {
      for (const name of Object.values(OPERATIONS_CHECKS)) print(`SKIPPED ${name}: ${operations.skipBecause}`);
      print("Verification passed for the API path only; the operations path was SKIPPED (not verified).");
      return true;
    }
    check(healthRequestId && refusedRequestId, "the API answered without an x-amzn-RequestId header, so its log lines cannot be looked up");
    const evidence: RequestEvidence = { startedAt, userId: userId!, healthRequestId, refusedRequestId };
    for (const { name, run } of operations.checks(evidence)) await step(name, run);
    print("Verification passed.");
    return true;
  } catch (error) {
    print(`FAIL  ${error instanceof CheckFailed || error instanceof OperationsCheckFailed ? error.message : describeError(error)}`);
    if (token && !deleted) {
      const cleanup = await api("DELETE", "/users/me", { token, json: { currentPassword: password } }).catch((e: unknown) => ({
        status: 0,
        text: describeError(e),
      }));
      print(cleanup.status === 204 ? `Deleted the throwaway user ${email}.` : `Could not delete the throwaway user ${email}: ${describe(cleanup)}`);
    } else if (userId && !deleted) {
      print(`The throwaway user ${email} (${userId}) was left behind: delete it by hand.`);
    }
    print("Verification FAILED.");
    return false;
  }
}

async function main(): Promise<number> {
  let args: { values: { local?: boolean; env?: string }; positionals: string[] };
  try {
    args = parseArgs({ options: { local: { type: "boolean", default: false }, env: { type: "string" } }, allowPositionals: true, strict: true });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = args;
  if (Boolean(values.local) === (positionals.length === 1) || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  if (!values.local) {
    let target: DeploymentTarget;
    let operations: OperationsPlan;
    try {
      target = readOutputsFile(positionals[0]);
      if (target.dynamoDbEndpoint) {
        operations = { skipBecause: "a local stack (npm start) has no CloudWatch, X-Ray, WAF or Lambda quotas" };
      } else {
        const opsTarget = readOperationsTarget(positionals[0], target.region);
        const clients = createOperationsClients(target.region);
        operations = { checks: (evidence) => operationsChecks(opsTarget, evidence, clients) };
      }
    } catch (error) {
      if (!(error instanceof OutputsFileError)) throw error;
      console.error(error.message);
      return 2;
    }
    return (await verify(target, (line) => console.log(line), operations)) ? 0 : 1;
  }

  // Imported here: the local stack loads the cdktf app, which a check against AWS does not need.
  const { startLocalStack } = await import("./local/stack");
  const dataDir = mkdtempSync(join(tmpdir(), "verify-local-"));
  const environment = values.env ?? process.env.APP_ENV ?? "dev";
  console.log(`Starting a local stack (${environment}) in ${dataDir}...`);
  const stack = await startLocalStack({ environment, dataDir, fresh: true });
  try {
    const target: DeploymentTarget = {
      source: "local stack",
      apiUrl: stack.baseUrl,
      tables: stack.tables,
      region: stack.region,
      dynamoDbEndpoint: stack.dynamoDbEndpoint,
    };
    const operations = { skipBecause: "--local runs no AWS: the local stack has no CloudWatch, X-Ray, WAF or Lambda quotas" };
    return (await verify(target, (line) => console.log(line), operations)) ? 0 : 1;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) runCli(main);
