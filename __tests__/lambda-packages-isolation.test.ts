/**
 * A change to code that only some functions bundle changes only those functions' ZIPs, so a deploy replaces
 * (and cold-starts) nothing else. For each module of app/lambda-packages/shared/: copy the sources, edit one
 * function body (or constant) of that module, rebuild every function, and compare the ZIP hashes with a build
 * of the unedited copy. The functions that bundle the edited code are the ones whose new bundle contains the
 * edit; exactly those ZIPs may change.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unzipSync } from "fflate";
import * as ts from "typescript";
import { LAMBDA_PACKAGES_DIR } from "../app/lambda-packages/artifacts";
import { buildAll, HANDLER_FILE, listFunctions } from "../app/lambda-packages/build";
import { tempDirsOfThisFile } from "./support/temp-dirs";

interface Edit {
  /** File in shared/. */
  readonly module: string;
  /**
   * A top-level function (its body gets a statement) or constant (its first string literal is changed, or, with
   * none, its initializer is wrapped in a logging comma expression).
   */
  readonly symbol?: string;
  /** The functions that bundle `symbol`: the only ZIPs that may change. */
  readonly bundledBy: readonly string[];
}

/**
 * One edit per module, each of a function that only some of the module's importers bundle where there is
 * one (caller.ts is imported by three functions, authorizerContext bundled by one).
 */
const EDITS: readonly Edit[] = [
  { module: "aws-lite-dynamodb.d.ts", bundledBy: [] },
  { module: "batch-retry.ts", symbol: "batchWriteAll", bundledBy: ["users"] },
  { module: "caller.ts", symbol: "authorizerContext", bundledBy: ["authorizer"] },
  { module: "dynamodb.ts", symbol: "isConditionalCheckFailed", bundledBy: ["sessions", "users"] },
  { module: "env.ts", symbol: "integerEnv", bundledBy: ["health", "sessions"] },
  { module: "error-codes.ts", symbol: "GATEWAY_RESPONSES", bundledBy: [] },
  { module: "http.ts", symbol: "parseJsonBody", bundledBy: ["sessions", "users"] },
  { module: "log.ts", symbol: "maskEmail", bundledBy: ["authorizer", "health", "sessions", "users"] },
  { module: "metrics.ts", symbol: "emfDocument", bundledBy: ["authorizer", "sessions", "users"] },
  { module: "passwords.ts", symbol: "verifyAgainstNothing", bundledBy: ["sessions"] },
  // The logging edit is a side effect, so every importer of the module keeps it (users does not use LogInSchema).
  { module: "request-schemas.ts", symbol: "LogInSchema", bundledBy: ["sessions", "users"] },
  { module: "router.ts", symbol: "findRoute", bundledBy: ["health", "sessions", "users"] },
  { module: "sessions.ts", symbol: "endSessionsOfUser", bundledBy: ["users"] },
  { module: "table-keys.ts", symbol: "HEALTH_PROBE_KEYS", bundledBy: ["health"] },
  { module: "users.ts", symbol: "emailClaimKey", bundledBy: ["sessions", "users"] },
  { module: "validation.ts", symbol: "fieldError", bundledBy: ["users"] },
];

/**
 * The text of the edit: rare letters, many times, so that it reorders the character frequencies by which
 * esbuild's identifier minifier ranks its short names. If the build went back to minifying names, every edit
 * here would rename identifiers in functions that do not bundle the edited code, and fail.
 */
const EDIT_TEXT = "zwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvkyzwxqjvky";

const markerOf = (edit: Edit) => `edited ${edit.module} ${edit.symbol ?? "(declarations)"}`;

/** The source with the edit applied: a statement at the top of the function, or a changed string constant. */
function applyEdit(source: string, edit: Edit): string {
  const marker = markerOf(edit);
  if (!edit.symbol) return `${source}\ndeclare const edited: ${JSON.stringify(marker)};\n`;
  const file = ts.createSourceFile(edit.module, source, ts.ScriptTarget.ES2022, true);
  for (const statement of file.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name?.text === edit.symbol && statement.body) {
      const at = statement.body.getStart(file) + 1;
      return `${source.slice(0, at)}\n  console.log(${JSON.stringify(`${marker}: ${EDIT_TEXT}`)});${source.slice(at)}`;
    }
    if (ts.isVariableStatement(statement)) {
      const declaration = statement.declarationList.declarations.find((d) => ts.isIdentifier(d.name) && d.name.text === edit.symbol);
      const literal = declaration?.initializer && firstStringLiteral(declaration.initializer);
      if (literal) {
        const end = literal.getEnd() - 1; // before the closing quote
        return `${source.slice(0, end)} ${marker}${source.slice(end)}`;
      }
      const init = declaration?.initializer;
      if (init) {
        // No string to change (a schema built from other schemas): wrap the initializer in a comma expression.
        const [start, end] = [init.getStart(file), init.getEnd()];
        return `${source.slice(0, start)}(console.log(${JSON.stringify(marker)}), ${source.slice(start, end)})${source.slice(end)}`;
      }
    }
  }
  throw new Error(`shared/${edit.module} has no top-level function or string constant ${edit.symbol}`);
}

function firstStringLiteral(node: ts.Node): ts.StringLiteral | undefined {
  if (ts.isStringLiteral(node)) return node;
  return ts.forEachChild(node, firstStringLiteral);
}

const tempDir = tempDirsOfThisFile();

let sourceDir: string;
let before: Record<string, string>;

beforeAll(async () => {
  sourceDir = tempDir("lambda-isolation-src-");
  for (const folder of [...listFunctions(), "shared"]) {
    cpSync(join(LAMBDA_PACKAGES_DIR, folder), join(sourceDir, folder), { recursive: true });
  }
  before = Object.fromEntries((await buildAll({ sourceDir, outDir: tempDir("lambda-isolation-before-") })).map((b) => [b.name, b.sha256Hex]));
}, 60_000);

describe("a change to shared code", () => {
  test("has an edit for every file in app/lambda-packages/shared/", () => {
    expect(EDITS.map((e) => e.module)).toEqual(readdirSync(join(LAMBDA_PACKAGES_DIR, "shared")).sort());
  });

  const cases = EDITS.map((edit) => ({ ...edit, what: edit.symbol ?? "a declaration" }));
  test.each(cases)("in $module ($what) changes exactly the ZIPs of the functions that bundle it", async (edit) => {
    const path = join(sourceDir, "shared", edit.module);
    const original = readFileSync(path, "utf8");
    writeFileSync(path, applyEdit(original, edit));
    try {
      const after = await buildAll({ sourceDir, outDir: tempDir("lambda-isolation-after-") });
      const changed = after.filter((b) => b.sha256Hex !== before[b.name]).map((b) => b.name);
      const bundling = after
        .filter((b) =>
          Buffer.from(unzipSync(readFileSync(b.zipPath))[HANDLER_FILE])
            .toString("utf8")
            .includes(markerOf(edit)),
        )
        .map((b) => b.name);

      expect({ changed, bundling }).toEqual({ changed: edit.bundledBy, bundling: edit.bundledBy });
    } finally {
      writeFileSync(path, original);
    }
  });
});
