/**
 * The `json` attribute of a `data "aws_iam_policy_document"`, rendered from its (already resolved) arguments
 * the way the AWS provider renders it: `version` (default 2012-10-17) and `policy_id`, and per `statement`
 * its `sid`, `effect` (default Allow), `actions`/`not_actions`, `resources`/`not_resources`,
 * `principals`/`not_principals` and `condition` blocks. NotAction and the other negations are rendered, so
 * the evaluator can refuse them by name; `source_policy_documents` and `override_policy_documents` (document
 * merging) are not emulated and throw.
 */

type Json = Record<string, unknown>;

const one = (values: unknown): unknown => (Array.isArray(values) && values.length === 1 ? values[0] : values);

function principalsJson(blocks: unknown): unknown {
  const principal: Record<string, unknown> = {};
  for (const block of (blocks as Json[] | undefined) ?? []) {
    const type = String(block.type);
    const ids = (block.identifiers as unknown[] | undefined) ?? [];
    if (type === "*" && ids.length === 1 && ids[0] === "*") return "*";
    const existing = principal[type];
    principal[type] = one([...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), ...ids]);
  }
  return principal;
}

/** The policy JSON text of a resolved `aws_iam_policy_document` configuration. */
export function renderPolicyDocument(config: Json, where: string): string {
  for (const merge of ["source_policy_documents", "override_policy_documents", "source_json", "override_json"]) {
    if (config[merge] !== undefined) throw new Error(`${where}: ${merge} (document merging) is not emulated by the local run`);
  }
  const statements = ((config.statement as Json[] | undefined) ?? []).map((s) => {
    const out: Json = {};
    if (s.sid !== undefined && s.sid !== "") out.Sid = s.sid;
    out.Effect = s.effect ?? "Allow";
    const pairs: Array<[string, string]> = [
      ["actions", "Action"],
      ["not_actions", "NotAction"],
      ["resources", "Resource"],
      ["not_resources", "NotResource"],
    ];
    for (const [arg, element] of pairs) if (s[arg] !== undefined) out[element] = one(s[arg]);
    if (s.principals !== undefined) out.Principal = principalsJson(s.principals);
    if (s.not_principals !== undefined) out.NotPrincipal = principalsJson(s.not_principals);
    if (s.condition !== undefined) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (const c of s.condition as Json[]) {
        (condition[String(c.test)] ??= {})[String(c.variable)] = one(c.values);
      }
      out.Condition = condition;
    }
    return out;
  });
  return JSON.stringify({
    Version: config.version ?? "2012-10-17",
    ...(config.policy_id !== undefined ? { Id: config.policy_id } : {}),
    Statement: statements,
  });
}
