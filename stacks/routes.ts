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

/** The API's routes, in one place: the API stack builds them, the tests and the README read them. */
export const ROUTES: readonly RouteDefinition[] = [
  { method: "GET", path: "/health", function: "health", auth: "none" },
  { method: "POST", path: "/users", function: "users", auth: "none" },
  { method: "GET", path: "/users/me", function: "users", auth: "bearer" },
  { method: "PATCH", path: "/users/me", function: "users", auth: "bearer" },
  { method: "DELETE", path: "/users/me", function: "users", auth: "bearer" },
  { method: "GET", path: "/users/{id}", function: "users", auth: "bearer" },
  { method: "POST", path: "/sessions", function: "sessions", auth: "none" },
  { method: "GET", path: "/sessions/current", function: "sessions", auth: "bearer" },
  { method: "DELETE", path: "/sessions/current", function: "sessions", auth: "bearer" },
];
