/** The route vocabulary every part of the REST API shares; re-exported by `../lambda-rest-api`. */

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The parts of a Lambda function the API needs; they cross the stack boundary as references. */
export interface LambdaTarget {
  /**
   * Short name of the function, the same for every route it serves and unique in the API (e.g. "users"): it
   * names the function's invoke permissions (`permission-<name>-<method>`), so renaming it replaces them.
   */
  readonly name: string;
  readonly functionName: string;
  /**
   * The alias or version API Gateway invokes (`invokeArn` must be its invoke ARN); the invoke permissions are the
   * qualifier's own resource policy then, since Lambda keeps one per alias. @default the unqualified function
   */
  readonly qualifier?: string;
  readonly invokeArn: string;
}

/** One route: `METHOD /path` proxied to a function, public or behind the Lambda authorizer. */
export interface ApiRoute {
  readonly method: HttpMethod;
  /** Resource path, e.g. "/users/{id}". */
  readonly path: string;
  readonly target: LambdaTarget;
  readonly auth: "none" | "bearer";
}

/** API Gateway throttling of a stage or of one route: steady requests per second and the burst above it. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** "GET /users/{id}": how routes are named in props (`routeThrottling`) and in `LambdaRestApi.methods`. */
export function routeKey(route: Pick<ApiRoute, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}

/** "/users/{id}" -> "-users-id": stable construct ids derived from the path (renaming one replaces it). */
export function constructIdOf(path: string): string {
  return path === "/" ? "-root" : path.replace(/[{}]/g, "").replace(/\//g, "-");
}
