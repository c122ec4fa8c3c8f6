/**
 * Section 4, the request path against the local stack (local/stack.ts, started in this process from the
 * synthesized prod stacks): p50/p99 of sequential requests and requests/second of a short concurrent run for
 * GET /health, GET /users/me, POST /sessions and POST /users, each against its floor: the DynamoDB calls that
 * route made, recorded at the functions' DynamoDB endpoint (the IAM proxy in front of dynalite) and replayed
 * straight to it (same bodies, parallel where the route's calls overlapped, fresh keys for writes so every
 * conditional write still succeeds).
 *
 * Calls are counted, not estimated: a subscriber to Node's `http.server.request.start` diagnostics channel
 * sees every request that reaches that endpoint's HTTP server (it runs in this process; the functions call it
 * from their worker threads through their own HTTP clients), with its operation, table and body. Whether the
 * authorizer ran (or API Gateway's result cache answered) comes from the local stack's invocation counters.
 *
 * Run twice: with prod's authorizer result cache (60 s: after the first request, bearer routes are cache hits)
 * and with the cache off (TTL 0, dev's setting: every bearer request invokes the authorizer). Throttling is
 * lifted (rate 10000/s, burst 5000, no route limits) so the concurrent runs measure the path, not the limiter;
 * everything else is prod's config. Loopback only; no request leaves the machine.
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { Agent, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { LOCAL_AWS_CREDENTIALS } from "../local/dynamodb";
import type { LocalStack } from "../local/stack";
import type { SectionResult, TargetResult } from "./lib/report";
import { fmt, fmtRatio, ratio, summarize, type Summary } from "./lib/stats";

export interface RequestPathOptions {
  readonly tmp: string;
  readonly quick: boolean;
}

// ---- Recording DynamoDB calls at the engine ---------------------------------------------------------------

interface DynamoCall {
  readonly operation: string;
  readonly start: number;
  end: number;
  body: string;
  table: string;
  status: number;
}

class CallRecorder {
  calls: DynamoCall[] = [];
  private port = -1;
  private readonly onRequest = (message: unknown) => {
    const { request, response, server } = message as { request: IncomingMessage; response: ServerResponse; server: Server };
    const address = server.address();
    if (typeof address !== "object" || address === null || address.port !== this.port) return;
    const call: DynamoCall = {
      operation: String(request.headers["x-amz-target"] ?? "").replace(/^DynamoDB_\d+\./, ""),
      start: performance.now(),
      end: Number.NaN,
      body: "",
      table: "",
      status: 0,
    };
    const chunks: Buffer[] = [];
    // dynalite reads the body with 'data' listeners too; both see every chunk.
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      call.body = Buffer.concat(chunks).toString("utf8");
      try {
        const parsed = JSON.parse(call.body) as { TableName?: string; RequestItems?: Record<string, unknown> };
        call.table = parsed.TableName ?? Object.keys(parsed.RequestItems ?? {}).join(",");
      } catch {
        call.table = "?";
      }
    });
    response.on("finish", () => {
      call.end = performance.now();
      call.status = response.statusCode;
    });
    this.calls.push(call);
  };

  start(endpoint: string): void {
    this.port = Number(new URL(endpoint).port);
    subscribe("http.server.request.start", this.onRequest);
  }

  stop(): void {
    unsubscribe("http.server.request.start", this.onRequest);
  }

  /** Calls recorded since the last take(), then forgets them. */
  take(): DynamoCall[] {
    const calls = this.calls;
    this.calls = [];
    return calls;
  }
}

// ---- HTTP clients: the API, and the floor straight to DynamoDB --------------------------------------------

interface HttpResult {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

function send(agent: Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      url,
      { method, agent, headers: { ...headers, ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * One replayed DynamoDB call, as a client of the engine would send it (dynalite checks that a signature is there),
 * signed with the local admin key id so the IAM proxy in front of dynalite passes it unevaluated: any other key id
 * is refused there as an unknown client.
 */
function dynamoHeaders(operation: string): Record<string, string> {
  return {
    "content-type": "application/x-amz-json-1.0",
    "x-amz-target": `DynamoDB_20120810.${operation}`,
    "x-amz-date": "20240101T000000Z",
    authorization: `AWS4-HMAC-SHA256 Credential=${LOCAL_AWS_CREDENTIALS.AWS_ACCESS_KEY_ID}/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
  };
}

// ---- Routes -------------------------------------------------------------------------------------------------

interface Fixture {
  readonly email: string;
  readonly password: string;
  readonly token: string;
}

interface RouteRun {
  /** Sends one request; returns the HTTP result and the strings of this request to vary in a replay. */
  once(i: number): Promise<{ result: HttpResult; variables: string[] }>;
  readonly expect: number;
  /** A fresh value for each variable of a recorded request (same kind, unused before). */
  fresh(variable: string, index: number, replay: number): string;
}

/** Recorded calls of one request, grouped into waves: calls that overlapped in time were issued together. */
function waves(calls: readonly DynamoCall[]): DynamoCall[][] {
  const grouped: DynamoCall[][] = [];
  let waveEnd = Number.NEGATIVE_INFINITY;
  for (const call of [...calls].sort((a, b) => a.start - b.start)) {
    if (grouped.length > 0 && call.start < waveEnd) {
      grouped[grouped.length - 1].push(call);
      waveEnd = Math.max(waveEnd, call.end);
    } else {
      grouped.push([call]);
      waveEnd = call.end;
    }
  }
  return grouped;
}

interface CountFigures {
  /** Calls per request, over every request of the sequential run. */
  readonly perRequest: { min: number; max: number; median: number };
  readonly authorizerInvoked: number;
  readonly authorizerCached: number;
  /** Calls made by the authorizer (on requests that invoked it) and by the function, with operations. */
  readonly authorizerCalls: number[];
  readonly functionCalls: number[];
  /** The calls of one successful request, in order: the authorizer's (from a request that invoked it) and the function's. */
  readonly authorizerSequence: string[];
  readonly functionSequence: string[];
  readonly requests: number;
}

interface LatencyFigures {
  readonly sequential: Summary;
  readonly rps: number;
  readonly concurrentRequests: number;
  readonly unexpected: Record<string, number>;
}

interface RouteFigures {
  readonly route: string;
  readonly stack: string;
  readonly counts: CountFigures;
  readonly api: LatencyFigures;
  readonly floor: LatencyFigures & { readonly waves: string[][]; readonly callsPerReplay: number; readonly failedCalls: number };
}

export async function benchRequestPath(options: RequestPathOptions): Promise<SectionResult> {
  const { startLocalStack } = await import("../local/stack");
  const sequential = { cheap: options.quick ? 30 : 200, scrypt: options.quick ? 6 : 30 };
  const warmup = { cheap: options.quick ? 5 : 20, scrypt: 3 };
  const concurrency = 8;
  const concurrentMs = options.quick ? 700 : 2000;

  const recorder = new CallRecorder();
  const results: RouteFigures[] = [];
  const tag = randomBytes(3).toString("hex");
  const stacks: Array<{ label: string; ttl: number | undefined; routes: string[] }> = [
    { label: "prod, authorizer cache 60 s", ttl: undefined, routes: ["GET /health", "GET /users/me", "POST /sessions", "POST /users"] },
    { label: "authorizer cache off", ttl: 0, routes: ["GET /users/me"] },
  ];
  // Authenticated reads counted too (a few requests each, no latency runs), for the DynamoDB-calls target.
  const countOnly = ["GET /sessions/current", "GET /users/{id}"];
  const countedOnly: Array<{ route: string; stack: string; counts: CountFigures }> = [];

  for (const [stackIndex, spec] of stacks.entries()) {
    const stack: LocalStack = await startLocalStack({
      environment: "prod",
      port: 0,
      dataDir: mkdtempSync(join(options.tmp, "local-")),
      fresh: true,
      configOverride: (config) => ({
        ...config,
        api: {
          ...config.api,
          throttling: { rateLimit: 10000, burstLimit: 5000 },
          routeThrottling: {},
          ...(spec.ttl !== undefined ? { authorizerCacheTtlSeconds: spec.ttl } : {}),
        },
      }),
    });
    recorder.start(stack.dynamoDbEndpoint);
    const apiAgent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const dbAgent = new Agent({ keepAlive: true, maxSockets: concurrency * 2 });
    try {
      const base = stack.baseUrl.replace(/\/$/, "");
      const api = (method: string, path: string, body?: unknown, token?: string) =>
        send(
          apiAgent,
          new URL(`${base}${path}`),
          method,
          {
            ...(body !== undefined ? { "content-type": "application/json" } : {}),
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
          body === undefined ? undefined : JSON.stringify(body),
        );
      const dynamo = new URL(stack.dynamoDbEndpoint);
      const functionOf = (method: string, path: string) => stack.routes.find((r) => r.method === method && r.path === path);
      const authorizerName = stack.routes.find((r) => r.auth.startsWith("authorizer "))?.auth.slice("authorizer ".length);

      // The fixture user and its session.
      const password = "bench-password-of-some-length";
      const email = `fixture-${tag}-${stackIndex}@example.com`;
      const signedUp = await api("POST", "/users", { email, password, name: "Bench Fixture" });
      if (signedUp.status !== 201) throw new Error(`Sign-up of the fixture user answered ${signedUp.status}: ${signedUp.body}`);
      const userId = (JSON.parse(signedUp.body) as { id: string }).id;
      const loggedIn = await api("POST", "/sessions", { email, password });
      if (loggedIn.status !== 201) throw new Error(`Log-in of the fixture user answered ${loggedIn.status}: ${loggedIn.body}`);
      const fixture: Fixture = { email, password, token: (JSON.parse(loggedIn.body) as { token: string }).token };
      let signUps = 0;

      const routes: Record<string, RouteRun> = {
        "GET /health": { expect: 200, once: async () => ({ result: await api("GET", "/health"), variables: [] }), fresh: (v) => v },
        "GET /users/me": { expect: 200, once: async () => ({ result: await api("GET", "/users/me", undefined, fixture.token), variables: [] }), fresh: (v) => v },
        "GET /sessions/current": {
          expect: 200,
          once: async () => ({ result: await api("GET", "/sessions/current", undefined, fixture.token), variables: [] }),
          fresh: (v) => v,
        },
        "GET /users/{id}": {
          expect: 200,
          once: async () => ({ result: await api("GET", `/users/${userId}`, undefined, fixture.token), variables: [] }),
          fresh: (v) => v,
        },
        "POST /sessions": {
          expect: 201,
          once: async () => {
            const result = await api("POST", "/sessions", { email: fixture.email, password: fixture.password });
            const token = result.status === 201 ? (JSON.parse(result.body) as { token: string }).token : "";
            // The session key the function wrote: a replay writes a fresh one, so its conditional put succeeds.
            return { result, variables: token ? [createHash("sha256").update(token).digest("base64url")] : [] };
          },
          fresh: () => randomBytes(32).toString("base64url").slice(0, 43),
        },
        "POST /users": {
          expect: 201,
          once: async () => {
            const local = `u${tag}${stackIndex}x${String(signUps++).padStart(6, "0")}`;
            const result = await api("POST", "/users", { email: `${local}@example.com`, password, name: "Bench User" });
            const id = result.status === 201 ? (JSON.parse(result.body) as { id: string }).id : "";
            return { result, variables: id ? [local, id] : [local] };
          },
          // Same length and shape: the local part of the address (lower case, so claim key = address) and a UUID.
          fresh: (variable, index, replay) =>
            index === 0 ? `f${variable.slice(1, -6)}${String(replay).padStart(6, "0")}` : randomUUID(),
        },
      };

      /** Sends `warm + requests` requests one after the other; counts the calls of all, times the last `requests`. */
      const countCalls = async (route: string, requests: number, warm = 0) => {
        const run = routes[route];
        const perRequest: number[] = [];
        const authorizerCalls: number[] = [];
        const functionCalls: number[] = [];
        let authorizerSequence: string[] = [];
        let functionSequence: string[] = [];
        const tableLabel = (name: string) => (name === stack.tables.users ? "users" : name === stack.tables.sessions ? "sessions" : name);
        const describe = (c: DynamoCall) => `${c.operation} ${c.table.split(",").map(tableLabel).join("+")}`;
        let invoked = 0;
        let cached = 0;
        // The successful request whose calls overlapped most (fewest waves): the floor replays it.
        let best: { calls: DynamoCall[]; variables: string[]; waves: number } | undefined;
        const latencies: number[] = [];
        const unexpected: Record<string, number> = {};
        const [method, path] = route.split(" ");
        const target = functionOf(method, path);
        const bearer = target?.auth.startsWith("authorizer ") ?? false;
        for (let i = 0; i < warm + requests; i++) {
          recorder.take();
          const before = stack.invocations();
          const { result, variables } = await run.once(i);
          // The engine's response is written before the function can answer, but give 'finish' a tick.
          await new Promise((resolve) => setImmediate(resolve));
          const after = stack.invocations();
          const calls = recorder.take();
          if (i >= warm) latencies.push(result.ms);
          if (result.status !== run.expect) unexpected[String(result.status)] = (unexpected[String(result.status)] ?? 0) + 1;
          perRequest.push(calls.length);
          const authorizerRan = authorizerName !== undefined && (after[authorizerName] ?? 0) > (before[authorizerName] ?? 0);
          if (bearer) {
            if (authorizerRan) invoked++;
            else cached++;
          }
          // The authorizer runs before the function: its calls are the first ones, on the sessions table.
          const authorizerShare = authorizerRan ? calls.filter((c, index) => index === 0 && c.table === stack.tables.sessions).length : 0;
          if (authorizerRan) authorizerCalls.push(authorizerShare);
          functionCalls.push(calls.length - authorizerShare);
          if (result.status === run.expect) {
            if (authorizerShare > 0) authorizerSequence = calls.slice(0, authorizerShare).map(describe);
            functionSequence = calls.slice(authorizerShare).map(describe);
          }
          const waveCount = waves(calls).length;
          if (result.status === run.expect && i >= warm && (!best || waveCount < best.waves)) best = { calls, variables, waves: waveCount };
        }
        const s = summarize(perRequest);
        const counts: CountFigures = {
          perRequest: { min: s.min, max: s.max, median: s.median },
          authorizerInvoked: invoked,
          authorizerCached: cached,
          authorizerCalls: [...new Set(authorizerCalls)].sort(),
          functionCalls: [...new Set(functionCalls)].sort(),
          authorizerSequence,
          functionSequence,
          requests: warm + requests,
        };
        return { counts, best, latencies, unexpected };
      };

      for (const route of spec.routes) {
        const run = routes[route];
        const scrypt = route.startsWith("POST");
        // Warm-up (first calls of each sandbox, JIT; the first bearer request misses the authorizer cache), then
        // the sequential run; the calls of every request are counted, the latency of the measured ones only.
        const measured = await countCalls(route, scrypt ? sequential.scrypt : sequential.cheap, scrypt ? warmup.scrypt : warmup.cheap);
        if (!measured.best) throw new Error(`${route} never answered ${run.expect}: ${JSON.stringify(measured.unexpected)}`);
        const recorded = measured.best;

        // The floor: the recorded request's calls, wave by wave, with fresh values for its variables.
        const plan = waves(recorded.calls);
        let replays = 0;
        let failedCalls = 0;
        const replayOnce = async (): Promise<number> => {
          const replay = replays++;
          const started = performance.now();
          for (const wave of plan) {
            const answers = await Promise.all(
              wave.map((call) => {
                let body = call.body;
                recorded.variables.forEach((variable, index) => {
                  body = body.split(variable).join(run.fresh(variable, index, replay));
                });
                return send(dbAgent, dynamo, "POST", dynamoHeaders(call.operation), body);
              }),
            );
            failedCalls += answers.filter((a) => a.status !== 200).length;
          }
          return performance.now() - started;
        };
        const floorLatencies: number[] = [];
        for (let i = 0; i < (scrypt ? warmup.scrypt : warmup.cheap); i++) await replayOnce();
        recorder.take();
        const floorRequests = scrypt ? sequential.scrypt : sequential.cheap;
        for (let i = 0; i < floorRequests; i++) floorLatencies.push(await replayOnce());
        const floorCalls = recorder.take().length;

        // Concurrent runs: `concurrency` closed loops for a fixed time, the route then its floor.
        const closedLoop = async (once: () => Promise<boolean>) => {
          let completed = 0;
          let failed = 0;
          const started = performance.now();
          const deadline = started + concurrentMs;
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (performance.now() < deadline) {
                if (await once()) completed++;
                else failed++;
              }
            }),
          );
          recorder.take();
          return { rps: (completed / (performance.now() - started)) * 1000, completed, failed };
        };
        let concurrentIndex = 1_000_000;
        const apiLoop = await closedLoop(async () => (await run.once(concurrentIndex++)).result.status === run.expect);
        const failedBefore = failedCalls;
        const floorLoop = await closedLoop(async () => {
          const before = failedCalls;
          await replayOnce();
          return failedCalls === before;
        });

        results.push({
          route,
          stack: spec.label,
          counts: measured.counts,
          api: {
            sequential: summarize(measured.latencies),
            rps: apiLoop.rps,
            concurrentRequests: apiLoop.completed + apiLoop.failed,
            unexpected: { ...measured.unexpected, ...(apiLoop.failed > 0 ? { "concurrent, not expected status": apiLoop.failed } : {}) },
          },
          floor: {
            sequential: summarize(floorLatencies),
            rps: floorLoop.rps,
            concurrentRequests: floorLoop.completed + floorLoop.failed,
            unexpected: failedCalls > 0 ? { "failed DynamoDB calls": failedCalls, "of them in the concurrent run": failedCalls - failedBefore } : {},
            waves: plan.map((wave) => wave.map((c) => `${c.operation} ${c.table}`)),
            callsPerReplay: floorRequests > 0 ? floorCalls / floorRequests : 0,
            failedCalls,
          },
        });
      }

      if (stackIndex === 0) {
        for (const route of countOnly) {
          const { counts } = await countCalls(route, 5);
          countedOnly.push({ route, stack: spec.label, counts });
        }
      }
    } finally {
      recorder.stop();
      apiAgent.destroy();
      dbAgent.destroy();
      await stack.stop();
    }
  }

  return report(results, countedOnly, { concurrency, concurrentMs, sequential });
}

// ---- Report -------------------------------------------------------------------------------------------------

const FLOOR_MARGIN_MS = 3;

/** "authorizer GetItem sessions (1 per miss: 1 miss, 0 per hit: 219 hits); function GetItem users" */
function callsText(c: CountFigures): string {
  const fn = `function ${c.functionCalls.join(" or ")}: ${c.functionSequence.join(", ") || "none"}`;
  if (c.authorizerInvoked + c.authorizerCached === 0) return fn;
  const miss = c.authorizerInvoked > 0 ? `${c.authorizerCalls.join(" or ")} (${c.authorizerSequence.join(", ")}) on each of ${c.authorizerInvoked} cache misses` : "no cache miss";
  return `authorizer ${miss}, 0 on ${c.authorizerCached} cache hits; ${fn}`;
}

function report(
  results: readonly RouteFigures[],
  countedOnly: ReadonlyArray<{ route: string; stack: string; counts: CountFigures }>,
  settings: { concurrency: number; concurrentMs: number; sequential: { cheap: number; scrypt: number } },
): SectionResult {
  const label = (r: { route: string; stack: string }) => (r.stack.startsWith("prod") ? r.route : `${r.route}, ${r.stack}`);
  const targets: TargetResult[] = [];

  // Authenticated reads: one call in the function; the authorizer's one GetItem on a miss, none on a hit.
  const reads = [...results.filter((r) => r.route.startsWith("GET") && r.route !== "GET /health"), ...countedOnly];
  const readProblems = reads.flatMap((r) => {
    const problems: string[] = [];
    if (r.counts.functionCalls.some((n) => n !== 1)) problems.push(`${label(r)}: ${r.counts.functionCalls.join("/")} calls in the function`);
    if (r.counts.authorizerCalls.some((n) => n !== 1)) problems.push(`${label(r)}: ${r.counts.authorizerCalls.join("/")} authorizer calls`);
    return problems;
  });
  targets.push({
    target: "authenticated reads: 1 DynamoDB call in the function + the authorizer's 1 GetItem (0 on a cache hit)",
    figure: [
      `in the function: ${reads.map((r) => `${label(r)} ${r.counts.functionCalls.join(" or ")}`).join(", ")}`,
      `authorizer: ${[...new Set(reads.flatMap((r) => r.counts.authorizerCalls))].join(" or ")} GetItem on each of ${reads.reduce((n, r) => n + r.counts.authorizerInvoked, 0)} misses, 0 on ${reads.reduce((n, r) => n + r.counts.authorizerCached, 0)} hits`,
    ].join("; "),
    met: reads.length > 0 ? readProblems.length === 0 : undefined,
    ...(readProblems.length > 0
      ? {
          why: `${readProblems.join("; ")}${readProblems.some((p) => p.startsWith("GET /sessions/current")) ? ": it re-reads the session, so a log-out answers 401 at once despite the authorizer cache, and checks that the user still exists" : ""}`,
        }
      : {}),
  });
  const login = results.find((r) => r.route === "POST /sessions");
  if (login) {
    const calls = login.counts.perRequest.max;
    targets.push({
      target: "log-in (POST /sessions): at most 2 DynamoDB calls",
      figure: `${calls}: ${login.counts.functionSequence.join(", ")}`,
      met: calls <= 2,
      ...(calls > 2
        ? { why: "by design: GetItem of the e-mail claim, GetItem of the user it points to, PutItem of the session" }
        : {}),
    });
  }
  for (const r of results.filter((x) => x.route === "GET /health" || x.route === "GET /users/me")) {
    const gap = r.api.sequential.median - r.floor.sequential.median;
    targets.push({
      target: `local p50 within ${FLOOR_MARGIN_MS} ms of the DynamoDB floor: ${label(r)}`,
      figure: `${fmt(r.api.sequential.median, 2)} ms vs floor ${fmt(r.floor.sequential.median, 2)} ms (+${fmt(gap, 2)} ms)`,
      met: gap <= FLOOR_MARGIN_MS,
      ...(gap > FLOOR_MARGIN_MS ? { why: "gateway + worker-thread invocation overhead above the margin on this run" } : {}),
    });
  }

  const rows = results.map((r) => [
    label(r),
    fmt(r.api.sequential.median, 2),
    fmt(r.api.sequential.p99, 2),
    fmt(r.api.rps, 0),
    fmt(r.floor.sequential.median, 2),
    fmt(r.floor.sequential.p99, 2),
    fmt(r.floor.rps, 0),
    `+${fmt(r.api.sequential.median - r.floor.sequential.median, 2)} ms`,
    fmtRatio(ratio(r.api.rps, r.floor.rps)),
    String(r.counts.perRequest.min === r.counts.perRequest.max ? r.counts.perRequest.max : `${r.counts.perRequest.min}-${r.counts.perRequest.max}`),
  ]);
  const anomalies = results.flatMap((r) => {
    const lines: string[] = [];
    if (Object.keys(r.api.unexpected).length > 0) lines.push(`${label(r)}: unexpected answers ${JSON.stringify(r.api.unexpected)}`);
    if (r.floor.failedCalls > 0) lines.push(`${label(r)} floor: ${r.floor.failedCalls} DynamoDB calls failed`);
    return lines;
  });

  return {
    name: "request",
    targets,
    data: { settings, routes: results, countedOnly },
    tables: [
      {
        title: "Request path, local stack (prod config, throttling lifted): API vs its DynamoDB floor",
        headers: ["route", "p50 ms", "p99 ms", "req/s", "floor p50 ms", "floor p99 ms", "floor req/s", "p50 - floor", "req/s vs floor", "DynamoDB calls"],
        rows,
        notes: [
          `Sequential: ${settings.sequential.cheap} requests (GET) or ${settings.sequential.scrypt} (POST, one scrypt hash each) after a warm-up, one keep-alive connection; req/s: ${settings.concurrency} concurrent closed loops for ${settings.concurrentMs / 1000} s. Client, gateway, dynalite and the functions' worker threads share this process and its 2 cores.`,
          "Floor: the calls the route made (recorded at dynalite) replayed straight to dynalite from the same process, parallel where the route's calls overlapped (GET /health: its two GetItems), with fresh keys for writes. The POST floors leave out the scrypt hash (~60 ms), which is most of their p50.",
          "DynamoDB calls per request, counted at dynalite over every request of the sequential runs (warm-up included):",
          ...results.map((r) => `- ${label(r)}: ${callsText(r.counts)} (${r.counts.requests} requests; floor replays ${r.floor.waves.map((w) => (w.length > 1 ? `[${w.length} in parallel]` : "1")).join(" then ")})`),
          ...countedOnly.map((r) => `- ${label(r)} (counted only): ${callsText(r.counts)} (${r.counts.requests} requests)`),
          ...anomalies,
        ],
      },
    ],
  };
}
