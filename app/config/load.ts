import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { AppConfig, AppConfigSchema } from "./schema";

/** Environment variable that picks the config file: `app/config/<APP_ENV>.json`. */
export const CONFIG_ENV_VAR = "APP_ENV";
export const DEFAULT_ENVIRONMENT = "prod";
export const CONFIG_DIR = __dirname;

/** One problem in a config file: where it is, what was expected, what was found. */
export interface ConfigProblem {
  readonly file: string;
  readonly path: string;
  readonly expected: string;
  readonly found: string;
}

/** A config that cannot be used. The message lists every problem at once. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(
      [
        `Invalid config ${file} (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was synthesized:`,
        ...problems.map((p) => `  - ${p.path}: expected ${p.expected}, found ${p.found}`),
      ].join("\n"),
    );
    this.name = "ConfigError";
  }
}

export interface LoadConfigOptions {
  /** Environment name; @default process.env.APP_ENV ?? "prod" */
  readonly environment?: string;
  /** Folder holding `<environment>.json`; @default this folder */
  readonly configDir?: string;
}

/** Reads, parses and validates `app/config/<environment>.json`, throwing a ConfigError that names every problem. */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const environment = options.environment ?? process.env[CONFIG_ENV_VAR] ?? DEFAULT_ENVIRONMENT;
  const configDir = options.configDir ?? CONFIG_DIR;
  const file = path.join(configDir, `${environment}.json`);
  const shown = path.relative(process.cwd(), file) || file;

  if (!/^[a-z][a-z0-9-]*$/.test(environment)) {
    throw new ConfigError(shown, [
      { file: shown, path: CONFIG_ENV_VAR, expected: "an environment name like prod or dev", found: JSON.stringify(environment) },
    ]);
  }

  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const available = listEnvironments(configDir);
    throw new ConfigError(shown, [
      {
        file: shown,
        path: "(file)",
        expected: `an existing file (${CONFIG_ENV_VAR}=${environment}; available: ${available.join(", ") || "none"})`,
        found: (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error),
      },
    ]);
  }

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(shown, [
      { file: shown, path: "(file)", expected: "valid JSON", found: `${(error as Error).message}${locate(text, error as Error)}` },
    ]);
  }

  const result = AppConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(
      shown,
      result.error.issues.flatMap((issue) => describeIssue(shown, raw, issue)),
    );
  }
  return result.data;
}

/** Environments that have a config file in `configDir`. */
export function listEnvironments(configDir: string = CONFIG_DIR): string[] {
  try {
    return readdirSync(configDir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .sort();
  } catch {
    return [];
  }
}

function describeIssue(file: string, raw: unknown, issue: z.core.$ZodIssue): ConfigProblem[] {
  const at = (segments: readonly PropertyKey[]) => segments.map(String).join(".") || "(root)";
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      file,
      path: at([...issue.path, key]),
      expected: `no such key (allowed here: ${allowedKeys(raw, issue.path)})`,
      found: `unknown key "${key}"`,
    }));
  }
  const value = valueAt(raw, issue.path);
  return [{ file, path: at(issue.path), expected: expectation(issue), found: describeValue(value) }];
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return issue.expected;
    case "too_big":
      return `${issue.origin === "string" ? "length " : issue.origin === "array" ? "size " : ""}${issue.inclusive ? "<=" : "<"} ${issue.maximum}`;
    case "too_small":
      return `${issue.origin === "string" ? "length " : issue.origin === "array" ? "size " : ""}${issue.inclusive ? ">=" : ">"} ${issue.minimum}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "invalid_union":
      return "one of the allowed shapes (see app/config/schema.ts)";
    default:
      return issue.message.replace(/^Invalid input: /, "");
  }
}

/** The keys the schema allows at `parentPath`, for the message about an unknown key. */
function allowedKeys(raw: unknown, parentPath: readonly PropertyKey[]): string {
  let schema: z.ZodType | undefined = AppConfigSchema;
  for (let i = 0; schema && i <= parentPath.length; i++) {
    const node = unwrap(schema, valueAt(raw, parentPath.slice(0, i)));
    if (i === parentPath.length) {
      if (node instanceof z.ZodObject) return Object.keys(node.shape).join(", ");
      if (node instanceof z.ZodRecord && node.keyType instanceof z.ZodEnum) return node.keyType.options.join(", ");
      return "see app/config/schema.ts";
    }
    const key = String(parentPath[i]);
    schema = node instanceof z.ZodObject ? node.shape[key] : node instanceof z.ZodRecord ? (node.valueType as z.ZodType) : undefined;
  }
  return "see app/config/schema.ts";
}

/**
 * The schema that describes `value`, looking through optional, nullable, default and pipe wrappers and picking
 * the variant of a discriminated union that `value`'s tag selects (zod's public schema classes only).
 */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return unwrap(schema.unwrap() as z.ZodType, value);
  }
  if (schema instanceof z.ZodPipe) return unwrap(schema.in as z.ZodType, value);
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const discriminator = schema.def.discriminator;
    const tag = (value as Record<string, unknown> | undefined)?.[discriminator];
    const options = schema.options as z.ZodType[];
    const match = options.find((option) => option instanceof z.ZodObject && option.shape[discriminator]?.safeParse(tag).success);
    return unwrap(match ?? options[0], value);
  }
  return schema;
}

function valueAt(raw: unknown, segments: readonly PropertyKey[]): unknown {
  let current: unknown = raw;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the key is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array (${truncate(JSON.stringify(value))})`;
  if (typeof value === "object") return `an object (${truncate(JSON.stringify(value))})`;
  return `${typeof value} ${truncate(JSON.stringify(value))}`;
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** " at line L, column C" for a JSON.parse error that carries a position. */
function locate(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message);
  if (!match) return "";
  const offset = Number(match[1]);
  const before = text.slice(0, offset).split("\n");
  return ` (line ${before.length}, column ${before[before.length - 1].length + 1})`;
}
