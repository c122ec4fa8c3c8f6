/**
 * The text of docs/openapi.json (OpenAPI 3.1), from the route table, the route contracts and the handlers' zod
 * schemas (tools/contract/openapi.ts). `npm run generate` writes it, with everything else derived.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { buildOpenApiDocument } from "./contract/openapi";

export const REPO_ROOT = resolve(__dirname, "..");
export const OPENAPI_DOC = join(REPO_ROOT, "docs", "openapi.json");

/** The document's text as committed: 2-space JSON with a final newline; versioned like the package. */
export function renderOpenApiText(): string {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
  return `${JSON.stringify(buildOpenApiDocument(version), null, 2)}\n`;
}
