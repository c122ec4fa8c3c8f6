/**
 * Issue 21's attacks on sessions, replayed against the local stack with the prod config (as they were found with
 * `npm start -- --env prod`): real worker threads serving requests concurrently and API Gateway's authorizer cache
 * at prod's 60 s, so a revoked token keeps passing the authorizer and only the functions' own check can refuse it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalStack, type LocalStack } from "../tools/local/stack";
import { cheapScryptEnvironment } from "./support/test-scrypt";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a brand new passphrase, long";

describe("sessions on the local stack with the prod config", () => {
  let dataDir: string;
  let stack: LocalStack;
  let counter = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "local-sessions-"));
    stack = await startLocalStack({ environment: "prod", dataDir, fresh: true, buildPackages: false, functionEnvironment: cheapScryptEnvironment() });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function send(method: string, path: string, options: { token?: string; json?: unknown } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = {};
    if (options.json !== undefined) headers["Content-Type"] = "application/json";
    if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers,
      body: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }
  async function signUp(): Promise<string> {
    const email = `carol${++counter}-${Date.now()}@example.com`;
    expect((await send("POST", "/users", { json: { email, password: PASSWORD, name: "Carol" } })).status).toBe(201);
    return email;
  }
  const logIn = (email: string, password = PASSWORD) => send("POST", "/sessions", { json: { email, password } });
  async function token(email: string, password = PASSWORD): Promise<string> {
    const response = await logIn(email, password);
    expect(response.status).toBe(201);
    return response.body.token;
  }

  test("the config is prod's: the authorizer's decision is cached for 60 s", () => {
    expect(stack.baseUrl).toMatch(/\/prod$/);
    expect(stack.routes.find((r) => r.path === "/users/me" && r.method === "GET")?.auth).toBe("authorizer prod-service-authorizer");
  });

  test("finding 1: no old-password token works once a password change answered, with log-ins every 30 ms around it", async () => {
    const email = await signUp();
    const carol = await token(email);
    const logIns = Array.from(
      { length: 12 },
      (_, i) => new Promise<{ status: number; body: any }>((resolve) => setTimeout(() => resolve(logIn(email)), 30 * i)),
    );

    const change = await send("PATCH", "/users/me", { token: carol, json: { password: NEW_PASSWORD, currentPassword: PASSWORD } });
    const answered = await Promise.all(logIns);

    expect(change.status).toBe(200);
    expect(answered.map((r) => r.status).filter((s) => ![201, 401, 429].includes(s))).toEqual([]);
    const tokens = answered.filter((r) => r.status === 201).map((r) => r.body.token as string);
    for (const old of tokens) {
      expect([
        (await send("GET", "/sessions/current", { token: old })).status,
        (await send("PATCH", "/users/me", { token: old, json: { name: "Mallory" } })).status,
      ]).toEqual([401, 401]);
    }
    expect((await send("GET", "/users/me", { token: carol })).status).toBe(200);
  });

  test("finding 4: after log-out the same token cannot read the profile, although the authorizer's decision is cached", async () => {
    const email = await signUp();
    const mine = await token(email);
    expect((await send("GET", "/users/me", { token: mine })).status).toBe(200);

    expect((await send("DELETE", "/sessions/current", { token: mine })).status).toBe(204);
    const read = await send("GET", "/users/me", { token: mine });

    expect(read.status).toBe(401);
    expect(JSON.stringify(read.body)).not.toContain(email);
  });

  test("finding 6: log out everywhere ends another device's session at once, despite its cached decision", async () => {
    const email = await signUp();
    const laptop = await token(email);
    const phone = await token(email);
    expect((await send("GET", "/users/me", { token: phone })).status).toBe(200);
    expect((await send("GET", "/sessions", { token: laptop })).body.sessions).toHaveLength(2);

    expect((await send("DELETE", "/sessions", { token: laptop })).status).toBe(204);

    expect((await send("GET", "/users/me", { token: phone })).status).toBe(401);
    expect((await send("GET", "/users/me", { token: laptop })).status).toBe(401);
  });

  test("finding 6: the 11th log-in ends the oldest of 10 sessions (sessions.maxPerUser), whose cached decision no longer helps", async () => {
    const email = await signUp();
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) tokens.push(await token(email));
    expect((await send("GET", "/users/me", { token: tokens[0] })).status).toBe(200);

    tokens.push(await token(email));

    expect((await send("GET", "/users/me", { token: tokens[0] })).status).toBe(401);
    expect((await send("GET", "/users/me", { token: tokens[1] })).status).toBe(200);
    expect((await send("GET", "/sessions", { token: tokens[10] })).body.sessions).toHaveLength(10);
  });

  test("finding 6: deleting the account needs the current password", async () => {
    const email = await signUp();
    const mine = await token(email);

    expect((await send("DELETE", "/users/me", { token: mine })).status).toBe(400);
    expect((await send("DELETE", "/users/me", { token: mine, json: { currentPassword: NEW_PASSWORD } })).status).toBe(401);
    expect((await send("GET", "/users/me", { token: mine })).status).toBe(200);
    expect((await send("DELETE", "/users/me", { token: mine, json: { currentPassword: PASSWORD } })).status).toBe(204);
  });
});
