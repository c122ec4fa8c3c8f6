import { dataSources, TerraformJson } from "./synth";

/** One statement of an `aws_iam_policy_document` data source, as synthesized. */
export interface PolicyStatement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly resources?: string[];
  readonly principals?: { type: string; identifiers: string[] }[];
  readonly condition?: { test: string; variable: string; values: string[] }[];
}

/** The statements of the policy document that `reference` ("${data.aws_iam_policy_document.<id>.json}") names. */
export function statementsOf(json: TerraformJson, reference: unknown): PolicyStatement[] {
  const match = /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(String(reference));
  if (!match) throw new Error(`not a reference to a policy document: ${String(reference)}`);
  const doc = dataSources(json, "aws_iam_policy_document").find((d) => d.id === match[1]);
  if (!doc) throw new Error(`no aws_iam_policy_document.${match[1]} in this stack`);
  return doc.config.statement as PolicyStatement[];
}

/** Every statement of every policy document of a stack. */
export function allStatements(json: TerraformJson): PolicyStatement[] {
  return dataSources(json, "aws_iam_policy_document").flatMap((d) => d.config.statement as PolicyStatement[]);
}

/** Actions that grant everything (`*`) or everything of a service (`s3:*`). */
export function isWildcardAction(action: string): boolean {
  return action === "*" || /^[a-z0-9-]+:\*$/.test(action);
}
