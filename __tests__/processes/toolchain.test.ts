/**
 * The project's own checking commands, run as processes, by what they do: `npm run check` reports type errors and
 * ESLint's findings (ts-jest transpiles without type information, `diagnostics: false`, so this is what catches a
 * type error), and `npm run format:check`'s cache never hides a change. How `npm test` chains them is
 * package.json's to say, not a test's to repeat.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDirsOfThisFile } from "../support/temp-dirs";

const root = resolve(__dirname, "..", "..");
const scripts = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;

const tempDir = tempDirsOfThisFile();

describe("npm scripts", () => {
  test("npm run check reports tsc's type errors and ESLint's type-aware findings on one program, and a linted file outside it", () => {
    const project = tempDir("check-");
    symlinkSync(join(root, "node_modules"), join(project, "node_modules"));
    mkdirSync(join(project, "src"));
    const compilerOptions = { strict: true, module: "commonjs", target: "ES2022", lib: ["ES2022"], types: [], skipLibCheck: true };
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src/**/*.ts"] }));
    writeFileSync(
      join(project, "eslint.config.mjs"),
      [
        'import tseslint from "typescript-eslint";',
        "export default tseslint.config({ ignores: ['**/*.mjs'] }, ...tseslint.configs.recommended, {",
        "  files: ['**/*.ts'],",
        "  languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },",
        "  rules: { '@typescript-eslint/no-floating-promises': 'error' },",
        "});",
      ].join("\n"),
    );
    writeFileSync(
      join(project, "src", "bad.ts"),
      'export async function f(): Promise<number> {\n  return 1;\n}\nf();\nexport const n: number = "x";\n',
    );
    writeFileSync(join(project, "outside.ts"), "export const x = 1;\n");

    const run = spawnSync(process.execPath, ["--import", "tsx", join(root, "tools", "check.ts")], { cwd: project, encoding: "utf8" });

    expect(run.status).toBe(1);
    expect(run.stdout).toContain("src/bad.ts(5,14): error TS2322: Type 'string' is not assignable to type 'number'.");
    expect(run.stdout).toMatch(/src\/bad\.ts\n\s+4:1\s+error\s+Promises must be awaited.*@typescript-eslint\/no-floating-promises/);
    expect(run.stdout).toContain("The file was not found in any of the provided program instance(s): outside.ts");
    expect(run.stdout).toContain("tsc: 1 error(s); eslint: 2 error(s), 0 warning(s)");
  });

  test("npm run format:check's cache never hides a file that changed since the run that cached it", () => {
    const project = tempDir("format-cache-");
    writeFileSync(join(project, ".prettierrc.json"), readFileSync(join(root, ".prettierrc.json")));
    writeFileSync(join(project, "a.ts"), "export const a = 1;\n");
    // The package.json script's own command, run in the fixture with a cache of its own (not the repository's);
    // without colours, which Prettier turns on under CI=1.
    const [command, ...args] = scripts["format:check"].split(" ");
    const prettier = [require.resolve(`${command}/bin/prettier.cjs`), ...args, "--cache-location", join(project, "prettier-cache"), "--no-color"];
    const formatCheck = () => spawnSync(process.execPath, prettier, { cwd: project, encoding: "utf8" });

    expect(formatCheck().status).toBe(0);
    // Same size and modification time as the cached file: only its content tells them apart.
    const { atime, mtime } = statSync(join(project, "a.ts"));
    writeFileSync(join(project, "a.ts"), "export const a =1 ;\n");
    utimesSync(join(project, "a.ts"), atime, mtime);
    const second = formatCheck();

    expect(second.status).toBe(1);
    expect(second.stderr).toContain("[warn] a.ts");
  });
});
