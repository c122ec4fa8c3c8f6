/**
 * The local API Gateway (tools/local/api-gateway.ts and the modules it uses) on the REST API synthesized from the
 * dev and prod configs, with stand-in functions: routing and API Gateway's own answers, the Lambda proxy event
 * and response mapping, the REQUEST authorizer and its cache, throttling, integration failures and CORS
 * preflight. Clocks are injected, so nothing depends on wall-clock time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { ApiGateway, matchResource, serveApiGateway, type GatewayResult } from "../tools/local/api-gateway";
import type { InvocationResult } from "../tools/local/functions";
import type { GatewayRequest } from "../tools/local/proxy-integration";
import { restApiChanges, restApiModel, type MethodModel, type RestApiModel } from "../tools/local/rest-api";
import { packageAndSynthesize } from "../tools/local/package-and-synthesize";
import { SynthesizedApp } from "../tools/local/synthesized";
import { FAKE_ACCOUNT_ID } from "../tools/lib/fake-arns";
import { GATEWAY_RESPONSES, type GatewayResponseType } from "../app/lambda-packages/shared/error-codes";

type Handler = (event: any) => InvocationResult;

const ok = (payload: unknown): InvocationResult => ({ ok: true, payload, durationMs: 1 });
const failed = (errorType: string, errorMessage: string): InvocationResult => ({
  ok: false,
  error: { errorType, errorMessage, trace: [] },
  durationMs: 1,
});
const json200 = ok({ statusCode: 200, headers: { "Content-Type": "application/json" }, body: '{"ok":true}' });
const policy = (effect: "Allow" | "Deny", resource: string | string[], context: Record<string, unknown> = { userId: "user-1" }) =>
  ok({
    principalId: "user-1",
    policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }] },
    context,
  });

function request(method: string, target: string, options: { headers?: Array<[string, string]>; body?: Buffer | string } = {}): GatewayRequest {
  const [path, query = ""] = target.split("?");
  return {
    requestId: "request-1",
    httpMethod: method,
    path,
    query,
    headers: [["Host", "127.0.0.1:4000"], ...(options.headers ?? [])],
    body: Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body ?? ""),
    sourceIp: "127.0.0.1",
    receivedAt: Date.UTC(2024, 0, 2, 3, 4, 5),
  };
}

/** The error body the API's gateway response of this type carries. */
const gatewayError = (type: GatewayResponseType) => ({ error: { code: GATEWAY_RESPONSES[type].code, message: GATEWAY_RESPONSES[type].message } });
const bodyOf = (result: GatewayResult) => JSON.parse(result.response.body.toString("utf8"));
const headerOf = (result: GatewayResult, name: string) =>
  result.response.headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);

/** A gateway on `api` whose functions are `handlers` by function name; records every invocation. */
function gatewayOn(api: RestApiModel, handlers: Record<string, Handler>, clock?: { now: number }) {
  const calls: Array<{ name: string; event: any }> = [];
  const gateway = new ApiGateway({
    api,
    log: () => undefined,
    invoke: async (name, event) => {
      calls.push({ name, event });
      const handler = handlers[name];
      if (!handler) throw new Error(`no stand-in for ${name}`);
      return handler(event);
    },
    ...(clock ? { clock: { monotonicMs: () => clock.now, epochMs: () => clock.now } } : {}),
  });
  return { gateway, calls };
}

function methodOf(api: RestApiModel, httpMethod: string, path: string): MethodModel {
  const method = matchResource(api.root, path)?.resource.methods.get(httpMethod);
  if (!method) throw new Error(`no ${httpMethod} ${path}`);
  return method;
}

const functionOf = (api: RestApiModel, httpMethod: string, path: string): string => {
  const { integration } = methodOf(api, httpMethod, path);
  if (integration.type !== "AWS_PROXY") throw new Error(`${httpMethod} ${path} is not a proxy integration`);
  return integration.functionName;
};

describe("the local API Gateway", () => {
  const dirs: string[] = [];
  let dev: RestApiModel;
  let prod: RestApiModel;
  let users: string;
  let authorizer: string;

  async function synthesize(environment: string): Promise<RestApiModel> {
    const dir = mkdtempSync(join(tmpdir(), `local-api-${environment}-`));
    dirs.push(dir);
    await packageAndSynthesize({ environment, outdir: join(dir, "out"), stateDir: join(dir, "state"), buildPackages: false });
    return restApiModel(new SynthesizedApp(join(dir, "out")));
  }

  beforeAll(async () => {
    dev = await synthesize("dev");
    prod = await synthesize("prod");
    users = functionOf(dev, "GET", "/users/me");
    authorizer = methodOf(dev, "GET", "/users/me").authorizer!.functionName;
  }, 60_000);

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  describe("routing", () => {
    it.each([
      ["an unknown path", "GET", "/nope"],
      ["a known path with a method it does not have", "PUT", "/users/me"],
      ["the stage root, which has no method", "GET", "/"],
    ])("answers %s with 404 ROUTE_NOT_FOUND (API Gateway's Missing Authentication Token, customized)", async (_, method, path) => {
      const { gateway, calls } = gatewayOn(dev, {});

      const result = await gateway.handle(request(method, path));

      expect(result.response.statusCode).toBe(404);
      expect(bodyOf(result)).toEqual({ error: { code: "ROUTE_NOT_FOUND", message: "No route matches this method and path" } });
      expect(headerOf(result, "Cache-Control")).toEqual(["no-store"]);
      expect(headerOf(result, "x-amzn-ErrorType")).toEqual(["MissingAuthenticationTokenException"]);
      expect(calls).toEqual([]);
    });

    test("prefers a static path part over a path parameter", () => {
      expect(matchResource(dev.root, "/users/me")?.resource.path).toBe("/users/me");
      expect(matchResource(dev.root, "/users/123")).toMatchObject({ resource: { path: "/users/{id}" }, pathParameters: { id: "123" } });
    });

    test("answers a path outside the stage with API Gateway's plain 403 Forbidden", async () => {
      const { gateway } = gatewayOn(dev, {});
      const server = await serveApiGateway(gateway, dev, { port: 0, log: () => undefined });
      try {
        const response = await fetch(`${server.origin}/other-stage/health`);

        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({ message: "Forbidden" });
      } finally {
        await server.close();
      }
    });

    test("answers a body over 10 MB with 413 without invoking the function", async () => {
      const { gateway, calls } = gatewayOn(dev, {});

      const result = await gateway.handle(request("POST", "/users", { body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) }));

      expect(result.response.statusCode).toBe(413);
      expect(bodyOf(result).error.code).toBe("PAYLOAD_TOO_LARGE");
      expect(calls).toEqual([]);
    });
  });

  describe("the Lambda proxy integration", () => {
    test("passes the request as a REST payload 1.0 event with the authorizer's context as strings", async () => {
      const { gateway, calls } = gatewayOn(dev, {
        [authorizer]: () => policy("Allow", "arn:aws:execute-api:*", { userId: "user-1", n: 5, flag: true }),
        [users]: () => json200,
      });

      await gateway.handle(
        request("GET", "/users/abc%20d?a=1&a=2&b=x%20y", {
          headers: [
            ["Authorization", "Bearer token-1"],
            ["X-Repeated", "one"],
            ["X-Repeated", "two"],
            ["User-Agent", "jest"],
          ],
        }),
      );

      const event = calls[1].event as APIGatewayProxyEvent;
      expect(event).toMatchObject({
        resource: "/users/{id}",
        path: "/users/abc%20d",
        httpMethod: "GET",
        pathParameters: { id: "abc d" },
        queryStringParameters: { a: "2", b: "x y" },
        multiValueQueryStringParameters: { a: ["1", "2"], b: ["x y"] },
        stageVariables: null,
        body: null,
        isBase64Encoded: false,
      });
      expect(event.headers).toMatchObject({
        Authorization: "Bearer token-1",
        "X-Repeated": "two",
        "User-Agent": "jest",
        "X-Forwarded-For": "127.0.0.1",
      });
      expect(event.multiValueHeaders["X-Repeated"]).toEqual(["one", "two"]);
      expect(event.requestContext).toMatchObject({
        accountId: FAKE_ACCOUNT_ID,
        apiId: dev.id,
        stage: "dev",
        path: "/dev/users/abc%20d",
        resourcePath: "/users/{id}",
        httpMethod: "GET",
        requestId: "request-1",
        requestTime: "02/Jan/2024:03:04:05 +0000",
        requestTimeEpoch: Date.UTC(2024, 0, 2, 3, 4, 5),
        identity: { sourceIp: "127.0.0.1", userAgent: "jest" },
        authorizer: { userId: "user-1", n: "5", flag: "true", principalId: "user-1", integrationLatency: expect.any(Number) },
      });
    });

    test("passes the authorizer the method ARN of the request and the identity source", async () => {
      const { gateway, calls } = gatewayOn(dev, { [authorizer]: () => policy("Allow", "arn:aws:execute-api:*"), [users]: () => json200 });

      await gateway.handle(request("DELETE", "/users/me", { headers: [["authorization", "Bearer token-1"]] }));

      const event = calls[0].event as APIGatewayRequestAuthorizerEvent;
      expect(calls[0].name).toBe(authorizer);
      expect(event).toMatchObject({
        type: "REQUEST",
        methodArn: `arn:aws:execute-api:us-east-1:${FAKE_ACCOUNT_ID}:${dev.id}/dev/DELETE/users/me`,
        resource: "/users/me",
      });
      expect(event.headers).toMatchObject({ authorization: "Bearer token-1" });
    });

    test("passes a UTF-8 body as text and a body that is not UTF-8 base64-encoded", async () => {
      const { gateway, calls } = gatewayOn(dev, { [functionOf(dev, "POST", "/users")]: () => json200 });
      const notUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);

      await gateway.handle(request("POST", "/users", { body: '{"name":"Zoë"}' }));
      await gateway.handle(request("POST", "/users", { body: notUtf8 }));

      expect(calls[0].event).toMatchObject({ body: '{"name":"Zoë"}', isBase64Encoded: false });
      expect(calls[1].event).toMatchObject({ body: notUtf8.toString("base64"), isBase64Encoded: true });
    });

    test("answers with the function's status, headers, multi-value headers and body", async () => {
      const health = functionOf(dev, "GET", "/health");
      const { gateway } = gatewayOn(dev, {
        [health]: () =>
          ok({
            statusCode: 201,
            headers: { "X-One": "1", "Set-Cookie": "ignored=1" },
            multiValueHeaders: { "Set-Cookie": ["a=1", "b=2"] },
            body: "created",
          }),
      });

      const result = await gateway.handle(request("GET", "/health"));

      expect(result.response.statusCode).toBe(201);
      expect(result.response.body.toString()).toBe("created");
      expect(headerOf(result, "X-One")).toEqual(["1"]);
      expect(headerOf(result, "Set-Cookie")).toEqual(["a=1", "b=2"]);
      expect(headerOf(result, "Content-Type")).toEqual(["application/json"]);
      expect(result.invoked).toEqual([health]);
    });

    test("sends a base64 body as it is when the API has no binary media types, as API Gateway does", async () => {
      const health = functionOf(dev, "GET", "/health");
      const { gateway } = gatewayOn(dev, { [health]: () => ok({ statusCode: 200, body: "aGk=", isBase64Encoded: true }) });

      const result = await gateway.handle(request("GET", "/health", { headers: [["Accept", "image/png"]] }));

      expect(result.response.body.toString()).toBe("aGk=");
    });

    it.each([
      ["a function error", failed("Error", "boom")],
      ["a timed-out function", failed("Sandbox.Timedout", "Task timed out after 10.00 seconds")],
      ["a crashed sandbox", failed("Runtime.ExitError", "Runtime exited")],
      ["a result that is not an object", ok("hello")],
      ["a result with a field API Gateway does not allow", ok({ statusCode: 200, body: "", cookies: ["a=1"] })],
      ["a status code that is a string", ok({ statusCode: "200", body: "" })],
      ["a body that is an object", ok({ statusCode: 200, body: { ok: true } })],
    ])("answers %s with 502 Internal server error", async (_, outcome) => {
      const { gateway } = gatewayOn(dev, { [functionOf(dev, "GET", "/health")]: () => outcome });

      const result = await gateway.handle(request("GET", "/health"));

      expect(result.response.statusCode).toBe(502);
      expect(bodyOf(result)).toEqual(gatewayError("DEFAULT_5XX"));
    });
  });

  describe("the REQUEST authorizer", () => {
    test("answers 401 without invoking the authorizer when the Authorization header is missing or empty", async () => {
      const { gateway, calls } = gatewayOn(dev, {});

      const missing = await gateway.handle(request("GET", "/users/me"));
      const empty = await gateway.handle(request("GET", "/users/me", { headers: [["Authorization", "  "]] }));

      for (const result of [missing, empty]) {
        expect(result.response.statusCode).toBe(401);
        expect(bodyOf(result)).toEqual(gatewayError("UNAUTHORIZED"));
      }
      expect(calls).toEqual([]);
    });

    it.each([
      ["throws Unauthorized", failed("Error", "Unauthorized"), 401, gatewayError("UNAUTHORIZED").error],
      ["returns an explicit Deny", policy("Deny", "*"), 403, gatewayError("ACCESS_DENIED").error],
      ["allows only another method", policy("Allow", "arn:aws:execute-api:*:*:*/dev/POST/*"), 403, gatewayError("ACCESS_DENIED").error],
      ["fails with another error", failed("Error", "DynamoDB is down"), 503, gatewayError("AUTHORIZER_CONFIGURATION_ERROR").error],
      ["returns no policy", ok({ principalId: "user-1" }), 503, gatewayError("AUTHORIZER_CONFIGURATION_ERROR").error],
      [
        "returns a context value that is an object",
        policy("Allow", "*", { nested: { a: 1 } }),
        503,
        gatewayError("AUTHORIZER_CONFIGURATION_ERROR").error,
      ],
    ])("refuses the request when the authorizer %s, without invoking the function", async (_, outcome, status, error) => {
      const { gateway, calls } = gatewayOn(dev, { [authorizer]: () => outcome });

      const result = await gateway.handle(request("GET", "/users/me", { headers: [["Authorization", "Bearer token-1"]] }));

      expect(result.response.statusCode).toBe(status);
      expect(bodyOf(result)).toEqual({ error });
      expect(calls.map((c) => c.name)).toEqual([authorizer]);
    });

    test("with the dev config (TTL 0) invokes the authorizer for every request", async () => {
      const { gateway, calls } = gatewayOn(dev, { [authorizer]: () => policy("Allow", "*"), [users]: () => json200 });

      for (let i = 0; i < 2; i++) await gateway.handle(request("GET", "/users/me", { headers: [["Authorization", "Bearer token-1"]] }));

      expect(calls.filter((c) => c.name === authorizer)).toHaveLength(2);
    });

    test("with the prod config caches the policy per token for its TTL and evaluates it against each method ARN", async () => {
      const prodAuthorizer = methodOf(prod, "GET", "/users/me").authorizer!;
      const prodUsers = functionOf(prod, "GET", "/users/me");
      const prodSessions = functionOf(prod, "GET", "/sessions/current");
      const clock = { now: 1_000_000 };
      const { gateway, calls } = gatewayOn(
        prod,
        {
          [prodAuthorizer.functionName]: (event) => policy("Allow", (event as APIGatewayRequestAuthorizerEvent).methodArn),
          [prodUsers]: () => json200,
          [prodSessions]: () => json200,
        },
        clock,
      );
      const withToken = (token: string) => ({ headers: [["Authorization", `Bearer ${token}`]] as Array<[string, string]> });
      const authorizerCalls = () => calls.filter((c) => c.name === prodAuthorizer.functionName).length;

      expect((await gateway.handle(request("GET", "/users/me", withToken("a")))).response.statusCode).toBe(200);
      expect((await gateway.handle(request("GET", "/users/me", withToken("a")))).response.statusCode).toBe(200);
      expect(authorizerCalls()).toBe(1);

      // The cached policy names GET /users/me only, so it does not allow another route.
      expect((await gateway.handle(request("GET", "/sessions/current", withToken("a")))).response.statusCode).toBe(403);
      expect(authorizerCalls()).toBe(1);

      await gateway.handle(request("GET", "/users/me", withToken("b")));
      expect(authorizerCalls()).toBe(2);

      clock.now += prodAuthorizer.ttlSeconds * 1000 + 1;
      await gateway.handle(request("GET", "/users/me", withToken("a")));
      expect(authorizerCalls()).toBe(3);
      expect(prodAuthorizer.ttlSeconds).toBe(60);
    });
  });

  describe("throttling", () => {
    test("answers 429 once a route's burst is used up and again after its rate refills a token", async () => {
      const signUp = methodOf(prod, "POST", "/users");
      const clock = { now: 0 };
      const { gateway } = gatewayOn(prod, { [functionOf(prod, "POST", "/users")]: () => json200 }, clock);
      const post = () => gateway.handle(request("POST", "/users", { body: "{}" }));

      const statuses: number[] = [];
      for (let i = 0; i < signUp.throttle!.burstLimit + 1; i++) statuses.push((await post()).response.statusCode);

      expect(signUp.throttle).toEqual({ rateLimit: 20, burstLimit: 40 });
      expect(statuses.filter((s) => s === 200)).toHaveLength(40);
      const throttled = await post();
      expect(throttled.response.statusCode).toBe(429);
      expect(bodyOf(throttled)).toEqual(gatewayError("THROTTLED"));
      expect(throttled.invoked).toEqual([]);

      clock.now += 1000 / 20;
      expect((await post()).response.statusCode).toBe(200);
    });

    test("gives every method without its own settings the stage's limits in a bucket of its own", () => {
      expect(methodOf(prod, "GET", "/users/me").throttle).toEqual({ rateLimit: 1000, burstLimit: 2000 });
      expect(methodOf(prod, "GET", "/health").throttle).toEqual({ rateLimit: 50, burstLimit: 100 });
    });
  });

  describe("a reload (useApi, restApiChanges)", () => {
    /** A copy of `api` with `change` applied to one method (the models are read-only to the gateway). */
    function withMethod(api: RestApiModel, httpMethod: string, path: string, change: (method: Record<string, unknown>) => void): RestApiModel {
      const copy = structuredClone(api);
      change(methodOf(copy, httpMethod, path) as unknown as Record<string, unknown>);
      return copy;
    }

    test("applies a route's new throttle on the next request and keeps the bucket of a method whose limits did not change", async () => {
      const tight = { rateLimit: 1, burstLimit: 1 };
      const before = withMethod(
        withMethod(dev, "GET", "/health", (m) => (m.throttle = { rateLimit: 1, burstLimit: 3 })),
        "POST",
        "/sessions",
        (m) => (m.throttle = tight),
      );
      const after = withMethod(before, "GET", "/health", (m) => (m.throttle = tight));
      const clock = { now: 0 };
      const { gateway } = gatewayOn(
        before,
        { [functionOf(dev, "GET", "/health")]: () => json200, [functionOf(dev, "POST", "/sessions")]: () => json200 },
        clock,
      );
      const status = async (method: string, path: string) => (await gateway.handle(request(method, path, { body: "{}" }))).response.statusCode;

      const beforeReload = [await status("GET", "/health"), await status("POST", "/sessions")];
      gateway.useApi(after);
      const afterReload = [await status("GET", "/health"), await status("GET", "/health"), await status("POST", "/sessions")];

      expect(beforeReload).toEqual([200, 200]);
      // /health starts over with a full bucket of the new size (1); /sessions' bucket, used up, is the same one.
      expect(afterReload).toEqual([200, 429, 429]);
      expect(gateway.api).toBe(after);
      expect(restApiChanges(before, after)).toEqual({ applied: ["throttling of GET /health"], needRestart: [] });
    });

    test("keeps the authorizer's cached policies when its settings did not change, and empties the cache when they did", async () => {
      const prodAuthorizer = methodOf(prod, "GET", "/users/me").authorizer!;
      const clock = { now: 1_000_000 };
      const { gateway, calls } = gatewayOn(
        prod,
        { [prodAuthorizer.functionName]: () => policy("Allow", "*"), [functionOf(prod, "GET", "/users/me")]: () => json200 },
        clock,
      );
      const get = () => gateway.handle(request("GET", "/users/me", { headers: [["Authorization", "Bearer token-1"]] }));
      const authorizerCalls = () => calls.filter((c) => c.name === prodAuthorizer.functionName).length;
      const longerTtl = structuredClone(prod);
      for (const route of ["/users/me", "/sessions/current"]) {
        (methodOf(longerTtl, "GET", route).authorizer as { ttlSeconds: number }).ttlSeconds = 120;
      }

      await get();
      gateway.useApi(structuredClone(prod));
      await get();
      const unchanged = authorizerCalls();
      gateway.useApi(longerTtl);
      await get();

      expect(unchanged).toBe(1);
      expect(authorizerCalls()).toBe(2);
      expect(restApiChanges(prod, structuredClone(prod))).toEqual({ applied: [], needRestart: [] });
      expect(restApiChanges(prod, longerTtl).applied).toEqual([`authorizer ${prodAuthorizer.name} (its cache emptied)`]);
    });

    test("names routes added and removed, and says a new stage name needs a restart", () => {
      const renamed = { ...structuredClone(dev), stageName: "beta" };
      const health = matchResource(renamed.root, "/health")!.resource;
      health.methods.delete("GET");

      expect(restApiChanges(dev, renamed)).toEqual({ applied: ["route GET /health removed"], needRestart: ["the stage name (dev -> beta)"] });
      expect(restApiChanges(renamed, dev).applied).toEqual(["route GET /health added"]);
    });
  });

  describe("CORS preflight", () => {
    test("echoes an allowed Origin with the resource's methods, without invoking a function", async () => {
      const { gateway, calls } = gatewayOn(dev, {});

      const result = await gateway.handle(request("OPTIONS", "/users/me", { headers: [["Origin", "http://localhost:3000"]] }));

      expect(result.response.statusCode).toBe(204);
      expect(headerOf(result, "Access-Control-Allow-Origin")).toEqual(["http://localhost:3000"]);
      expect(headerOf(result, "Access-Control-Allow-Methods")).toEqual(["GET,PATCH,DELETE,OPTIONS"]);
      expect(headerOf(result, "Access-Control-Allow-Headers")).toEqual(["Authorization,Content-Type,If-Match"]);
      expect(headerOf(result, "Vary")).toEqual(["Origin"]);
      expect(calls).toEqual([]);
    });

    test("does not allow an Origin that is not in the config", async () => {
      const { gateway } = gatewayOn(dev, {});

      const result = await gateway.handle(request("OPTIONS", "/users/me", { headers: [["Origin", "https://evil.example"]] }));

      expect(result.response.statusCode).toBe(204);
      expect(headerOf(result, "Access-Control-Allow-Origin")).toEqual([]);
    });

    test("is not served by an API without CORS origins (prod)", async () => {
      const { gateway } = gatewayOn(prod, {});

      const result = await gateway.handle(request("OPTIONS", "/users/me", { headers: [["Origin", "http://localhost:3000"]] }));

      expect(result.response.statusCode).toBe(404);
      expect(bodyOf(result).error.code).toBe("ROUTE_NOT_FOUND");
    });
  });
});
