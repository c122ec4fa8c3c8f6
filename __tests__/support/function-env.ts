/**
 * The environment a function gets on AWS, for loading its handler in a test: what compute-stack derives from the
 * declarations (functionEnvironment(): the common variables, the names of the tables it reaches, its own
 * variables, from the dev config), plus a region, fake credentials and a DynamoDB endpoint. A handler that reads
 * a variable compute-stack does not give it fails its cold start here as it would on AWS.
 */
import { loadConfig } from "../../app/config/load";
import type { FunctionName } from "../../app/config/schema";
import { functionEnvironment } from "../../app/stacks/compute-stack";
import { TEST_AWS_ENV } from "./dynalite";

/** Function `name`'s environment; tables are named `<name>-table` and DynamoDB points nowhere unless told. */
export function functionTestEnv(
  name: FunctionName,
  options: { readonly tableName?: (table: string) => string; readonly endpoint?: string } = {},
): Record<string, string> {
  return {
    ...TEST_AWS_ENV,
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoint ?? "http://127.0.0.1:9",
    ...functionEnvironment(loadConfig({ environment: "dev" }), name, "test", options.tableName ?? ((table) => `${table}-table`)),
  };
}
