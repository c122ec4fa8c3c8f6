/**
 * Every file derived from the code (tools/generate.ts's list) is what `npm run generate` writes now, and the
 * command's check mode finds exactly the files that are not.
 */
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { listEnvironments } from "../app/config/load";
import {
  firstDifference,
  GENERATE_COMMAND,
  generatedFiles,
  REPO_ROOT,
  staleFiles,
  staleMessage,
  synthesizeInputs,
  type GeneratedFile,
} from "../tools/generate";
import { tempDirsOfThisFile } from "./support/temp-dirs";

const tempDir = tempDirsOfThisFile();

let files: GeneratedFile[];
beforeAll(() => {
  files = generatedFiles(synthesizeInputs());
});

describe("the generated files", () => {
  test("are all up to date (the failure names each file, where it differs, and the command)", () => {
    const stale = staleFiles(files);
    expect(stale.length === 0 ? "up to date" : staleMessage(stale)).toBe("up to date");
  });

  test("include the OpenAPI document, the diagram (docs and README), the API table, the breached-password filter and a replacement guard per config", () => {
    expect(files.map((f) => f.path).sort()).toEqual(
      [
        "README.md",
        "app/lambda-packages/shared/breached-passwords-filter.ts",
        "docs/api.md",
        "docs/config.md",
        "docs/architecture.md",
        "docs/openapi.json",
        ...listEnvironments().map((env) => `__tests__/fixtures/replacement-guard.${env}.json`),
      ].sort(),
    );
  });

  test("a changed copy is reported stale with the first differing line and the command to run", () => {
    const root = tempDir("generated-");
    for (const file of files) cpSync(join(REPO_ROOT, file.path), join(root, file.path), { recursive: true });
    const doc = join(root, "docs", "openapi.json");
    writeFileSync(doc, readFileSync(doc, "utf8").replace('"openapi": "3.1.0"', '"openapi": "3.0.0"'));

    const stale = staleFiles(files, root);

    expect(stale.map((s) => s.path)).toEqual(["docs/openapi.json"]);
    expect(staleMessage(stale)).toContain(`run \`${GENERATE_COMMAND}\``);
    expect(staleMessage(stale)).toMatch(
      /- docs\/openapi\.json: first difference at line \d+:\n {2}committed: {3}"openapi": "3\.0\.0",\n {2}generated: {3}"openapi": "3\.1\.0",/,
    );
  });

  test("README.md keeps its hand-written text: only the generated blocks are rewritten", () => {
    const readme = files.find((f) => f.path === "README.md")!;
    const current = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    const edited = current.replace("## Quick start", "## Quick start (edited by hand)");

    expect(readme.render(edited)).toContain("## Quick start (edited by hand)");
    expect(() => readme.render("no markers here")).toThrow(/README\.md needs the markers/);
  });

  test("firstDifference names a missing file and a shorter file", () => {
    expect(firstDifference(undefined, "a\n")).toBe("the file does not exist");
    expect(firstDifference("a\n", "a\nb\n")).toBe("first difference at line 2:\n  committed: \n  generated: b");
  });
});
