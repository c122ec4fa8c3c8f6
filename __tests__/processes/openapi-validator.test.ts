/**
 * The OpenAPI documents are valid OpenAPI 3.1 with every $ref resolved, by @seriousme/openapi-schema-validator
 * (tools/lib/validate-openapi.mjs, an ES module, so run as a process: jest's CommonJS runtime cannot import it on
 * Node 20): docs/openapi.json, and the synthetic document of a route with a query string
 * (support/contract-fixtures.ts). A broken document shows the validator can fail. One process validates the three.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { OPENAPI_FILE } from "../support/contract";
import { thingsDocument } from "../support/contract-fixtures";
import { tempDirsOfThisFile } from "../support/temp-dirs";

const ROOT = resolve(__dirname, "..", "..");
const tempDir = tempDirsOfThisFile();

interface Validation {
  readonly file: string;
  readonly valid: boolean;
  readonly version: string;
  readonly errors: unknown[];
}

describe("tools/lib/validate-openapi.mjs", () => {
  let results: Map<string, Validation>;
  let broken: string;
  let synthetic: string;

  beforeAll(() => {
    const dir = tempDir("openapi-");
    const doc = JSON.parse(readFileSync(OPENAPI_FILE, "utf8"));
    broken = join(dir, "broken.json");
    writeFileSync(broken, JSON.stringify({ ...doc, paths: { "/health": { get: { responses: { 200: { content: {} } } } } } }));
    synthetic = join(dir, "things.json");
    writeFileSync(synthetic, JSON.stringify(thingsDocument()));
    const out = execFileSync(process.execPath, [join(ROOT, "tools", "lib", "validate-openapi.mjs"), OPENAPI_FILE, broken, synthetic], {
      encoding: "utf8",
    });
    const lines = out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Validation);
    results = new Map(lines.map((result) => [result.file, result]));
  });

  test("finds docs/openapi.json a valid OpenAPI 3.1 document whose $refs all resolve", () => {
    expect(results.get(OPENAPI_FILE)).toEqual({ file: OPENAPI_FILE, valid: true, version: "3.1", errors: [] });
  });

  test("refuses an invalid document (it can fail)", () => {
    expect(results.get(broken)).toMatchObject({ valid: false, errors: expect.arrayContaining([expect.anything()]) });
  });

  test("finds the document of an operation with a query string valid", () => {
    expect(results.get(synthetic)).toEqual({ file: synthetic, valid: true, version: "3.1", errors: [] });
  });
});
