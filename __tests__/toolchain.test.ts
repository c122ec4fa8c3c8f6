/**
 * The project's own checking set-up, as its files declare it: the type-aware promise rules, the install scripts
 * npm ci may run, and CI running `npm test`. processes/toolchain.test.ts runs the checking commands themselves.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..");

describe("the checking set-up", () => {
  test("the linter keeps the type-aware promise rules on everywhere", () => {
    const config = readFileSync(join(root, "eslint.config.mjs"), "utf8");
    for (const rule of ["no-floating-promises", "no-misused-promises", "await-thenable"]) {
      expect(config).toMatch(new RegExp(`"@typescript-eslint/${rule}": "error"`));
    }
    expect(config).toContain("projectService: true");
  });

  test("every dependency with an install script is allowed or denied in package.json, so npm ci decides nothing silently", () => {
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
      packages: Record<string, { hasInstallScript?: boolean; optional?: boolean }>;
    };
    const allowScripts =
      (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== "" && entry.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => typeof allowScripts[name] !== "boolean")).toEqual([]);
  });

  test("CI runs npm test", () => {
    expect(readFileSync(join(root, ".ci", "run"), "utf8")).toMatch(/^npm test$/m);
  });
});
