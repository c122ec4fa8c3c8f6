import { unzipSync } from "fflate";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureConsole } from "./support/console";
import { loadLambdaArtifact } from "../app/lambda-packages/artifacts";
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
  scanTable,
  scanTables,
  scanTablesExceptFailureCounts,
  startDynalite,
  startDynamoProxy,
  type DynamoCall,
  type InterceptedAnswer,
  type LocalDynamo,
} from "./support/dynalite";
import { withoutRetryWaits } from "./support/retry-waits";
import { cheapScrypt, withProductionScrypt } from "./support/test-scrypt";

const SOURCES = join(__dirname, "..", "app", "lambda-packages");
const source = (fn: string): string => join(SOURCES, fn, "index.ts");
const sha256 = (token: string): string => createHash("sha256").update(token).digest("base64url");
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "an even longer new passphrase";

type RawItem = Record<string, { S?: string; N?: string }>;

describe("users handler", () => {
  cheapScrypt();
  let db: LocalDynamo;
  let users: ProxyHandler;
  let sessions: ProxyHandler;
  let authorizer: AuthorizerHandler;
  let api: Gateway;
  const logs = captureConsole();

  const load = <T>(fn: string, extra: Record<string, string | undefined> = {}): T =>
    loadHandler<{ handler: T }>(source(fn), { ...handlerEnv(db), ...extra }).handler;
  const call = async (handler: ProxyHandler, req: ApiRequest): Promise<ApiResponse> => parseResponse(await handler(apiEvent(req), lambdaContext()));

  let counter = 0;
  const uniqueEmail = (): string => `person${++counter}-${randomBytes(3).toString("hex")}@example.com`;

  async function signUp(email = uniqueEmail(), name = "Pat"): Promise<{ id: string; email: string }> {
    const response = await api({ method: "POST", resource: "/users", json: { email, password: PASSWORD, name } });
    expect(response.status).toBe(201);
    return { id: response.body.id, email };
  }
  async function logIn(email: string, password = PASSWORD): Promise<string> {
    const response = await api({ method: "POST", resource: "/sessions", json: { email, password } });
    expect(response.status).toBe(201);
    return response.body.token;
  }
  /** requestContext.authorizer as API Gateway would pass it for this token. */
  async function contextFor(token: string, method = "GET", resource = "/users/me"): Promise<Record<string, string | number>> {
    return integrationContext(await authorizer(authorizerEvent({ method, resource, headers: { Authorization: `Bearer ${token}` } })));
  }
  async function getItem(table: string, key: RawItem): Promise<RawItem | undefined> {
    return (await db.request<{ Item?: RawItem }>("GetItem", { TableName: table, Key: key, ConsistentRead: true })).Item;
  }
  const userItem = (id: string) => getItem(db.tables.users, { pk: { S: `user#${id}` } });
  const claimItem = (email: string) => getItem(db.tables.users, { pk: { S: `email#${email.trim().toLowerCase()}` } });
  async function sessionHashesOf(userId: string): Promise<string[]> {
    const items = await scanTable(db, db.tables.sessions);
    return items
      .filter((i) => (i.userId as { S: string }).S === userId)
      .map((i) => (i.tokenHash as { S: string }).S)
      .sort();
  }
  /** Sessions written straight into the table, as earlier log-ins would have. */
  async function seedSessions(userId: string, count: number): Promise<string[]> {
    const hashes = Array.from({ length: count }, () => sha256(randomBytes(32).toString("base64url")));
    const now = Date.now();
    for (let i = 0; i < hashes.length; i += 25) {
      await db.request("BatchWriteItem", {
        RequestItems: {
          [db.tables.sessions]: hashes.slice(i, i + 25).map((hash, j) => ({
            PutRequest: {
              Item: {
                tokenHash: { S: hash },
                userId: { S: userId },
                createdAt: { N: String(now - 1000 * (i + j)) },
                expiresAt: { N: String(Math.floor(now / 1000) + 3600) },
              },
            },
          })),
        },
      });
    }
    return hashes;
  }
  /** A users handler whose DynamoDB traffic goes through a proxy with this interceptor. */
  async function usersVia(intercept: (call: DynamoCall) => Promise<InterceptedAnswer | void> | InterceptedAnswer | void) {
    const proxy = await startDynamoProxy(db, intercept);
    return { handler: load<ProxyHandler>("users", { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint }), proxy };
  }

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

  describe("the journey of one user through authorizer, sessions and users handlers", () => {
    const email = `Alice.${randomBytes(3).toString("hex")}@Example.com`;
    const responses: ApiResponse[] = [];
    const allLogs: string[] = [];
    let id: string;
    let first: string;
    let second: string;
    let third: string;
    let afterPasswordChange: string;
    let staleContext: Record<string, string | number>;

    const send = async (req: ApiRequest & { token?: string }): Promise<ApiResponse> => {
      const response = await api(req);
      responses.push(response);
      return response;
    };
    afterEach(() => {
      allLogs.push(...logs);
    });

    // The sign-up asserts that the stored hash has the production parameters; the rest of the journey is not about
    // hashing (its first log-in re-hashes the password with the cheaper ones, as it would after a change of SCRYPT_PARAMS).
    it(
      "signs up: 201 with id, email, name and createdAt, a user item and an email claim",
      withProductionScrypt(async () => {
        const response = await send({ method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "  Alice  " } });

        expect(response.status).toBe(201);
        expect(response.body).toEqual({ id: expect.stringMatching(UUID), email, name: "Alice", createdAt: expect.stringMatching(ISO) });
        id = response.body.id;
        expect(response.headers.Location).toBe(`/users/${id}`);
        const user = await userItem(id);
        expect(user).toEqual({
          pk: { S: `user#${id}` },
          id: { S: id },
          email: { S: email },
          name: { S: "Alice" },
          passwordHash: { S: expect.stringMatching(/^scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/) },
          credentialGeneration: { N: "0" },
          createdAt: { S: response.body.createdAt },
          updatedAt: { S: response.body.createdAt },
          version: { N: "1" },
        });
        expect(await claimItem(email)).toEqual({
          pk: { S: `email#${email.toLowerCase()}` },
          userId: { S: id },
          createdAt: { S: response.body.createdAt },
        });
      }),
    );

    it.each([
      ["the same email", () => email],
      ["the email in another case", () => email.toUpperCase()],
      ["the email with surrounding whitespace", () => `  ${email.toLowerCase()}\t`],
    ])("refuses a second sign-up with %s: 409, nothing written", async (_case, duplicate) => {
      const before = await scanTables(db);

      const response = await send({ method: "POST", resource: "/users", json: { email: duplicate(), password: NEW_PASSWORD, name: "Eve" } });

      expect(response.status).toBe(409);
      expect(response.body).toEqual({ error: { code: "CONFLICT", message: "An account with this email address already exists" } });
      expect(await scanTables(db)).toEqual(before);
    });

    it("logs in: 201 with a token", async () => {
      first = (await send({ method: "POST", resource: "/sessions", json: { email, password: PASSWORD } })).body.token;

      expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it("refuses a wrong password and an unknown email with the same 401", async () => {
      const wrong = await send({ method: "POST", resource: "/sessions", json: { email, password: "not the password at all" } });
      const unknown = await send({ method: "POST", resource: "/sessions", json: { email: `x${email}`, password: PASSWORD } });

      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body).toEqual({ error: { code: "UNAUTHORIZED", message: "Email or password is incorrect" } });
    });

    it("reads its profile: GET /users/me is 200 with version 1 and the version as ETag", async () => {
      const response = await send({ method: "GET", resource: "/users/me", token: first });

      expect(response.status).toBe(200);
      expect(response.headers.ETag).toBe('"1"');
      expect(response.body).toEqual({
        id,
        email,
        name: "Alice",
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
        version: 1,
      });
    });

    it("reads its own profile by id (200) but not another user's (403)", async () => {
      const other = await signUp();

      const own = await send({ method: "GET", resource: "/users/{id}", pathParameters: { id }, token: first });
      const foreign = await send({ method: "GET", resource: "/users/{id}", pathParameters: { id: other.id }, token: first });
      const missing = await send({ method: "GET", resource: "/users/{id}", pathParameters: { id: "no-such-user" }, token: first });

      expect(own.status).toBe(200);
      expect(own.body.id).toBe(id);
      expect(foreign.status).toBe(403);
      expect(foreign.body).toEqual({ error: { code: "FORBIDDEN", message: "You can only read your own profile" } });
      expect(missing.status).toBe(403);
    });

    it("changes its name: 200, version 2, a new updatedAt", async () => {
      const before = await send({ method: "GET", resource: "/users/me", token: first });

      const response = await send({
        method: "PATCH",
        resource: "/users/me",
        token: first,
        headers: { "If-Match": '"1"' },
        json: { name: "Alice Liddell" },
      });

      expect(response.status).toBe(200);
      expect(response.headers.ETag).toBe('"2"');
      expect(response.body).toMatchObject({ id, email, name: "Alice Liddell", version: 2, createdAt: before.body.createdAt });
      expect(Date.parse(response.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(before.body.updatedAt));
      expect((await userItem(id))?.version).toEqual({ N: "2" });
    });

    it("refuses a change made against a stale version (If-Match 1 after version 2): 409, nothing written", async () => {
      const before = await scanTables(db);

      const response = await send({
        method: "PATCH",
        resource: "/users/me",
        token: first,
        headers: { "If-Match": '"1"' },
        json: { name: "Stale" },
      });

      expect(response.status).toBe(409);
      expect(response.body.error).toEqual({
        code: "CONFLICT",
        message: "The profile is at version 2, not 1: reload it and retry",
        details: { currentVersion: 2 },
      });
      expect(await scanTables(db)).toEqual(before);
    });

    it("has three sessions after two more log-ins", async () => {
      second = await logIn(email);
      third = await logIn(email);

      expect(await sessionHashesOf(id)).toEqual([first, second, third].map(sha256).sort());
    });

    it("needs currentPassword to change the password (400 without, 401 when wrong), writing nothing", async () => {
      const before = await scanTablesExceptFailureCounts(db);

      const without = await send({ method: "PATCH", resource: "/users/me", token: first, json: { password: NEW_PASSWORD } });
      const wrong = await send({
        method: "PATCH",
        resource: "/users/me",
        token: first,
        json: { password: NEW_PASSWORD, currentPassword: "this is not it at all" },
      });

      expect(without.status).toBe(400);
      expect(without.body.error).toMatchObject({
        code: "VALIDATION_ERROR",
        message: "Invalid request body: currentPassword is required to change the password",
      });
      expect(wrong.status).toBe(401);
      expect(wrong.body.error).toEqual({ code: "UNAUTHORIZED", message: "currentPassword is incorrect" });
      expect(await scanTablesExceptFailureCounts(db)).toEqual(before);
    });

    it("changes the password: 200, version 3, the other sessions end and the current one stays", async () => {
      const response = await send({
        method: "PATCH",
        resource: "/users/me",
        token: first,
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
      });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ id, name: "Alice Liddell", version: 3 });
      expect(await sessionHashesOf(id)).toEqual([sha256(first)]);
      expect((await send({ method: "GET", resource: "/users/me", token: first })).status).toBe(200);
      for (const ended of [second, third]) {
        expect(await send({ method: "GET", resource: "/users/me", token: ended })).toMatchObject({ status: 401, body: { message: "Unauthorized" } });
      }
    });

    it("logs in with the new password only", async () => {
      const old = await send({ method: "POST", resource: "/sessions", json: { email, password: PASSWORD } });

      expect(old.status).toBe(401);
      afterPasswordChange = await logIn(email, NEW_PASSWORD);
    });

    it("logs out: 204, and the authorizer rejects the token from then on", async () => {
      const response = await send({ method: "DELETE", resource: "/sessions/current", token: first });

      expect(response.status).toBe(204);
      expect(await getItem(db.tables.sessions, { tokenHash: { S: sha256(first) } })).toBeUndefined();
      await expect(
        authorizer(authorizerEvent({ method: "GET", resource: "/users/me", headers: { Authorization: `Bearer ${first}` } })),
      ).rejects.toThrow(new Error("Unauthorized"));
      expect(await send({ method: "GET", resource: "/sessions/current", token: first })).toMatchObject({ status: 401 });
    });

    it("deletes the account: 204, the user, its claim and all its sessions are gone", async () => {
      staleContext = await contextFor(afterPasswordChange);
      await logIn(email, NEW_PASSWORD);

      const response = await send({
        method: "DELETE",
        resource: "/users/me",
        token: afterPasswordChange,
        json: { currentPassword: NEW_PASSWORD },
      });

      expect(response.status).toBe(204);
      expect(response.raw).toBe("");
      expect(await userItem(id)).toBeUndefined();
      expect(await claimItem(email)).toBeUndefined();
      expect(await sessionHashesOf(id)).toEqual([]);
    });

    it("rejects the deleted user's token at the authorizer", async () => {
      const response = await send({ method: "GET", resource: "/users/me", token: afterPasswordChange });

      expect(response).toMatchObject({ status: 401, body: { message: "Unauthorized" } });
    });

    it.each([
      ["GET", "/users/me", undefined],
      ["PATCH", "/users/me", { name: "Ghost" }],
      ["DELETE", "/users/me", { currentPassword: NEW_PASSWORD }],
      ["GET", "/users/{id}", undefined],
    ])("answers %s %s with 401 when a stale authorizer context of the deleted user reaches it", async (method, resource, json) => {
      const before = await scanTables(db);

      const response = await call(users, {
        method,
        resource,
        json,
        pathParameters: resource === "/users/{id}" ? { id } : null,
        authorizer: staleContext,
      });

      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({ code: "UNAUTHORIZED", message: "The account of this session no longer exists; log in again" });
      expect(await scanTables(db)).toEqual(before);
    });

    it.each([
      ["PATCH", { name: "After log-out" }],
      ["DELETE", { currentPassword: PASSWORD }],
    ])("refuses %s /users/me for a logged-out session whose authorizer decision is still cached: 401, nothing changed", async (method, json) => {
      const account = await signUp();
      const token = await logIn(account.email);
      const cached = await contextFor(token);
      expect((await api({ method: "DELETE", resource: "/sessions/current", token })).status).toBe(204);
      const before = await scanTables(db);

      const response = await call(users, { method, resource: "/users/me", json, authorizer: cached });

      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({
        code: "UNAUTHORIZED",
        message: "This session has ended (logged out, expired or idle for too long); log in again",
      });
      expect(await scanTables(db)).toEqual(before);
    });

    it("lets the address be used for a new account once the old one is deleted", async () => {
      const response = await send({
        method: "POST",
        resource: "/users",
        json: { email: email.toLowerCase(), password: PASSWORD, name: "Alice again" },
      });

      expect(response.status).toBe(201);
      expect(response.body.id).not.toBe(id);
    });

    it("never answered with a password, a password hash or a token hash, and never logged a secret or the email", async () => {
      const tokens = [first, second, third, afterPasswordChange];
      const hashes = tokens.map(sha256);
      const bodies = responses.map((r) => r.raw).join("\n");
      for (const secret of [PASSWORD, NEW_PASSWORD, "passwordHash", "scrypt$", "tokenHash", ...hashes]) {
        expect(bodies).not.toContain(secret);
      }
      const output = allLogs.join("\n");
      expect(output).toContain("user signed up");
      for (const secret of [PASSWORD, NEW_PASSWORD, "scrypt$", email, email.toLowerCase(), ...tokens, ...hashes]) {
        expect(output).not.toContain(secret);
      }
    });
  });

  describe("DynamoDB unavailable", () => {
    it.each([
      [
        "throttles every write",
        (c: DynamoCall): InterceptedAnswer | void =>
          c.operation === "PutItem" ? { status: 400, type: "ProvisionedThroughputExceededException" } : undefined,
      ],
      ["fails with internal errors", (): InterceptedAnswer => ({ status: 500, type: "InternalServerError" })],
    ])(
      "answers a sign-up 503 SERVICE_UNAVAILABLE with Retry-After, not 500, when DynamoDB %s, and stores nothing",
      withoutRetryWaits(async (_, intercept) => {
        const before = await scanTables(db);
        const { handler, proxy } = await usersVia(intercept);

        const response = await call(handler, {
          method: "POST",
          resource: "/users",
          json: { email: uniqueEmail(), password: PASSWORD, name: "Pat" },
        });
        await proxy.close();

        expect(response.status).toBe(503);
        expect(response.body).toEqual({ error: { code: "SERVICE_UNAVAILABLE", message: expect.any(String) } });
        expect(response.body.error.message.length).toBeGreaterThan(0);
        expect(response.headers["Retry-After"]).toBe("1");
        expect(await scanTables(db)).toEqual(before);
        expect(logs.some((line) => line.includes("dependency unavailable"))).toBe(true);
      }),
      20_000,
    );
  });

  describe("sign-up without transactions", () => {
    it("takes over an orphan claim (its user was never written) older than 5 minutes", async () => {
      const email = uniqueEmail();
      const old = new Date(Date.now() - 6 * 60 * 1000).toISOString();
      await db.request("PutItem", {
        TableName: db.tables.users,
        Item: { pk: { S: `email#${email}` }, userId: { S: "crashed-sign-up" }, createdAt: { S: old } },
      });

      const user = await signUp(email);

      expect((await claimItem(email))?.userId).toEqual({ S: user.id });
      expect(await userItem(user.id)).toBeDefined();
      expect(logs.join("\n")).toContain("orphan email claim taken over");
    });

    it("answers 409 for a claim without user younger than 5 minutes: a sign-up may still be between its writes", async () => {
      const email = uniqueEmail();
      await db.request("PutItem", {
        TableName: db.tables.users,
        Item: { pk: { S: `email#${email}` }, userId: { S: "in-flight" }, createdAt: { S: new Date().toISOString() } },
      });
      const before = await scanTables(db);

      const response = await api({ method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "Late" } });

      expect(response.status).toBe(409);
      expect(await scanTables(db)).toEqual(before);
    });

    it("releases the claim when writing the user fails (compensation), so the address stays free", async () => {
      const email = uniqueEmail();
      const { handler, proxy } = await usersVia((c) =>
        c.operation === "PutItem" && String(c.body.Item?.pk?.S).startsWith("user#")
          ? { status: 400, type: "ValidationException", message: "injected failure" }
          : undefined,
      );
      const before = await scanTables(db);

      const response = await call(handler, { method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "Unlucky" } });
      await proxy.close();

      expect(response.status).toBe(500);
      expect(response.body.error).toMatchObject({ code: "INTERNAL_ERROR", message: "Internal server error" });
      expect(proxy.calls.map((c) => c.operation)).toEqual(["PutItem", "PutItem", "DeleteItem"]);
      expect(proxy.calls[2].body).toMatchObject({
        Key: { pk: { S: `email#${email}` } },
        ConditionExpression: "#userId = :userId",
      });
      expect(await scanTables(db)).toEqual(before);
      expect((await signUp(email)).id).toMatch(UUID);
    });

    it("lets exactly one of two simultaneous sign-ups for the same address win", async () => {
      const email = uniqueEmail();

      const results = await Promise.all([
        api({ method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "One" } }),
        api({ method: "POST", resource: "/users", json: { email: email.toUpperCase(), password: PASSWORD, name: "Two" } }),
      ]);

      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      const winner = results.find((r) => r.status === 201)?.body.id;
      expect((await claimItem(email))?.userId).toEqual({ S: winner });
      const owners = (await scanTable(db, db.tables.users)).filter((i) => String((i.email as { S?: string } | undefined)?.S).toLowerCase() === email);
      expect(owners).toHaveLength(1);
    });
  });

  describe("PATCH /users/me", () => {
    let user: { id: string; email: string };
    let token: string;

    beforeEach(async () => {
      user = await signUp();
      token = await logIn(user.email);
    });

    it.each(['"1"', "1", 'W/"1"', ' "1" ', "*"])("accepts If-Match %s for version 1", async (ifMatch) => {
      const response = await api({ method: "PATCH", resource: "/users/me", token, headers: { "If-Match": ifMatch }, json: { name: "Renamed" } });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ name: "Renamed", version: 2 });
    });

    it("answers 409 when another request changes the profile between the read and the write (stale version)", async () => {
      const { handler, proxy } = await usersVia(async (c) => {
        if (c.operation === "UpdateItem") {
          // The racing request: bumps the version as a concurrent PATCH would.
          await db.request("UpdateItem", {
            TableName: db.tables.users,
            Key: { pk: { S: `user#${user.id}` } },
            UpdateExpression: "SET #n = :n, version = version + :one",
            ExpressionAttributeNames: { "#n": "name" },
            ExpressionAttributeValues: { ":n": { S: "Winner" }, ":one": { N: "1" } },
          });
        }
      });
      const context = await contextFor(token, "PATCH");

      const response = await call(handler, { method: "PATCH", resource: "/users/me", json: { name: "Loser" }, authorizer: context });
      await proxy.close();

      expect(response.status).toBe(409);
      expect(response.body.error).toEqual({ code: "CONFLICT", message: "The profile was changed by another request: reload it and retry" });
      expect(proxy.calls.find((c) => c.operation === "UpdateItem")?.body).toMatchObject({
        ConditionExpression: "attribute_exists(#pk) AND (attribute_not_exists(#generation) OR #generation = :generation) AND #version = :expected",
        ExpressionAttributeValues: { ":expected": { N: "1" }, ":generation": { N: "0" } },
      });
      const stored = await userItem(user.id);
      expect(stored).toMatchObject({ name: { S: "Winner" }, version: { N: "2" } });
    });

    it("answers 401, not 409, when the account is deleted between the read and the write", async () => {
      const { handler, proxy } = await usersVia(async (c) => {
        if (c.operation === "UpdateItem") {
          // The racing DELETE /users/me: the user item goes first.
          await db.request("DeleteItem", { TableName: db.tables.users, Key: { pk: { S: `user#${user.id}` } } });
        }
      });
      const context = await contextFor(token, "PATCH");

      const response = await call(handler, { method: "PATCH", resource: "/users/me", json: { name: "Too late" }, authorizer: context });
      await proxy.close();

      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({ code: "UNAUTHORIZED", message: "The account of this session no longer exists; log in again" });
      expect(response.headers).toMatchObject({ "WWW-Authenticate": "Bearer" });
      expect(await userItem(user.id)).toBeUndefined();
    });

    it("ends every other session of the user, in batches of 25, and no session of anyone else", async () => {
      const others = await seedSessions(user.id, 60);
      const stranger = await signUp();
      const strangers = await seedSessions(stranger.id, 3);
      const { handler, proxy } = await usersVia(() => undefined);
      const context = await contextFor(token, "PATCH");

      const response = await call(handler, {
        method: "PATCH",
        resource: "/users/me",
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
        authorizer: context,
      });
      await proxy.close();

      expect(response.status).toBe(200);
      expect(others).toHaveLength(60);
      expect(await sessionHashesOf(user.id)).toEqual([sha256(token)]);
      expect(await sessionHashesOf(stranger.id)).toEqual([...strangers].sort());
      const batches = proxy.calls.filter((c) => c.operation === "BatchWriteItem");
      expect(batches.map((b) => b.body.RequestItems[db.tables.sessions].length)).toEqual([25, 25, 10]);
      expect(proxy.calls.find((c) => c.operation === "Query")?.body).toMatchObject({
        TableName: db.tables.sessions,
        IndexName: "byUserId",
        KeyConditionExpression: "#userId = :userId",
      });
    });

    it("retries the deletes DynamoDB leaves unprocessed", async () => {
      await seedSessions(user.id, 3);
      let unprocessed = 0;
      const { handler, proxy } = await usersVia((c) => {
        // The first two attempts write nothing and hand every request back, as a throttled table does.
        if (c.operation === "BatchWriteItem" && unprocessed < 2) {
          unprocessed++;
          return { status: 200, body: { UnprocessedItems: c.body.RequestItems } };
        }
        return undefined;
      });
      const context = await contextFor(token, "PATCH");

      const response = await call(handler, {
        method: "PATCH",
        resource: "/users/me",
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
        authorizer: context,
      });
      await proxy.close();

      expect(response.status).toBe(200);
      const batches = proxy.calls.filter((c) => c.operation === "BatchWriteItem");
      expect(batches).toHaveLength(3);
      expect(batches[2].body).toEqual(batches[0].body);
      expect(await sessionHashesOf(user.id)).toEqual([sha256(token)]);
    });

    it("keeps the password and the sessions when currentPassword is wrong", async () => {
      await seedSessions(user.id, 2);
      const before = await scanTablesExceptFailureCounts(db);

      const response = await api({
        method: "PATCH",
        resource: "/users/me",
        token,
        json: { password: NEW_PASSWORD, currentPassword: `${PASSWORD}!` },
      });

      expect(response.status).toBe(401);
      expect(await scanTablesExceptFailureCounts(db)).toEqual(before);
    });

    it("refuses every route to a session of the old password that the index did not list (generation compare)", async () => {
      const other = await logIn(user.email);
      const otherContext = await contextFor(other);
      // What an index lagging behind the session's write leaves: a session the change does not delete.
      const { handler, proxy } = await usersVia((c) => (c.operation === "Query" ? { status: 200, body: { Items: [], Count: 0 } } : undefined));
      const change = await call(handler, {
        method: "PATCH",
        resource: "/users/me",
        authorizer: await contextFor(token, "PATCH"),
        json: { password: NEW_PASSWORD, currentPassword: PASSWORD },
      });
      await proxy.close();
      expect(change.status).toBe(200);
      expect(await getItem(db.tables.sessions, { tokenHash: { S: sha256(other) } })).toBeDefined();

      const answers = await Promise.all([
        call(users, { method: "GET", resource: "/users/me", authorizer: otherContext }),
        call(users, { method: "GET", resource: "/users/{id}", pathParameters: { id: user.id }, authorizer: otherContext }),
        call(users, { method: "PATCH", resource: "/users/me", authorizer: otherContext, json: { name: "Mallory" } }),
        call(users, { method: "DELETE", resource: "/users/me", authorizer: otherContext, json: { currentPassword: NEW_PASSWORD } }),
        call(sessions, { method: "GET", resource: "/sessions/current", authorizer: otherContext }),
      ]);

      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401]);
      expect(answers[0].body.error).toEqual({
        code: "UNAUTHORIZED",
        message: "This session was ended by a password change or a log-out everywhere; log in again",
      });
      expect(await userItem(user.id)).toMatchObject({ credentialGeneration: { N: "1" }, version: { N: "2" } });
      expect((await api({ method: "GET", resource: "/users/me", token })).status).toBe(200);
    });
  });

  describe("common and breached passwords (issue 21)", () => {
    const BREACHED = "Password1234";
    const BREACHED_ERROR = {
      code: "VALIDATION_ERROR",
      message: "Invalid request body: password is too common (it appears in lists of breached passwords); choose another",
      details: [{ field: "password", message: "password is too common (it appears in lists of breached passwords); choose another" }],
    };
    const randomPassword = (): string => randomBytes(15).toString("base64url");

    it("refuses one at sign-up with a 400 naming the rule, creating no account and no claim", async () => {
      const before = await scanTables(db);

      const response = await api({ method: "POST", resource: "/users", json: { email: uniqueEmail(), password: BREACHED, name: "Pat" } });

      expect(response.status).toBe(400);
      expect(response.body.error).toEqual(BREACHED_ERROR);
      expect(await scanTables(db)).toEqual(before);
    });

    it("refuses one as a new password with a 400 naming the rule: the old password still logs in, the sessions stay", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const before = await scanTables(db);

      const response = await api({ method: "PATCH", resource: "/users/me", token, json: { password: BREACHED, currentPassword: PASSWORD } });

      expect(response.status).toBe(400);
      expect(response.body.error).toEqual(BREACHED_ERROR);
      expect(await scanTables(db)).toEqual(before);
      expect((await api({ method: "POST", resource: "/sessions", json: { email: user.email, password: BREACHED } })).status).toBe(401);
      await logIn(user.email);
    });

    it("accepts random strong passwords at sign-up and at a password change, and logs in with them", async () => {
      const email = uniqueEmail();
      const first = randomPassword();
      const second = randomPassword();
      const signedUp = await api({ method: "POST", resource: "/users", json: { email, password: first, name: "Pat" } });
      expect(signedUp.status).toBe(201);
      const token = await logIn(email, first);

      const changed = await api({ method: "PATCH", resource: "/users/me", token, json: { password: second, currentPassword: first } });

      expect(changed.status).toBe(200);
      await logIn(email, second);
    });
  });

  describe("DELETE /users/me", () => {
    it("deletes every session of the user across index pages and batches, and only theirs", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      await seedSessions(user.id, 130);
      const stranger = await signUp();
      const strangers = await seedSessions(stranger.id, 2);
      const { handler, proxy } = await usersVia(() => undefined);

      const response = await call(handler, {
        method: "DELETE",
        resource: "/users/me",
        authorizer: await contextFor(token, "DELETE"),
        json: { currentPassword: PASSWORD },
      });
      await proxy.close();

      expect(response.status).toBe(204);
      expect(await sessionHashesOf(user.id)).toEqual([]);
      expect(await sessionHashesOf(stranger.id)).toEqual([...strangers].sort());
      expect(proxy.calls.filter((c) => c.operation === "Query").length).toBeGreaterThanOrEqual(2);
      expect(proxy.calls.filter((c) => c.operation === "BatchWriteItem")).toHaveLength(Math.ceil(131 / 25));
      // The caller's live session and user are checked first, in one call, then the account's failed-password count
      // is read (login-throttle.ts), then the user goes before its claim.
      expect(proxy.calls.slice(0, 4).map((c) => [c.operation, c.body.Key?.pk?.S ?? Object.keys(c.body.RequestItems).sort().join()])).toEqual([
        ["BatchGetItem", [db.tables.sessions, db.tables.users].sort().join()],
        ["GetItem", expect.stringMatching(/^loginfail#/)],
        ["DeleteItem", `user#${user.id}`],
        ["DeleteItem", `email#${user.email}`],
      ]);
    });

    it("leaves a claim alone that a new sign-up already took over", async () => {
      const user = await signUp();
      const token = await logIn(user.email);
      const context = await contextFor(token, "DELETE");
      const { handler, proxy } = await usersVia(async (c) => {
        if (c.operation === "DeleteItem" && c.body.Key.pk.S.startsWith("email#")) {
          await db.request("PutItem", {
            TableName: db.tables.users,
            Item: { pk: { S: `email#${user.email}` }, userId: { S: "newcomer" }, createdAt: { S: new Date().toISOString() } },
          });
        }
      });

      const response = await call(handler, { method: "DELETE", resource: "/users/me", authorizer: context, json: { currentPassword: PASSWORD } });
      await proxy.close();

      expect(response.status).toBe(204);
      expect((await claimItem(user.email))?.userId).toEqual({ S: "newcomer" });
    });
  });

  describe("routing", () => {
    it.each([
      ["GET", "/users", 405, "METHOD_NOT_ALLOWED", { Allow: "POST" }],
      ["PUT", "/users/me", 405, "METHOD_NOT_ALLOWED", { Allow: "GET, PATCH, DELETE" }],
      ["DELETE", "/users/{id}", 405, "METHOD_NOT_ALLOWED", { Allow: "GET" }],
      ["GET", "/sessions/current", 404, "ROUTE_NOT_FOUND", {}],
      ["GET", "/", 404, "ROUTE_NOT_FOUND", {}],
    ])("answers %s %s with %i", async (method, resource, status, code, headers) => {
      const response = await call(users, { method, resource });

      expect(response.status).toBe(status);
      expect(response.body.error.code).toBe(code);
      expect(response.headers).toMatchObject(headers);
    });

    it("answers 401 on a bearer route without authorizer context (defence in depth)", async () => {
      const response = await call(users, { method: "GET", resource: "/users/me" });

      expect(response.status).toBe(401);
      expect(response.headers["WWW-Authenticate"]).toBe("Bearer");
    });
  });

  it("adds CORS headers for an allowed origin only", async () => {
    const withCors = load<ProxyHandler>("users", { ALLOWED_ORIGINS: "https://app.example.com" });

    const allowed = await call(withCors, { method: "GET", resource: "/users/me", headers: { Origin: "https://app.example.com" } });
    const other = await call(withCors, { method: "GET", resource: "/users/me", headers: { Origin: "https://evil.example.com" } });

    expect(allowed.headers["Access-Control-Allow-Origin"]).toBe("https://app.example.com");
    expect(other.headers["Access-Control-Allow-Origin"]).toBeUndefined();
  });

  it.each(["USERS_TABLE_NAME", "SESSIONS_TABLE_NAME"])("fails the cold start when %s is missing", (variable) => {
    expect(() => load("users", { [variable]: undefined })).toThrow(`Missing required environment variable ${variable}`);
  });

  describe("the built ZIP (dist/users.zip)", () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "users-zip-"));
      for (const [name, bytes] of Object.entries(unzipSync(readFileSync(loadLambdaArtifact("users").zipPath)))) {
        writeFileSync(join(dir, name), bytes);
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("signs up against dynalite from its lambda-handler.js", async () => {
      const zipped = loadHandler<{ handler: ProxyHandler }>(join(dir, "lambda-handler.js"), handlerEnv(db)).handler;
      const email = uniqueEmail();

      const response = await call(zipped, { method: "POST", resource: "/users", json: { email, password: PASSWORD, name: "Zip" } });

      expect(response.status).toBe(201);
      expect((await claimItem(email))?.userId).toEqual({ S: response.body.id });
    });
  });
});
