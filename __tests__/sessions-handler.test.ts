import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { unzipSync } from "fflate";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { hashPassword, verifyPassword } from "../app/lambda-packages/shared/passwords";
import {
  apiEvent,
  gateway,
  lambdaContext,
  parseResponse,
  type ApiRequest,
  type AuthorizerHandler,
  type Gateway,
  type ProxyHandler,
} from "./support/api-events";
import { handlerEnv, loadHandler, scanTables, startDynalite, startDynamoProxy, type LocalDynamo } from "./support/dynalite";
import { withoutRetryWaits } from "./support/retry-waits";
import { cheapScrypt, productionScrypt, withProductionScrypt } from "./support/test-scrypt";
import { captureConsole } from "./support/console";

const SOURCES = join(__dirname, "..", "app", "lambda-packages");
const source = (fn: string): string => join(SOURCES, fn, "index.ts");
const sha256 = (token: string): string => createHash("sha256").update(token).digest("base64url");
/** The module object itself (not an import namespace, whose properties cannot be spied on). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeCrypto: typeof import("node:crypto") = require("node:crypto");
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PASSWORD = "correct horse battery staple";

describe("sessions handler", () => {
  cheapScrypt();
  let db: LocalDynamo;
  let sessions: ProxyHandler;
  let users: ProxyHandler;
  let authorizer: AuthorizerHandler;
  let api: Gateway;

  const load = <T>(fn: string, extra: Record<string, string | undefined> = {}): T =>
    loadHandler<{ handler: T }>(source(fn), { ...handlerEnv(db), ...extra }).handler;

  const call = async (handler: ProxyHandler, req: ApiRequest) => parseResponse(await handler(apiEvent(req), lambdaContext()));
  const logIn = (email: string, password: string, handler: ProxyHandler = sessions) =>
    call(handler, { method: "POST", resource: "/sessions", json: { email, password } });

  let counter = 0;
  async function signUp(): Promise<{ id: string; email: string }> {
    const email = `user${++counter}-${Date.now()}@example.com`;
    const response = await api({ method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "Sam" } });
    expect(response.status).toBe(201);
    return { id: response.body.id, email };
  }

  /** The authorizer context API Gateway would pass for this token (values as strings). */
  async function contextFor(token: string): Promise<Record<string, string | number>> {
    const event = { headers: { Authorization: `Bearer ${token}` } } as unknown as APIGatewayRequestAuthorizerEvent;
    const result = await authorizer({ ...event, methodArn: "arn:aws:execute-api:us-east-1:123456789012:api/test/GET/sessions/current" });
    return Object.fromEntries(Object.entries({ principalId: result.principalId, ...result.context }).map(([k, v]) => [k, String(v)]));
  }

  /** A new user, logged in: the session's token and the authorizer context of a request that carries it. */
  async function loggedIn(): Promise<{ token: string; context: Record<string, string | number> }> {
    const user = await signUp();
    const { body } = await logIn(user.email, PASSWORD);
    return { token: body.token, context: await contextFor(body.token) };
  }

  beforeAll(async () => {
    db = await startDynalite();
    sessions = load("sessions");
    users = load("users");
    authorizer = load("authorizer");
    api = gateway({ authorizer, users, sessions });
  });
  afterAll(async () => {
    await db.close();
  });
  captureConsole();

  describe("POST /sessions", () => {
    it("answers 201 with a 43-character token, its expiry and the profile, and stores only the token's hash", async () => {
      const user = await signUp();
      const before = Date.now();

      const response = await logIn(user.email, PASSWORD);

      expect(response.status).toBe(201);
      expect(response.headers).toMatchObject({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
      expect(response.body).toEqual({
        token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: expect.stringMatching(ISO),
        user: { id: user.id, email: user.email, name: "Sam", createdAt: expect.any(String), updatedAt: expect.any(String), version: 1 },
      });
      const { token } = response.body;
      const stored = await db.request<{ Item: Record<string, { S?: string; N?: string }> }>("GetItem", {
        TableName: db.tables.sessions,
        Key: { tokenHash: { S: sha256(token) } },
      });
      expect(Object.keys(stored.Item).sort()).toEqual(["createdAt", "credentialGeneration", "expiresAt", "lastUsedAt", "tokenHash", "userId"]);
      expect(stored.Item.lastUsedAt).toEqual(stored.Item.createdAt);
      expect(stored.Item.credentialGeneration).toEqual({ N: "0" });
      expect(stored.Item.userId).toEqual({ S: user.id });
      const createdAt = Number(stored.Item.createdAt.N);
      const expiresAt = Number(stored.Item.expiresAt.N);
      expect(createdAt).toBeGreaterThanOrEqual(before);
      expect(createdAt).toBeLessThanOrEqual(Date.now());
      expect(expiresAt).toBe(Math.floor(createdAt / 1000) + 86400);
      expect(response.body.expiresAt).toBe(new Date(expiresAt * 1000).toISOString());
      expect(JSON.stringify(await scanTables(db))).not.toContain(token);
    });

    it("gives sessions the lifetime in SESSION_TTL_SECONDS", async () => {
      const user = await signUp();
      const shortLived = load<ProxyHandler>("sessions", { SESSION_TTL_SECONDS: "600" });

      const response = await logIn(user.email, PASSWORD, shortLived);

      expect(response.status).toBe(201);
      const expiresIn = Date.parse(response.body.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(595_000);
      expect(expiresIn).toBeLessThanOrEqual(600_000);
    });

    it("finds the account whatever the case and surrounding spaces of the email", async () => {
      const user = await signUp();

      const response = await logIn(`  ${user.email.toUpperCase()} `, PASSWORD);

      expect(response.status).toBe(201);
      expect(response.body.user.id).toBe(user.id);
    });

    it("starts a new session with a new token on every log-in", async () => {
      const user = await signUp();

      const first = await logIn(user.email, PASSWORD);
      const second = await logIn(user.email, PASSWORD);

      expect(first.body.token).not.toBe(second.body.token);
      for (const { body } of [first, second]) expect((await contextFor(body.token)).userId).toBe(user.id);
    });

    describe("refuses with one 401 for every wrong credential, after the same scrypt work", () => {
      // Asserts the work done for a wrong credential: its user signs up with the production parameters too.
      productionScrypt();
      let user: { id: string; email: string };
      let orphanEmail: string;

      beforeAll(async () => {
        const info = jest.spyOn(console, "info").mockImplementation(() => undefined);
        user = await signUp();
        info.mockRestore();
        // A claim without its user: what a crash between the two sign-up writes leaves.
        orphanEmail = `orphan-${Date.now()}@example.com`;
        await db.request("PutItem", {
          TableName: db.tables.users,
          Item: { pk: { S: `email#${orphanEmail}` }, userId: { S: "no-such-user" }, createdAt: { S: new Date().toISOString() } },
        });
      });

      it.each([
        ["a wrong password", () => user.email, "wrong password, long enough"],
        ["an unknown email", () => "nobody-here@example.com", PASSWORD],
        ["an email whose claim has no user", () => orphanEmail, PASSWORD],
        ["a password shorter than the sign-up minimum", () => user.email, "short"],
      ])("for %s", async (_case, email, password) => {
        const scrypt = jest.spyOn(nodeCrypto, "scrypt");
        const before = await scanTables(db);

        const response = await logIn(email(), password);

        expect(response.status).toBe(401);
        expect(response.headers["WWW-Authenticate"]).toBe("Bearer");
        expect(response.body).toEqual({ error: { code: "UNAUTHORIZED", message: "Email or password is incorrect" } });
        expect(scrypt).toHaveBeenCalledTimes(1);
        expect(scrypt.mock.calls[0][3]).toMatchObject({ N: 32768, r: 8, p: 1 });
        // Nothing changed but the failure count of the address (see the throttling tests below).
        const withoutCounts = (tables: Awaited<ReturnType<typeof scanTables>>) => ({
          ...tables,
          users: tables.users.filter((item) => !JSON.stringify(item).includes('"loginfail#')),
        });
        expect(withoutCounts(await scanTables(db))).toEqual(withoutCounts(before));
      });
    });

    it(
      "re-hashes a password stored with older scrypt parameters on a successful log-in",
      withProductionScrypt(async () => {
        const id = "legacy-user";
        const email = "legacy@example.com";
        const now = new Date().toISOString();
        const oldHash = await hashPassword(PASSWORD, { N: 1024, r: 8, p: 1 });
        await db.request("PutItem", {
          TableName: db.tables.users,
          Item: { pk: { S: `email#${email}` }, userId: { S: id }, createdAt: { S: now } },
        });
        await db.request("PutItem", {
          TableName: db.tables.users,
          Item: {
            pk: { S: `user#${id}` },
            id: { S: id },
            email: { S: email },
            name: { S: "Legacy" },
            passwordHash: { S: oldHash },
            createdAt: { S: now },
            updatedAt: { S: now },
            version: { N: "4" },
          },
        });

        const response = await logIn(email, PASSWORD);

        expect(response.status).toBe(201);
        const { Item } = await db.request<{ Item: Record<string, { S?: string; N?: string }> }>("GetItem", {
          TableName: db.tables.users,
          Key: { pk: { S: `user#${id}` } },
        });
        const newHash = Item.passwordHash.S ?? "";
        expect(oldHash.startsWith("scrypt$N=1024,r=8,p=1$")).toBe(true);
        expect(newHash.startsWith("scrypt$N=32768,r=8,p=1$")).toBe(true);
        expect(await verifyPassword(PASSWORD, newHash)).toEqual({ ok: true, needsRehash: false });
        expect(Item.version).toEqual({ N: "4" });
        expect(Item.updatedAt).toEqual({ S: now });
      }),
    );
  });

  describe("GET /sessions/current", () => {
    it("answers 200 with the user id and the session's dates", async () => {
      const user = await signUp();
      const { body } = await logIn(user.email, PASSWORD);

      const response = await api({ method: "GET", resource: "/sessions/current", token: body.token });

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        userId: user.id,
        createdAt: expect.stringMatching(ISO),
        expiresAt: body.expiresAt,
        idleExpiresAt: expect.stringMatching(ISO),
      });
      expect(Date.parse(response.body.createdAt)).toBeLessThanOrEqual(Date.now());
      // The default idle timeout (SESSION_IDLE_TIMEOUT_SECONDS is unset here): 2 h from the last recorded use, the log-in.
      expect(Date.parse(response.body.idleExpiresAt) - Date.parse(response.body.createdAt)).toBe(7200 * 1000);
    });

    it("answers 401 when the session ended after the authorizer let the request through (a cached decision)", async () => {
      const { token, context } = await loggedIn();
      await db.request("DeleteItem", { TableName: db.tables.sessions, Key: { tokenHash: { S: sha256(token) } } });

      const response = await call(sessions, { method: "GET", resource: "/sessions/current", authorizer: context });

      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({
        code: "UNAUTHORIZED",
        message: "This session has ended (logged out, expired or idle for too long); log in again",
      });
    });

    it("answers 401 when the session expired after the authorizer let the request through", async () => {
      const { token, context } = await loggedIn();
      await db.request("UpdateItem", {
        TableName: db.tables.sessions,
        Key: { tokenHash: { S: sha256(token) } },
        UpdateExpression: "SET expiresAt = :past",
        ExpressionAttributeValues: { ":past": { N: String(Math.floor(Date.now() / 1000) - 1) } },
      });

      const response = await call(sessions, { method: "GET", resource: "/sessions/current", authorizer: context });

      expect(response.status).toBe(401);
    });

    it("costs one DynamoDB call: session and user read together in a consistent BatchGetItem", async () => {
      const { context } = await loggedIn();
      const proxy = await startDynamoProxy(db);
      const viaProxy = load<ProxyHandler>("sessions", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });

      const response = await call(viaProxy, { method: "GET", resource: "/sessions/current", authorizer: context });
      await proxy.close();

      expect(response.status).toBe(200);
      expect(proxy.calls.map((c) => c.operation)).toEqual(["BatchGetItem"]);
      const requested = proxy.calls[0].body.RequestItems as Record<string, { ConsistentRead?: boolean }>;
      expect(Object.keys(requested).sort()).toEqual([db.tables.sessions, db.tables.users].sort());
      expect(Object.values(requested).every((r) => r.ConsistentRead === true)).toBe(true);
    });

    it(
      "reads again the keys DynamoDB leaves unprocessed",
      withoutRetryWaits(async () => {
        const { context } = await loggedIn();
        let first = true;
        const proxy = await startDynamoProxy(db, (c) => {
          if (c.operation !== "BatchGetItem" || !first) return;
          first = false;
          const requested = c.body.RequestItems as Record<string, unknown>;
          return { status: 200, body: { Responses: {}, UnprocessedKeys: requested } };
        });
        const viaProxy = load<ProxyHandler>("sessions", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });

        const response = await call(viaProxy, { method: "GET", resource: "/sessions/current", authorizer: context });
        await proxy.close();

        expect(response.status).toBe(200);
        expect(proxy.calls.map((c) => c.operation)).toEqual(["BatchGetItem", "BatchGetItem"]);
      }),
    );

    it(
      "answers 503 SERVICE_UNAVAILABLE when DynamoDB leaves keys unprocessed on every attempt",
      withoutRetryWaits(async () => {
        const { context } = await loggedIn();
        const proxy = await startDynamoProxy(db, (c) => {
          if (c.operation !== "BatchGetItem") return;
          return { status: 200, body: { Responses: {}, UnprocessedKeys: c.body.RequestItems } };
        });
        const viaProxy = load<ProxyHandler>("sessions", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });

        const response = await call(viaProxy, { method: "GET", resource: "/sessions/current", authorizer: context });
        await proxy.close();

        expect(response.status).toBe(503);
        expect(response.body.error).toMatchObject({ code: "SERVICE_UNAVAILABLE" });
        expect(proxy.calls.map((c) => c.operation)).toEqual(Array(5).fill("BatchGetItem"));
      }),
    );

    it("answers 401 when the session outlived its user", async () => {
      const user = await signUp();
      const { body } = await logIn(user.email, PASSWORD);
      await db.request("DeleteItem", { TableName: db.tables.users, Key: { pk: { S: `user#${user.id}` } } });

      const response = await api({ method: "GET", resource: "/sessions/current", token: body.token });

      expect(response.status).toBe(401);
    });

    it.each([
      ["no authorizer context", null],
      ["a context without sessionId", { userId: "u1", principalId: "u1" }],
      ["a context whose sessionId is not a token hash", { userId: "u1", sessionId: "abc", principalId: "u1" }],
    ])("answers 401 with %s (defence in depth)", async (_case, authorizerContext) => {
      const response = await call(sessions, { method: "GET", resource: "/sessions/current", authorizer: authorizerContext });

      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe("UNAUTHORIZED");
    });
  });

  describe("DELETE /sessions/current", () => {
    it("answers 204 without a body, deletes the session, and the token stops working", async () => {
      const user = await signUp();
      const { body } = await logIn(user.email, PASSWORD);

      const response = await api({ method: "DELETE", resource: "/sessions/current", token: body.token });

      expect(response.status).toBe(204);
      expect(response.raw).toBe("");
      expect(response.headers["Content-Type"]).toBeUndefined();
      expect(response.headers).toMatchObject({ "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
      const stored = await db.request("GetItem", { TableName: db.tables.sessions, Key: { tokenHash: { S: sha256(body.token) } } });
      expect(stored).toEqual({});
      expect((await api({ method: "GET", resource: "/sessions/current", token: body.token })).status).toBe(401);
    });

    it("ends only the caller's session", async () => {
      const user = await signUp();
      const first = await logIn(user.email, PASSWORD);
      const second = await logIn(user.email, PASSWORD);

      await api({ method: "DELETE", resource: "/sessions/current", token: first.body.token });

      expect((await api({ method: "GET", resource: "/sessions/current", token: second.body.token })).status).toBe(200);
    });

    it("answers 401 when the session is already gone (a cached authorizer decision)", async () => {
      const { context } = await loggedIn();
      await call(sessions, { method: "DELETE", resource: "/sessions/current", authorizer: context });

      const again = await call(sessions, { method: "DELETE", resource: "/sessions/current", authorizer: context });

      expect(again.status).toBe(401);
    });
  });

  describe("per-account throttling of failed log-ins", () => {
    const WRONG = "not the password, but long";
    const failureKey = (email: string) => ({ pk: { S: `loginfail#${sha256(email.trim().toLowerCase())}` } });
    const failureItem = async (email: string) =>
      (
        await db.request<{ Item?: Record<string, { N?: string }> }>("GetItem", {
          TableName: db.tables.users,
          Key: failureKey(email),
          ConsistentRead: true,
        })
      ).Item;
    /** A count of earlier failures, as they would have left it, without a delay running. */
    const seedFailures = (email: string, failures: number) =>
      db.request("PutItem", {
        TableName: db.tables.users,
        Item: {
          ...failureKey(email),
          failures: { N: String(failures) },
          lockedUntil: { N: String(Date.now() - 1000) },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
        },
      });
    /** The running delay runs out, as it would a moment later: its end moves to the past, the count stays. */
    const delayRunsOut = async (email: string) => {
      const lockedUntil = Number((await failureItem(email))?.lockedUntil.N);
      expect(lockedUntil - Date.now()).toBeGreaterThan(0);
      expect(lockedUntil - Date.now()).toBeLessThanOrEqual(1000);
      await db.request("UpdateItem", {
        TableName: db.tables.users,
        Key: failureKey(email),
        UpdateExpression: "SET lockedUntil = :past",
        ExpressionAttributeValues: { ":past": { N: String(Date.now() - 1) } },
      });
    };

    it("answers 429 with Retry-After after 5 failures, to the right password too, and a success after the delay resets the count", async () => {
      const user = await signUp();
      for (let i = 0; i < 5; i++) expect((await logIn(user.email, WRONG)).status).toBe(401);

      const sixth = await logIn(user.email, WRONG);
      const right = await logIn(user.email, PASSWORD);

      for (const response of [sixth, right]) {
        expect(response.status).toBe(429);
        expect(response.headers["Retry-After"]).toBe("1");
        expect(response.body.error).toEqual({ code: "TOO_MANY_REQUESTS", message: "Too many failed log-ins for this email address: retry in 1 s" });
      }
      await delayRunsOut(user.email);
      expect((await logIn(user.email, PASSWORD)).status).toBe(201);
      expect(await failureItem(user.email)).toMatchObject({ failures: { N: "0" } });
      expect((await logIn(user.email, WRONG)).status).toBe(401);
      expect((await logIn(user.email, PASSWORD)).status).toBe(201);
    });

    it("doubles the delay with every further failure, up to 15 minutes, and keeps the count 24 hours after the last failure", async () => {
      const user = await signUp();
      await seedFailures(user.email, 7);
      const before = Date.now();

      expect((await logIn(user.email, WRONG)).status).toBe(401);

      const item = await failureItem(user.email);
      expect(item?.failures).toEqual({ N: "8" });
      expect(Number(item?.lockedUntil.N) - before).toBeGreaterThanOrEqual(8000);
      expect(Number(item?.lockedUntil.N) - Date.now()).toBeLessThanOrEqual(8000);
      expect(Number(item?.expiresAt.N) - Math.floor(Date.now() / 1000)).toBeGreaterThan(86400 - 5);
      const waiting = await logIn(user.email, PASSWORD);
      expect(waiting.status).toBe(429);
      expect(Number(waiting.headers["Retry-After"])).toBeGreaterThanOrEqual(7);

      await seedFailures(user.email, 40);
      expect((await logIn(user.email, WRONG)).status).toBe(401);
      expect(Number((await failureItem(user.email))?.lockedUntil.N) - Date.now()).toBeGreaterThan(899_000);
      expect(Number((await logIn(user.email, PASSWORD)).headers["Retry-After"])).toBe(900);
    });

    it("ignores and restarts a count whose item expired but is still stored (DynamoDB's TTL deletes lazily)", async () => {
      const user = await signUp();
      await db.request("PutItem", {
        TableName: db.tables.users,
        Item: {
          ...failureKey(user.email),
          failures: { N: "30" },
          lockedUntil: { N: String(Date.now() + 600_000) },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) - 1) },
        },
      });

      expect((await logIn(user.email, WRONG)).status).toBe(401);
      expect(await failureItem(user.email)).toEqual(expect.objectContaining({ failures: { N: "1" } }));
      expect((await failureItem(user.email))?.lockedUntil).toBeUndefined();
      expect((await logIn(user.email, PASSWORD)).status).toBe(201);
    });

    it("throttles an email without an account the same way, without scrypt work while it waits", async () => {
      const email = `nobody-${Date.now()}@example.com`;
      const user = await signUp();
      for (let i = 0; i < 5; i++) {
        expect((await logIn(email, WRONG)).status).toBe(401);
        expect((await logIn(user.email, WRONG)).status).toBe(401);
      }
      const scrypt = jest.spyOn(nodeCrypto, "scrypt");

      const [unknown, known] = [await logIn(email, WRONG), await logIn(user.email, WRONG)];

      expect(scrypt).not.toHaveBeenCalled();
      expect(unknown).toEqual(known);
      expect(unknown.status).toBe(429);
    });

    it("lets only one of concurrent guesses past the free failures be checked", async () => {
      const user = await signUp();
      await seedFailures(user.email, 5);
      const scrypt = jest.spyOn(nodeCrypto, "scrypt");

      const answers = await Promise.all(Array.from({ length: 8 }, () => logIn(user.email, WRONG)));

      expect(answers.map((a) => a.status).sort()).toEqual([401, 429, 429, 429, 429, 429, 429, 429]);
      expect(scrypt).toHaveBeenCalledTimes(1);
      expect((await failureItem(user.email))?.failures).toEqual({ N: "6" });
    });

    it("does not slow down other accounts while one is under attack", async () => {
      const attacked = await signUp();
      const other = await signUp();
      await Promise.all(Array.from({ length: 12 }, () => logIn(attacked.email, WRONG)));
      expect((await logIn(attacked.email, PASSWORD)).status).toBe(429);

      expect((await logIn(other.email, PASSWORD)).status).toBe(201);
      expect(await failureItem(other.email)).toBeUndefined();
    });

    it("costs a log-in without earlier failures no extra DynamoDB call: the count is read with the email claim, then the cap's one Query", async () => {
      const user = await signUp();
      const proxy = await startDynamoProxy(db);
      const viaProxy = load<ProxyHandler>("sessions", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });

      const response = await logIn(user.email, PASSWORD, viaProxy);
      await proxy.close();

      expect(response.status).toBe(201);
      expect(proxy.calls.map((c) => `${c.operation} ${c.body.TableName ?? Object.keys(c.body.RequestItems).join()}`)).toEqual([
        `BatchGetItem ${db.tables.users}`,
        `GetItem ${db.tables.users}`,
        `PutItem ${db.tables.sessions}`,
        `Query ${db.tables.sessions}`,
      ]);
    });
  });

  describe("a password change racing log-ins with the old password", () => {
    const NEW_PASSWORD = "a brand new passphrase, long";
    /** Every bearer route a token could be used on, answered for this token. */
    const useToken = async (token: string): Promise<number[]> => [
      (await api({ method: "GET", resource: "/sessions/current", token })).status,
      (await api({ method: "GET", resource: "/users/me", token })).status,
      (await api({ method: "PATCH", resource: "/users/me", token, json: { name: "Mallory" } })).status,
    ];

    it("refuses a session whose log-in read the old password hash before the change and wrote it after", async () => {
      const user = await signUp();
      const { body } = await logIn(user.email, PASSWORD);
      let sessionWriteReached!: () => void;
      const reached = new Promise<void>((resolve) => (sessionWriteReached = resolve));
      let releaseSessionWrite!: () => void;
      const released = new Promise<void>((resolve) => (releaseSessionWrite = resolve));
      // Holds the log-in's session write until the password change has answered: the worst interleaving.
      const proxy = await startDynamoProxy(db, async (c) => {
        if (c.operation !== "PutItem" || c.body.TableName !== db.tables.sessions) return;
        sessionWriteReached();
        await released;
      });
      const viaProxy = load<ProxyHandler>("sessions", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint });

      const lateLogIn = logIn(user.email, PASSWORD, viaProxy);
      await reached;
      const change = await api({
        method: "PATCH",
        resource: "/users/me",
        token: body.token,
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
      });
      releaseSessionWrite();
      const late = await lateLogIn;
      await proxy.close();

      expect(change.status).toBe(200);
      expect(late.status).toBe(201);
      expect(await useToken(late.body.token)).toEqual([401, 401, 401]);
      expect((await api({ method: "GET", resource: "/users/me", token: body.token })).status).toBe(200);
    });

    it("leaves no old-password token working once the change answered, with log-ins every 30 ms around it", async () => {
      const user = await signUp();
      const { body } = await logIn(user.email, PASSWORD);

      const logIns = Array.from(
        { length: 12 },
        (_, i) => new Promise<Awaited<ReturnType<typeof logIn>>>((resolve) => setTimeout(() => resolve(logIn(user.email, PASSWORD)), 30 * i)),
      );
      const change = await api({
        method: "PATCH",
        resource: "/users/me",
        token: body.token,
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
      });
      const answered = await Promise.all(logIns);

      expect(change.status).toBe(200);
      const tokens = answered.filter((r) => r.status === 201).map((r) => r.body.token as string);
      // Log-ins with the old password after the change fail (401), and after five failures the account's throttle
      // answers 429 without checking the password.
      expect(answered.map((r) => r.status).filter((status) => ![201, 401, 429].includes(status))).toEqual([]);
      for (const token of tokens) expect(await useToken(token)).toEqual([401, 401, 401]);
    });
  });

  describe("routing", () => {
    it.each([
      ["PUT", "/sessions", 405, "METHOD_NOT_ALLOWED", { Allow: "POST, GET, DELETE" }],
      ["PUT", "/sessions/current", 405, "METHOD_NOT_ALLOWED", { Allow: "GET, DELETE" }],
      ["GET", "/users/me", 404, "ROUTE_NOT_FOUND", {}],
      ["GET", "/nowhere/{proxy+}", 404, "ROUTE_NOT_FOUND", {}],
    ])("answers %s %s with %i", async (method, resource, status, code, headers) => {
      const response = await call(sessions, { method, resource });

      expect(response.status).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect(response.headers).toMatchObject(headers);
    });
  });

  it.each([
    ["USERS_TABLE_NAME", undefined, "Missing required environment variable USERS_TABLE_NAME"],
    ["SESSIONS_TABLE_NAME", undefined, "Missing required environment variable SESSIONS_TABLE_NAME"],
    ["SESSION_TTL_SECONDS", "60", 'Environment variable SESSION_TTL_SECONDS must be an integer in 300..2592000, received "60"'],
    ["SESSION_TTL_SECONDS", "1d", 'Environment variable SESSION_TTL_SECONDS must be an integer in 300..2592000, received "1d"'],
  ])("fails the cold start when %s is %s", (variable, value, message) => {
    expect(() => load("sessions", { [variable]: value })).toThrow(message);
  });

  describe("the built ZIP (dist/sessions.zip)", () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "sessions-zip-"));
      for (const [name, bytes] of Object.entries(unzipSync(readFileSync(loadLambdaArtifact("sessions").zipPath)))) {
        writeFileSync(join(dir, name), bytes);
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("logs in against dynalite from its lambda-handler.js", async () => {
      const user = await signUp();
      const zipped = loadHandler<{ handler: ProxyHandler }>(join(dir, "lambda-handler.js"), handlerEnv(db)).handler;

      const response = await logIn(user.email, PASSWORD, zipped);

      expect(response.status).toBe(201);
      expect(response.body.user.id).toBe(user.id);
      expect((await contextFor(response.body.token)).userId).toBe(user.id);
    });
  });
});
