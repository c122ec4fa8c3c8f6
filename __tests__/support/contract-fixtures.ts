/**
 * A synthetic route for the contract tests (the API has none like it): `GET /things` of a function `things`,
 * with a query string, one component body and one read-only journey step. openapi.test.ts checks how the OpenAPI
 * document and docs/api.md render it; processes/openapi-validator.test.ts checks the document it gives is valid.
 */
import { z } from "zod";
import type { FunctionName } from "../../app/config/schema";
import type { RouteDefinition } from "../../app/stacks/routes";
import { buildOpenApiDocument } from "../../tools/contract/openapi";
import { component, type OperationSpec } from "../../tools/contract/operations";
import { routeContracts, type FunctionContract } from "../../tools/contract/route-contracts";

export const THINGS: RouteDefinition = { method: "GET", path: "/things", function: "things" as FunctionName, auth: "bearer" };
const THING = component(z.strictObject({ id: z.string() }), { id: "Thing", description: "A thing." });
export const LIST_THINGS: OperationSpec = {
  operationId: "listThings",
  summary: "Things, a page at a time",
  query: z.strictObject({
    limit: z.coerce.number().int().min(1).max(100).describe("At most this many"),
    cursor: z.string().optional().describe("Where the previous page ended"),
  }),
  success: { 200: { description: "A page of things", body: THING } },
  errors: { VALIDATION_ERROR: "limit is not 1..100" },
};
export const READ_ONLY_STEP = { phase: "signed in", readOnly: true, statuses: [200], run: async () => [200] } as const;

/** The contracts lookup with `contracts` for the function of THINGS and nothing for the others. */
export const withThings = (contracts: FunctionContract | undefined) => (fn: FunctionName) => (fn === THINGS.function ? contracts : undefined);

/** The OpenAPI document of THINGS alone, listed with one read-only step. */
export function thingsDocument(): Record<string, any> {
  return buildOpenApiDocument(
    "0.0.0",
    routeContracts([THINGS], withThings({ "GET /things": { operation: LIST_THINGS, journey: [READ_ONLY_STEP] } })),
  );
}
