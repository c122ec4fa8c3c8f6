/**
 * A narrow IAM policy evaluator for the local run: the logic of AWS's "Policy evaluation logic" for a request
 * within one account, over the policies the local run knows (a role's identity-based policies, or a Lambda
 * function's resource policy), and only the grammar of tools/local/iam/policy.ts.
 *
 * - Every statement whose action, resource (and principal, for a resource policy) match the request applies.
 *   A statement applies only when all its conditions hold (conditions are ANDed; the values of one key ORed).
 * - An applicable Deny wins (explicit deny); else an applicable Allow allows; else the request is implicitly
 *   denied. AWS's SCPs, RCPs, permission boundaries and session policies are not part of it: the local run has
 *   none of them.
 * - Fail closed: a statement this evaluator does not understand (a `problem` from the parser, an unknown
 *   condition operator, a condition key the request context does not model) denies every request it could
 *   apply to, and the denial names the element.
 *
 * Matching, as AWS documents it: actions case-insensitively with `*` and `?`; resources and ARN conditions per
 * colon-separated ARN component, case-sensitively, with `*` and `?` inside a component (the last component
 * takes the rest of the ARN, colons included); `*` alone matches any resource.
 */
import type { Condition, Policy, Statement } from "./policy";

/** What a request asks for, as the service builds it. */
export interface AuthorizationRequest {
  /** e.g. "dynamodb:GetItem" */
  readonly action: string;
  /** The ARN of the resource, e.g. a table or index ARN. */
  readonly resource: string;
  /** For resource policies: who calls, e.g. { type: "Service", id: "apigateway.amazonaws.com" }. */
  readonly principal?: { readonly type: "AWS" | "Service"; readonly id: string };
  /**
   * The request context keys and their values (lower-case keys). A key that is absent from the map but
   * listed in `modelledKeys` is a key the service would not send with this request; a condition on a key in
   * neither is not understood and fails closed.
   */
  readonly context: Readonly<Record<string, readonly string[]>>;
  /** Lower-case context keys this kind of request can carry, present or not. */
  readonly modelledKeys: ReadonlySet<string>;
}

/** A statement that allowed the request, with the action and resource patterns of it that matched. */
export interface MatchedGrant {
  readonly policy: string;
  readonly sid: string;
  readonly action: string;
  readonly resource: string;
}

export type Decision =
  | { readonly allowed: true; readonly grants: readonly MatchedGrant[] }
  | {
      readonly allowed: false;
      /** "explicit" when a Deny statement (or a statement not understood) applied; "implicit" otherwise. */
      readonly kind: "explicit" | "implicit";
      /** One line: why, e.g. "no statement allows it" or "condition ForAllValues:StringEquals dynamodb:LeadingKeys failed in ProbeUsersTable". */
      readonly reason: string;
    };

/** Each pattern compiled once: every DynamoDB call of the local run is evaluated against the same few policies. */
const WILDCARD_PATTERNS = new Map<string, RegExp>();

/** `*` any run of characters, `?` one character; `caseless` for action names. */
export function wildcardMatch(pattern: string, value: string, caseless = false): boolean {
  const key = `${caseless ? "i" : "s"}${pattern}`;
  let compiled = WILDCARD_PATTERNS.get(key);
  if (!compiled) {
    const regex = pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    compiled = new RegExp(`^${regex}$`, caseless ? "is" : "s");
    WILDCARD_PATTERNS.set(key, compiled);
  }
  return compiled.test(value);
}

/** The six colon-separated components of an ARN; the last keeps any further colons. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}

/** ArnLike: each component matched on its own with wildcards; a pattern `*` matches anything. */
export function arnLike(pattern: string, arn: string): boolean {
  if (pattern === "*") return true;
  const p = arnParts(pattern);
  const a = arnParts(arn);
  if (!p || !a) return false;
  return p.every((part, i) => wildcardMatch(part, a[i]));
}

const actionMatches = (statement: Statement, action: string) => statement.actions.some((pattern) => wildcardMatch(pattern, action, true));
const matchingResources = (statement: Statement, resource: string) => statement.resources.filter((pattern) => arnLike(pattern, resource));

function principalMatches(statement: Statement, request: AuthorizationRequest): boolean {
  if (!statement.principals) return request.principal === undefined;
  if (statement.principals["*"]) return true;
  if (!request.principal) return false;
  return (statement.principals[request.principal.type] ?? []).some((id) => id === "*" || id === request.principal!.id);
}

type ConditionResult = { readonly holds: true } | { readonly holds: false; readonly understood: boolean; readonly why: string };

const STRING_OPERATORS: Record<string, (policy: string, value: string) => boolean> = {
  StringEquals: (p, v) => p === v,
  StringNotEquals: (p, v) => p === v,
  StringEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringNotEqualsIgnoreCase: (p, v) => p.toLowerCase() === v.toLowerCase(),
  StringLike: (p, v) => wildcardMatch(p, v),
  StringNotLike: (p, v) => wildcardMatch(p, v),
  ArnEquals: (p, v) => p === v,
  ArnNotEquals: (p, v) => p === v,
  ArnLike: (p, v) => arnLike(p, v),
  ArnNotLike: (p, v) => arnLike(p, v),
  Bool: (p, v) => p.toLowerCase() === v.toLowerCase(),
};
/** Negated operators: true when no policy value matches (and when the key is absent). */
const NEGATED = new Set(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike"]);

/** Whether one condition holds for the request, per the IAM condition operator and set-operator rules. */
export function evaluateCondition(condition: Condition, request: AuthorizationRequest): ConditionResult {
  const key = condition.key.toLowerCase();
  const label = `${condition.operator} ${condition.key}`;
  const failed = (why: string, understood = true): ConditionResult => ({ holds: false, understood, why: `condition ${label} ${why}` });
  const values = request.context[key];
  if (values === undefined && !request.modelledKeys.has(key)) {
    return failed(`uses a key the local run does not model for ${request.action} (denied: fail closed)`, false);
  }

  if (condition.operator === "Null") {
    const wantsAbsent = condition.values.map((v) => v.toLowerCase() === "true");
    const absent = values === undefined || values.length === 0;
    return wantsAbsent.some((w) => w === absent) ? { holds: true } : failed(`failed (key ${absent ? "absent" : "present"})`);
  }

  const [set, base] = condition.operator.includes(":") ? condition.operator.split(":", 2) : [undefined, condition.operator];
  const match = STRING_OPERATORS[base];
  if (!match || (set !== undefined && set !== "ForAllValues" && set !== "ForAnyValue")) {
    return failed("is an operator the local evaluator does not understand (denied: fail closed)", false);
  }
  const negated = NEGATED.has(base);
  const one = (value: string) => {
    const any = condition.values.some((p) => match(p, value));
    return negated ? !any : any;
  };
  const shown = (list: readonly string[] | undefined) => (list === undefined ? "absent" : JSON.stringify(list));

  if (set === "ForAllValues") {
    // True when every value of the request matches; an absent or empty key is true, as AWS documents.
    return (values ?? []).every(one) ? { holds: true } : failed(`failed (request: ${shown(values)}, policy: ${JSON.stringify(condition.values)})`);
  }
  if (set === "ForAnyValue") {
    return (values ?? []).some(one) ? { holds: true } : failed(`failed (request: ${shown(values)}, policy: ${JSON.stringify(condition.values)})`);
  }
  if (values === undefined || values.length === 0) {
    return negated ? { holds: true } : failed(`failed (key absent from the request)`);
  }
  if (values.length > 1) {
    return failed(`is a single-valued operator on a multivalued key (use ForAllValues or ForAnyValue; denied: fail closed)`, false);
  }
  return one(values[0]) ? { holds: true } : failed(`failed (request: ${shown(values)}, policy: ${JSON.stringify(condition.values)})`);
}

/** Evaluates the request against every statement of `policies`. */
export function evaluate(policies: readonly Policy[], request: AuthorizationRequest): Decision {
  const grants: MatchedGrant[] = [];
  const conditionFailures: string[] = [];
  for (const policy of policies) {
    for (const statement of policy.statements) {
      const where = `${policy.name}/${statement.sid}`;
      if (statement.problems.length > 0) {
        // Not understood: it may or may not apply, so it denies (fail closed) when it could.
        const couldApply = statement.actions.length === 0 || actionMatches(statement, request.action);
        if (couldApply) {
          return {
            allowed: false,
            kind: "explicit",
            reason: `${statement.problems.join(", ")} in ${where} is not understood by the local evaluator (denied: fail closed)`,
          };
        }
        continue;
      }
      if (!actionMatches(statement, request.action)) continue;
      const resources = matchingResources(statement, request.resource);
      if (resources.length === 0 || !principalMatches(statement, request)) continue;
      let applies = true;
      for (const condition of statement.conditions) {
        const result = evaluateCondition(condition, request);
        if (result.holds) continue;
        if (!result.understood) return { allowed: false, kind: "explicit", reason: `${result.why} in ${where}` };
        applies = false;
        conditionFailures.push(`${result.why} in ${where}`);
        break;
      }
      if (!applies) continue;
      if (statement.effect === "Deny") return { allowed: false, kind: "explicit", reason: `explicit Deny in ${where}` };
      const actions = statement.actions.filter((pattern) => wildcardMatch(pattern, request.action, true));
      for (const action of actions) {
        for (const resource of resources) grants.push({ policy: policy.name, sid: statement.sid, action, resource });
      }
    }
  }
  if (grants.length > 0) return { allowed: true, grants };
  return { allowed: false, kind: "implicit", reason: conditionFailures[0] ?? "no statement allows it" };
}
