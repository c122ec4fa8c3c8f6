/**
 * The session lifecycle of issue 21 through the real handlers against dynalite: log-out, password change and
 * log-out everywhere refuse every bearer route at once whatever the authorizer cache holds (finding 4), the idle
 * timeout and its last-use writes, the cap on sessions per user, GET /sessions, DELETE /sessions, and the
 * current password that DELETE /users/me needs (finding 6).
 */
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { ROUTES, routeKey } from "../app/stacks/routes";
import {
  apiEvent,
  authorizerEvent,
  gateway,
  integrationContext,
  lambdaContext,
  parseResponse,
  type ApiRequest,
  type ApiResponse,
  type AuthorizerHandler,
  type Gateway,
  type ProxyHandler,
} from "./support/api-events";
import {
  handlerEnv,
  loadHandler,
  scanTables,
  scanTablesExceptFailureCounts,
  startDynalite,
  startDynamoProxy,
  type LocalDynamo,
} from "./support/dynalite";
import { cheapScrypt } from "./support/test-scrypt";
import { captureConsole } from "./support/console";

const SOURCES = join(__dirname, "..", "app", "lambda-packages");
const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "an even longer new passphrase";
const MINUTE = 60_000;
const sha256 = (token: string): string => createHash("sha256").update(token).digest("base64url");

type RawItem = Record<string, { S?: string; N?: string }>;

describe("the session lifecycle", () => {
  cheapScrypt();
  captureConsole();
  let db: LocalDynamo;
  let users: ProxyHandler;
  let sessions: ProxyHandler;
  let authorizer: AuthorizerHandler;
  let api: Gateway;
  /** The settings the handlers get here: the config's idle timeout and cap, smaller than prod's to keep the tests short. */
  const IDLE_TIMEOUT_SECONDS = 1800;
  const MAX_SESSIONS = 3;
  const env = () => ({ ...handlerEnv(db), SESSION_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS), MAX_SESSIONS_PER_USER: String(MAX_SESSIONS) });
  const load = <T>(fn: string, extra: Record<string, string> = {}): T =>
    loadHandler<{ handler: T }>(join(SOURCES, fn, "index.ts"), { ...env(), ...extra }).handler;
  const call = async (handler: ProxyHandler, req: ApiRequest): Promise<ApiResponse> => parseResponse(await handler(apiEvent(req), lambdaContext()));

  beforeAll(async () => {
    db = await startDynalite();
    users = load("users");
    sessions = load("sessions");
    authorizer = load("authorizer");
    api = gateway({ authorizer, users, sessions });
  });
  afterAll(async () => {
    await db.close();
  });

  async function signUp(): Promise<{ id: string; email: string }> {
    const email = `life-${randomBytes(4).toString("hex")}@example.com`;
    const response = await api({ method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "Lee" } });
    expect(response.status).toBe(201);
    return { id: response.body.id, email };
  }
  async function logIn(email: string, password = PASSWORD, userAgent?: string): Promise<string> {
    const headers = userAgent === undefined ? undefined : { "User-Agent": userAgent };
    const response = await api({ method: "POST", resource: "/sessions", json: { email, password }, headers });
    expect(response.status).toBe(201);
    return response.body.token;
  }
  /** requestContext.authorizer as API Gateway would pass it (and keep in its cache) for this token. */
  async function contextFor(token: string): Promise<Record<string, string | number>> {
    return integrationContext(
      await authorizer(authorizerEvent({ method: "GET", resource: "/users/me", headers: { Authorization: `Bearer ${token}` } })),
    );
  }
  async function sessionItem(token: string): Promise<RawItem | undefined> {
    return (
      await db.request<{ Item?: RawItem }>("GetItem", {
        TableName: db.tables.sessions,
        Key: { tokenHash: { S: sha256(token) } },
        ConsistentRead: true,
      })
    ).Item;
  }
  async function setLastUse(token: string, epochMs: number): Promise<void> {
    await db.request("UpdateItem", {
      TableName: db.tables.sessions,
      Key: { tokenHash: { S: sha256(token) } },
      UpdateExpression: "SET lastUsedAt = :t",
      ExpressionAttributeValues: { ":t": { N: String(epochMs) } },
    });
  }

  /** Every bearer route of app/stacks/routes.ts, as a request a cached authorizer decision lets through to its function. */
  const BEARER_ROUTES = ROUTES.filter((r) => r.auth === "bearer");
  const handlerOf = (fn: string): ProxyHandler => (fn === "users" ? users : sessions);
  function bearerRequest(route: (typeof BEARER_ROUTES)[number], userId: string, context: Record<string, string | number>): ApiRequest {
    const bodies: Record<string, unknown> = {
      "PATCH /users/me": { name: "After the end" },
      "DELETE /users/me": { currentPassword: PASSWORD },
    };
    return {
      method: route.method,
      resource: route.path,
      pathParameters: route.path.includes("{id}") ? { id: userId } : null,
      json: bodies[routeKey(route)],
      authorizer: context,
    };
  }

  describe("an ended session is refused on every bearer route at once, whatever the authorizer cache holds (finding 4)", () => {
    it("after log-out, GET /users/me with the cached decision answers 401 (it answered 200 until the cache expired)", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const cached = await contextFor(token);
      expect((await call(users, { method: "GET", resource: "/users/me", authorizer: cached })).status).toBe(200);
      expect((await api({ method: "DELETE", resource: "/sessions/current", token })).status).toBe(204);

      const read = await call(users, { method: "GET", resource: "/users/me", authorizer: cached });

      expect(read.status).toBe(401);
      expect(read.body.error.message).toBe("This session has ended (logged out, expired or idle for too long); log in again");
      expect(JSON.stringify(read.body)).not.toContain(user.email);
    });

    it.each(BEARER_ROUTES.map((r) => [routeKey(r), r] as const))("%s: 401 after log-out, nothing changed", async (_, route) => {
      const user = await signUp();
      const token = await logIn(user.email);
      const cached = await contextFor(token);
      expect((await api({ method: "DELETE", resource: "/sessions/current", token })).status).toBe(204);
      const before = await scanTables(db);

      const response = await call(handlerOf(route.function), bearerRequest(route, user.id, cached));

      expect(response.status).toBe(401);
      expect(await scanTables(db)).toEqual(before);
    });

    it.each(BEARER_ROUTES.map((r) => [routeKey(r), r] as const))(
      "%s: 401 for another session after log-out everywhere, nothing changed",
      async (_, route) => {
        const user = await signUp();
        const other = await logIn(user.email);
        const cached = await contextFor(other);
        // An index that lags behind lists none of the sessions: only the generation ends them.
        const proxy = await startDynamoProxy(db, (c) => (c.operation === "Query" ? { status: 200, body: { Items: [], Count: 0 } } : undefined));
        const viaProxy = load<ProxyHandler>("sessions", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
        const everywhere = await call(viaProxy, { method: "DELETE", resource: "/sessions", authorizer: await contextFor(await logIn(user.email)) });
        await proxy.close();
        expect(everywhere.status).toBe(204);
        expect(await sessionItem(other)).toBeDefined();
        const before = await scanTables(db);

        const response = await call(handlerOf(route.function), bearerRequest(route, user.id, cached));

        expect(response.status).toBe(401);
        expect(response.body.error.message).toBe("This session was ended by a password change or a log-out everywhere; log in again");
        expect(await scanTables(db)).toEqual(before);
      },
    );

    it("the caller's own session survives its password change even with a decision cached from before it", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const cached = await contextFor(token);
      const changed = await call(users, {
        method: "PATCH",
        resource: "/users/me",
        authorizer: cached,
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
      });
      expect(changed.status).toBe(200);

      expect((await call(users, { method: "GET", resource: "/users/me", authorizer: cached })).status).toBe(200);
      expect((await call(users, { method: "PATCH", resource: "/users/me", authorizer: cached, json: { name: "Still me" } })).status).toBe(200);
    });

    it("a bearer read costs one DynamoDB call: the session and the user in one consistent BatchGetItem", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const proxy = await startDynamoProxy(db);
      const viaProxy = load<ProxyHandler>("users", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });

      const response = await call(viaProxy, { method: "GET", resource: "/users/me", authorizer: await contextFor(token) });
      await proxy.close();

      expect(response.status).toBe(200);
      expect(proxy.calls.map((c) => c.operation)).toEqual(["BatchGetItem"]);
      const request = proxy.calls[0].body.RequestItems;
      expect(Object.keys(request).sort()).toEqual([db.tables.sessions, db.tables.users].sort());
      expect(Object.values(request).every((r: any) => r.ConsistentRead === true)).toBe(true);
    });
  });

  describe("the idle timeout", () => {
    it("ends a session unused for longer than the timeout: the authorizer denies it and a cached decision gets 401", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const cached = await contextFor(token);
      await setLastUse(token, Date.now() - IDLE_TIMEOUT_SECONDS * 1000 - 1000);

      expect(await api({ method: "GET", resource: "/users/me", token })).toMatchObject({ status: 401, body: { message: "Unauthorized" } });
      expect((await call(sessions, { method: "GET", resource: "/sessions/current", authorizer: cached })).status).toBe(401);
      expect((await call(users, { method: "GET", resource: "/users/me", authorizer: cached })).status).toBe(401);
    });

    it("keeps a session used within the timeout, and records the use at most every 5 minutes", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const proxy = await startDynamoProxy(db);
      const viaProxy = load<ProxyHandler>("users", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
      const read = async () => (await call(viaProxy, { method: "GET", resource: "/users/me", authorizer: await contextFor(token) })).status;

      // Used 4 minutes ago: no write.
      await setLastUse(token, Date.now() - 4 * MINUTE);
      expect(await read()).toBe(200);
      expect(proxy.calls.map((c) => c.operation)).toEqual(["BatchGetItem"]);

      // Used 29 minutes ago (idle timeout 30): still live, and the use is written once.
      const stale = Date.now() - 29 * MINUTE;
      await setLastUse(token, stale);
      proxy.calls.length = 0;
      expect(await read()).toBe(200);
      expect(proxy.calls.map((c) => c.operation)).toEqual(["BatchGetItem", "UpdateItem"]);
      const recorded = Number((await sessionItem(token))?.lastUsedAt?.N);
      expect(recorded).toBeGreaterThan(stale + 28 * MINUTE);

      proxy.calls.length = 0;
      expect(await read()).toBe(200);
      await proxy.close();
      expect(proxy.calls.map((c) => c.operation)).toEqual(["BatchGetItem"]);
    });

    it("never brings an ended session back when recording its use races the log-out", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const cached = await contextFor(token);
      await setLastUse(token, Date.now() - 10 * MINUTE);
      const proxy = await startDynamoProxy(db, async (c) => {
        if (c.operation === "UpdateItem") await db.request("DeleteItem", { TableName: db.tables.sessions, Key: { tokenHash: { S: sha256(token) } } });
      });
      const viaProxy = load<ProxyHandler>("users", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });

      const response = await call(viaProxy, { method: "GET", resource: "/users/me", authorizer: cached });
      await proxy.close();

      expect(response.status).toBe(200);
      expect(await sessionItem(token)).toBeUndefined();
    });
  });

  describe("at most MAX_SESSIONS_PER_USER sessions per user", () => {
    it("a log-in beyond the cap ends the user's oldest session, and no other user's", async () => {
      const user = await signUp();
      const stranger = await signUp();
      const strangerToken = await logIn(stranger.email);
      const tokens: string[] = [];
      for (let i = 0; i < MAX_SESSIONS + 2; i++) tokens.push(await logIn(user.email));

      const live = await Promise.all(tokens.map(async (t) => (await api({ method: "GET", resource: "/sessions/current", token: t })).status));

      expect(live).toEqual([401, 401, 200, 200, 200]);
      expect(await sessionItem(tokens[0])).toBeUndefined();
      expect((await api({ method: "GET", resource: "/sessions/current", token: strangerToken })).status).toBe(200);
    });
  });

  describe("GET /sessions", () => {
    it("lists the caller's live sessions, newest first, marking the current one, with no token or token hash", async () => {
      const user = await signUp();
      const first = await logIn(user.email, PASSWORD, "Firefox/140.0");
      const second = await logIn(user.email, PASSWORD);
      const ended = await logIn(user.email, PASSWORD, "Ended/1.0");
      expect((await api({ method: "DELETE", resource: "/sessions/current", token: ended })).status).toBe(204);
      const stranger = await signUp();
      await logIn(stranger.email);

      const response = await api({ method: "GET", resource: "/sessions", token: first });

      expect(response.status).toBe(200);
      expect(response.body.sessions).toEqual([
        expect.objectContaining({ current: false, userAgent: null }),
        expect.objectContaining({ current: true, userAgent: "Firefox/140.0" }),
      ]);
      for (const session of response.body.sessions) {
        expect(Object.keys(session).sort()).toEqual(["createdAt", "current", "expiresAt", "idleExpiresAt", "lastUsedAt", "userAgent"]);
        expect(Date.parse(session.idleExpiresAt) - Date.parse(session.lastUsedAt)).toBe(IDLE_TIMEOUT_SECONDS * 1000);
      }
      for (const secret of [first, second, sha256(first), sha256(second)]) expect(response.raw).not.toContain(secret);
    });

    it("stores a long user agent cut to 256 characters", async () => {
      const user = await signUp();
      const token = await logIn(user.email, PASSWORD, `Agent/${"x".repeat(400)}`);

      const response = await api({ method: "GET", resource: "/sessions", token });

      expect(response.body.sessions[0].userAgent).toHaveLength(256);
    });

    it("leaves out a session of an older credential generation that the index still lists", async () => {
      const user = await signUp();
      const other = await logIn(user.email);
      const token = await logIn(user.email);
      // The password change's housekeeping misses `other` (a lagging index): it stays in the table.
      const proxy = await startDynamoProxy(db, (c) => (c.operation === "Query" ? { status: 200, body: { Items: [], Count: 0 } } : undefined));
      const viaProxy = load<ProxyHandler>("users", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });
      const changed = await call(viaProxy, {
        method: "PATCH",
        resource: "/users/me",
        authorizer: await contextFor(token),
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
      });
      await proxy.close();
      expect(changed.status).toBe(200);
      expect(await sessionItem(other)).toBeDefined();

      const response = await api({ method: "GET", resource: "/sessions", token });

      expect(response.body.sessions).toEqual([expect.objectContaining({ current: true })]);
    });
  });

  describe("DELETE /sessions (log out everywhere)", () => {
    it("ends every session of the caller, its own included, and deletes their items; other users keep theirs", async () => {
      const user = await signUp();
      const tokens = [await logIn(user.email), await logIn(user.email)];
      const stranger = await signUp();
      const strangerToken = await logIn(stranger.email);

      const response = await api({ method: "DELETE", resource: "/sessions", token: tokens[0] });

      expect(response.status).toBe(204);
      for (const token of tokens) {
        expect(await api({ method: "GET", resource: "/users/me", token })).toMatchObject({ status: 401 });
        expect(await sessionItem(token)).toBeUndefined();
      }
      expect((await api({ method: "GET", resource: "/users/me", token: strangerToken })).status).toBe(200);
      expect(await logIn(user.email)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it("answers 401 and moves nothing on when the caller's session has already ended", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const cached = await contextFor(token);
      expect((await api({ method: "DELETE", resource: "/sessions/current", token })).status).toBe(204);
      const before = await scanTables(db);

      const response = await call(sessions, { method: "DELETE", resource: "/sessions", authorizer: cached });

      expect(response.status).toBe(401);
      expect(await scanTables(db)).toEqual(before);
    });
  });

  describe("DELETE /users/me needs the current password", () => {
    it.each([
      ["no body", 400, undefined],
      ["no currentPassword", 400, {}],
      ["another field", 400, { currentPassword: PASSWORD, force: true }],
      ["a wrong currentPassword", 401, { currentPassword: "not the password, but long" }],
    ])("%s: answered %i, the account and its sessions kept", async (_, status, json) => {
      const user = await signUp();
      const token = await logIn(user.email);
      const before = await scanTablesExceptFailureCounts(db);

      const response = await api({ method: "DELETE", resource: "/users/me", token, json });

      expect(response.status).toBe(status);
      expect(response.body.error.message).toMatch(status === 401 ? /^currentPassword is incorrect$/ : /./);
      if (json !== undefined && status === 400) expect(JSON.stringify(response.body.error.details)).toMatch(/currentPassword|force/);
      expect(await scanTablesExceptFailureCounts(db)).toEqual(before);
      expect((await api({ method: "GET", resource: "/users/me", token })).status).toBe(200);
    });

    it("wrong current passwords count as failed log-ins of the account: past 5, 429 with Retry-After, the password unchecked", async () => {
      const user = await signUp();
      const other = await signUp();
      const token = await logIn(user.email);
      const guess = (currentPassword: string) => api({ method: "DELETE", resource: "/users/me", token, json: { currentPassword } });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await guess(`wrong guess number ${i}, long`)).status);
      const change = await api({
        method: "PATCH",
        resource: "/users/me",
        token,
        json: { password: NEW_PASSWORD, currentPassword: "a fifth wrong guess, long" },
      });
      expect([...statuses, change.status]).toEqual([401, 401, 401, 401, 401]);

      // The fifth failure delays the account by 1 s: the right password is refused unchecked, on both routes and at log-in.
      const refused = await guess(PASSWORD);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers["Retry-After"])).toBeGreaterThanOrEqual(1);
      expect(refused.body.error.message).toMatch(/^Too many wrong passwords for this account: retry in \d+ s$/);
      expect((await api({ method: "POST", resource: "/sessions", json: { email: user.email, password: PASSWORD } })).status).toBe(429);
      expect((await api({ method: "GET", resource: "/users/me", token })).status).toBe(200);
      // Another account is not slowed down.
      const otherToken = await logIn(other.email);
      expect((await api({ method: "DELETE", resource: "/users/me", token: otherToken, json: { currentPassword: PASSWORD } })).status).toBe(204);
    });

    it("with the current password: 204, and the token stops working", async () => {
      const user = await signUp();
      const token = await logIn(user.email);

      expect((await api({ method: "DELETE", resource: "/users/me", token, json: { currentPassword: PASSWORD } })).status).toBe(204);
      expect((await api({ method: "GET", resource: "/users/me", token })).status).toBe(401);
    });
  });

  it.each([
    ["SESSION_IDLE_TIMEOUT_SECONDS", "60", 'Environment variable SESSION_IDLE_TIMEOUT_SECONDS must be an integer in 600..2592000, received "60"'],
    ["MAX_SESSIONS_PER_USER", "0", 'Environment variable MAX_SESSIONS_PER_USER must be an integer in 1..100, received "0"'],
  ])("fails the sessions function's cold start when %s is %s", (variable, value, message) => {
    expect(() => load("sessions", { [variable]: value })).toThrow(message);
  });
});
