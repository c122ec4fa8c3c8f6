/**
 * Every gateway response the stacks define, rendered the way the local gateway (and API Gateway, which gets the
 * same template, status and headers from Terraform) renders it, with the worst `$context.error.message` API
 * Gateway can give (null, as for AUTHORIZER_CONFIGURATION_ERROR; empty; a message with quotes): the body is
 * the API's error envelope with a known code and a non-empty message, never a null anywhere; the status is the
 * code's; a retryable code carries Retry-After.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ERROR_CODES, GATEWAY_RESPONSES, type ErrorCode } from "../app/lambda-packages/shared/error-codes";
import { AWS_RESPONSE_TYPE_STATUS, renderGatewayResponse } from "../tools/local/gateway-responses";
import type { GatewayRequest } from "../tools/local/proxy-integration";
import { restApiModel, type RestApiModel } from "../tools/local/rest-api";
import { packageAndSynthesize } from "../tools/local/package-and-synthesize";
import { SynthesizedApp } from "../tools/local/synthesized";

const REQUEST: GatewayRequest = {
  requestId: "c0ffee00-0000-4000-8000-000000000000",
  httpMethod: "GET",
  path: "/users/me",
  query: "",
  headers: [["Origin", "http://localhost:3000"]],
  body: Buffer.alloc(0),
  sourceIp: "127.0.0.1",
  receivedAt: 0,
};

/** Paths of every null in a JSON value. */
function nullsIn(value: unknown, path = "$"): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullsIn(v, `${path}[${i}]`));
  if (typeof value === "object") return Object.entries(value as object).flatMap(([k, v]) => nullsIn(v, `${path}.${k}`));
  return [];
}

describe.each(["dev", "prod"])("the gateway responses of the %s stacks", (environment) => {
  let dir: string;
  let api: RestApiModel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `gateway-responses-${environment}-`));
    await packageAndSynthesize({ environment, outdir: join(dir, "out"), stateDir: join(dir, "state"), buildPackages: false });
    api = restApiModel(new SynthesizedApp(join(dir, "out")));
  }, 60_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("customize every type of GATEWAY_RESPONSES, each a type API Gateway has", () => {
    expect([...api.gatewayResponses.keys()].sort()).toEqual(Object.keys(GATEWAY_RESPONSES).sort());
    for (const type of api.gatewayResponses.keys()) expect(Object.keys(AWS_RESPONSE_TYPE_STATUS)).toContain(type);
  });

  test.each([null, "", 'a "quoted" message'])(
    "render the error envelope with a code and a message, never a null, when API Gateway's message is %p",
    (message) => {
      for (const type of api.gatewayResponses.keys()) {
        const awsStatus = AWS_RESPONSE_TYPE_STATUS[type] ?? (type === "DEFAULT_4XX" ? 400 : 500);
        const response = renderGatewayResponse(api, type, { status: awsStatus, message }, REQUEST);
        const body = JSON.parse(response.body.toString("utf8"));
        const code = body?.error?.code as ErrorCode;
        const retryAfter = response.headers.filter(([name]) => name.toLowerCase() === "retry-after").map(([, value]) => value);

        expect({ type, nulls: nullsIn(body) }).toEqual({ type, nulls: [] });
        expect({ type, keys: Object.keys(body), errorKeys: Object.keys(body.error).sort() }).toEqual({
          type,
          keys: ["error"],
          errorKeys: ["code", "message"],
        });
        expect({ type, known: code in ERROR_CODES }).toEqual({ type, known: true });
        expect({ type, message: typeof body.error.message === "string" && body.error.message.length > 0 }).toEqual({ type, message: true });
        if (!type.startsWith("DEFAULT_")) expect({ type, status: response.statusCode }).toEqual({ type, status: ERROR_CODES[code].status });
        expect({ type, retryAfter }).toEqual({ type, retryAfter: ERROR_CODES[code].retryable ? ["1"] : [] });
      }
    },
  );

  test("send HSTS and a Content-Security-Policy that allows nothing with every type", () => {
    for (const type of api.gatewayResponses.keys()) {
      const response = renderGatewayResponse(api, type, { status: AWS_RESPONSE_TYPE_STATUS[type] ?? 400, message: null }, REQUEST);

      expect({ type, headers: response.headers }).toEqual({
        type,
        headers: expect.arrayContaining([
          ["Strict-Transport-Security", "max-age=31536000; includeSubDomains"],
          ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
        ]),
      });
    }
  });

  test("answer an authorizer that cannot reach its table 503 SERVICE_UNAVAILABLE with Retry-After, where API Gateway alone answers 500 with a null message", () => {
    for (const type of ["AUTHORIZER_CONFIGURATION_ERROR", "AUTHORIZER_FAILURE"]) {
      const response = renderGatewayResponse(api, type, { status: 500, message: null }, REQUEST);

      expect(response.statusCode).toBe(503);
      expect(JSON.parse(response.body.toString("utf8"))).toEqual({ error: { code: "SERVICE_UNAVAILABLE", message: expect.any(String) } });
      expect(response.headers).toContainEqual(["Retry-After", "1"]);
    }
  });
});
