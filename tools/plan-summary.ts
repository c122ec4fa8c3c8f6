/**
 * `npm run --silent plan-summary -- <dir>`: turns the `cdktf diff --no-color` logs `<dir>/<stack>.txt` (one per
 * stack, as the pull-request workflow writes them) into Markdown for the job summary: per stack its plan line
 * ("2 to add, 1 to change, 0 to destroy", "no changes", or that the diff failed) and the addresses it changes.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { STACK_IDS } from "../app/stacks";

/** What one stack's diff log says. */
export interface StackPlan {
  readonly stack: string;
  /** "2 to add, 1 to change, 0 to destroy", "no changes", or why there is no plan. */
  readonly result: string;
  /** True when the log has a plan line or "No changes.". */
  readonly planned: boolean;
  /** "aws_lambda_function.users will be updated in-place", in the log's order. */
  readonly changes: readonly string[];
}

/** Reads one diff log (ANSI colours stripped, in case it was not written with --no-color). */
export function parsePlanLog(stack: string, log: string | undefined): StackPlan {
  if (log === undefined) return { stack, result: "no diff log (an earlier step failed)", planned: false, changes: [] };
  // eslint-disable-next-line no-control-regex -- the ANSI colour escapes Terraform writes start with ESC
  const text = log.replace(/\u001b\[[0-9;]*m/g, "");
  const plan = /Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(text);
  const changes = [...text.matchAll(/# ((?:data\.)?[a-z0-9_]+\.[^\s]+) (will be|must be) ([a-z -]+?)\s*$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  if (plan) return { stack, result: `${plan[1]} to add, ${plan[2]} to change, ${plan[3]} to destroy`, planned: true, changes };
  if (/No changes\./.test(text)) return { stack, result: "no changes", planned: true, changes };
  return { stack, result: "the diff failed: see the full log in the plans artifact", planned: false, changes };
}

/** Markdown for GitHub's job summary. */
export function planSummaryMarkdown(environment: string, plans: readonly StackPlan[]): string {
  const lines = [`### cdktf diff: ${environment}`, "", "| stack | plan |", "|---|---|", ...plans.map((p) => `| \`${p.stack}\` | ${p.result} |`), ""];
  for (const plan of plans.filter((p) => p.changes.length > 0)) {
    lines.push(
      `<details><summary>${plan.stack}: ${plan.changes.length} change(s)</summary>`,
      "",
      ...plan.changes.map((c) => `- \`${c}\``),
      "",
      "</details>",
      "",
    );
  }
  return lines.join("\n");
}

if (require.main === module) {
  const dir = process.argv[2];
  if (!dir) {
    console.error("Usage: npm run --silent plan-summary -- <folder of <stack>.txt diff logs>");
    process.exit(2);
  }
  const plans = STACK_IDS.map((stack) => {
    const file = join(dir, `${stack}.txt`);
    return parsePlanLog(stack, existsSync(file) ? readFileSync(file, "utf8") : undefined);
  });
  process.stdout.write(planSummaryMarkdown(process.env.APP_ENV ?? "(APP_ENV unset)", plans));
  process.exit(plans.every((p) => p.planned) ? 0 : 1);
}
