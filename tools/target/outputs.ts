/**
 * The deployment a smoke check or the end-to-end suite talks to, read from the file of
 * `npx cdktf output data-stack api-stack --outputs-file outputs.json`:
 *
 *   { "data-stack": { "<table>_table_name": "...", ... },   (every table of app/lambda-packages/shared/tables.ts)
 *     "api-stack":  { "api_invoke_url": "https://<id>.execute-api.<region>.amazonaws.com/<stage>" } }
 *
 * The local stack writes the same shape to `.local-data/<env>/outputs.json`, plus a `local-stack` entry with
 * its DynamoDB endpoint: a file with that entry is read against the local engine, with fake credentials.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { TABLE_NAMES, type TableName } from "../../app/lambda-packages/shared/tables";

export interface DeploymentTarget {
  /** Where the description came from, for messages. */
  readonly source: string;
  /** The stage's invoke URL, without a trailing slash. */
  readonly apiUrl: string;
  /** The name of every table, from data-stack's `<table>_table_name`. */
  readonly tables: Readonly<Record<TableName, string>>;
  readonly region: string;
  /** Set for a local stack: its DynamoDB endpoint (fake credentials). Unset: AWS, with the caller's credentials. */
  readonly dynamoDbEndpoint?: string;
}

/** A description of what is wrong with an outputs file, for the operator. */
export class OutputsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OutputsFileError";
  }
}

/** How to write an outputs file with every stack's outputs, for the messages. */
export const OUTPUTS_HOW_TO = "Write it with: npx cdktf output data-stack compute-stack api-stack --outputs-file outputs.json";

/** An outputs file, read: its absolute path, every stack's outputs, and a reader of one required output. */
export interface OutputsFile {
  readonly file: string;
  readonly stacks: Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>;
  /** The output `name` of `stack` as text (a number is written as text); throws an OutputsFileError when it is missing. */
  read(stack: string, name: string): string;
}

/** Opens an outputs file; throws an OutputsFileError when it is missing or not JSON, naming the file and how to write it. */
export function openOutputsFile(path: string): OutputsFile {
  const file = resolve(path);
  let stacks: Record<string, Record<string, unknown> | undefined>;
  try {
    stacks = JSON.parse(readFileSync(file, "utf8")) as typeof stacks;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `is not valid JSON (${(error as Error).message})`;
    throw new OutputsFileError(`Outputs file ${file} ${reason}. ${OUTPUTS_HOW_TO}`);
  }
  return {
    file,
    stacks,
    read: (stack, name) => {
      const value = stacks?.[stack]?.[name];
      if ((typeof value !== "string" && typeof value !== "number") || value === "") {
        throw new OutputsFileError(`Outputs file ${file} has no "${stack}".${name}. ${OUTPUTS_HOW_TO}`);
      }
      return String(value);
    },
  };
}

/** Reads and checks an outputs file; throws an OutputsFileError naming the file and what is missing. */
export function readOutputsFile(path: string): DeploymentTarget {
  const { file, stacks: outputs, read } = openOutputsFile(path);
  const apiUrl = read("api-stack", "api_invoke_url").replace(/\/+$/, "");
  const local = outputs["local-stack"];
  const region =
    (typeof local?.region === "string" ? local.region : undefined) ??
    /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(apiUrl)?.[1] ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION;
  if (!region) throw new OutputsFileError(`Cannot tell the region of ${apiUrl}; set AWS_REGION.`);
  return {
    source: file,
    apiUrl,
    tables: Object.fromEntries(TABLE_NAMES.map((table) => [table, read("data-stack", `${table}_table_name`)])) as Record<TableName, string>,
    region,
    ...(typeof local?.dynamodb_endpoint === "string" ? { dynamoDbEndpoint: local.dynamodb_endpoint } : {}),
  };
}
