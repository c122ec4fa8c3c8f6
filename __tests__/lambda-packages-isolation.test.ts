/**
 * A change to code that only some functions bundle changes only those functions' ZIPs, so a deploy replaces
 * (and cold-starts) nothing else. For each module of app/lambda-packages/shared/: copy the sources, edit one
 * function body (or string constant) of that module, rebuild every function, and compare the ZIP hashes with a
 * build of the unedited copy (the rebuilds are incremental: esbuild parses again only the edited module, and
 * gives the bytes of a full build). The functions that bundle the edited code are the ones whose new bundle contains
 * the edit; exactly those ZIPs may change. Nothing here names a module, symbol or function: one build with every
 * editable symbol edited finds which functions bundle what, and each module's edit is the symbol the fewest
 * functions bundle, so a new module, function or import is covered as it is.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import * as ts from "typescript";
import { LAMBDA_PACKAGES_DIR } from "../app/lambda-packages/artifacts";
import { buildAll, HANDLER_FILE, incrementalBuild, listFunctions, type IncrementalBuild } from "../app/lambda-packages/build";
import { tempDirsOfThisFile } from "./support/temp-dirs";

/** An edit of one top-level function (its body gets a statement) or string constant (its first string literal changes). */
interface Edit {
  /** File in shared/. */
  readonly module: string;
  /** The function or constant edited; none: a declaration is appended (a module of types only). */
  readonly symbol?: string;
}

/**
 * The text of the edit: rare letters, many times, so that it reorders the character frequencies by which
 * esbuild's identifier minifier ranks its short names. If the build went back to minifying names, every edit
 * here would rename identifiers in functions that do not bundle the edited code, and fail.
 */
const EDIT_TEXT = "zwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvky";

const markerOf = (edit: Edit) => `edited ${edit.module} ${edit.symbol ?? "(declarations)"}`;

/** Where an edit of `symbol` goes in `file`: the text inserted at a position, or undefined for no editable symbol. */
function editOf(file: ts.SourceFile, edit: Edit): { at: number; text: string } | undefined {
  const marker = markerOf(edit);
  for (const statement of file.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name?.text === edit.symbol && statement.body) {
      return { at: statement.body.getStart(file) + 1, text: `\n  console.log(${JSON.stringify(`${marker}: ${EDIT_TEXT}`)});` };
    }
    if (ts.isVariableStatement(statement)) {
      const declaration = statement.declarationList.declarations.find((d) => ts.isIdentifier(d.name) && d.name.text === edit.symbol);
      const literal = declaration?.initializer && firstStringLiteral(declaration.initializer);
      // Before the closing quote. Only string constants: an edit that added a side effect would change what is bundled.
      if (literal) return { at: literal.getEnd() - 1, text: ` ${marker}` };
    }
  }
  return undefined;
}

/** Every symbol of a module that can be edited without changing what is bundled: top-level functions and string constants. */
function editableSymbols(module: string, source: string): string[] {
  const file = ts.createSourceFile(module, source, ts.ScriptTarget.ES2022, true);
  const names = file.statements.flatMap((statement) =>
    ts.isFunctionDeclaration(statement) && statement.name
      ? [statement.name.text]
      : ts.isVariableStatement(statement)
        ? statement.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []))
        : [],
  );
  return names.filter((symbol) => editOf(file, { module, symbol }) !== undefined);
}

/** The source with the edits applied (all of one module), or, for an edit without symbol, a declaration appended. */
function applyEdits(module: string, source: string, edits: readonly Edit[]): string {
  if (edits.length === 1 && !edits[0].symbol) return `${source}\ndeclare const edited: ${JSON.stringify(markerOf(edits[0]))};\n`;
  const file = ts.createSourceFile(module, source, ts.ScriptTarget.ES2022, true);
  const placed = edits.map((edit) => {
    const found = editOf(file, edit);
    if (!found) throw new Error(`shared/${module} has no top-level function or string constant ${edit.symbol}`);
    return found;
  });
  let edited = source;
  for (const { at, text } of placed.sort((x, y) => y.at - x.at)) edited = `${edited.slice(0, at)}${text}${edited.slice(at)}`;
  return edited;
}

function firstStringLiteral(node: ts.Node): ts.StringLiteral | undefined {
  if (ts.isStringLiteral(node)) return node;
  return ts.forEachChild(node, firstStringLiteral);
}

const tempDir = tempDirsOfThisFile();
const MODULES = readdirSync(join(LAMBDA_PACKAGES_DIR, "shared")).sort();

let sourceDir: string;
let before: Record<string, string>;
/** The rebuilds of sourceDir after each edit: incremental, so that each parses only the edited module again. */
let rebuilds: IncrementalBuild;
/** Per module and symbol: the functions whose bundle contains that symbol's edit (from one build with every edit). */
let bundledBy: Record<string, Record<string, string[]>>;

/** Each function's bundle (lambda-handler.js in its ZIP), unpacked once for every marker looked for in it. */
function bundlesOf(built: readonly { name: string; zipPath: string }[]): Array<{ name: string; code: string }> {
  return built.map((b) => ({ name: b.name, code: Buffer.from(unzipSync(readFileSync(b.zipPath))[HANDLER_FILE]).toString("utf8") }));
}

/** The functions whose bundle contains `marker`. */
function bundling(bundles: ReadonlyArray<{ name: string; code: string }>, marker: string): string[] {
  return bundles.filter((b) => b.code.includes(marker)).map((b) => b.name);
}

beforeAll(async () => {
  sourceDir = tempDir("lambda-isolation-src-");
  for (const folder of [...listFunctions(), "shared"]) {
    cpSync(join(LAMBDA_PACKAGES_DIR, folder), join(sourceDir, folder), { recursive: true });
  }
  // The build `npm run package` makes; the rebuilds after the edits must give the same bytes wherever the edit is not bundled.
  before = Object.fromEntries((await buildAll({ sourceDir, outDir: tempDir("lambda-isolation-before-") })).map((b) => [b.name, b.sha256Hex]));
  rebuilds = incrementalBuild({ sourceDir, outDir: tempDir("lambda-isolation-after-"), force: true });

  // Which functions bundle which symbol: every editable symbol of every module edited at once, each with its own marker.
  const probeDir = tempDir("lambda-isolation-probe-src-");
  cpSync(sourceDir, probeDir, { recursive: true });
  const symbols = Object.fromEntries(
    MODULES.map((module) => [module, editableSymbols(module, readFileSync(join(sourceDir, "shared", module), "utf8"))]),
  );
  for (const module of MODULES) {
    const path = join(probeDir, "shared", module);
    if (symbols[module].length > 0) {
      writeFileSync(
        path,
        applyEdits(
          module,
          readFileSync(path, "utf8"),
          symbols[module].map((symbol) => ({ module, symbol })),
        ),
      );
    }
  }
  const probe = bundlesOf(await buildAll({ sourceDir: probeDir, outDir: tempDir("lambda-isolation-probe-") }));
  bundledBy = Object.fromEntries(
    MODULES.map((module) => [module, Object.fromEntries(symbols[module].map((symbol) => [symbol, bundling(probe, markerOf({ module, symbol }))]))]),
  );
}, 90_000);

afterAll(() => rebuilds?.dispose());

/**
 * The edit of a module: its symbol that the fewest functions bundle, but at least one (the first in the file on a
 * tie), so that an edit of code some importers of the module leave out is tried wherever there is one.
 */
function chosenEdit(module: string): Edit & { readonly bundledBy: readonly string[] } {
  const candidates = Object.entries(bundledBy[module]).filter(([, functions]) => functions.length > 0);
  if (candidates.length === 0) return { module, bundledBy: [] };
  const [symbol, functions] = candidates.reduce((best, next) => (next[1].length < best[1].length ? next : best));
  return { module, symbol, bundledBy: functions };
}

describe("a change to shared code", () => {
  test("is tried where tree shaking matters: some edit is bundled by only some of the functions that import its module", () => {
    const narrower = MODULES.filter((module) => {
      const importers = new Set(Object.values(bundledBy[module]).flat());
      const chosen = chosenEdit(module);
      return chosen.bundledBy.length > 0 && chosen.bundledBy.length < importers.size;
    });
    expect(narrower.length).toBeGreaterThan(0);
  });

  test.each(MODULES)("in %s changes exactly the ZIPs of the functions that bundle the edited code", async (module) => {
    const edit = chosenEdit(module);
    const path = join(sourceDir, "shared", module);
    const original = readFileSync(path, "utf8");
    writeFileSync(path, applyEdits(module, original, [edit]));
    try {
      const after = await rebuilds.buildAll();
      const changed = after.filter((b) => b.sha256Hex !== before[b.name]).map((b) => b.name);

      expect({ symbol: edit.symbol, changed, bundling: bundling(bundlesOf(after), markerOf(edit)) }).toEqual({
        symbol: edit.symbol,
        changed: edit.bundledBy,
        bundling: edit.bundledBy,
      });
    } finally {
      writeFileSync(path, original);
    }
  });
});
