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

/**
 * Runs `load` (a handler's cold start with functionTestEnv(name)); a missing `<TABLE>_TABLE_NAME` is rethrown
 * with where to fix it: compute-stack gives a function only the tables its FUNCTION_ACCESS entry reaches.
 */
export function withTableAccessHint<T>(name: FunctionName, load: () => T): T {
  try {
    return load();
  } catch (error) {
    const variable = /Missing required environment variable (\w+_TABLE_NAME)/.exec(String((error as Error).message))?.[1];
    if (!variable) throw error;
    throw new Error(
      `${(error as Error).message}: function ${name} reads ${variable}, but its entry in FUNCTION_ACCESS (app/stacks/function-access.ts) ` +
        "reaches no such table; compute-stack passes a function the names of the tables it may use only (and a new table goes in " +
        "app/lambda-packages/shared/tables.ts)",
      { cause: error },
    );
  }
}
