/**
 * `npm run generate`: writes every file derived from the code, so a deliberate change is one command and one
 * diff to review. `__tests__/generated.test.ts` fails, naming this command, when a committed file differs from
 * what it would write.
 *
 *   npm run generate             # write what is out of date
 *   npm run generate -- --check  # list what is out of date, change nothing, exit 1 if anything is
 *
 * Each derived file is one GeneratedFile: its path and a function from its current text (README.md keeps
 * hand-written text around its generated blocks) to the text it should have.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DEFAULT_ENVIRONMENT, listEnvironments, loadConfig } from "../app/config/load";
import { BREACHED_PASSWORDS_MODULE, renderBreachedPasswordsModule, SOURCE_PACKAGE } from "./breached-passwords";
import { renderConfigReference } from "./config-reference";
import { renderRoutesTable, replaceRoutesBlock } from "./contract/openapi";
import { README_END_MARKER, README_START_MARKER, renderArchitectureDoc, renderMermaidBlock, replaceReadmeBlock } from "./diagram";
import { synthesizeJson } from "./lib/synthesize";
import type { TerraformJson } from "./lib/terraform-json";
import { renderOpenApiText } from "./openapi";
import { guardFileName, guardOf, renderGuard } from "./replacement-guard";

export const REPO_ROOT = resolve(__dirname, "..");

/** What a staleness failure tells the reader to run. */
export const GENERATE_COMMAND = "npm run generate";

/** One derived file: where it lives and what it should hold. */
export interface GeneratedFile {
  /** Repository-relative path. */
  readonly path: string;
  /** What generated it, for the log line and the failure message. */
  readonly from: string;
  /** The text the file should have, given its current text (undefined when it does not exist). */
  readonly render: (current: string | undefined) => string;
}

/** The synthesized stacks of one environment. */
export interface SynthesizedEnvironment {
  readonly json: Readonly<Record<string, TerraformJson>>;
  readonly stackIds: readonly string[];
}

/** The stacks of every config, synthesized once per call: the input of the diagram and the replacement guards. */
export type GenerateInputs = Readonly<Record<string, SynthesizedEnvironment>>;

/** Synthesizes the stacks of every config in app/config/ (the packages must be built: `npm run package`). */
export function synthesizeInputs(): GenerateInputs {
  return Object.fromEntries(listEnvironments().map((environment) => [environment, synthesizeJson({ config: loadConfig({ environment }) })]));
}

/** Every generated file. Add a generator here and its file is written by the command and checked by the test. */
export function generatedFiles(inputs: GenerateInputs): GeneratedFile[] {
  const main = inputs[DEFAULT_ENVIRONMENT];
  if (!main) throw new Error(`app/config/${DEFAULT_ENVIRONMENT}.json is missing: the diagram is drawn from it`);
  return [
    { path: "docs/openapi.json", from: "the routes, the contract's operations and the handlers' zod schemas", render: () => renderOpenApiText() },
    {
      path: "docs/architecture.md",
      from: `the stacks synthesized with app/config/${DEFAULT_ENVIRONMENT}.json`,
      render: () => renderArchitectureDoc(main.json, main.stackIds, DEFAULT_ENVIRONMENT),
    },
    {
      path: "README.md",
      from: "the synthesized stacks: its diagram block only",
      render: (current) => {
        const updated = replaceReadmeBlock(required("README.md", current), renderMermaidBlock(main.json, main.stackIds));
        if (updated === undefined) throw new Error(`README.md needs the markers ${README_START_MARKER} and ${README_END_MARKER}`);
        return updated;
      },
    },
    { path: "docs/config.md", from: "app/config/schema.ts: each key's type, limits and description", render: () => renderConfigReference() },
    {
      path: "docs/api.md",
      from: "the routes and their contracts: its API table block only",
      render: (current) => replaceRoutesBlock(required("docs/api.md", current), renderRoutesTable()),
    },
    {
      path: BREACHED_PASSWORDS_MODULE,
      from: `the password list of the devDependency ${SOURCE_PACKAGE}: the entries a new password could be, as an xor filter`,
      render: () => renderBreachedPasswordsModule(),
    },
    // One replacement guard per config (tools/replacement-guard.ts): what Terraform would replace, for review.
    ...Object.entries(inputs).map(([environment, { json }]): GeneratedFile => ({
      path: `__tests__/fixtures/${guardFileName(environment)}`,
      from: `the resource addresses and replacement-forcing arguments of app/config/${environment}.json's stacks`,
      render: () => renderGuard(guardOf(json)),
    })),
  ];
}

/** The current text of a file that keeps hand-written text around its generated block; it must exist. */
function required(path: string, current: string | undefined): string {
  if (current === undefined) throw new Error(`${path} does not exist`);
  return current;
}

/** A generated file whose committed text differs from what the generator produces. */
export interface StaleFile {
  readonly path: string;
  readonly expected: string;
  /** Where the texts first differ, for the failure message. */
  readonly difference: string;
}

/** The committed text of `path`, or undefined. */
function committed(root: string, path: string): string | undefined {
  const file = join(root, path);
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/** The first line where `actual` differs from `expected`, both shown. */
export function firstDifference(actual: string | undefined, expected: string): string {
  if (actual === undefined) return "the file does not exist";
  const a = actual.split("\n");
  const e = expected.split("\n");
  const line = a.findIndex((text, i) => text !== e[i]);
  const at = line === -1 ? a.length : line;
  return `first difference at line ${at + 1}:\n  committed: ${a[at] ?? "(end of file)"}\n  generated: ${e[at] ?? "(end of file)"}`;
}

/** The generated files that are out of date in `root`. */
export function staleFiles(files: readonly GeneratedFile[], root: string = REPO_ROOT): StaleFile[] {
  return files.flatMap((file) => {
    const current = committed(root, file.path);
    const expected = file.render(current);
    return current === expected ? [] : [{ path: file.path, expected, difference: firstDifference(current, expected) }];
  });
}

/** The message of a staleness failure: which files, where, and the one command that fixes them. */
export function staleMessage(stale: readonly StaleFile[]): string {
  return [
    `${stale.length} generated file(s) out of date: run \`${GENERATE_COMMAND}\` and commit the result.`,
    ...stale.map((s) => `- ${s.path}: ${s.difference}`),
  ].join("\n");
}

function main(argv: readonly string[]): number {
  const check = argv.includes("--check");
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`Unknown argument(s) ${unknown.join(" ")}. Usage: ${GENERATE_COMMAND} [-- --check]`);
    return 2;
  }
  const files = generatedFiles(synthesizeInputs());
  const stale = staleFiles(files);
  if (check) {
    console.log(stale.length === 0 ? `all ${files.length} generated files are up to date` : staleMessage(stale));
    return stale.length === 0 ? 0 : 1;
  }
  for (const file of files) {
    const update = stale.find((s) => s.path === file.path);
    if (update) writeFileSync(join(REPO_ROOT, file.path), update.expected);
    console.log(`${update ? "wrote    " : "unchanged"} ${file.path} (from ${file.from})`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
