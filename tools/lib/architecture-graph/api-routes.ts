/** Routes of an API Gateway REST API as a reader writes them: `GET, PATCH /users/{id}`. */
import { Block, compare, TerraformApp } from "../terraform-json";
import { HTTP_METHOD_ORDER } from "./vocabulary";

/** The HTTP method of an integration, from its method when it refers to one; ANY when it cannot be told. */
export function httpMethodOf(app: TerraformApp, integration: Block): string {
  for (const ref of app.resolveAll(integration.stack, integration.config.http_method)) {
    const method = ref.block.config.http_method;
    if (typeof method === "string" && !method.includes("${")) return method;
  }
  const literalMethod = integration.config.http_method;
  return typeof literalMethod === "string" && !literalMethod.includes("${") ? literalMethod : "ANY";
}

/** `/users/{id}` from a resource id reference, following `parent_id` up to the API's root resource. */
export function resourcePath(app: TerraformApp, stack: string, resourceId: unknown, depth = 0): string {
  const [ref] = app.resolveAll(stack, resourceId);
  if (!ref || depth > 32) return "/";
  if (ref.attribute === "root_resource_id") return "";
  if (ref.block.type !== "aws_api_gateway_resource") return "/";
  const parent = resourcePath(app, ref.block.stack, ref.block.config.parent_id, depth + 1);
  return `${parent === "/" ? "" : parent}/${String(ref.block.config.path_part)}`;
}

/** HTTP methods in HTTP_METHOD_ORDER, unknown ones last by name. */
export function byHttpMethod(a: string, b: string): number {
  const rank = (m: string) => (HTTP_METHOD_ORDER.includes(m) ? HTTP_METHOD_ORDER.indexOf(m) : HTTP_METHOD_ORDER.length);
  return rank(a) - rank(b) || compare(a, b);
}
