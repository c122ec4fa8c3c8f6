/**
 * IAM policy documents as the local evaluator reads them: exactly the grammar the stacks produce, and nothing
 * more. A document is parsed into statements; any element outside that grammar (NotAction, NotResource,
 * NotPrincipal, policy variables, an unknown key) is kept as a `problem` of its statement instead of being
 * guessed at, and the evaluator denies every request the statement could apply to (fail closed), naming it.
 *
 * Understood: `Version`, `Id`, `Statement` (one object or a list), and per statement `Sid`, `Effect`
 * (`Allow`/`Deny`), `Action` (string or list), `Resource` (string or list), `Principal` (`"*"`, or
 * `{AWS|Service|Federated: string | list}`, for resource policies) and `Condition` (`{operator: {key: value | list}}`).
 */

export type Effect = "Allow" | "Deny";

/** One condition of a statement: `operator` applied to the request's value(s) of `key`. */
export interface Condition {
  /** As written, e.g. "ForAllValues:StringEquals". */
  readonly operator: string;
  /** As written; matched case-insensitively, as IAM does. */
  readonly key: string;
  readonly values: readonly string[];
}

export interface Statement {
  /** `Sid`, or `#<index>` when the statement has none (for messages and grant names). */
  readonly sid: string;
  readonly effect: Effect;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Resource policies only: principal type ("AWS", "Service", "Federated", or "*") -> identifiers. */
  readonly principals?: Readonly<Record<string, readonly string[]>>;
  readonly conditions: readonly Condition[];
  /** Elements this evaluator does not understand: a non-empty list makes the statement deny (fail closed). */
  readonly problems: readonly string[];
}

/** A parsed policy with the name the denial messages use (the inline policy's name, or a resource policy's). */
export interface Policy {
  readonly name: string;
  readonly statements: readonly Statement[];
}

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Action", "Resource", "Principal", "Condition"]);
const DOCUMENT_KEYS = new Set(["Version", "Id", "Statement"]);

const list = (value: unknown): string[] | undefined =>
  typeof value === "string" ? [value] : Array.isArray(value) && value.every((v) => typeof v === "string") ? [...value] : undefined;

/** Parses one policy document (an object or its JSON text). Throws only when it is not a policy at all. */
export function parsePolicy(name: string, document: unknown): Policy {
  const doc = (typeof document === "string" ? JSON.parse(document) : document) as Record<string, unknown> | null;
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new Error(`Policy ${name} is not a JSON object`);
  const raw = doc.Statement;
  const rawStatements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const documentProblems = Object.keys(doc)
    .filter((key) => !DOCUMENT_KEYS.has(key))
    .map((key) => `policy element ${key}`);
  const statements = rawStatements.map((statement, index) => parseStatement(statement, index, documentProblems));
  return { name, statements };
}

function parseStatement(raw: unknown, index: number, inherited: readonly string[]): Statement {
  const problems = [...inherited];
  const s = (raw ?? {}) as Record<string, unknown>;
  const sid = typeof s.Sid === "string" && s.Sid !== "" ? s.Sid : `#${index}`;
  for (const key of Object.keys(s)) if (!STATEMENT_KEYS.has(key)) problems.push(`element ${key}`);

  const effect = s.Effect === "Allow" || s.Effect === "Deny" ? s.Effect : undefined;
  if (!effect) problems.push(`Effect ${JSON.stringify(s.Effect)}`);
  const actions = list(s.Action);
  if ((!actions || actions.length === 0) && s.NotAction === undefined) problems.push("Action (missing or not a string list)");
  const resources = s.Resource === undefined && s.Principal !== undefined ? ["*"] : list(s.Resource);
  if ((!resources || resources.length === 0) && s.NotResource === undefined) problems.push("Resource (missing or not a string list)");
  for (const value of [...(resources ?? [])]) {
    if (value.includes("${")) problems.push(`policy variable in Resource ${value}`);
  }

  let principals: Record<string, string[]> | undefined;
  if (s.Principal !== undefined) {
    if (s.Principal === "*") principals = { "*": ["*"] };
    else if (s.Principal !== null && typeof s.Principal === "object" && !Array.isArray(s.Principal)) {
      principals = {};
      for (const [type, ids] of Object.entries(s.Principal as Record<string, unknown>)) {
        const values = list(ids);
        if (!["AWS", "Service", "Federated"].includes(type) || !values) problems.push(`Principal ${type}`);
        else principals[type] = values;
      }
    } else problems.push('Principal (not "*" or an object)');
  }

  const conditions: Condition[] = [];
  if (s.Condition !== undefined) {
    if (s.Condition === null || typeof s.Condition !== "object" || Array.isArray(s.Condition)) problems.push("Condition (not an object)");
    else {
      for (const [operator, block] of Object.entries(s.Condition as Record<string, unknown>)) {
        if (block === null || typeof block !== "object" || Array.isArray(block)) {
          problems.push(`Condition ${operator} (not an object)`);
          continue;
        }
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
          const values = typeof value === "boolean" ? [String(value)] : list(value);
          if (!values) problems.push(`Condition ${operator} ${key} (values are not strings)`);
          else if (values.some((v) => v.includes("${"))) problems.push(`policy variable in Condition ${operator} ${key}`);
          else conditions.push({ operator, key, values });
        }
      }
    }
  }

  return {
    sid,
    effect: effect ?? "Deny",
    actions: actions ?? [],
    resources: resources ?? [],
    ...(principals ? { principals } : {}),
    conditions,
    problems,
  };
}
