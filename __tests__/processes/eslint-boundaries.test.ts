/**
 * The boundary between the two trees as ESLint enforces it (eslint.config.mjs): app/ never imports tools/ or
 * __tests__/, and the tooling may import the product. The repository's own setting of `no-restricted-imports` is
 * computed by ESLint in a process of its own (the config is an ES module, which jest's CommonJS runtime cannot
 * import on Node 20), then applied here to single imports.
 */
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { Linter } from "eslint";
import tseslint from "typescript-eslint";

const ROOT = resolve(__dirname, "..", "..");
const PROBED = ["app/stacks/api-stack.ts", "app/lambda-packages/shared/http.ts", "app/main.ts", "app/config/load.ts", "tools/local/stack.ts"];

/**
 * The repository's own setting of `no-restricted-imports` for each probed path, as ESLint computes it from
 * eslint.config.mjs. Asked in a child process: the config is an ES module, which jest's CommonJS runtime
 * cannot import.
 */
let settings: Record<string, Linter.RuleEntry | undefined>;
beforeAll(() => {
  const script = [
    'const { ESLint } = require("eslint");',
    "(async () => {",
    "  const eslint = new ESLint();",
    "  const out = {};",
    `  for (const file of ${JSON.stringify(PROBED)}) out[file] = (await eslint.calculateConfigForFile(file)).rules["no-restricted-imports"];`,
    "  process.stdout.write(JSON.stringify(out));",
    "})();",
  ].join("\n");
  settings = JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" })) as typeof settings;
});

/** Lints `code` as the file `filePath` with the repository's own setting of `no-restricted-imports` for that path. */
async function boundaryFindings(filePath: string, code: string): Promise<string[]> {
  const linter = new Linter({ configType: "flat" });
  const setting = settings[filePath];
  const messages = linter.verify(
    code,
    [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        rules: setting ? { "no-restricted-imports": setting } : {},
      },
    ],
    { filename: join(ROOT, filePath) },
  );
  return messages.map((m) => `${m.ruleId ?? "parser"}: ${m.message}`);
}

describe("the layout: app/ and tools/, as ESLint enforces it", () => {
  test.each([
    ["app/stacks/api-stack.ts", 'import { startLocalStack } from "../../tools/local/stack";'],
    ["app/lambda-packages/shared/http.ts", 'export { synthesizeStacks } from "../../../tools/lib/synthesize";'],
    ["app/main.ts", 'import type { TerraformRun } from "../tools/terraform/harness";'],
    ["app/config/load.ts", 'import { tempDirsOfThisFile } from "../../__tests__/support/temp-dirs";'],
  ])("ESLint refuses an import of the tooling in %s", async (file, code) => {
    expect(await boundaryFindings(file, code)).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*app\/ never imports the tooling \(tools\/, __tests__\/\)/),
    ]);
  });

  test.each([
    ["app/stacks/api-stack.ts", 'import { ComputeStack } from "./compute-stack";'],
    ["app/stacks/api-stack.ts", 'import { RestApi } from "../constructs/lambda-rest-api";'],
    ["tools/local/stack.ts", 'import { addStacks } from "../../app/stacks";'],
  ])("ESLint allows, in %s: %s", async (file, code) => {
    expect(await boundaryFindings(file, code)).toEqual([]);
  });
});
