/**
 * docs/openapi.json (written by `npm run generate`, which __tests__/generated.test.ts holds up to date; its
 * validity as OpenAPI 3.1 is checked by processes/openapi-validator.test.ts): it has
 * exactly one operation per route of app/stacks/routes.ts, and it carries the handlers' own request schemas and
 * the error vocabulary. The route contracts (tools/contract/routes/<function>.ts) are found for every route, and
 * a missing one fails naming the file to change; a query string is documented and checked (on a synthetic
 * operation: the API has none). Then the contract checker the e2e suite uses (support/contract.ts) is shown to
 * fail where it must.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { buildOpenApiDocument, renderRoutesTable } from "../tools/contract/openapi";
import { ProfileSchema, type OperationSpec } from "../tools/contract/operations";
import { contractFileOf, journeySteps, routeContracts, type FunctionContract } from "../tools/contract/route-contracts";
import { ERROR_CODES, GATEWAY_RESPONSES } from "../app/lambda-packages/shared/error-codes";
import { ROUTES, routeKey } from "../app/stacks/routes";
import { ContractChecker, OPENAPI_FILE } from "./support/contract";
import { LIST_THINGS, READ_ONLY_STEP, THINGS, thingsDocument, withThings } from "./support/contract-fixtures";

const committed = readFileSync(OPENAPI_FILE, "utf8");
const doc = JSON.parse(committed);

const operations = (): Array<[string, string, any]> =>
  Object.entries(doc.paths).flatMap(([path, methods]: [string, any]) =>
    Object.entries(methods).map(([method, op]) => [method.toUpperCase(), path, op] as [string, string, any]),
  );

describe("docs/openapi.json", () => {
  test("has exactly one operation per route of app/stacks/routes.ts, and tools/contract/routes/ none else", () => {
    expect(
      operations()
        .map(([method, path]) => `${method} ${path}`)
        .sort(),
    ).toEqual(ROUTES.map(routeKey).sort());
    expect(routeContracts().map((c) => c.key)).toEqual(ROUTES.map(routeKey));
  });

  test("its tags are the functions behind routes, and each operation is tagged with its own", () => {
    expect(doc.tags).toEqual([...new Set(ROUTES.map((r) => r.function))].map((name) => ({ name })));
    for (const route of ROUTES)
      expect([routeKey(route), doc.paths[route.path][route.method.toLowerCase()].tags]).toEqual([routeKey(route), [route.function]]);
  });

  test("its schema components are exactly the bodies the operations name, each under the id declared beside it", () => {
    const bodies = routeContracts().flatMap((c) => [
      ...(c.operation.requestBody ? [c.operation.requestBody] : []),
      ...Object.values(c.operation.success).flatMap((s) => (s.body ? [s.body] : [])),
    ]);
    const ids = [...new Set(bodies.map((b) => z.globalRegistry.get(b)?.id))];
    expect(Object.keys(doc.components.schemas).sort()).toEqual([...ids, "Error", "ErrorCode"].sort());
    expect(doc.components.schemas.Profile.description).toBe(z.globalRegistry.get(ProfileSchema)?.description);
  });

  test.each(ROUTES.map((r) => [routeKey(r), r] as const))("%s: bearer auth exactly when the route goes through the authorizer", (_key, route) => {
    const op = doc.paths[route.path][route.method.toLowerCase()];
    expect(op.security).toEqual(route.auth === "bearer" ? [{ bearer: [] }] : []);
    if (route.auth === "bearer") {
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["401", "403", "503"]));
      expect(op.responses["401"].headers["WWW-Authenticate"]).toBeDefined();
    }
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  test("every operation documents the gateway's own errors, and every body schema is a strict object", () => {
    for (const [method, path, op] of operations()) {
      expect([method, path, Object.keys(op.responses)]).toEqual([method, path, expect.arrayContaining(["400", "413", "429", "500", "502", "504"])]);
      expect(op.responses["429"].headers["Retry-After"]).toBeDefined();
    }
    for (const [name, schema] of Object.entries(doc.components.schemas) as [string, any][]) {
      if (schema.type === "object") expect([name, schema.additionalProperties]).toEqual([name, false]);
    }
  });

  test("the request bodies are the handlers' zod schemas: required fields, limits, no unknown fields", () => {
    expect(doc.components.schemas.SignUpRequest).toMatchObject({
      type: "object",
      required: ["email", "password", "name"],
      additionalProperties: false,
      properties: { email: { type: "string", format: "email", maxLength: 254 }, password: { minLength: 12, maxLength: 256 }, name: { minLength: 1 } },
    });
    expect(doc.components.schemas.ProfileChangeRequest.required).toBeUndefined();
    expect(Object.keys(doc.components.schemas.ProfileChangeRequest.properties)).toEqual(["name", "password", "currentPassword"]);
    expect(doc.paths["/users/me"].patch.parameters).toEqual([expect.objectContaining({ name: "If-Match", in: "header", required: false })]);
    expect(doc.paths["/users/me"].get.responses["200"].headers.ETag).toBeDefined();
  });

  test("lists every error code of ERROR_CODES, and every code the gateway or a function answers is one of them", () => {
    expect(doc.components.schemas.ErrorCode.enum).toEqual(Object.keys(ERROR_CODES));
    expect(doc["x-error-codes"]).toEqual(ERROR_CODES);
    const documented = new Set(
      operations().flatMap(([, , op]) =>
        Object.values(op.responses).flatMap((r: any) => JSON.stringify(r).match(/"enum":\[("[A-Z_]+",?)+\]/g) ?? []),
      ),
    );
    const codes = new Set([...documented].flatMap((m) => JSON.parse(m.slice(7))));
    const gatewayCodes = new Set(Object.values(GATEWAY_RESPONSES).map((r) => r.code));
    gatewayCodes.delete("ROUTE_NOT_FOUND"); // no operation: the RouteNotFound response
    expect([...gatewayCodes].filter((c) => !codes.has(c))).toEqual([]);
    expect([...codes].filter((c) => !(c in ERROR_CODES))).toEqual([]);
    expect(JSON.stringify(doc.components.responses.RouteNotFound)).toContain('"ROUTE_NOT_FOUND"');
  });
});

describe("the route contracts (tools/contract/routes/<function>.ts)", () => {
  test("every route has its operation and at least one journey step, in the file of its function", () => {
    const contracts = routeContracts();
    expect(contracts.map((c) => [c.key, c.file])).toEqual(ROUTES.map((r) => [routeKey(r), `tools/contract/routes/${r.function}.ts`]));
    for (const c of contracts) expect([c.key, c.journey.length > 0]).toEqual([c.key, true]);
  });

  test.each<[string, FunctionContract | undefined, string]>([
    [
      "a function without its file",
      undefined,
      "GET /things (function things) has no contract: create tools/contract/routes/things.ts exporting ROUTE_CONTRACTS with its operation and journey steps",
    ],
    [
      "a route without an operation",
      {},
      'GET /things has no operation: add ROUTE_CONTRACTS["GET /things"].operation to tools/contract/routes/things.ts',
    ],
    [
      "a route without a journey step",
      { "GET /things": { operation: LIST_THINGS, journey: [] } },
      'GET /things has no journey step: add one to ROUTE_CONTRACTS["GET /things"].journey in tools/contract/routes/things.ts',
    ],
    [
      "a contract of no route",
      {
        "GET /things": { operation: LIST_THINGS, journey: [READ_ONLY_STEP] },
        "DELETE /things": { operation: LIST_THINGS, journey: [READ_ONLY_STEP] },
      },
      "tools/contract/routes/things.ts declares DELETE /things, which is no route of the things function in app/stacks/routes.ts: remove it or add the route",
    ],
  ])("%s fails, naming the file to change", (_what, contracts, message) => {
    expect(contractFileOf("things")).toBe("tools/contract/routes/things.ts");
    expect(() => routeContracts([THINGS], withThings(contracts))).toThrow(message);
  });

  test("the journey runs its steps by phase, then in route-table order", () => {
    const steps = journeySteps();
    const phases = ["anonymous", "signs up", "logs in", "signed in", "deletes the account"];
    expect(steps.map((s) => phases.indexOf(s.phase))).toEqual(steps.map((s) => phases.indexOf(s.phase)).sort((a, b) => a - b));
    expect(steps.map((s) => s.name).slice(0, 4)).toEqual([
      "GET /health",
      "POST /users",
      "POST /users (the same address again, in other case)",
      "POST /sessions",
    ]);
    expect(steps.at(-1)!.name).toBe("DELETE /users/me (refused without the current password, then confirmed with it)");
    expect(steps.filter((s) => s.phase === "signed in").map((s) => ROUTES.indexOf(s.route))).toEqual(
      steps
        .filter((s) => s.phase === "signed in")
        .map((s) => ROUTES.indexOf(s.route))
        .sort((a, b) => a - b),
    );
  });

  test("a body without a component id fails, naming the operation's file and how to declare one", () => {
    const anonymous: OperationSpec = { ...LIST_THINGS, success: { 200: { description: "x", body: z.strictObject({ id: z.string() }) } } };
    const contracts = routeContracts([THINGS], withThings({ "GET /things": { operation: anonymous, journey: [READ_ONLY_STEP] } }));
    expect(() => buildOpenApiDocument("0.0.0", contracts)).toThrow(
      'the 200 body of GET /things (tools/contract/routes/things.ts) has no component id: declare one beside its schema with .meta({ id: "Name" })',
    );
  });

  describe("an operation with a query string (synthetic: the API has none)", () => {
    const synthetic = thingsDocument();
    const checker = new ContractChecker(synthetic);
    const ok = (path: string, status = 200, body: unknown = { id: "t1" }) => ({
      method: "GET",
      path,
      status,
      contentType: "application/json",
      text: JSON.stringify(body),
    });

    // processes/openapi-validator.test.ts checks that this document is valid OpenAPI.
    test("is documented as `in: query` parameters from its zod object", () => {
      expect(synthetic.tags).toEqual([{ name: "things" }]);
      expect((synthetic.paths as any)["/things"].get.parameters).toEqual([
        { name: "limit", in: "query", required: true, description: "At most this many", schema: { type: "integer", minimum: 1, maximum: 100 } },
        { name: "cursor", in: "query", required: false, description: "Where the previous page ended", schema: { type: "string" } },
      ]);
    });

    test("docs/api.md's API table shows its query parameters after the path, the optional ones marked", () => {
      const table = renderRoutesTable(routeContracts([THINGS], withThings({ "GET /things": { operation: LIST_THINGS, journey: [READ_ONLY_STEP] } })));
      expect(table).toContain("| `GET /things?limit&cursor?` | bearer | 200 A page of things | 400 VALIDATION_ERROR limit is not 1..100 |");
    });

    test("the contract checker accepts a success to an allowed query, and any answer but success to another", () => {
      expect(checker.problems(ok("/things?limit=5"))).toEqual([]);
      expect(checker.problems(ok("/things?limit=100&cursor=abc&unknown=1"))).toEqual([]);
      expect(checker.problems(ok("/things?limit=500", 400, { error: { code: "VALIDATION_ERROR", message: "x" } }))).toEqual([]);
    });

    test.each([
      ["a value over its maximum", "/things?limit=500", "query parameter limit=500 must be <= 100"],
      ["a value of another type", "/things?limit=many", "query parameter limit=many must be integer"],
      ["a required parameter missing", "/things?cursor=abc", "query parameter limit is required"],
    ])("the contract checker refuses a success to %s, naming the route", (_what, path, message) => {
      const problems = checker.problems(ok(path));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain("GET /things (operation GET /things): answered 200 to a query string docs/openapi.json does not allow");
      expect(problems[0]).toContain(message);
    });
  });
});

describe("the contract checker of the e2e suite", () => {
  const checker = new ContractChecker();
  const profile = {
    id: "0b5b2a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    email: "ada@example.com",
    name: "Ada",
    createdAt: "2026-12-01T19:00:00.000Z",
    updatedAt: "2026-12-01T19:00:00.000Z",
    version: 1,
  };
  const json = (method: string, path: string, status: number, body: unknown) => ({
    method,
    path,
    status,
    contentType: "application/json",
    text: JSON.stringify(body),
  });

  test("accepts documented responses, a literal path segment winning over a parameter", () => {
    expect(checker.templateOf("/users/me")).toBe("/users/me");
    expect(checker.templateOf("/users/123")).toBe("/users/{id}");
    expect(checker.problems(json("GET", "/users/me", 200, profile))).toEqual([]);
    expect(checker.problems(json("GET", "/users/123?x=1", 403, { error: { code: "FORBIDDEN", message: "no" } }))).toEqual([]);
    expect(checker.problems({ method: "DELETE", path: "/sessions/current", status: 204, contentType: null, text: "" })).toEqual([]);
    expect(checker.problems(json("GET", "/nowhere", 404, { error: { code: "ROUTE_NOT_FOUND", message: "No route" } }))).toEqual([]);
  });

  test.each<[string, ReturnType<typeof json>, string]>([
    ["an undocumented status", json("GET", "/users/me", 418, {}), "GET /users/me (operation GET /users/me): status 418 is not documented"],
    ["an undocumented field", json("GET", "/users/me", 200, { ...profile, passwordHash: "x" }), "(passwordHash)"],
    ["a missing field", json("GET", "/users/me", 200, { ...profile, version: undefined }), "must have required property 'version'"],
    [
      "a code of another status",
      json("POST", "/users", 409, { error: { code: "UNAUTHORIZED", message: "x" } }),
      "must be equal to one of the allowed values",
    ],
    ["a field in the error envelope", json("POST", "/users", 409, { error: { code: "CONFLICT", message: "x" }, stack: "at x" }), "(stack)"],
    ["a body where none is documented", json("DELETE", "/sessions/current", 204, { ok: true }), "documented without a body"],
    [
      "an unknown route answered 403",
      json("GET", "/nowhere", 403, { message: "Missing Authentication Token" }),
      "GET /nowhere (no operation in docs/openapi.json)",
    ],
    ["a body that is not JSON", { method: "GET", path: "/health", status: 200, contentType: "application/json", text: "ok" }, "not JSON"],
  ])("refuses %s, naming the route", (_what, response, expected) => {
    const problems = checker.problems(response);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });
});
