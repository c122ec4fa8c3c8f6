/**
 * `npm run openapi`: writes docs/openapi.json (OpenAPI 3.1) from the route table, the operations and the
 * handlers' zod schemas (tools/contract/openapi.ts), and the README's API table between
 * `<!-- api-routes:start ... -->` and `<!-- api-routes:end -->`. __tests__/openapi.test.ts fails when either
 * committed file differs from what this produces.
 *
 *   npm run openapi             # write both
 *   npm run openapi -- --out -  # print the document instead
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildOpenApiDocument, renderRoutesTable, replaceRoutesBlock } from "./contract/openapi";

export const REPO_ROOT = resolve(__dirname, "..");
export const OPENAPI_DOC = join(REPO_ROOT, "docs", "openapi.json");
const README = join(REPO_ROOT, "README.md");

/** The document's text as committed: 2-space JSON with a final newline; versioned like the package. */
export function renderOpenApiText(): string {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  return `${JSON.stringify(buildOpenApiDocument(version), null, 2)}\n`;
}

function main(argv: readonly string[]): number {
  const text = renderOpenApiText();
  if (argv[0] === "--out" && argv[1] === "-") {
    process.stdout.write(text);
    return 0;
  }
  if (argv.length > 0) {
    console.error("Usage: npm run openapi [-- --out -]");
    return 2;
  }
  writeFileSync(OPENAPI_DOC, text);
  writeFileSync(README, replaceRoutesBlock(readFileSync(README, "utf8"), renderRoutesTable()));
  console.log("wrote docs/openapi.json and README.md (API table)");
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
