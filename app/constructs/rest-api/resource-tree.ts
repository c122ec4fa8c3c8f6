import { Construct } from "constructs";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import type { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { constructIdOf } from "./types";

/**
 * The API's resources, one per path segment, created on first use with their parents first ("/users/{id}"
 * creates "/users" too), as `resource-<path>` in `scope`. Routes and preflights ask it for a path's resource id.
 */
export class ResourceTree {
  private readonly resources = new Map<string, ApiGatewayResource>();

  constructor(
    private readonly scope: Construct,
    private readonly api: ApiGatewayRestApi,
  ) {}

  /** Id of the resource of `path` ("/" is the API's root resource). */
  idOf(path: string): string {
    if (path === "/") return this.api.rootResourceId;
    const existing = this.resources.get(path);
    if (existing) return existing.id;
    const parentPath = path.slice(0, path.lastIndexOf("/")) || "/";
    const resource = new ApiGatewayResource(this.scope, `resource${constructIdOf(path)}`, {
      restApiId: this.api.id,
      parentId: this.idOf(parentPath),
      pathPart: path.slice(path.lastIndexOf("/") + 1),
    });
    this.resources.set(path, resource);
    return resource.id;
  }
}
