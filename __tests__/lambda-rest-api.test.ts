import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import { LambdaRestApi, resourceCount, type ApiRoute, type LambdaRestApiProps } from "../app/constructs/lambda-rest-api";
import { ValidationError } from "../app/constructs/validation-error";

const target = { name: "fn", functionName: "fn", invokeArn: "arn:aws:apigateway:eu-west-1:lambda:path/fn/invocations" };
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

  test("builds 299 resources, the root included, within API Gateway's default quota of 300", () => {
    const routes = Array.from({ length: 298 }, (_, i) => route("GET", `/r${i}`));
    expect(resourceCount(routes.map((r) => r.path))).toBe(299);
    expect(Object.keys(build({ ...PROPS, routes }).methods)).toHaveLength(298);
  });

  test("counts a path's parents once: /users/{id} and /users/me need the root, /users and two more", () => {
    expect(resourceCount(["/users/{id}", "/users/me", "/users"])).toBe(4);
  });

  test("gives each function one invoke permission per HTTP method it serves, scoped to this API and stage", () => {
    const other = { name: "other", functionName: "other-fn", invokeArn: "arn:aws:apigateway:eu-west-1:lambda:path/other/invocations" };
    const stack = new TerraformStack(Testing.app({ outdir }), "api-stack");
    const api = new LambdaRestApi(stack, "rest-api", {
      ...PROPS,
      routes: [
        route("GET", "/health"),
        route("GET", "/users/{id}", "bearer"),
        route("DELETE", "/users/{id}", "bearer"),
        { ...route("GET", "/other"), target: other },
      ],
    });
    const json = JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const permissions = Object.entries(json.resource.aws_lambda_permission).map(([name, config]) => ({
      name: name.replace(/_[0-9A-F]{8}$/, ""),
      statement: config.statement_id,
      function: config.function_name,
      source: config.source_arn,
    }));
    const executionArn = `\${aws_api_gateway_rest_api.${api.api.friendlyUniqueId}.execution_arn}`;
    expect(permissions).toEqual([
      {
        name: "rest-api_authorizer-permission",
        statement: "AllowApiGatewayAuthorizer",
        function: "fn",
        source: expect.stringContaining("/authorizers/"),
      },
      { name: "rest-api_permission-fn-delete", statement: "AllowApiGateway-DELETE", function: "fn", source: `${executionArn}/v1/DELETE/*` },
      { name: "rest-api_permission-fn-get", statement: "AllowApiGateway-GET", function: "fn", source: `${executionArn}/v1/GET/*` },
      { name: "rest-api_permission-other-get", statement: "AllowApiGateway-GET", function: "other-fn", source: `${executionArn}/v1/GET/*` },
    ]);
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
    [
      "a target name that cannot be part of a construct id",
      { routes: [{ ...route("GET", "/health"), target: { ...target, name: "fn/x" } }] },
      'routes: target name of "GET /health" must be letters, digits, "_" and inner "-", received "fn/x"',
    ],
    [
      "one target name for two functions",
      { routes: [route("GET", "/health"), { ...route("GET", "/users/{id}"), target: { ...target, functionName: "other" } }] },
      'routes: target name "fn" names two functions, "fn" and "other" (at "GET /users/{id}")',
    ],
    [
      "routes that need more resources than API Gateway's default quota",
      { routes: Array.from({ length: 300 }, (_, i) => route("GET", `/r${i}`)) },
      "routes: need 301 API Gateway resources (path segments, the root included), more than the 300 resources per REST API (API Gateway's default quota; after raising it with Service Quotas, set maxResources)",
    ],
    [
      "routes that need more resources than maxResources",
      { maxResources: 3, routes: [route("GET", "/users/{id}/items")] },
      "routes: need 4 API Gateway resources (path segments, the root included), more than the 3 resources per REST API (maxResources)",
    ],
  ])("rejects %s with a ValidationError carrying its construct path", (_case, override, message) => {
    const attempt = () => build({ ...PROPS, ...override });
    expect(attempt).toThrow(ValidationError);
    // An Error given to toThrow asserts the whole message, so the construct path in front is checked too.
    expect(attempt).toThrow(new Error(`api-stack/rest-api: ${message}`));
  });
});
