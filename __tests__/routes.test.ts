/**
 * app/stacks/routes.ts is the only list of routes: each function's router serves exactly its routes, the handler
 * tests' gateway and the function descriptions are derived from it.
 */
import { join } from "node:path";
import { FUNCTION_NAMES, type FunctionName } from "../app/config/schema";
import type { Routes } from "../app/lambda-packages/shared/router";
import { functionDescription } from "../app/stacks/compute-stack";
import { ROUTES, routeKey, routesOf } from "../app/stacks/routes";
import { GATEWAY_ROUTES } from "./support/api-events";
import { loadHandler } from "./support/dynalite";
import { functionTestEnv, withTableAccessHint } from "./support/function-env";

/** Functions behind API routes (the authorizer is not one: it guards routes, it serves none). */
const API_FUNCTIONS: readonly FunctionName[] = FUNCTION_NAMES.filter((fn) => fn !== "authorizer");

/** The function's router, loaded with the environment compute-stack gives it (pointing nowhere: loading makes no call). */
function routerOf(fn: FunctionName): Routes {
  const source = join(__dirname, "..", "app", "lambda-packages", fn, "index.ts");
  return withTableAccessHint(fn, () => loadHandler<{ ROUTE_HANDLERS: Routes }>(source, functionTestEnv(fn))).ROUTE_HANDLERS;
}

const routerKeys = (routes: Routes): string[] =>
  Object.entries(routes).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`));

describe("the route table (app/stacks/routes.ts)", () => {
  test("has no route twice", () => {
    const keys = ROUTES.map(routeKey);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  test("names only API functions", () => {
    expect(ROUTES.filter((route) => !API_FUNCTIONS.includes(route.function)).map(routeKey)).toEqual([]);
  });

  test.each(API_FUNCTIONS)("the %s function's router serves exactly the routes of the table that name it", (fn) => {
    const served = routerKeys(routerOf(fn));
    const declared: string[] = routesOf(fn).map(routeKey);

    expect({
      "routes without a handler": declared.filter((key) => !served.includes(key)),
      "handlers without a route": served.filter((key) => !declared.includes(key)),
    }).toEqual({
      "routes without a handler": [],
      "handlers without a route": [],
    });
  });

  test("the handler tests' gateway serves the same routes, with the same function and auth", () => {
    expect(GATEWAY_ROUTES).toEqual(Object.fromEntries(ROUTES.map((r) => [routeKey(r), { fn: r.function, bearer: r.auth === "bearer" }])));
  });

  test("a handler reading a table its function may not use fails its cold start saying where access is declared", () => {
    const users = join(__dirname, "..", "app", "lambda-packages", "users", "index.ts");
    // The users handler with the authorizer's environment: only SESSIONS_TABLE_NAME.
    expect(() => withTableAccessHint("users", () => loadHandler(users, functionTestEnv("authorizer")))).toThrow(
      "Missing required environment variable USERS_TABLE_NAME: function users reads USERS_TABLE_NAME, but its entry in FUNCTION_ACCESS (app/stacks/function-access.ts) reaches no such table",
    );
  });

  test("a function's description lists its routes, and the authorizer's none", () => {
    expect(functionDescription("sessions", "Log-in")).toBe(
      "Log-in: POST /sessions, GET /sessions, DELETE /sessions, GET /sessions/current, DELETE /sessions/current",
    );
    expect(functionDescription("authorizer", "Checks tokens")).toBe("Checks tokens");
  });
});
