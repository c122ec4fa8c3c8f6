/**
 * The API's routes, in one place. The API stack builds its resources and methods from them; the functions'
 * routers, the handler tests' gateway, the function descriptions, the OpenAPI document and docs/api.md's API
 * table are derived from them or checked against them (__tests__/routes.test.ts). Each route's operation and
 * journey steps sit in tools/contract/routes/<function>.ts (the tooling's; this file names no tool): a route
 * without them fails `npm test`, naming that file.
 *
 * Dependency-free at run time (type imports only), so handler code and tests can import it without cdktf.
 */
import type { FunctionName } from "../config/schema";
import type { HttpMethod } from "../constructs/lambda-rest-api";

/** A route of the public API and the function that serves it. */
export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  readonly function: FunctionName;
  /** "bearer" routes go through the Lambda authorizer; an unauthenticated request never reaches the function. */
  readonly auth: "none" | "bearer";
}

export const ROUTES: readonly RouteDefinition[] = [
  { method: "GET", path: "/health", function: "health", auth: "none" },
  { method: "POST", path: "/users", function: "users", auth: "none" },
  { method: "GET", path: "/users/me", function: "users", auth: "bearer" },
  { method: "PATCH", path: "/users/me", function: "users", auth: "bearer" },
  { method: "DELETE", path: "/users/me", function: "users", auth: "bearer" },
  { method: "GET", path: "/users/{id}", function: "users", auth: "bearer" },
  { method: "POST", path: "/sessions", function: "sessions", auth: "none" },
  { method: "GET", path: "/sessions", function: "sessions", auth: "bearer" },
  { method: "DELETE", path: "/sessions", function: "sessions", auth: "bearer" },
  { method: "GET", path: "/sessions/current", function: "sessions", auth: "bearer" },
  { method: "DELETE", path: "/sessions/current", function: "sessions", auth: "bearer" },
];

/** "METHOD /path", the key config and tests use for a route (e.g. `api.routeThrottling`). */
export type RouteKey = `${HttpMethod} ${string}`;

export function routeKey(route: Pick<RouteDefinition, "method" | "path">): RouteKey {
  return `${route.method} ${route.path}`;
}

/** The routes a function serves, in ROUTES order. */
export function routesOf(fn: FunctionName): readonly RouteDefinition[] {
  return ROUTES.filter((route) => route.function === fn);
}
