import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { LambdaRestApi, type ApiRoute, type LambdaRestApiProps } from "../app/constructs/lambda-rest-api";
import { ValidationError } from "../app/constructs/validation-error";

const target = { functionName: "fn", invokeArn: "arn:aws:apigateway:eu-west-1:lambda:path/fn/invocations" };
const route = (method: ApiRoute["method"], path: string, auth: ApiRoute["auth"] = "none"): ApiRoute => ({ method, path, auth, target });

const PROPS: LambdaRestApiProps = {
  name: "app-api",
  stageName: "v1",
  routes: [route("GET", "/health"), route("GET", "/users/{id}", "bearer")],
  authorizer: { target, cacheTtlSeconds: 0 },
  throttling: { rateLimit: 10, burstLimit: 20 },
  executionLogLevel: "ERROR",
  logRetentionDays: 14,
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
};

/** One output folder for every app of this file (nothing is synthesized into it); Testing.app() alone makes one per call. */
const outdir = mkdtempSync(join(tmpdir(), "lambda-rest-api-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Builds the API in a stack named like the app's, so the error names the path `api-stack/rest-api`. */
function build(props: LambdaRestApiProps): LambdaRestApi {
  return new LambdaRestApi(new TerraformStack(Testing.app({ outdir }), "api-stack"), "rest-api", props);
}

describe("LambdaRestApi", () => {
  test("builds from valid props, with one method per route keyed METHOD /path", () => {
    expect(Object.keys(build(PROPS).methods)).toEqual(["GET /health", "GET /users/{id}"]);
  });

  test.each<[string, Partial<LambdaRestApiProps>, string]>([
    [
      "a path that is not /segment/{param}",
      { routes: [route("GET", "/users/")] },
      'routes: path of "GET /users/" must look like /users/{id}, received "/users/"',
    ],
    [
      "a path with an empty segment",
      { routes: [route("GET", "//users")] },
      'routes: path of "GET //users" must look like /users/{id}, received "//users"',
    ],
    ["a route defined twice", { routes: [route("GET", "/health"), route("GET", "/health")] }, 'routes: "GET /health" is defined twice'],
    [
      "a bearer route without an authorizer",
      { authorizer: undefined },
      'routes: "GET /users/{id}" needs the bearer authorizer, but no authorizer was given',
    ],
    [
      "a throttling override of a route that does not exist",
      { routeThrottling: { "POST /health": { rateLimit: 1, burstLimit: 1 } } },
      'routeThrottling: "POST /health" is not a route of this API (routes: GET /health, GET /users/{id})',
    ],
    ["an empty stage name", { stageName: "" }, 'stageName must not be empty, received ""'],
  ])("rejects %s with a ValidationError carrying its construct path", (_case, override, message) => {
    const attempt = () => build({ ...PROPS, ...override });
    expect(attempt).toThrow(ValidationError);
    // An Error given to toThrow asserts the whole message, so the construct path in front is checked too.
    expect(attempt).toThrow(new Error(`api-stack/rest-api: ${message}`));
  });
});
