// Validates an OpenAPI document against the OpenAPI specification's own JSON Schema (3.0, 3.1, 3.2) and
// checks that every $ref resolves, with @seriousme/openapi-schema-validator. An ES module (the validator is
// ESM only), run as a child process by __tests__/openapi.test.ts; prints {"valid", "errors"} as JSON.
//
//   node tools/lib/validate-openapi.mjs docs/openapi.json
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";

const file = process.argv[2];
const validator = new Validator();
const result = await validator.validate(JSON.parse(readFileSync(file, "utf8")));
process.stdout.write(`${JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? [] })}\n`);
