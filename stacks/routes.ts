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
export const ROUTES: readonly RouteDefinition[] = [{ method: "GET", path: "/health", function: "health", auth: "none" }];
