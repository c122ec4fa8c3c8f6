/**
 * API Gateway's Lambda REQUEST authorizer: identity source check, invocation, policy evaluation against the
 * method ARN, and the result cache.
 *
 * - A request whose identity source headers are missing or empty is answered 401 without invoking the
 *   authorizer.
 * - The authorizer's error "Unauthorized" is a 401; any other error, or a result without principalId and
 *   policyDocument (or with a context value that is not a string, number or boolean), is an
 *   AUTHORIZER_CONFIGURATION_ERROR: 500 from API Gateway itself, 503 with this API's gateway response.
 * - The policy allows the request when an Allow statement for `execute-api:Invoke` matches the method ARN
 *   (`*` and `?` wildcards) and no Deny statement does; an explicit Deny, or no match, is a 403.
 * - With a TTL above 0, the returned policy and context are cached per identity source value and evaluated
 *   again against the method ARN of each later request: a cached Allow for one route is not an Allow for
 *   another unless the policy says so.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import type { InvocationResult } from "./functions";
import type { AuthorizerModel } from "./rest-api";

/** What the integration receives as `requestContext.authorizer`: context values as strings, plus principalId. */
export type AuthorizerContext = Record<string, string | number>;

export type AuthorizerOutcome =
  | { readonly allowed: true; readonly context: AuthorizerContext; readonly invoked: boolean }
  | {
      readonly allowed: false;
      readonly responseType: "UNAUTHORIZED" | "ACCESS_DENIED" | "AUTHORIZER_CONFIGURATION_ERROR";
      readonly message: string | null;
      readonly invoked: boolean;
    };

/** Invokes the authorizer's function; `authorizer` lets the caller check the function's invoke permission. */
type Invoke = (functionName: string, event: unknown, authorizer?: AuthorizerModel) => Promise<InvocationResult>;

interface CachedPolicy {
  readonly result: ValidResult;
  readonly expiresAt: number;
}

interface ValidResult {
  readonly principalId: string;
  readonly statements: readonly Statement[];
  readonly context: Readonly<Record<string, string>>;
}

interface Statement {
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/**
 * Runs the REQUEST authorizers of one API, with one cache per authorizer. A cache lasts while its authorizer's
 * settings (function, identity source, TTL) stay the same: a reload that changes them (`npm start -- --watch`)
 * starts it empty, one that does not keeps it.
 */
export class RequestAuthorizers {
  private readonly caches = new Map<string, { readonly settings: string; readonly policies: Map<string, CachedPolicy> }>();

  constructor(
    private readonly invoke: Invoke,
    private readonly now: () => number = Date.now,
  ) {}

  async authorize(authorizer: AuthorizerModel, event: APIGatewayRequestAuthorizerEvent): Promise<AuthorizerOutcome> {
    const identity = identityOf(authorizer, event.headers ?? {});
    if (identity === undefined) return denied("UNAUTHORIZED", "Unauthorized", false);

    const cache = this.cacheOf(authorizer);
    const cached = cache.get(identity);
    if (cached && cached.expiresAt > this.now()) return withLatency(decide(cached.result, event.methodArn, false), 0);

    const started = performance.now();
    const outcome = await this.invoke(authorizer.functionName, event, authorizer);
    const latency = Math.round(performance.now() - started);
    if (!outcome.ok) {
      return outcome.error.errorMessage === "Unauthorized"
        ? denied("UNAUTHORIZED", "Unauthorized", true)
        : denied("AUTHORIZER_CONFIGURATION_ERROR", null, true);
    }
    const result = validate(outcome.payload);
    if (!result) return denied("AUTHORIZER_CONFIGURATION_ERROR", null, true);
    if (authorizer.ttlSeconds > 0) cache.set(identity, { result, expiresAt: this.now() + authorizer.ttlSeconds * 1000 });
    return withLatency(decide(result, event.methodArn, true), latency);
  }

  private cacheOf(authorizer: AuthorizerModel): Map<string, CachedPolicy> {
    const settings = JSON.stringify(authorizer);
    let cache = this.caches.get(authorizer.id);
    if (cache?.settings !== settings) {
      cache = { settings, policies: new Map() };
      this.caches.set(authorizer.id, cache);
    }
    return cache.policies;
  }
}

/** API Gateway adds the authorizer's latency (0 when the policy came from the cache) to the context. */
function withLatency(outcome: AuthorizerOutcome, integrationLatency: number): AuthorizerOutcome {
  return outcome.allowed ? { ...outcome, context: { ...outcome.context, integrationLatency } } : outcome;
}

function denied(
  responseType: "UNAUTHORIZED" | "ACCESS_DENIED" | "AUTHORIZER_CONFIGURATION_ERROR",
  message: string | null,
  invoked: boolean,
): AuthorizerOutcome {
  return { allowed: false, responseType, message, invoked };
}

/** The identity source values joined (the cache key), or undefined when one of them is missing or empty. */
function identityOf(authorizer: AuthorizerModel, headers: Record<string, string | undefined>): string | undefined {
  const values: string[] = [];
  for (const wanted of authorizer.identityHeaders) {
    const value = Object.entries(headers).find(([name]) => name.toLowerCase() === wanted)?.[1];
    if (value === undefined || value.trim() === "") return undefined;
    values.push(value);
  }
  return values.join("\u0000");
}

function decide(result: ValidResult, methodArn: string, invoked: boolean): AuthorizerOutcome {
  const matching = result.statements.filter(
    (s) => s.actions.some((a) => wildcardMatch(a, "execute-api:Invoke")) && s.resources.some((r) => wildcardMatch(r, methodArn)),
  );
  if (matching.some((s) => s.effect === "Deny")) {
    return denied("ACCESS_DENIED", "User is not authorized to access this resource with an explicit deny", invoked);
  }
  if (!matching.some((s) => s.effect === "Allow")) {
    return denied("ACCESS_DENIED", "User is not authorized to access this resource", invoked);
  }
  return { allowed: true, context: { ...result.context, principalId: result.principalId }, invoked };
}

/** IAM-style match: `*` any run of characters, `?` any one character. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${regex}$`).test(value);
}

const asList = (value: unknown): string[] | undefined =>
  typeof value === "string" ? [value] : Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;

/** The authorizer's result checked the way API Gateway checks it; undefined when it is not a valid one. */
function validate(payload: unknown): ValidResult | undefined {
  const result = payload as Partial<APIGatewayAuthorizerResult> | null;
  if (result === null || typeof result !== "object") return undefined;
  if (typeof result.principalId !== "string" && typeof result.principalId !== "number") return undefined;
  const document = result.policyDocument as { Statement?: unknown } | undefined;
  const rawStatements = Array.isArray(document?.Statement) ? document.Statement : document?.Statement ? [document.Statement] : undefined;
  if (!rawStatements) return undefined;
  const statements: Statement[] = [];
  for (const raw of rawStatements as Array<Record<string, unknown>>) {
    const effect = raw?.Effect;
    const actions = asList(raw?.Action);
    const resources = asList(raw?.Resource);
    if ((effect !== "Allow" && effect !== "Deny") || !actions || !resources) return undefined;
    statements.push({ effect, actions, resources });
  }
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(result.context ?? {})) {
    if (value === null || value === undefined) continue;
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return undefined;
    context[key] = String(value);
  }
  return { principalId: String(result.principalId), statements, context };
}
