/**
 * `npm run check`: the type check (`npm run build`, `tsc --build --noEmit`) and ESLint (`npm run lint`, `eslint .`) in
 * one process and on one TypeScript program. typescript-eslint's type-aware rules then reuse the program and
 * type checker the type check built (its `parserOptions.programs`) instead of building their own, which saves
 * about a third of the CPU of running both (`npm run bench` times `npm test`, which runs this).
 *
 * Same tsconfig.json, same eslint.config.mjs, same findings: a file ESLint lints that the program does not hold
 * is an ESLint error, never a silent skip. Exits 1 on a type error or an ESLint error, as tsc and eslint do.
 * Run it in the folder holding both configs (the repository root; the toolchain test runs it in a fixture).
 */
import { ESLint } from "eslint";
import ts from "typescript";

/** The program tsconfig.json describes, with nothing written: `tsc --noEmit` without its incremental state. */
function createProgram(cwd: string): ts.Program {
  const configFile = ts.findConfigFile(cwd, ts.sys.fileExists, "tsconfig.json");
  if (!configFile) throw new Error(`no tsconfig.json in ${cwd}`);
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.formatDiagnostic(diagnostic, formatHost));
    },
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, { noEmit: true, incremental: false, tsBuildInfoFile: undefined }, host);
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, configFileParsingDiagnostics: parsed.errors });
}

const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (fileName) => fileName,
  getCurrentDirectory: () => process.cwd(),
  getNewLine: () => "\n",
};

export interface CheckResult {
  readonly typeErrors: number;
  readonly lintErrors: number;
  readonly lintWarnings: number;
  /** What tsc and ESLint's default formatter would print. */
  readonly output: string;
}

/** Type-checks and lints the project in `cwd`; `pretty` colours the type errors as tsc does on a terminal. */
export async function check(cwd: string = process.cwd(), pretty = false): Promise<CheckResult> {
  const program = createProgram(cwd);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const format = pretty ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  const typeOutput = diagnostics.length > 0 ? format(diagnostics, formatHost) : "";

  const eslint = new ESLint({
    cwd,
    overrideConfig: { files: ["**/*.ts"], languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
  });
  const results = await eslint.lintFiles(["."]);
  const lintOutput = await (await eslint.loadFormatter("stylish")).format(results);
  return {
    typeErrors: diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length,
    lintErrors: results.reduce((n, r) => n + r.errorCount, 0),
    lintWarnings: results.reduce((n, r) => n + r.warningCount, 0),
    output: [typeOutput, lintOutput].filter(Boolean).join("\n"),
  };
}

if (require.main === module) {
  check(process.cwd(), process.stdout.isTTY).then(
    ({ typeErrors, lintErrors, lintWarnings, output }) => {
      if (output) console.log(output);
      console.log(`tsc: ${typeErrors} error(s); eslint: ${lintErrors} error(s), ${lintWarnings} warning(s)`);
      // exitCode, not exit(): a long report written to a pipe is flushed before the process ends.
      process.exitCode = typeErrors + lintErrors === 0 ? 0 : 1;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
