/**
 * Section 4, the request path against the local stack (tools/local/stack.ts, started in this process from the
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
import { localDynamoDbHeaders } from "../local/credentials";
import type { LocalStack } from "../local/stack";
import type { SectionResult, Table, TargetResult } from "./lib/report";
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

/** How many requests each run sends and for how long the concurrent runs last. */
interface RunSettings {
  /** Measured sequential requests: GET routes are cheap, POST routes hash a password with scrypt. */
  readonly sequential: { readonly cheap: number; readonly scrypt: number };
  readonly warmup: { readonly cheap: number; readonly scrypt: number };
  readonly concurrency: number;
  readonly concurrentMs: number;
}

function runSettings(quick: boolean): RunSettings {
  return {
    sequential: { cheap: quick ? 30 : 200, scrypt: quick ? 6 : 30 },
    warmup: { cheap: quick ? 5 : 20, scrypt: 3 },
    concurrency: 8,
    concurrentMs: quick ? 700 : 2000,
  };
}

/** The two local stacks: prod's authorizer cache, then the cache off (dev's TTL 0), each with the routes it times. */
const STACKS: ReadonlyArray<{ readonly label: string; readonly ttl: number | undefined; readonly routes: readonly string[] }> = [
  { label: "prod, authorizer cache 60 s", ttl: undefined, routes: ["GET /health", "GET /users/me", "POST /sessions", "POST /users"] },
  { label: "authorizer cache off", ttl: 0, routes: ["GET /users/me"] },
];

/** Authenticated reads counted too on the first stack (a few requests each, no latency runs), for the DynamoDB-calls target. */
const COUNT_ONLY = ["GET /sessions/current", "GET /users/{id}"];
const COUNT_ONLY_REQUESTS = 5;

type CountedRoute = { route: string; stack: string; counts: CountFigures };

export async function benchRequestPath(options: RequestPathOptions): Promise<SectionResult> {
  const settings = runSettings(options.quick);
  const recorder = new CallRecorder();
  const results: RouteFigures[] = [];
  const countedOnly: CountedRoute[] = [];
  const tag = randomBytes(3).toString("hex");
  for (const [stackIndex, spec] of STACKS.entries()) {
    await withBenchStack(options.tmp, spec.ttl, recorder, settings, async (bench) => {
      const routes = await routeRuns(bench.api, tag, stackIndex);
      for (const route of spec.routes) results.push({ route, stack: spec.label, ...(await measureRoute(bench, route, routes[route])) });
      if (stackIndex > 0) return;
      for (const route of COUNT_ONLY) {
        const { counts } = await countCalls(bench, route, routes[route], COUNT_ONLY_REQUESTS);
        countedOnly.push({ route, stack: spec.label, counts });
      }
    });
  }
  return report(results, countedOnly, { concurrency: settings.concurrency, concurrentMs: settings.concurrentMs, sequential: settings.sequential });
}

// ---- One local stack under test ------------------------------------------------------------------------------

type ApiClient = (method: string, path: string, body?: unknown, token?: string) => Promise<HttpResult>;

/** A started local stack with the clients and the recorder the measurements share. */
interface BenchStack {
  readonly stack: LocalStack;
  readonly recorder: CallRecorder;
  readonly settings: RunSettings;
  /** Requests to the API, over keep-alive connections. */
  readonly api: ApiClient;
  /** Replayed calls straight to the functions' DynamoDB endpoint. */
  readonly dynamo: (operation: string, body: string) => Promise<HttpResult>;
  /** The function that authorizes bearer routes, when there is one. */
  readonly authorizerName: string | undefined;
}

/**
 * Starts the local stack from prod's config with throttling lifted (and the authorizer cache TTL when `ttl` is
 * set), runs `body` against it, and stops everything whatever happens.
 */
async function withBenchStack(
  tmp: string,
  ttl: number | undefined,
  recorder: CallRecorder,
  settings: RunSettings,
  body: (bench: BenchStack) => Promise<void>,
): Promise<void> {
  const { startLocalStack } = await import("../local/stack");
  const stack: LocalStack = await startLocalStack({
    environment: "prod",
    port: 0,
    dataDir: mkdtempSync(join(tmp, "local-")),
    fresh: true,
    configOverride: (config) => ({
      ...config,
      api: {
        ...config.api,
        throttling: { rateLimit: 10000, burstLimit: 5000 },
        routeThrottling: {},
        ...(ttl !== undefined ? { authorizerCacheTtlSeconds: ttl } : {}),
      },
    }),
  });
  recorder.start(stack.dynamoDbEndpoint);
  const apiAgent = new Agent({ keepAlive: true, maxSockets: settings.concurrency });
  const dbAgent = new Agent({ keepAlive: true, maxSockets: settings.concurrency * 2 });
  try {
    const dynamoUrl = new URL(stack.dynamoDbEndpoint);
    await body({
      stack,
      recorder,
      settings,
      api: apiClient(apiAgent, stack.baseUrl.replace(/\/$/, "")),
      dynamo: (operation, text) => send(dbAgent, dynamoUrl, "POST", localDynamoDbHeaders(operation), text),
      authorizerName: stack.routes.find((r) => r.auth.startsWith("authorizer "))?.auth.slice("authorizer ".length),
    });
  } finally {
    recorder.stop();
    apiAgent.destroy();
    dbAgent.destroy();
    await stack.stop();
  }
}

function apiClient(agent: Agent, base: string): ApiClient {
  return (method, path, body, token) =>
    send(
      agent,
      new URL(`${base}${path}`),
      method,
      {
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body === undefined ? undefined : JSON.stringify(body),
    );
}

/**
 * Signs up and logs in the fixture user, then returns how to send one request of each route. `tag` (random per
 * run) and `stackIndex` keep the addresses of this stack's users apart from every other's.
 */
async function routeRuns(api: ApiClient, tag: string, stackIndex: number): Promise<Record<string, RouteRun>> {
  // Held to the sign-up rules like any password: not containing a word of the names below nor an address.
  const password = "timing-passphrase-of-some-length";
  const email = `fixture-${tag}-${stackIndex}@example.com`;
  const signedUp = await api("POST", "/users", { email, password, name: "Bench Fixture" });
  if (signedUp.status !== 201) throw new Error(`Sign-up of the fixture user answered ${signedUp.status}: ${signedUp.body}`);
  const userId = (JSON.parse(signedUp.body) as { id: string }).id;
  const loggedIn = await api("POST", "/sessions", { email, password });
  if (loggedIn.status !== 201) throw new Error(`Log-in of the fixture user answered ${loggedIn.status}: ${loggedIn.body}`);
  const fixture: Fixture = { email, password, token: (JSON.parse(loggedIn.body) as { token: string }).token };
  // POST /sessions logs in a user of its own: its many log-ins end the oldest sessions (sessions.maxPerUser), which
  // must not be the readers' token.
  const logInEmail = `login-${tag}-${stackIndex}@example.com`;
  const logInUser = await api("POST", "/users", { email: logInEmail, password, name: "Bench Log-in" });
  if (logInUser.status !== 201) throw new Error(`Sign-up of the log-in user answered ${logInUser.status}: ${logInUser.body}`);
  let signUps = 0;

  /** A read whose replay needs no fresh values. */
  const read = (path: string, token?: string): RouteRun => ({
    expect: 200,
    once: async () => ({ result: await api("GET", path, undefined, token), variables: [] }),
    fresh: (v) => v,
  });
  return {
    "GET /health": read("/health"),
    "GET /users/me": read("/users/me", fixture.token),
    "GET /sessions/current": read("/sessions/current", fixture.token),
    "GET /users/{id}": read(`/users/${userId}`, fixture.token),
    "POST /sessions": {
      expect: 201,
      once: async () => {
        const result = await api("POST", "/sessions", { email: logInEmail, password: fixture.password });
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
      fresh: (variable, index, replay) => (index === 0 ? `f${variable.slice(1, -6)}${String(replay).padStart(6, "0")}` : randomUUID()),
    },
  };
}

// ---- Measuring one route -----------------------------------------------------------------------------------

/**
 * Warm-up (first calls of each sandbox, JIT; the first bearer request misses the authorizer cache), then the
 * sequential run, counting the calls of every request and timing the measured ones; then the floor, the
 * concurrent run of the route and the concurrent run of its floor.
 */
async function measureRoute(bench: BenchStack, route: string, run: RouteRun): Promise<Omit<RouteFigures, "route" | "stack">> {
  const { sequential, warmup } = bench.settings;
  const scrypt = route.startsWith("POST");
  const requests = scrypt ? sequential.scrypt : sequential.cheap;
  const warm = scrypt ? warmup.scrypt : warmup.cheap;
  const measured = await countCalls(bench, route, run, requests, warm);
  if (!measured.best) throw new Error(`${route} never answered ${run.expect}: ${JSON.stringify(measured.unexpected)}`);

  const floor = new FloorReplay(bench, run, measured.best);
  const floorLatencies = await floor.sequential(warm, requests);
  const floorCalls = bench.recorder.take().length;

  let concurrentIndex = 1_000_000;
  const apiLoop = await closedLoop(bench, async () => (await run.once(concurrentIndex++)).result.status === run.expect);
  const failedBefore = floor.failedCalls;
  const floorLoop = await closedLoop(bench, () => floor.replayOk());

  const { failedCalls } = floor;
  return {
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
      waves: floor.plan.map((wave) => wave.map((c) => `${c.operation} ${c.table}`)),
      callsPerReplay: requests > 0 ? floorCalls / requests : 0,
      failedCalls,
    },
  };
}

/** A successful request's recorded calls and the strings to vary when replaying them. */
interface Recorded {
  readonly calls: DynamoCall[];
  readonly variables: string[];
  readonly waves: number;
}

/** Sends `warm + requests` requests one after the other; counts the calls of all, times the last `requests`. */
async function countCalls(bench: BenchStack, route: string, run: RouteRun, requests: number, warm = 0) {
  const [method, path] = route.split(" ");
  const target = bench.stack.routes.find((r) => r.method === method && r.path === path);
  const tally = new CallTally(bench.stack.tables, target?.auth.startsWith("authorizer ") ?? false, run.expect);
  for (let i = 0; i < warm + requests; i++) tally.add(await observe(bench, run, i), i >= warm);
  return tally.figures(warm + requests);
}

/** What one request did: its answer, the DynamoDB calls it caused and whether the authorizer ran for it. */
interface Observation {
  readonly result: HttpResult;
  readonly variables: string[];
  readonly calls: DynamoCall[];
  readonly authorizerRan: boolean;
}

async function observe(bench: BenchStack, run: RouteRun, i: number): Promise<Observation> {
  const { recorder, stack, authorizerName } = bench;
  recorder.take();
  const before = stack.invocations();
  const { result, variables } = await run.once(i);
  // The engine's response is written before the function can answer, but give 'finish' a tick.
  await new Promise((resolve) => setImmediate(resolve));
  const after = stack.invocations();
  const calls = recorder.take();
  const authorizerRan = authorizerName !== undefined && (after[authorizerName] ?? 0) > (before[authorizerName] ?? 0);
  return { result, variables, calls, authorizerRan };
}

/** Adds up the observations of one route's requests into its CountFigures, latencies and the request the floor replays. */
class CallTally {
  private readonly perRequest: number[] = [];
  private readonly authorizerCalls: number[] = [];
  private readonly functionCalls: number[] = [];
  private authorizerSequence: string[] = [];
  private functionSequence: string[] = [];
  private invoked = 0;
  private cached = 0;
  /** The successful request whose calls overlapped most (fewest waves): the floor replays it. */
  private best: Recorded | undefined;
  private readonly latencies: number[] = [];
  private readonly unexpected: Record<string, number> = {};

  constructor(
    private readonly tables: LocalStack["tables"],
    /** Whether the route is behind the authorizer. */
    private readonly bearer: boolean,
    private readonly expect: number,
  ) {}

  /** `measured`: past the warm-up, so its latency counts and it may be the request the floor replays. */
  add({ result, variables, calls, authorizerRan }: Observation, measured: boolean): void {
    const ok = result.status === this.expect;
    if (measured) this.latencies.push(result.ms);
    if (!ok) this.unexpected[String(result.status)] = (this.unexpected[String(result.status)] ?? 0) + 1;
    this.perRequest.push(calls.length);
    if (this.bearer) {
      if (authorizerRan) this.invoked++;
      else this.cached++;
    }
    // The authorizer runs before the function: its calls are the first ones, on the sessions table.
    const authorizerShare = authorizerRan ? calls.filter((c, index) => index === 0 && c.table === this.tables.sessions).length : 0;
    if (authorizerRan) this.authorizerCalls.push(authorizerShare);
    this.functionCalls.push(calls.length - authorizerShare);
    if (ok) {
      if (authorizerShare > 0) this.authorizerSequence = calls.slice(0, authorizerShare).map((c) => this.describe(c));
      this.functionSequence = calls.slice(authorizerShare).map((c) => this.describe(c));
    }
    const waveCount = waves(calls).length;
    if (ok && measured && (!this.best || waveCount < this.best.waves)) this.best = { calls, variables, waves: waveCount };
  }

  figures(requests: number): { counts: CountFigures; best: Recorded | undefined; latencies: number[]; unexpected: Record<string, number> } {
    const s = summarize(this.perRequest);
    const counts: CountFigures = {
      perRequest: { min: s.min, max: s.max, median: s.median },
      authorizerInvoked: this.invoked,
      authorizerCached: this.cached,
      authorizerCalls: [...new Set(this.authorizerCalls)].sort(),
      functionCalls: [...new Set(this.functionCalls)].sort(),
      authorizerSequence: this.authorizerSequence,
      functionSequence: this.functionSequence,
      requests,
    };
    return { counts, best: this.best, latencies: this.latencies, unexpected: this.unexpected };
  }

  /** "GetItem users", "BatchGetItem sessions+users". */
  private describe(call: DynamoCall): string {
    const label = (name: string) => (name === this.tables.users ? "users" : name === this.tables.sessions ? "sessions" : name);
    return `${call.operation} ${call.table.split(",").map(label).join("+")}`;
  }
}

/** The floor: the recorded request's calls, wave by wave, with fresh values for its variables. */
class FloorReplay {
  readonly plan: DynamoCall[][];
  /** Replayed calls DynamoDB did not answer 200, over every replay so far. */
  failedCalls = 0;
  private replays = 0;

  constructor(
    private readonly bench: BenchStack,
    private readonly run: RouteRun,
    private readonly recorded: Recorded,
  ) {
    this.plan = waves(recorded.calls);
  }

  /** `warm` replays, then the latencies of `requests` more; the calls of the measured ones stay in the recorder. */
  async sequential(warm: number, requests: number): Promise<number[]> {
    const latencies: number[] = [];
    for (let i = 0; i < warm; i++) await this.once();
    this.bench.recorder.take();
    for (let i = 0; i < requests; i++) latencies.push(await this.once());
    return latencies;
  }

  /** One replay; true when every call of it succeeded. */
  async replayOk(): Promise<boolean> {
    const before = this.failedCalls;
    await this.once();
    return this.failedCalls === before;
  }

  /** One replay; its duration in ms. */
  private async once(): Promise<number> {
    const replay = this.replays++;
    const started = performance.now();
    for (const wave of this.plan) {
      const answers = await Promise.all(wave.map((call) => this.bench.dynamo(call.operation, this.freshBody(call.body, replay))));
      this.failedCalls += answers.filter((a) => a.status !== 200).length;
    }
    return performance.now() - started;
  }

  private freshBody(body: string, replay: number): string {
    let fresh = body;
    this.recorded.variables.forEach((variable, index) => {
      fresh = fresh.split(variable).join(this.run.fresh(variable, index, replay));
    });
    return fresh;
  }
}

/** `concurrency` closed loops for a fixed time, each sending the next request as soon as the last one answered. */
async function closedLoop(bench: BenchStack, once: () => Promise<boolean>): Promise<{ rps: number; completed: number; failed: number }> {
  const { concurrency, concurrentMs } = bench.settings;
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
  bench.recorder.take();
  return { rps: (completed / (performance.now() - started)) * 1000, completed, failed };
}

// ---- Report -------------------------------------------------------------------------------------------------

const FLOOR_MARGIN_MS = 3;

type ReportSettings = { concurrency: number; concurrentMs: number; sequential: { cheap: number; scrypt: number } };

/** How a route is named in the report: the route alone on prod's stack, with the stack's label on the other. */
const label = (r: { route: string; stack: string }) => (r.stack.startsWith("prod") ? r.route : `${r.route}, ${r.stack}`);

/** "authorizer GetItem sessions (1 per miss: 1 miss, 0 per hit: 219 hits); function GetItem users" */
function callsText(c: CountFigures): string {
  const fn = `function ${c.functionCalls.join(" or ")}: ${c.functionSequence.join(", ") || "none"}`;
  if (c.authorizerInvoked + c.authorizerCached === 0) return fn;
  const miss =
    c.authorizerInvoked > 0
      ? `${c.authorizerCalls.join(" or ")} (${c.authorizerSequence.join(", ")}) on each of ${c.authorizerInvoked} cache misses`
      : "no cache miss";
  return `authorizer ${miss}, 0 on ${c.authorizerCached} cache hits; ${fn}`;
}

function report(results: readonly RouteFigures[], countedOnly: readonly CountedRoute[], settings: ReportSettings): SectionResult {
  const login = results.find((r) => r.route === "POST /sessions");
  return {
    name: "request",
    targets: [
      authenticatedReadsTarget([...results.filter((r) => r.route.startsWith("GET") && r.route !== "GET /health"), ...countedOnly]),
      ...(login ? [loginTarget(login)] : []),
      ...results.filter((x) => x.route === "GET /health" || x.route === "GET /users/me").map(floorMarginTarget),
    ],
    data: { settings, routes: results, countedOnly },
    tables: [requestTable(results, countedOnly, settings)],
  };
}

/** Authenticated reads: one call in the function; the authorizer's one GetItem on a miss, none on a hit. */
function authenticatedReadsTarget(reads: readonly CountedRoute[]): TargetResult {
  const readProblems = reads.flatMap((r) => {
    const problems: string[] = [];
    if (r.counts.functionCalls.some((n) => n !== 1)) problems.push(`${label(r)}: ${r.counts.functionCalls.join("/")} calls in the function`);
    if (r.counts.authorizerCalls.some((n) => n !== 1)) problems.push(`${label(r)}: ${r.counts.authorizerCalls.join("/")} authorizer calls`);
    return problems;
  });
  return {
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
  };
}

function loginTarget(login: RouteFigures): TargetResult {
  const calls = login.counts.perRequest.max;
  return {
    target: "log-in (POST /sessions): at most 2 DynamoDB calls",
    figure: `${calls}: ${login.counts.functionSequence.join(", ")}`,
    met: calls <= 2,
    ...(calls > 2
      ? {
          why:
            "by design: one BatchGetItem of the e-mail claim and the address's failed-log-in count (the per-account throttle), " +
            "GetItem of the user it points to (its password hash and credential generation), PutItem of the session, " +
            "Query of the byUserId index (the cap of sessions.maxPerUser sessions per user; over the cap, a BatchWriteItem ends the oldest); " +
            "a failure adds one write of the count, a success after failures one more to reset it",
        }
      : {}),
  };
}

function floorMarginTarget(r: RouteFigures): TargetResult {
  const gap = r.api.sequential.median - r.floor.sequential.median;
  return {
    target: `local p50 within ${FLOOR_MARGIN_MS} ms of the DynamoDB floor: ${label(r)}`,
    figure: `${fmt(r.api.sequential.median, 2)} ms vs floor ${fmt(r.floor.sequential.median, 2)} ms (+${fmt(gap, 2)} ms)`,
    met: gap <= FLOOR_MARGIN_MS,
    ...(gap > FLOOR_MARGIN_MS ? { why: "gateway + worker-thread invocation overhead above the margin on this run" } : {}),
  };
}

function requestTable(results: readonly RouteFigures[], countedOnly: readonly CountedRoute[], settings: ReportSettings): Table {
  return {
    title: "Request path, local stack (prod config, throttling lifted): API vs its DynamoDB floor",
    headers: ["route", "p50 ms", "p99 ms", "req/s", "floor p50 ms", "floor p99 ms", "floor req/s", "p50 - floor", "req/s vs floor", "DynamoDB calls"],
    rows: results.map(routeRow),
    notes: [
      `Sequential: ${settings.sequential.cheap} requests (GET) or ${settings.sequential.scrypt} (POST, one scrypt hash each) after a warm-up, one keep-alive connection; req/s: ${settings.concurrency} concurrent closed loops for ${settings.concurrentMs / 1000} s. Client, gateway, dynalite and the functions' worker threads share this process and its 2 cores.`,
      "Floor: the calls the route made (recorded at dynalite) replayed straight to dynalite from the same process, parallel where the route's calls overlapped (GET /health: its two GetItems), with fresh keys for writes. The POST floors leave out the scrypt hash (~60 ms), which is most of their p50.",
      "DynamoDB calls per request, counted at dynalite over every request of the sequential runs (warm-up included):",
      ...results.map(
        (r) =>
          `- ${label(r)}: ${callsText(r.counts)} (${r.counts.requests} requests; floor replays ${r.floor.waves.map((w) => (w.length > 1 ? `[${w.length} in parallel]` : "1")).join(" then ")})`,
      ),
      ...countedOnly.map((r) => `- ${label(r)} (counted only): ${callsText(r.counts)} (${r.counts.requests} requests)`),
      ...results.flatMap(anomalies),
    ],
  };
}

function routeRow(r: RouteFigures): string[] {
  return [
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
  ];
}

function anomalies(r: RouteFigures): string[] {
  const lines: string[] = [];
  if (Object.keys(r.api.unexpected).length > 0) lines.push(`${label(r)}: unexpected answers ${JSON.stringify(r.api.unexpected)}`);
  if (r.floor.failedCalls > 0) lines.push(`${label(r)} floor: ${r.floor.failedCalls} DynamoDB calls failed`);
  return lines;
}
