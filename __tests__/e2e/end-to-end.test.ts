/**
 * The end-to-end suite: black-box, over HTTP to the API only, reading the tables directly to check what was
 * stored. It runs against the local stack by default (part of `npm test`) and against a deployment with
 * `npm run test:deployed -- <outputs.json>` (see target.ts). Every expectation here must hold on both: a
 * revoked token is refused at once on every bearer route, even when the authorizer cache (60 s in prod) still
 * lets it through, because every function checks the session in the call that reads the caller's data.
 */
import { createHash, randomBytes } from "node:crypto";
import { grantKey } from "../../tools/local/iam/local-iam";
import type { ApiRequestOptions, ApiResponse } from "../../tools/target/api-client";
import { GRANTS_NOT_EXERCISED_BY_E2E, namesGrant } from "../support/iam-grants";
import { startTarget, type E2eTarget } from "./target";
import { GATEWAY_RESPONSES } from "../../app/lambda-packages/shared/error-codes";
import { ROUTES, routeKey } from "../../app/stacks/routes";
import { newJourneyState } from "../../tools/contract/journey";
import { contractFileOf, journeySteps } from "../../tools/contract/route-contracts";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a new password, longer still";
const JSON_TYPE = { "Content-Type": "application/json" };
const SCRYPT_HASH = /^scrypt\$N=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;

const uniqueEmail = (label: string): string => `e2e-${label}-${randomBytes(6).toString("hex")}@example.com`;
const sha256 = (token: string): string => createHash("sha256").update(token).digest("base64url");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe(`the API end to end (${process.env.E2E_TARGET ?? "local"} target)`, () => {
  let target: E2eTarget;

  beforeAll(async () => {
    target = await startTarget();
  }, 120_000);

  afterAll(async () => {
    await target?.close();
  });

  // Last (jest runs a file's tests in order): every response of the suite was checked against docs/openapi.json.
  afterAll(() => {
    expect(target?.contract.problems).toEqual([]);
    expect(target?.contract.checked).toBeGreaterThan(50);
  });

  const api = <T = any>(method: string, path: string, options?: ApiRequestOptions): Promise<ApiResponse<T>> => target.api<T>(method, path, options);
  const userItem = (id: string) => target.db.getItem(target.tables.users, { pk: `user#${id}` });
  const claimItem = (email: string) => target.db.getItem(target.tables.users, { pk: `email#${email.trim().toLowerCase()}` });
  const sessionItem = (token: string) => target.db.getItem(target.tables.sessions, { tokenHash: sha256(token) });
  const sessionsOf = (userId: string) => target.db.queryIndex(target.tables.sessions, "byUserId", "userId", userId);

  async function signUp(email: string, name = "E2E User"): Promise<{ id: string; email: string }> {
    const response = await api("POST", "/users", { json: { email, password: PASSWORD, name } });
    expect(response.status).toBe(201);
    return response.body;
  }

  async function logIn(email: string, password = PASSWORD): Promise<string> {
    const response = await api("POST", "/sessions", { json: { email, password } });
    expect(response.status).toBe(201);
    return response.body.token;
  }

  test("GET /health answers 200 with both tables reachable", async () => {
    const response = await api("GET", "/health");

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: "ok", checks: { usersTable: { status: "ok" }, sessionsTable: { status: "ok" } } });
  });

  describe("the journey of a user", () => {
    const email = uniqueEmail("journey");
    let userId: string;
    let token: string;
    let metricsBefore: Record<string, number> | undefined;

    beforeAll(async () => {
      metricsBefore = await target.metrics?.();
    });

    test("signs up and is stored with an scrypt hash of the password and a claim on the email", async () => {
      const response = await api("POST", "/users", { json: { email, password: PASSWORD, name: "Ada Lovelace" } });

      expect(response.status).toBe(201);
      expect(Object.keys(response.body).sort()).toEqual(["createdAt", "email", "id", "name"]);
      expect(response.body).toMatchObject({ email, name: "Ada Lovelace" });
      userId = response.body.id;

      const user = await userItem(userId);
      expect(user).toEqual({
        pk: `user#${userId}`,
        id: userId,
        email,
        name: "Ada Lovelace",
        passwordHash: expect.stringMatching(SCRYPT_HASH),
        credentialGeneration: 0,
        createdAt: response.body.createdAt,
        updatedAt: response.body.createdAt,
        version: 1,
      });
      expect(user!.passwordHash).not.toContain(PASSWORD);
      expect(await claimItem(email)).toMatchObject({ userId });
    });

    test("a second sign-up with the same email, in other case and with spaces, is refused with 409", async () => {
      const response = await api("POST", "/users", { json: { email: `  ${email.toUpperCase()} `, password: PASSWORD, name: "Impostor" } });

      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe("CONFLICT");
      expect(await claimItem(email)).toMatchObject({ userId });
    });

    test("logs in and only the hash of the session token is stored, with an expiry in the future", async () => {
      const response = await api("POST", "/sessions", { json: { email, password: PASSWORD } });

      expect(response.status).toBe(201);
      expect(response.body.user).toMatchObject({ id: userId, email, version: 1 });
      expect(response.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      token = response.body.token;

      const session = await sessionItem(token);
      expect(session).toEqual({
        tokenHash: sha256(token),
        userId,
        createdAt: expect.any(Number),
        expiresAt: expect.any(Number),
        credentialGeneration: 0,
        lastUsedAt: session!.createdAt,
        userAgent: expect.any(String),
      });
      expect(session!.expiresAt).toBeGreaterThan(Math.floor(Date.now() / 1000));
      expect(JSON.stringify(session)).not.toContain(token);
      expect(await target.db.getItem(target.tables.sessions, { tokenHash: token })).toBeUndefined();
    });

    test("a wrong password is refused with 401 and the same message as an unknown email", async () => {
      const wrongPassword = await api("POST", "/sessions", { json: { email, password: "not the password at all" } });
      const unknownEmail = await api("POST", "/sessions", { json: { email: uniqueEmail("nobody"), password: PASSWORD } });

      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      expect(wrongPassword.body.error).toEqual(unknownEmail.body.error);
    });

    test("GET /users/me and GET /users/{id} return the caller's profile, and another id is 403", async () => {
      const me = await api("GET", "/users/me", { token });
      const byId = await api("GET", `/users/${userId}`, { token });
      const other = await api("GET", "/users/00000000-0000-4000-8000-000000000000", { token });

      expect(me.status).toBe(200);
      expect(me.body).toEqual({ id: userId, email, name: "Ada Lovelace", createdAt: expect.any(String), updatedAt: expect.any(String), version: 1 });
      expect(byId.body).toEqual(me.body);
      expect(other.status).toBe(403);
    });

    test("GET /sessions/current describes the caller's session", async () => {
      const response = await api("GET", "/sessions/current", { token });

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ userId, createdAt: expect.any(String), expiresAt: expect.any(String), idleExpiresAt: expect.any(String) });
    });

    test("a name change with If-Match of the current version is stored with the next version", async () => {
      const response = await api("PATCH", "/users/me", { token, json: { name: "Ada King" }, headers: { "If-Match": '"1"' } });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ name: "Ada King", version: 2 });
      expect(await userItem(userId)).toMatchObject({ name: "Ada King", version: 2 });
    });

    test("a change based on an old version is refused with 409 and stores nothing", async () => {
      const response = await api("PATCH", "/users/me", { token, json: { name: "Lost Update" }, headers: { "If-Match": '"1"' } });

      expect(response.status).toBe(409);
      expect(await userItem(userId)).toMatchObject({ name: "Ada King", version: 2 });
    });

    test("a password change needs the current password and ends the user's other sessions", async () => {
      const otherToken = await logIn(email);
      const wrongCurrent = await api("PATCH", "/users/me", { token, json: { password: NEW_PASSWORD, currentPassword: "not the password at all" } });
      expect(wrongCurrent.status).toBe(401);
      expect(await sessionItem(otherToken)).toBeDefined();

      const changed = await api("PATCH", "/users/me", { token, json: { password: NEW_PASSWORD, currentPassword: PASSWORD } });

      expect(changed.status).toBe(200);
      expect(changed.body.version).toBe(3);
      expect(await userItem(userId)).toMatchObject({ credentialGeneration: 1 });
      expect(await sessionItem(token)).toMatchObject({ credentialGeneration: 1 });
      expect(await sessionItem(otherToken)).toBeUndefined();
      expect((await api("GET", "/sessions/current", { token: otherToken })).status).toBe(401);
      expect((await api("GET", "/sessions/current", { token })).status).toBe(200);
      expect((await api("POST", "/sessions", { json: { email, password: PASSWORD } })).status).toBe(401);
      expect(await logIn(email, NEW_PASSWORD)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    test("GET /sessions lists the live sessions, newest first, the caller's marked, without tokens", async () => {
      const response = await api("GET", "/sessions", { token });

      expect(response.status).toBe(200);
      // The session kept through the password change and the log-in with the new password.
      expect(response.body.sessions.map((s: { current: boolean }) => s.current)).toEqual([false, true]);
      expect(response.text).not.toContain(token);
      expect(response.text).not.toContain(sha256(token));
    });

    test("log-out ends the session at once for reads too: its item is gone and the token is refused", async () => {
      expect((await api("GET", "/users/me", { token })).status).toBe(200);

      const response = await api("DELETE", "/sessions/current", { token });

      expect(response.status).toBe(204);
      expect(await sessionItem(token)).toBeUndefined();
      expect((await api("GET", "/users/me", { token })).status).toBe(401);
      expect((await api("GET", "/sessions/current", { token })).status).toBe(401);
    });

    test("log out everywhere ends every session of the account, the caller's own included", async () => {
      const first = await logIn(email, NEW_PASSWORD);
      const second = await logIn(email, NEW_PASSWORD);
      expect((await api("GET", "/users/me", { token: second })).status).toBe(200);

      const response = await api("DELETE", "/sessions", { token: first });

      expect(response.status).toBe(204);
      expect(await userItem(userId)).toMatchObject({ credentialGeneration: 2 });
      expect((await api("GET", "/users/me", { token: first })).status).toBe(401);
      expect((await api("GET", "/users/me", { token: second })).status).toBe(401);
      expect(await sessionItem(first)).toBeUndefined();
      expect(await sessionItem(second)).toBeUndefined();
    });

    test("deleting the account needs the current password; a wrong one deletes nothing", async () => {
      const lastToken = await logIn(email, NEW_PASSWORD);
      const without = await api("DELETE", "/users/me", { token: lastToken });
      const wrong = await api("DELETE", "/users/me", { token: lastToken, json: { currentPassword: PASSWORD } });

      expect([without.status, wrong.status]).toEqual([400, 401]);
      expect(await userItem(userId)).toBeDefined();
      expect(await sessionItem(lastToken)).toBeDefined();
    });

    test("deleting the account removes the user, its email claim and its sessions, and refuses its token", async () => {
      const lastToken = await logIn(email, NEW_PASSWORD);

      const response = await api("DELETE", "/users/me", { token: lastToken, json: { currentPassword: NEW_PASSWORD } });

      expect(response.status).toBe(204);
      expect(await userItem(userId)).toBeUndefined();
      expect(await claimItem(email)).toBeUndefined();
      expect(await sessionsOf(userId)).toEqual([]);
      expect((await api("GET", "/users/me", { token: lastToken })).status).toBe(401);
    });

    // Local target only: on AWS CloudWatch extracts the metrics, which the suite cannot read.
    const localOnly = (process.env.E2E_TARGET ?? "local") === "local" ? test : undefined;
    localOnly?.("the functions counted its business events as EMF metrics (GET /_local/metrics)", async () => {
      const after = await target.metrics!();
      const delta = Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - (metricsBefore?.[name] ?? 0)]));

      expect(delta).toEqual({
        SignUps: 1,
        LogInsSucceeded: 7,
        // wrong password, unknown email, the old password after the change
        LogInsFailed: 3,
        PasswordChanges: 1,
        LogOuts: 1,
        LogOutsEverywhere: 1,
        AccountDeletions: 1,
        // the other session after the password change, the token after log-out (twice), the two tokens after log out
        // everywhere, the token after deletion
        AuthorizerDenials: 6,
      });
    });
  });

  describe("an unauthenticated request never reaches a business function", () => {
    const unknownToken = randomBytes(32).toString("base64url");
    it.each([
      ["no Authorization header", undefined, false],
      ["a bearer value that is not a token", "Bearer not-a-token", true],
      ["Basic credentials", "Basic dXNlcjpwYXNzd29yZA==", true],
      ["a well-formed token of no session", `Bearer ${unknownToken}`, true],
    ])("GET /users/me with %s is refused by the gateway with 401", async (_, authorization, reachesAuthorizer) => {
      const before = target.invocations?.("GET", "/users/me");

      const response = await api("GET", "/users/me", { headers: authorization ? { Authorization: authorization } : {} });

      expect(response.status).toBe(401);
      // The gateway's own response, in the same vocabulary as the functions' errors.
      expect(response.body).toEqual({ error: { code: "UNAUTHORIZED", message: GATEWAY_RESPONSES.UNAUTHORIZED.message } });
      expect(response.headers.get("x-amzn-errortype")).toBe("UnauthorizedException");
      if (before) {
        const after = target.invocations!("GET", "/users/me");
        expect(after.function).toBe(before.function);
        expect(after.authorizer).toBe(before.authorizer + (reachesAuthorizer ? 1 : 0));
      }
    });
  });

  describe("bad input is answered 4xx and changes nothing", () => {
    let member: { id: string; email: string; token: string };

    beforeAll(async () => {
      const email = uniqueEmail("member");
      const { id } = await signUp(email, "Member");
      member = { id, email, token: await logIn(email) };
    });

    // A deployment keeps what the suite creates: the member goes, as the journey's user does.
    afterAll(async () => {
      if (member) expect((await api("DELETE", "/users/me", { token: member.token, json: { currentPassword: PASSWORD } })).status).toBe(204);
    });

    type BadRequest = (email: string) => ApiRequestOptions;
    const signUpBody = (email: string, overrides: Record<string, unknown> = {}) => ({ email, password: PASSWORD, name: "New User", ...overrides });

    it.each<[string, number, BadRequest]>([
      ["malformed JSON", 400, (email) => ({ body: `{"email":"${email}",`, headers: JSON_TYPE })],
      ["no body", 400, () => ({ headers: JSON_TYPE })],
      ["a JSON array", 400, (email) => ({ json: [signUpBody(email)] })],
      ["JSON null", 400, () => ({ body: "null", headers: JSON_TYPE })],
      ["a number as the name", 400, (email) => ({ json: signUpBody(email, { name: 42 }) })],
      ["a name of 101 characters", 400, (email) => ({ json: signUpBody(email, { name: "n".repeat(101) }) })],
      ["a password of 11 characters", 400, (email) => ({ json: signUpBody(email, { password: "short passw" }) })],
      ["an email that is not one", 400, () => ({ json: signUpBody("not-an-email") })],
      ["an unknown field", 400, (email) => ({ json: signUpBody(email, { admin: true }) })],
      [
        "an unpaired surrogate in the name",
        400,
        (email) => ({ body: JSON.stringify(signUpBody(email)).replace('"New User"', '"\\ud800"'), headers: JSON_TYPE }),
      ],
      ["a bidirectional override in the name", 400, (email) => ({ json: signUpBody(email, { name: "\u202Eevil" }) })],
      ["Content-Type text/plain", 415, (email) => ({ body: JSON.stringify(signUpBody(email)), headers: { "Content-Type": "text/plain" } })],
      ["no Content-Type", 415, (email) => ({ body: new TextEncoder().encode(JSON.stringify(signUpBody(email))) })],
      ["a body over 16 KB", 413, (email) => ({ json: signUpBody(email, { padding: "x".repeat(20_000) }) })],
    ])("POST /users with %s is answered %i and stores no user", async (_, status, request) => {
      const email = uniqueEmail("bad");

      const response = await api("POST", "/users", request(email));

      expect(response.status).toBe(status);
      expect(response.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
      expect(await claimItem(email)).toBeUndefined();
    });

    it.each<[string, number, BadRequest]>([
      ["malformed JSON", 400, (email) => ({ body: `{"email":"${email}"`, headers: JSON_TYPE })],
      ["an unknown field", 400, (email) => ({ json: { email, password: PASSWORD, remember: true } })],
      ["a number as the password", 400, (email) => ({ json: { email, password: 123456789012 } })],
      ["no password", 400, (email) => ({ json: { email } })],
      ["an empty password", 400, (email) => ({ json: { email, password: "" } })],
      [
        "Content-Type text/plain",
        415,
        (email) => ({ body: JSON.stringify({ email, password: PASSWORD }), headers: { "Content-Type": "text/plain" } }),
      ],
    ])("POST /sessions with %s is answered %i and starts no session", async (_, status, request) => {
      const before = await sessionsOf(member.id);

      const response = await api("POST", "/sessions", request(member.email));

      expect(response.status).toBe(status);
      expect(await sessionsOf(member.id)).toHaveLength(before.length);
    });

    it.each<[string, number, ApiRequestOptions]>([
      ["an empty object", 400, { json: {} }],
      ["an unknown field", 400, { json: { name: "X", version: 9 } }],
      ["an empty name", 400, { json: { name: "   " } }],
      ["a name of 101 characters", 400, { json: { name: "n".repeat(101) } }],
      ["a new password without the current one", 400, { json: { password: NEW_PASSWORD } }],
      ["a current password without a new one", 400, { json: { name: "X", currentPassword: PASSWORD } }],
      ["an If-Match that is not a version", 400, { json: { name: "X" }, headers: { "If-Match": "yesterday" } }],
      ["malformed JSON", 400, { body: '{"name":', headers: JSON_TYPE }],
      ["a JSON string", 400, { body: '"name"', headers: JSON_TYPE }],
    ])("PATCH /users/me with %s is answered %i and leaves the profile as it was", async (_, status, request) => {
      const before = await userItem(member.id);

      const response = await api("PATCH", "/users/me", { ...request, token: member.token });

      expect(response.status).toBe(status);
      expect(await userItem(member.id)).toEqual(before);
    });
  });

  describe("the journey declared beside each route (tools/contract/routes/<function>.ts)", () => {
    const state = newJourneyState(uniqueEmail("declared"));
    const blackBox = journeySteps().filter((step) => !step.writesTables);
    const notBlackBox = async (): Promise<never> => {
      throw new Error("a black-box step writes no table");
    };

    test.each(blackBox.map((step) => [step.name, step] as const))("%s answers its declared statuses", async (_name, step) => {
      const statuses = await step.run({ api: target.api, state, tables: target.tables, dynamoDb: notBlackBox });

      expect(statuses).toEqual(step.statuses);
    });

    test("covers every route of app/stacks/routes.ts", () => {
      expect(
        ROUTES.filter((route) => !blackBox.some((step) => step.route === route)).map(
          (route) => `${routeKey(route)}: no black-box journey step; add one to ${contractFileOf(route.function)}`,
        ),
      ).toEqual([]);
    });
  });

  describe("the contract (docs/openapi.json)", () => {
    test("an unknown route is answered as the document's RouteNotFound response", async () => {
      const response = await api("GET", "/no-such-route");

      expect(response.status).toBe(404);
      expect(response.body.error.code).toBe("ROUTE_NOT_FOUND");
    });
  });

  describe("throttling", () => {
    test("a burst over the limit of GET /health gets 429s, and the route answers again after a pause", async () => {
      const { rateLimit, burstLimit } = target.healthThrottle;

      const burst = await Promise.all(Array.from({ length: burstLimit * 2 + 10 }, () => api("GET", "/health")));

      expect(new Set(burst.map((r) => r.status))).toEqual(new Set([200, 429]));
      expect(burst.find((r) => r.status === 429)!.body).toEqual({
        error: { code: "TOO_MANY_REQUESTS", message: GATEWAY_RESPONSES.THROTTLED.message },
      });

      await sleep(Math.max(1000, Math.ceil(1000 / rateLimit) + 500));
      expect((await api("GET", "/health")).status).toBe(200);
    });
  });

  // Only the local target evaluates IAM itself; on AWS a missing grant shows up as a failed test above.
  if ((process.env.E2E_TARGET ?? "local") === "local") {
    describe("least privilege on the local target (after the suite above)", () => {
      test("IAM denied no request of the suite", () => {
        expect(target.iam!.denials()).toEqual([]);
      });

      test("every (function, action, resource) a role policy grants was used, unless listed with a reason", () => {
        const grants = target.iam!.grants();
        const used = target.iam!.exercised();
        const unused = grants.filter((g) => !used.has(grantKey(g)) && !GRANTS_NOT_EXERCISED_BY_E2E.some((entry) => namesGrant(entry, g)));
        expect(unused.map((g) => `${grantKey(g)} (${g.statements.join(", ")}) was never used`)).toEqual([]);
        // The list stays honest: each entry names a grant that exists and that the suite indeed leaves unused.
        for (const entry of GRANTS_NOT_EXERCISED_BY_E2E) {
          const named = grants.filter((g) => namesGrant(entry, g));
          expect({ entry, named: named.length, usedAnyway: named.filter((g) => used.has(grantKey(g))).map(grantKey) }).toEqual({
            entry,
            named: 1,
            usedAnyway: [],
          });
        }
      });
    });
  }
});
