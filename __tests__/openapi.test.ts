/**
 * `npm run openapi` (tools/openapi.ts): docs/openapi.json and the README's API table are what the code
 * produces now, the document is valid OpenAPI 3.1 (checked by @seriousme/openapi-schema-validator), it has
 * exactly one operation per route of app/stacks/routes.ts, and it carries the handlers' own request schemas and
 * the error vocabulary. Then the contract checker the e2e suite uses (support/contract.ts) is shown to fail
 * where it must.
 */
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderRoutesTable, README_ROUTES_END, README_ROUTES_START } from "../tools/contract/openapi";
import { OPERATIONS } from "../tools/contract/operations";
import { ERROR_CODES, GATEWAY_RESPONSES } from "../app/lambda-packages/shared/error-codes";
import { renderOpenApiText } from "../tools/openapi";
import { ROUTES, routeKey } from "../app/stacks/routes";
import { ContractChecker, OPENAPI_FILE } from "./support/contract";

const ROOT = join(__dirname, "..");
const REGENERATE = "run `npm run openapi` and commit docs/openapi.json and README.md";
const committed = readFileSync(OPENAPI_FILE, "utf8");
const doc = JSON.parse(committed);

const operations = (): Array<[string, string, any]> =>
  Object.entries(doc.paths).flatMap(([path, methods]: [string, any]) =>
    Object.entries(methods).map(([method, op]) => [method.toUpperCase(), path, op] as [string, string, any]),
  );

describe("docs/openapi.json", () => {
  test("is what `npm run openapi` produces from the current code", () => {
    const generated = renderOpenApiText();
    const a = committed.split("\n");
    const e = generated.split("\n");
    const line = a.findIndex((text, i) => text !== e[i]);
    expect(
      committed === generated
        ? "equal"
        : `docs/openapi.json is out of date: ${REGENERATE}. First difference at line ${line + 1}:\n  committed: ${a[line]}\n  generated: ${e[line]}`,
    ).toBe("equal");
  });

  test("is a valid OpenAPI 3.1 document whose $refs all resolve", () => {
    const out = execFileSync(process.execPath, [join(ROOT, "tools", "lib", "validate-openapi.mjs"), OPENAPI_FILE], { encoding: "utf8" });
    expect(JSON.parse(out)).toEqual({ valid: true, version: "3.1", errors: [] });
  });

  test("the validator refuses an invalid document (it can fail)", () => {
    const broken = join(tmpdir(), `openapi-broken-${process.pid}.json`);
    writeFileSync(broken, JSON.stringify({ ...doc, paths: { "/health": { get: { responses: { 200: { content: {} } } } } } }));
    try {
      const out = JSON.parse(execFileSync(process.execPath, [join(ROOT, "tools", "lib", "validate-openapi.mjs"), broken], { encoding: "utf8" }));
      expect(out.valid).toBe(false);
    } finally {
      rmSync(broken, { force: true });
    }
  });

  test("has exactly one operation per route of app/stacks/routes.ts, and tools/contract/operations.ts none else", () => {
    expect(
      operations()
        .map(([method, path]) => `${method} ${path}`)
        .sort(),
    ).toEqual(ROUTES.map(routeKey).sort());
    expect(Object.keys(OPERATIONS).sort()).toEqual(ROUTES.map(routeKey).sort());
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

  test("README.md embeds the generated API table", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = `${README_ROUTES_START}\n${renderRoutesTable()}${README_ROUTES_END}`;
    expect(readme.includes(block) ? "embedded" : `README.md's API table is out of date: ${REGENERATE}`).toBe("embedded");
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
