/** The Allow statements a function's role grants it, read from its inline policies. */
import { Block, TerraformApp } from "../terraform-json";
import { asArray, GraphNode } from "./model";

export interface Statement {
  readonly stack: string;
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
  /** Partition keys the statement is limited to (`dynamodb:LeadingKeys`); empty when it is not. */
  readonly leadingKeys: readonly string[];
}

/** Allow statements of the policies attached to the function's role: inline (`aws_iam_role_policy`) or a literal JSON policy. */
export function policyStatementsOf(app: TerraformApp, fn: GraphNode): Statement[] {
  const functionBlock = fn.blocks.find((b) => b.type === "aws_lambda_function");
  if (!functionBlock) return [];
  return inlinePoliciesOf(app, fn.stack, functionBlock).flatMap((policy) => [...documentStatements(app, policy), ...literalJsonStatements(policy)]);
}

/** The `aws_iam_role_policy` resources of the function's role. */
function inlinePoliciesOf(app: TerraformApp, stack: string, functionBlock: Block): Block[] {
  const roles = new Set(app.resolveAll(stack, functionBlock.config.role).map((r) => r.block.address));
  return app
    .blocksOf(stack, "resource")
    .filter((b) => b.type === "aws_iam_role_policy" && app.resolveAll(b.stack, b.config.role).some((r) => roles.has(r.block.address)));
}

/** Statements of the `aws_iam_policy_document` data sources the policy renders. */
function documentStatements(app: TerraformApp, policy: Block): Statement[] {
  const documents = app.resolveAll(policy.stack, policy.config.policy).filter((r) => r.block.type === "aws_iam_policy_document");
  return documents.flatMap((doc) =>
    asArray(doc.block.config.statement)
      .filter((s) => (s.effect ?? "Allow") === "Allow")
      .map((s) => ({
        stack: doc.block.stack,
        actions: asArray(s.actions).map(shortAction),
        resources: asArray(s.resources),
        leadingKeys: asArray(s.condition)
          .filter((c) => c.variable === "dynamodb:LeadingKeys")
          .flatMap((c) => asArray(c.values).map(String)),
      })),
  );
}

/** Statements of a policy written as literal JSON; none when it is an expression (its references are followed above). */
function literalJsonStatements(policy: Block): Statement[] {
  const text = policy.config.policy;
  if (typeof text !== "string" || !text.trim().startsWith("{")) return [];
  let parsed: { Statement?: unknown };
  try {
    parsed = JSON.parse(text) as { Statement?: unknown };
  } catch {
    return [];
  }
  return asArray(parsed.Statement)
    .filter((s) => (s.Effect ?? "Allow") === "Allow")
    .map((s) => ({
      stack: policy.stack,
      actions: asArray(s.Action).map(shortAction),
      resources: asArray(s.Resource),
      leadingKeys: Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((byKey) =>
        asArray(byKey["dynamodb:LeadingKeys"]).map(String),
      ),
    }));
}

/** `GetItem` for `dynamodb:GetItem`. */
function shortAction(action: unknown): string {
  return String(action).replace(/^[a-z0-9-]+:/, "");
}
