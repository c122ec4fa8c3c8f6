/**
 * A synthesized app with one grant taken out, edited in memory: the mutation test's way to ask "does anything
 * need this grant?" without synthesizing again. It edits the JSON the local run reads (the statement of the
 * function's `aws_iam_role_policy`, whether that is a `data.aws_iam_policy_document` or literal policy JSON),
 * not the evaluated policy, so it tests the same path as a grant removed from the stacks.
 */
import type { Grant } from "../../tools/local/iam/local-iam";
import { functionRoles } from "../../tools/local/iam/principals";
import type { TerraformJson } from "../../tools/lib/terraform-json";
import type { SynthesizedApp } from "../../tools/local/synthesized";

type Json = Record<string, unknown>;

const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/**
 * Removes `grant.action` from every Allow statement of the function's role policies that grants it on
 * `grant.resource`; a statement with other resources too is split, so they keep the action. Throws when the
 * grant is not found.
 */
export function withoutGrant(app: SynthesizedApp, grant: Grant): SynthesizedApp {
  if (grant.kind === "invoke permission") return withoutPermission(app, grant);
  const role = functionRoles(app).find((r) => r.functionName === grant.function);
  if (!role) throw new Error(`No function ${grant.function}`);
  let edited = app;
  let found = 0;
  for (const policy of app.resources("aws_iam_role_policy").filter((p) => app.argument(p, "role") === role.roleName)) {
    const json = structuredClone(edited.stacks.get(policy.stack.id)!.json) as TerraformJson & { resource: Json; data?: Json };
    const raw = (json.resource.aws_iam_role_policy as Record<string, Json>)[policy.name].policy as string;
    const reference = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(raw);
    const resolve = (value: unknown) => asList(app.resolve(policy.stack, value)).map(String);
    if (reference) {
      const document = (json.data!.aws_iam_policy_document as Record<string, Json>)[reference[1]];
      const statements: Json[] = [];
      for (const s of (document.statement as Json[]) ?? []) {
        const resources = resolve(s.resources);
        const index = resources.indexOf(grant.resource);
        const actions = asList(s.actions).map(String);
        if ((s.effect ?? "Allow") !== "Allow" || index < 0 || !actions.includes(grant.action)) {
          statements.push(s);
          continue;
        }
        found++;
        const rest = actions.filter((a) => a !== grant.action);
        const unresolved = asList(s.resources);
        if (unresolved.length > 1) statements.push({ ...s, resources: unresolved.filter((_, i) => i !== index) });
        if (rest.length > 0) statements.push({ ...s, resources: [unresolved[index]], actions: rest });
      }
      document.statement = statements;
    } else {
      const parsed = JSON.parse(String(app.resolve(policy.stack, raw))) as { Statement: Json[] | Json };
      const statements: Json[] = [];
      for (const s of asList(parsed.Statement) as Json[]) {
        const resources = asList(s.Resource).map(String);
        const actions = asList(s.Action).map(String);
        const index = resources.indexOf(grant.resource);
        if (s.Effect !== "Allow" || index < 0 || !actions.includes(grant.action)) {
          statements.push(s);
          continue;
        }
        found++;
        const rest = actions.filter((a) => a !== grant.action);
        if (resources.length > 1) statements.push({ ...s, Resource: resources.filter((_, i) => i !== index) });
        if (rest.length > 0) statements.push({ ...s, Resource: resources[index], Action: rest });
      }
      (json.resource.aws_iam_role_policy as Record<string, Json>)[policy.name].policy = JSON.stringify({ ...parsed, Statement: statements });
    }
    edited = edited.withStackJson(policy.stack.id, json);
  }
  if (found === 0) throw new Error(`No statement of ${grant.function}'s role policies grants ${grant.action} on ${grant.resource}`);
  return edited;
}

/** Removes the `aws_lambda_permission` behind an invoke-permission grant. */
function withoutPermission(app: SynthesizedApp, grant: Grant): SynthesizedApp {
  const sid = grant.statements[0].split("/").pop();
  const permission = app
    .resources("aws_lambda_permission")
    .find(
      (p) =>
        app.argument(p, "statement_id") === sid &&
        app.argument(p, "source_arn", "*") === grant.resource &&
        String(app.argument(p, "function_name")).endsWith(grant.function),
    );
  if (!permission) throw new Error(`No aws_lambda_permission ${sid} lets ${grant.resource} invoke ${grant.function}`);
  const json = structuredClone(permission.stack.json) as TerraformJson & { resource: Record<string, Record<string, unknown>> };
  delete json.resource.aws_lambda_permission[permission.name];
  return app.withStackJson(permission.stack.id, json);
}
