/** The health function's route: its operation and its journey step (see tools/contract/route-contracts.ts). */
import { HealthBody } from "../operations";
import type { FunctionContract } from "../route-contracts";

export const ROUTE_CONTRACTS: FunctionContract = {
  "GET /health": {
    operation: {
      operationId: "getHealth",
      summary: "Health of the service",
      description: "Reads a probe item of every table, one check per table; 503 with the failing check otherwise.",
      success: {
        200: { description: "Every table answered", body: HealthBody },
        503: { description: "A table did not answer in time or failed: the body names the check", body: HealthBody },
      },
      errors: {},
    },
    journey: [{ phase: "anonymous", readOnly: true, statuses: [200], run: async ({ api }) => [(await api("GET", "/health")).status] }],
  },
};
