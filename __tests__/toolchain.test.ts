/**
 * The project's own commands: `npm test` (and so `.ci/run`) type-checks, lints and checks formatting before it runs a single test, so a type
 * error fails CI even though ts-jest transpiles without type information (`diagnostics: false`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..");
const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("npm scripts", () => {
  test("npm test type-checks, lints and checks the formatting first, and stops on a finding (&&) before packaging and jest", () => {
    expect(scripts.test.split(" && ")).toEqual(["tsc --noEmit", "eslint .", "prettier --check .", "npm run package", "jest"]);
    expect([scripts.lint, scripts["format:check"]]).toEqual(["eslint .", "prettier --check ."]);
  });

  test("the linter keeps the type-aware promise rules on everywhere", () => {
    const config = readFileSync(join(root, "eslint.config.mjs"), "utf8");
    for (const rule of ["no-floating-promises", "no-misused-promises", "await-thenable"]) {
      expect(config).toMatch(new RegExp(`"@typescript-eslint/${rule}": "error"`));
    }
    expect(config).toContain("projectService: true");
  });

  test("CI runs npm test", () => {
    expect(readFileSync(join(root, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });
});
