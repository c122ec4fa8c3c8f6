/**
 * The project's own commands: `npm test` (and so `.ci/run`) type-checks before it runs a single test, so a type
 * error fails CI even though ts-jest transpiles without type information (`diagnostics: false`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..");
const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("npm scripts", () => {
  test("npm test runs tsc --noEmit first and stops on a type error (&&) before packaging and jest", () => {
    expect(scripts.test.split(" && ")).toEqual(["tsc --noEmit", "npm run package", "jest"]);
  });

  test("CI runs npm test", () => {
    expect(readFileSync(join(root, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });
});
