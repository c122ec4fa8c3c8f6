/**
 * The two test tiers hold what they say (__tests__/support/test-tiers.js): no unit suite runs Terraform, starts
 * the local stack, drives a browser, bundles every function or starts any other process, itself or through a
 * helper of __tests__/, and every suite listed in the
 * integration tier does what its listing says. A failure names the file and line that does it and where to move
 * the suite. Read from the sources' syntax trees, so a word in a comment or a string proves nothing.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as ts from "typescript";
import { tempDirsOfThisFile } from "./support/temp-dirs";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the tier list is a CommonJS file jest.config.js reads
const { INTEGRATION_SUITES, PROCESS_SUITES_DIR } = require("./support/test-tiers") as {
  INTEGRATION_SUITES: Record<string, string>;
  PROCESS_SUITES_DIR: string;
};

const ROOT = resolve(__dirname, "..");
const TESTS_DIR = __dirname;
const TIERS_FILE = "__tests__/support/test-tiers.js";

type Reason = "runs Terraform" | "starts the local stack" | "drives a browser" | "bundles every function" | "starts a process";

/** Calls that start something, by the function called. */
const STARTING_CALLS = new Map<string, Reason>([
  ["prepareTerraform", "runs Terraform"],
  ["describeTerraformOffline", "runs Terraform"],
  ["startLocalStack", "starts the local stack"],
  ["buildAll", "bundles every function"],
]);
/** Packages that drive a browser. */
const BROWSER_PACKAGES = new Set(["puppeteer", "puppeteer-core", "@sparticuz/chromium", "playwright", "playwright-core"]);
const SPAWNING_CALLS = new Set(["spawn", "spawnSync", "execFile", "execFileSync", "fork", "exec", "execSync"]);
/** `npm start`'s entry point, as a path in a string. */
const NPM_START_ENTRY = /(^|\/)tools\/local\/start(\.ts)?$/;

interface Finding {
  readonly reason: Reason;
  /** `path:line` of the code that does it, relative to the repository. */
  readonly where: string;
  readonly what: string;
  /** The helpers of __tests__/ it was reached through, `path:line` of each import, outermost first. */
  readonly through: readonly string[];
}

function moduleSpecifier(node: ts.Node): string | undefined {
  if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    return node.moduleSpecifier.text;
  }
  if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0])) {
    const callee = node.expression;
    if ((ts.isIdentifier(callee) && callee.text === "require") || callee.kind === ts.SyntaxKind.ImportKeyword) return node.arguments[0].text;
  }
  return undefined;
}

/**
 * The names a file binds to node:child_process: its process-starting functions imported by name (`import { spawnSync
 * as run }`), and the module itself (`import * as cp`, `import cp from`, `const cp = require(...)`).
 */
interface ChildProcessBindings {
  readonly functions: ReadonlySet<string>;
  readonly modules: ReadonlySet<string>;
}

const CHILD_PROCESS = new Set(["child_process", "node:child_process"]);

function childProcessBindings(source: ts.SourceFile): ChildProcessBindings {
  const functions = new Set<string>();
  const modules = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && CHILD_PROCESS.has(node.moduleSpecifier.text)) {
      const clause = node.importClause;
      if (clause?.name) modules.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) modules.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          if (SPAWNING_CALLS.has((element.propertyName ?? element.name).text)) functions.add(element.name.text);
        }
      }
    }
    if (ts.isVariableDeclaration(node) && node.initializer && moduleSpecifier(node.initializer) !== undefined) {
      if (CHILD_PROCESS.has(moduleSpecifier(node.initializer)!)) {
        if (ts.isIdentifier(node.name)) modules.add(node.name.text);
        if (ts.isObjectBindingPattern(node.name)) {
          for (const element of node.name.elements) {
            const imported =
              element.propertyName && ts.isIdentifier(element.propertyName) ? element.propertyName.text : (element.name as ts.Identifier).text;
            if (SPAWNING_CALLS.has(imported) && ts.isIdentifier(element.name)) functions.add(element.name.text);
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { functions, modules };
}

/** A call of a process-starting function of node:child_process, by the names the file bound to it. */
function isSpawningCall(call: ts.CallExpression, bindings: ChildProcessBindings): boolean {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return bindings.functions.has(callee.text);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    bindings.modules.has(callee.expression.text) &&
    SPAWNING_CALLS.has(callee.name.text)
  );
}

const calleeName = (call: ts.CallExpression): string | undefined =>
  ts.isIdentifier(call.expression) ? call.expression.text : ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : undefined;

/** The helper file a relative import of `from` names, when it is a source file under __tests__/. */
function localHelper(from: string, specifier: string, testsDir: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  const file = [base, `${base}.ts`, `${base}.js`, join(base, "index.ts")].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
  return file && !relative(testsDir, file).startsWith("..") ? file : undefined;
}

/**
 * What a suite does that belongs in the integration tier, in the file itself and in the helpers of __tests__/ it imports
 * (not in tools/: a module there that starts something does so when a suite calls it, which this sees).
 */
function integrationFindings(file: string, root = ROOT, testsDir = TESTS_DIR, seen = new Set<string>()): Finding[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const at = (node: ts.Node) => `${relative(root, file)}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const findings: Finding[] = [];
  const spawning = childProcessBindings(source);
  const visit = (node: ts.Node): void => {
    const specifier = moduleSpecifier(node);
    if (specifier !== undefined) {
      if (BROWSER_PACKAGES.has(specifier)) findings.push({ reason: "drives a browser", where: at(node), what: `imports ${specifier}`, through: [] });
      const helper = localHelper(file, specifier, testsDir);
      if (helper) {
        for (const finding of integrationFindings(helper, root, testsDir, seen))
          findings.push({ ...finding, through: [at(node), ...finding.through] });
      }
    }
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      const starts = name === undefined ? undefined : STARTING_CALLS.get(name);
      if (starts) findings.push({ reason: starts, where: at(node), what: `calls ${name}()`, through: [] });
      if (isSpawningCall(node, spawning)) {
        const strings = node.arguments.flatMap((arg) =>
          ts.isArrayLiteralExpression(arg)
            ? arg.elements.filter(ts.isStringLiteralLike).map((e) => e.text)
            : ts.isStringLiteralLike(arg)
              ? [arg.text]
              : [],
        );
        const npmStart = strings[0] === "npm" && (strings[1] === "start" || (strings[1] === "run" && strings.includes("start")));
        if (npmStart || strings.some((s) => NPM_START_ENTRY.test(s))) {
          findings.push({ reason: "starts the local stack", where: at(node), what: "spawns `npm start`", through: [] });
        } else {
          findings.push({ reason: "starts a process", where: at(node), what: `calls ${name}()`, through: [] });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return findings;
}

const describeFinding = (f: Finding) =>
  `${f.where} ${f.what} (${f.reason})${f.through.length > 0 ? `, imported through ${f.through.join(" -> ")}` : ""}`;

function listSuites(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "support" ? [] : listSuites(path);
    return name.endsWith(".test.ts") ? [path] : [];
  });
}

/** Where a suite's place in the integration tier is said, for the message that asks to change it. */
const fromProcessesDir = (suite: string) => suite.startsWith(`${PROCESS_SUITES_DIR}/`);

/** Line of a suite's entry in the tier list (of the folder's, for a suite of __tests__/processes/). */
function tierListLine(suite: string): number {
  const lines = readFileSync(join(ROOT, TIERS_FILE), "utf8").split("\n");
  const entry = fromProcessesDir(suite) ? `"${PROCESS_SUITES_DIR}"` : `"${suite}"`;
  return lines.findIndex((line) => line.includes(entry)) + 1;
}

const tempDir = tempDirsOfThisFile();

describe("the test tiers", () => {
  const suites = listSuites(TESTS_DIR).map((file) => relative(TESTS_DIR, file));

  test("no unit suite runs Terraform, starts the local stack, drives a browser, bundles every function or starts a process", () => {
    const misplaced = suites
      .filter((suite) => !(suite in INTEGRATION_SUITES))
      .flatMap((suite) =>
        integrationFindings(join(TESTS_DIR, suite)).map(
          (f) =>
            `${describeFinding(f)}: list "${suite}": "${f.reason}" in INTEGRATION_SUITES (${TIERS_FILE}) or move that code out of the unit suite`,
        ),
      );
    expect(misplaced).toEqual([]);
  });

  test("each integration suite exists and does what its listing says, so the unit tier keeps every suite it can run", () => {
    const wrong = Object.entries(INTEGRATION_SUITES).flatMap(([suite, reason]) => {
      const listing = `${TIERS_FILE}:${tierListLine(suite)}`;
      if (!suites.includes(suite)) return [`${listing} lists ${suite}, which is not a suite under __tests__/`];
      const findings = integrationFindings(join(TESTS_DIR, suite));
      if (findings.some((f) => f.reason === reason)) return [];
      const found = [...new Set(findings.map((f) => f.reason))];
      return [
        found.length > 0
          ? `${listing} says ${suite} ${reason}, but it ${found.join(" and ")}: say that instead`
          : `${listing} lists ${suite}, which runs no Terraform, local stack, browser, build of every function or other process: ${
              fromProcessesDir(suite) ? `move it out of __tests__/${PROCESS_SUITES_DIR}/` : "remove it from INTEGRATION_SUITES"
            } so that the unit tier runs it`,
      ];
    });
    expect(wrong).toEqual([]);
  });

  test("finds what a suite does through a helper, by file and line, and not a name in a comment or a string", () => {
    const dir = tempDir("tiers-");
    mkdirSync(join(dir, "support"));
    writeFileSync(
      join(dir, "support", "target.ts"),
      'import { startLocalStack } from "../../tools/local/stack";\n\nexport const start = () => startLocalStack({});\n',
    );
    writeFileSync(
      join(dir, "a.test.ts"),
      [
        // Spelled apart here so that this file itself does not read as a Terraform suite (terraform-suite.ts, the sequencer).
        `// startLocalStack() and ${"prepareTerraform"}() only in a comment`,
        `const note = "${"describeTerraformOffline"}(\\"dev\\")";`,
        'import { start } from "./support/target";',
        'import puppeteer from "puppeteer-core";',
        'spawnSync("npm", ["run", "--silent", "start", "--", "--port", "0"]);',
        'spawn(process.execPath, ["--import", "tsx", "tools/local/start.ts"]);',
        'void buildAll({ outDir: "out" });',
        'import { execFileSync as run, spawn, spawnSync } from "node:child_process";',
        'run(process.execPath, [join("tools", "lib", "validate-openapi.mjs")]);',
        'const cp = require("child_process");',
        'cp.fork("worker.js");',
        '/x/.exec("x"); exec("not child_process");',
      ].join("\n"),
    );

    expect(integrationFindings(join(dir, "a.test.ts"), dir, dir).map(describeFinding)).toEqual([
      "support/target.ts:3 calls startLocalStack() (starts the local stack), imported through a.test.ts:3",
      "a.test.ts:4 imports puppeteer-core (drives a browser)",
      "a.test.ts:5 spawns `npm start` (starts the local stack)",
      "a.test.ts:6 spawns `npm start` (starts the local stack)",
      "a.test.ts:7 calls buildAll() (bundles every function)",
      "a.test.ts:9 calls run() (starts a process)",
      "a.test.ts:11 calls fork() (starts a process)",
    ]);
  });
});
