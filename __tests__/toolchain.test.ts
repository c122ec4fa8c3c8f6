/**
 * The project's own commands: `npm test` (and so `.ci/run`) type-checks, lints and checks formatting as well as
 * running every test, and fails on a finding of any of them, so a type error fails CI even though ts-jest
 * transpiles without type information (`diagnostics: false`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..");
const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

/** A package whose scripts pass and fail, for run-p to run. */
let fixture: string;
beforeAll(() => {
  fixture = mkdtempSync(join(tmpdir(), "run-p-"));
  const scripts = { pass: "node -e \"console.log('passed')\"", fail: 'node -e "process.exit(3)"' };
  writeFileSync(join(fixture, "package.json"), JSON.stringify({ name: "run-p-fixture", private: true, scripts }));
});
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

describe("npm scripts", () => {
  test("npm test packages the functions, then runs the type check, ESLint, Prettier and jest side by side, each to its end", () => {
    expect(scripts.test).toBe('npm run package && run-p --aggregate-output --continue-on-error build lint format:check "jest -- {@}" --');
    expect([scripts.build, scripts.lint, scripts["format:check"], scripts.jest]).toEqual(["tsc --noEmit", "eslint .", "prettier --check .", "jest"]);
  });

  test("npm test fails when any of its checks fails, even when the tests pass (run-p's exit status)", () => {
    const runP = spawnSync(process.execPath, [require.resolve("npm-run-all2/bin/run-p/index.js"), "--continue-on-error", "pass", "fail", "pass"], {
      cwd: fixture,
      encoding: "utf8",
    });
    expect(runP.status).toBe(1);
    expect(runP.stderr).toContain('ERROR: "fail" exited with 3.');
    // --continue-on-error: the other tasks still ran to their end.
    expect(runP.stdout.match(/^passed$/gm)).toHaveLength(2);
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
