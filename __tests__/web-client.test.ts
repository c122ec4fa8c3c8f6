/**
 * The web client (app/web/) in a real headless Chromium (@sparticuz/chromium, driven by puppeteer-core) against a
 * local stack started here: the whole journey from an allowed origin, API errors shown by their message, the
 * gateway's own 401 and 429 readable by the page, and a page on an origin that is not allowed refused by the
 * browser itself. Every port is a free one; the stack's config allows the test page's origin
 * (`http://localhost:<free port>`) next to the dev config's own, so the gateway's CORS headers are shown to
 * work with more than one configured origin.
 */
import chromium from "@sparticuz/chromium";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { startLocalStack, type LocalStack } from "../tools/local/stack";
import { serveWebClient, type WebServer } from "../tools/local/web-server";
import { cheapScryptEnvironment } from "./support/test-scrypt";

const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "a new password, longer still";
const HEALTH_THROTTLE = { rateLimit: 2, burstLimit: 4 };

/**
 * @sparticuz/chromium's default arguments include --disable-web-security, which turns CORS off: with it, the
 * page on a refused origin would read every answer and this test would prove nothing. It is removed here.
 */
export const BROWSER_ARGS = chromium.args.filter((arg) => arg !== "--disable-web-security");

describe("the web client in a real browser", () => {
  let dataDir: string;
  let stack: LocalStack;
  let allowed: WebServer;
  let refused: WebServer;
  let browser: Browser;
  let apiUrl = "";

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "web-client-"));
    allowed = await serveWebClient({ port: 0, apiUrl: () => apiUrl });
    refused = await serveWebClient({ port: 0, apiUrl: () => apiUrl });
    stack = await startLocalStack({
      environment: "dev",
      dataDir,
      fresh: true,
      // The page's journey hashes passwords several times; the production parameters are the password tests' (support/test-scrypt.ts).
      functionEnvironment: cheapScryptEnvironment(),
      configOverride: (config) => ({
        ...config,
        api: {
          ...config.api,
          corsOrigins: [...config.api.corsOrigins, allowed.origin],
          routeThrottling: { ...config.api.routeThrottling, "GET /health": HEALTH_THROTTLE },
        },
      }),
    });
    apiUrl = stack.baseUrl;
    browser = await puppeteer.launch({ args: BROWSER_ARGS, executablePath: await chromium.executablePath(), headless: true });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await Promise.all([allowed?.close(), refused?.close()]);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(origin: string): Promise<Page> {
    const page = await browser.newPage();
    page.on("dialog", (dialog) => void dialog.accept());
    page.on("console", (m) => process.env.DEBUG_BROWSER && console.log(`[page] ${m.text()}`));
    page.on("pageerror", (e) => process.env.DEBUG_BROWSER && console.log(`[page error] ${e}`));
    await page.goto(`${origin}/`, { waitUntil: "load" });
    return page;
  }

  async function fill(page: Page, form: string, values: Record<string, string>): Promise<void> {
    for (const [name, value] of Object.entries(values)) {
      await page.$eval(`#${form} [name=${name}]`, (input: any, v: string) => (input.value = v), value);
    }
    await page.click(`#${form} button[type=submit]`);
  }

  /** Waits for the page's message to contain `text`; returns it and whether it is shown as an error. */
  async function message(page: Page, text: string): Promise<{ text: string; error: boolean }> {
    await page.waitForFunction(
      (t: string) => ((globalThis as any).document.getElementById("message").textContent as string).includes(t),
      { timeout: 15_000 },
      text,
    );
    return page.$eval("#message", (el: any) => ({ text: el.textContent as string, error: el.className === "error" }));
  }

  const visible = (page: Page, id: string) => page.$eval(`#${id}`, (el: any) => !el.hidden);
  const text = (page: Page, id: string) => page.$eval(`#${id}`, (el: any) => el.textContent as string);

  test("the allowed origin is served from a free port and the config allows it next to the dev origin", () => {
    expect(allowed.origin).toMatch(/^http:\/\/localhost:\d+$/);
    expect(stack.corsOrigins).toEqual(["http://localhost:3000", allowed.origin]);
    expect(stack.corsOrigins).not.toContain(refused.origin);
  });

  test("does the whole journey from the allowed origin: sign up, log in, profile, name, password, log out, sessions, log out everywhere, delete", async () => {
    const page = await open(allowed.origin);
    const email = `web-${Date.now()}@example.com`;
    expect(await text(page, "api-url")).toBe(stack.baseUrl);

    await fill(page, "sign-up", { email, name: "Ada Lovelace", password: PASSWORD });
    expect(await message(page, "Account created")).toEqual({ text: `Account created for ${email}: log in`, error: false });

    await fill(page, "log-in", { email, password: "not the password at all" });
    expect(await message(page, "Email or password is incorrect")).toEqual({ text: "Email or password is incorrect", error: true });

    await fill(page, "log-in", { email, password: PASSWORD });
    await message(page, "Logged in as Ada Lovelace");
    expect(await visible(page, "signed-in")).toBe(true);
    expect([await text(page, "profile-email"), await text(page, "profile-name"), await text(page, "profile-version")]).toEqual([
      email,
      "Ada Lovelace",
      "1",
    ]);

    await fill(page, "edit-name", { name: "Ada King" });
    expect((await message(page, "Name saved")).text).toBe("Name saved (version 2)");
    expect(await text(page, "profile-name")).toBe("Ada King");

    // Another client changes the profile: the page's If-Match (its ETag, "2") is stale now, and it says so.
    const token: string = await page.evaluate(() => (globalThis as any).sessionStorage.getItem("token"));
    const other = await fetch(`${stack.baseUrl}/users/me`, {
      method: "PATCH",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "Someone Else" }),
    });
    expect(other.status).toBe(200);
    await fill(page, "edit-name", { name: "Lost Update" });
    expect(await message(page, "reload it and retry")).toEqual({ text: "The profile is at version 3, not 2: reload it and retry", error: true });
    await page.click("#reload");
    await message(page, "Profile loaded");
    expect([await text(page, "profile-name"), await text(page, "profile-version")]).toEqual(["Someone Else", "3"]);

    await fill(page, "change-password", { currentPassword: "wrong current password", password: NEW_PASSWORD });
    expect(await message(page, "currentPassword is incorrect")).toEqual({ text: "currentPassword is incorrect", error: true });
    await fill(page, "change-password", { currentPassword: PASSWORD, password: NEW_PASSWORD });
    await message(page, "Password changed");

    await page.click("#log-out");
    await message(page, "Logged out");
    expect(await visible(page, "signed-out")).toBe(true);

    // The sessions list: this session marked, another client's listed by its user agent; then log out everywhere.
    await fill(page, "log-in", { email, password: NEW_PASSWORD });
    await message(page, "Logged in as Someone Else");
    const elsewhere = await fetch(`${stack.baseUrl}/sessions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "Other-Device/1.0" },
      body: JSON.stringify({ email, password: NEW_PASSWORD }),
    });
    const otherToken = ((await elsewhere.json()) as { token: string }).token;
    await page.click("#load-sessions");
    expect((await message(page, "session(s)")).text).toBe("2 session(s)");
    const listed = await page.$$eval("#sessions li", (items: any[]) =>
      items.map((li) => ({ text: li.textContent as string, current: li.className })),
    );
    expect(listed).toEqual([
      { text: expect.stringMatching(/^Other-Device\/1\.0: started /), current: "" },
      { text: expect.stringMatching(/^This session: started /), current: "current" },
    ]);
    await page.click("#log-out-everywhere");
    await message(page, "Logged out everywhere");
    expect(await visible(page, "signed-out")).toBe(true);
    expect((await fetch(`${stack.baseUrl}/users/me`, { headers: { Authorization: `Bearer ${otherToken}` } })).status).toBe(401);

    // Deleting the account needs the current password.
    await fill(page, "log-in", { email, password: NEW_PASSWORD });
    await message(page, "Logged in as Someone Else");
    await fill(page, "delete-account", { currentPassword: PASSWORD });
    expect(await message(page, "currentPassword is incorrect")).toEqual({ text: "currentPassword is incorrect", error: true });
    expect(await visible(page, "signed-in")).toBe(true);
    await fill(page, "delete-account", { currentPassword: NEW_PASSWORD });
    await message(page, "Account deleted");
    expect(await visible(page, "signed-out")).toBe(true);

    await fill(page, "log-in", { email, password: NEW_PASSWORD });
    expect((await message(page, "Email or password is incorrect")).error).toBe(true);
    await page.close();
  }, 60_000);

  test("shows the gateway's own 401 by its message: the page can read it, from the second configured origin", async () => {
    const page = await open(allowed.origin);
    await page.evaluate(() => (globalThis as any).sessionStorage.setItem("token", "A".repeat(43)));
    await page.reload({ waitUntil: "load" });

    expect(await message(page, "Authentication required")).toEqual({ text: "Authentication required: send a valid bearer token", error: true });
    expect(await visible(page, "signed-out")).toBe(true);

    const read = await page.evaluate(async (api: string) => {
      const response = await (globalThis as any).fetch(`${api}/users/me`, { headers: { Authorization: `Bearer ${"B".repeat(43)}` } });
      return { status: response.status, body: await response.json(), wwwAuthenticate: response.headers.get("WWW-Authenticate") };
    }, stack.baseUrl);
    expect(read).toEqual({
      status: 401,
      body: { error: { code: "UNAUTHORIZED", message: "Authentication required: send a valid bearer token" } },
      wwwAuthenticate: "Bearer",
    });
    await page.close();
  });

  test("can read the gateway's own 429 and its Retry-After", async () => {
    const page = await open(allowed.origin);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a full bucket for GET /health

    const burst = await page.evaluate(
      async (api: string, n: number) => {
        const answers = await Promise.all(
          Array.from({ length: n }, async () => {
            const response = await (globalThis as any).fetch(`${api}/health`);
            return { status: response.status, body: await response.json(), retryAfter: response.headers.get("Retry-After") };
          }),
        );
        return answers;
      },
      stack.baseUrl,
      HEALTH_THROTTLE.burstLimit * 2 + 6,
    );

    expect(new Set(burst.map((a: any) => a.status))).toEqual(new Set([200, 429]));
    expect(burst.find((a: any) => a.status === 429)).toEqual({
      status: 429,
      body: { error: { code: "TOO_MANY_REQUESTS", message: "Too many requests: slow down and retry later" } },
      retryAfter: "1",
    });
    await page.close();
  });

  test("a page on an origin the config does not allow is refused by the browser: nothing is signed up", async () => {
    const page = await open(refused.origin);
    const before = stack.invocations();

    await fill(page, "sign-up", { email: `refused-${Date.now()}@example.com`, name: "Mallory", password: PASSWORD });

    expect(await message(page, "could not be reached")).toEqual({
      text: `The API at ${stack.baseUrl} could not be reached from this page (network error or CORS refused)`,
      error: true,
    });
    // The preflight was refused, so the POST was never sent: the users function did not run.
    expect(stack.invocations()["dev-service-users"]).toBe(before["dev-service-users"]);

    // A simple GET is sent and answered, but the browser does not let the page read the answer.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const healthBefore = stack.invocations()["dev-service-health"];
    const read = await page.evaluate(async (api: string) => {
      try {
        const response = await (globalThis as any).fetch(`${api}/health`);
        return `read ${response.status}`;
      } catch (error: any) {
        return `refused: ${error.name}`;
      }
    }, stack.baseUrl);
    expect(read).toBe("refused: TypeError");
    expect(stack.invocations()["dev-service-health"]).toBe(healthBefore + 1);
    await page.close();
  });
});
