/**
 * What route() (app/lambda-packages/shared/http.ts) writes about each request: every refusal (4xx) with its
 * status, code and reason, and on every line the handler writes the request's ids and the client's source IP, so a
 * security event (a refused log-in, a password change) says where it came from. Never a request body.
 */
import { log } from "../app/lambda-packages/shared/log";
import { route, UnauthorizedError, ValidationError, type ProxyHandler } from "../app/lambda-packages/shared/http";
import { apiEvent, lambdaContext } from "./support/api-events";
import { captureConsole } from "./support/console";

const lines = captureConsole();
/** The logged entries (the first argument of each console call), parsed. */
const entries = () => lines.map((line) => (JSON.parse(line) as Array<Record<string, unknown>>)[0]);

const call = (handler: ProxyHandler, sourceIp = "203.0.113.7", requestId = "lambda-req-1") => {
  const event = apiEvent({ method: "POST", resource: "/sessions", json: { email: "ada@example.com", password: "correct horse battery" } });
  return handler(
    { ...event, requestContext: { ...event.requestContext, identity: { ...event.requestContext.identity, sourceIp } } },
    lambdaContext(requestId),
  );
};

describe("the request log", () => {
  test("a refusal is one line with its status, code and reason, the request's ids and the source IP", async () => {
    const handler = route(async () => {
      throw new ValidationError("email: must be an email address");
    });

    const response = await call(handler);

    expect(response.statusCode).toBe(400);
    expect(entries()).toEqual([
      expect.objectContaining({
        msg: "request refused",
        status: 400,
        code: "VALIDATION_ERROR",
        reason: "email: must be an email address",
        requestId: "lambda-req-1",
        apiRequestId: expect.any(String),
        sourceIp: "203.0.113.7",
        resource: "/sessions",
        method: "POST",
      }),
    ]);
  });

  test("the handler's own lines carry the source IP too, and the body is never logged", async () => {
    const handler = route(async () => {
      log.info("log-in refused", { reason: "wrong password" });
      throw new UnauthorizedError("Email or password is incorrect");
    });

    await call(handler);

    expect(entries().map((e) => [e.msg, e.sourceIp])).toEqual([
      ["log-in refused", "203.0.113.7"],
      ["request refused", "203.0.113.7"],
    ]);
    expect(lines.join("\n")).not.toContain("correct horse battery");
  });

  test("requests served at the same time each log their own source IP", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handler = route(async (event) => {
      await gate;
      log.info("served", { ip: event.requestContext.identity.sourceIp });
      return { statusCode: 204, body: "" };
    });

    const both = Promise.all([call(handler, "198.51.100.1", "a"), call(handler, "198.51.100.2", "b")]);
    release();
    await both;

    expect(entries().map((e) => [e.requestId, e.sourceIp, e.ip])).toEqual([
      ["a", "198.51.100.1", "198.51.100.1"],
      ["b", "198.51.100.2", "198.51.100.2"],
    ]);
  });

  test("a request that succeeds writes no refusal", async () => {
    await call(route(async () => ({ statusCode: 204, body: "" })));
    expect(entries()).toEqual([]);
  });
});
