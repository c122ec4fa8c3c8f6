/**
 * Routing inside a function by `event.resource` (the API Gateway resource template, e.g. `/users/{id}`) and
 * `event.httpMethod`. A resource the function does not serve is a 404 and a method it does not serve on a
 * known resource a 405 with `Allow`, both as JSON error bodies: never a 500.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { HttpError, NotFoundError, type ProxyHandler } from "./http";

/** resource template -> HTTP method -> handler. */
export type Routes = Readonly<Record<string, Readonly<Partial<Record<string, ProxyHandler>>>>>;

/** 405: the resource exists but not with this method; `Allow` lists the methods it has. */
export class MethodNotAllowedError extends HttpError {
  constructor(method: string, resource: string, allowed: readonly string[]) {
    super("METHOD_NOT_ALLOWED", `${method} is not allowed on ${resource}; allowed: ${allowed.join(", ")}`, undefined, {
      Allow: allowed.join(", "),
    });
  }
}

/** The route of the event, or a NotFoundError / MethodNotAllowedError. */
export function findRoute(routes: Routes, event: Pick<APIGatewayProxyEvent, "resource" | "httpMethod">): ProxyHandler {
  const resource = typeof event.resource === "string" ? event.resource : "";
  const methods = Object.prototype.hasOwnProperty.call(routes, resource) ? routes[resource] : undefined;
  if (!methods) throw new NotFoundError(resource ? `No such resource: ${resource}` : "No such resource", "ROUTE_NOT_FOUND");
  const method = typeof event.httpMethod === "string" ? event.httpMethod.toUpperCase() : "";
  const handler = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
  if (!handler) throw new MethodNotAllowedError(method || "(no method)", resource, Object.keys(methods));
  return handler;
}

/** One handler for all the routes; wrap it in route() to turn the errors into responses. */
export function router(routes: Routes): ProxyHandler {
  return (event, context) => findRoute(routes, event)(event, context);
}
