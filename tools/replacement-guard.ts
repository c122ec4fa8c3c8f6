/**
 * The replacement guard: for every config and every stack, each resource's address (`<type>.<name>`) and the
 * values of the arguments whose change makes Terraform replace it (tools/lib/force-new-attributes.ts). A
 * refactor must leave it unchanged; a deliberate change shows up as a small diff of
 * `__tests__/fixtures/replacement-guard.<env>.json`, which __tests__/replacement-guard.test.ts compares.
 *
 * Normalized, so a code edit does not churn the guard: each value of the deployment's `triggers` (digests of the
 * routes and of the references), which changes with every edit of a route and whose change is the point of the
 * resource, becomes `<hash>`. A package object's key is kept as written: it is fixed per function, and a key that
 * changed per build would replace the object (deleting its earlier versions) on every deploy.
 * References (`${aws_x.y.id}`) are kept as written: they name the resource the value comes from.
 *
 * `npm run generate` writes the guard files (tools/generate.ts).
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadConfig } from "../app/config/load";
import { FORCE_NEW_ATTRIBUTES } from "./lib/force-new-attributes";
import { synthesizeJson } from "./lib/synthesize";
import type { TerraformJson } from "./lib/terraform-json";

const REPO_ROOT = resolve(__dirname, "..");
export const GUARD_DIR = join(REPO_ROOT, "__tests__", "fixtures");

/** stack -> address -> replacement-forcing argument -> value (only the arguments that are set). */
export type ReplacementGuard = Record<string, Record<string, Record<string, unknown>>>;

export const guardFileName = (environment: string) => `replacement-guard.${environment}.json`;
export const guardPath = (environment: string) => join(GUARD_DIR, guardFileName(environment));

/** Guard files present in GUARD_DIR, by environment. */
export function guardFileEnvironments(): string[] {
  return readdirSync(GUARD_DIR)
    .map((file) => /^replacement-guard\.(.+)\.json$/.exec(file)?.[1])
    .filter((env): env is string => env !== undefined);
}

/** Replaces the content hashes named in the file comment. */
function normalize(type: string, attribute: string, value: unknown): unknown {
  if (type === "aws_api_gateway_deployment" && attribute === "triggers" && value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).map((key) => [key, "<hash>"]));
  }
  return value;
}

const sorted = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The guard of synthesized stacks; throws naming the table's file for a resource type it does not list. */
export function guardOf(json: Readonly<Record<string, TerraformJson>>): ReplacementGuard {
  const guard: ReplacementGuard = {};
  for (const [stack, stackJson] of Object.entries(json)) {
    const addresses: Record<string, Record<string, unknown>> = {};
    for (const [type, byName] of Object.entries(stackJson.resource ?? {})) {
      const attributes = FORCE_NEW_ATTRIBUTES[type];
      if (!attributes) throw new Error(missingTypeMessage([type]));
      for (const [name, config] of Object.entries(byName)) {
        const values: Record<string, unknown> = {};
        for (const attribute of attributes) {
          if (config[attribute] !== undefined) values[attribute] = normalize(type, attribute, config[attribute]);
        }
        addresses[`${type}.${name}`] = values;
      }
    }
    guard[stack] = sorted(addresses);
  }
  return sorted(guard);
}

/** The failure for resource types the table does not list. */
export function missingTypeMessage(types: readonly string[]): string {
  return `tools/lib/force-new-attributes.ts has no entry for ${types.join(", ")}: add its replacement-forcing (ForceNew) arguments from the provider's schema`;
}

/** Synthesizes the app for one config and returns its guard. */
export function replacementGuard(environment: string): ReplacementGuard {
  return guardOf(synthesizeJson({ config: loadConfig({ environment }) }).json);
}

/** The guard file's text: 2-space JSON with a final newline. */
export const renderGuard = (guard: ReplacementGuard) => `${JSON.stringify(guard, null, 2)}\n`;

/**
 * What changed from `before` to `after`, one line per change: `+ stack address` (added), `- stack address`
 * (removed), `~ stack address attribute: old -> new`. Empty when equal.
 */
export function guardDiff(before: ReplacementGuard, after: ReplacementGuard): string[] {
  const lines: string[] = [];
  const show = (value: unknown) => (value === undefined ? "(unset)" : JSON.stringify(value));
  for (const stack of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const was = before[stack] ?? {};
    const now = after[stack] ?? {};
    for (const address of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
      if (!(address in now)) lines.push(`- ${stack} ${address}`);
      else if (!(address in was)) lines.push(`+ ${stack} ${address}`);
      else {
        for (const attribute of [...new Set([...Object.keys(was[address]), ...Object.keys(now[address])])].sort()) {
          const [a, b] = [show(was[address][attribute]), show(now[address][attribute])];
          if (a !== b) lines.push(`~ ${stack} ${address} ${attribute}: ${a} -> ${b}`);
        }
      }
    }
  }
  return lines;
}
