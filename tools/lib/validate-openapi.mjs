// Validates OpenAPI documents against the OpenAPI specification's own JSON Schema (3.0, 3.1, 3.2) and checks
// that every $ref resolves, with @seriousme/openapi-schema-validator. An ES module (the validator is ESM only),
// run as a child process by __tests__/processes/openapi-validator.test.ts; prints one line of JSON per file,
// {"file", "valid", "version", "errors"}, in the order given (one process for several documents: the
// validator's start-up is most of its cost).
//
//   node tools/lib/validate-openapi.mjs docs/openapi.json [more.json ...]
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write("usage: node tools/lib/validate-openapi.mjs <openapi.json> [more.json ...]\n");
  process.exit(2);
}
for (const file of files) {
  const validator = new Validator();
  const result = await validator.validate(JSON.parse(readFileSync(file, "utf8")));
  process.stdout.write(`${JSON.stringify({ file, valid: result.valid, version: validator.version, errors: result.errors ?? [] })}\n`);
}
