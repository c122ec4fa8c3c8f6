/**
 * The one model of the synthesized Terraform JSON (`cdk.tf.json`) for every tool: its type, its reader, and one
 * resolver of the `${...}` references in it, within a stack and across stacks through cdktf's
 * `terraform_remote_state` reads of the producer's outputs. `TerraformApp.resolve` follows a reference to the block
 * that produces the value (the diagram, policy validation); `TerraformApp.evaluate` computes the value itself, with
 * what only AWS knows after apply made up by a FakeArns strategy (fake-arns.ts): deterministic for the local run,
 * opaque for policy validation, plausible for the Terraform harness's stub state.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { nameArgumentOf, type ArnSubject, type FakeArns } from "./fake-arns";

/** A synthesized `cdk.tf.json`: blocks keyed by type and then by logical id. */
export interface TerraformJson {
  readonly terraform?: Record<string, unknown>;
  readonly provider?: Record<string, Array<Record<string, unknown>>>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly output?: Record<string, TerraformOutputJson>;
  readonly locals?: Record<string, unknown>;
  readonly [block: string]: unknown;
}

/** One entry of a stack's `output` block. */
export interface TerraformOutputJson {
  readonly value: unknown;
  readonly description?: string;
  readonly sensitive?: boolean;
  readonly [key: string]: unknown;
}

/** What a synth wrote into its output folder, read back. */
export interface SynthesizedFiles {
  /** Stack ids in the order asked for, else in the manifest's (alphabetical) order. */
  readonly stackIds: readonly string[];
  /** Parsed `cdk.tf.json` of every stack, keyed by stack id. */
  readonly json: Readonly<Record<string, TerraformJson>>;
  /** Absolute folder of each stack's `cdk.tf.json`, where Terraform runs and relative asset paths start. */
  readonly stackDirs: Readonly<Record<string, string>>;
}

/** Reads `manifest.json` and the `cdk.tf.json` of every stack (or of `stackIds`, in that order) from a synth's `outdir`. */
export function readSynthesized(outdir: string, stackIds?: readonly string[]): SynthesizedFiles {
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { workingDirectory: string; synthesizedStackPath: string }>;
  };
  const ids = stackIds ?? Object.keys(manifest.stacks);
  const json: Record<string, TerraformJson> = {};
  const stackDirs: Record<string, string> = {};
  for (const id of ids) {
    const entry = manifest.stacks[id];
    if (!entry) throw new Error(`No stack "${id}" in ${join(outdir, "manifest.json")}; stacks: ${Object.keys(manifest.stacks).join(", ")}`);
    json[id] = JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), "utf8")) as TerraformJson;
    stackDirs[id] = join(outdir, entry.workingDirectory);
  }
  return { stackIds: ids, json, stackDirs };
}

/** The literal region of a stack's first `aws` provider; undefined when it has none or it is an expression. */
export function providerRegion(json: TerraformJson): string | undefined {
  const region = json.provider?.aws?.[0]?.region;
  return typeof region === "string" && !region.includes("${") ? region : undefined;
}

/** The region a stack without a literal provider region is taken to deploy to. */
export const DEFAULT_REGION = "us-east-1";

/** One resource or data source of a stack. */
export interface Block {
  readonly stack: string;
  readonly mode: "resource" | "data";
  readonly type: string;
  /** Logical id: the key under the type in the JSON. */
  readonly name: string;
  /** How other blocks of the stack refer to it: `aws_x.name` or `data.aws_x.name`. */
  readonly address: string;
  /** The construct path below the stack (`["users", "function"]` for `compute-stack/users/function`). */
  readonly constructPath: readonly string[];
  /** The block's arguments, cdktf's `//` metadata removed. */
  readonly config: Readonly<Record<string, unknown>>;
}

/** One `${...}` reference found in an argument. */
export interface Reference {
  /** Address of the referenced block, `aws_x.name` or `data.aws_x.name`. */
  readonly address: string;
  /** The attribute read, e.g. `arn`; `outputs` for a remote state. */
  readonly attribute: string;
  /** For `data.terraform_remote_state.<n>.outputs.<output>`: the output name. */
  readonly output?: string;
  /** The segment after the attribute, if any: the output name of a remote state, a map key otherwise. */
  readonly key?: string;
  /** Literal text right after the interpolation, up to the next one: `/index/byUserId` in `${t.arn}/index/byUserId`. */
  readonly suffix: string;
}

/** A reference followed to the block that produces the value, across stacks when it goes through remote state. */
export interface ResolvedReference {
  readonly block: Block;
  readonly attribute: string;
  readonly suffix: string;
  /** Set when the value crossed a stack boundary: the remote-state read, in the consuming stack. */
  readonly crossStack?: { readonly consumer: string; readonly producer: string; readonly output: string };
}

/** Name cdktf gives the `terraform_remote_state` a consumer reads a producer's outputs through (plus the producer's id). */
export const REMOTE_STATE_PREFIX = "cross-stack-reference-input-";

const REFERENCE_SOURCE = String.raw`(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?`;
/** References anywhere inside an interpolation (`${jsonencode(aws_x.y.arn)}` holds one). */
const REFERENCE = new RegExp(String.raw`(?<![\w.-])${REFERENCE_SOURCE}`, "g");
/** An interpolation that is one reference and nothing else. */
const WHOLE_REFERENCE = new RegExp(`^${REFERENCE_SOURCE}$`);
const INTERPOLATION = /\$\{([^{}]*)\}/g;

/** An index of every block of every stack, with reference resolution across them. */
export class TerraformApp {
  public readonly stackIds: readonly string[];
  private readonly blocks = new Map<string, Map<string, Block>>();

  constructor(
    public readonly json: Readonly<Record<string, TerraformJson>>,
    stackIds: readonly string[],
  ) {
    const missing = stackIds.filter((id) => !json[id]);
    if (missing.length > 0) {
      throw new Error(`stackIds names stacks that are not in json: ${missing.join(", ")} (json has ${Object.keys(json).join(", ")})`);
    }
    this.stackIds = [...stackIds];
    for (const stack of this.stackIds) {
      const index = new Map<string, Block>();
      for (const mode of ["resource", "data"] as const) {
        for (const [type, byName] of sortedEntries(json[stack][mode] ?? {})) {
          for (const [name, raw] of sortedEntries(byName)) {
            const { "//": meta, ...config } = raw;
            const address = mode === "data" ? `data.${type}.${name}` : `${type}.${name}`;
            index.set(address, { stack, mode, type, name, address, constructPath: constructPathOf(meta, stack, name), config });
          }
        }
      }
      this.blocks.set(stack, index);
    }
  }

  /** Every block of a stack, sorted by address. */
  blocksOf(stack: string, mode?: Block["mode"]): Block[] {
    return [...(this.blocks.get(stack)?.values() ?? [])].filter((b) => !mode || b.mode === mode);
  }

  block(stack: string, address: string): Block | undefined {
    return this.blocks.get(stack)?.get(address);
  }

  /** References in `value` (any JSON) to blocks that exist in `stack`, in document order. */
  references(stack: string, value: unknown): Reference[] {
    return stringsIn(value).flatMap((text) => referencesInString(text).filter((ref) => this.block(stack, ref.address)));
  }

  /** The literal region of a stack's `aws` provider, else DEFAULT_REGION. */
  region(stack: string): string {
    return providerRegion(this.json[stack] ?? {}) ?? DEFAULT_REGION;
  }

  /**
   * Follows a reference of `stack` to the block producing the value: a remote-state output is followed to the
   * producer's output value and from there to the producer's block (recursively, should it be a remote state
   * again). Undefined when the target cannot be found.
   */
  resolve(stack: string, ref: Reference, depth = 0): ResolvedReference | undefined {
    const block = this.block(stack, ref.address);
    if (!block || depth > this.stackIds.length) return undefined;
    if (block.type !== "terraform_remote_state" || block.mode !== "data" || !ref.output) {
      return { block, attribute: ref.attribute, suffix: ref.suffix };
    }
    const remote = this.remoteOutput(block, ref.output);
    if (!remote) return undefined;
    const [inner] = this.references(remote.producer, remote.value);
    const resolved = inner ? this.resolve(remote.producer, inner, depth + 1) : undefined;
    if (!resolved) return undefined;
    return {
      ...resolved,
      suffix: resolved.suffix + ref.suffix,
      crossStack: resolved.crossStack ?? { consumer: stack, producer: remote.producer, output: ref.output },
    };
  }

  /** The producer's (unevaluated) value of `output` that a `terraform_remote_state` reads; undefined when there is none. */
  remoteOutput(remoteState: Block, output: string): { readonly producer: string; readonly value: unknown } | undefined {
    const producer = this.producerOf(remoteState);
    const value = producer ? this.json[producer]?.output?.[output]?.value : undefined;
    return producer && value !== undefined ? { producer, value } : undefined;
  }

  /** Every reference in `value`, resolved; unresolvable ones are dropped. */
  resolveAll(stack: string, value: unknown): ResolvedReference[] {
    return this.references(stack, value).flatMap((ref) => this.resolve(stack, ref) ?? []);
  }

  /**
   * The stack a `terraform_remote_state` reads: named by cdktf's data source name, else by the state file's
   * name (`terraform.<stack>.tfstate` locally, `.../<stack>.tfstate` in S3). Undefined when it names no stack.
   */
  producerOf(remoteState: Block): string | undefined {
    const candidates: string[] = [];
    if (remoteState.name.startsWith(REMOTE_STATE_PREFIX)) candidates.push(remoteState.name.slice(REMOTE_STATE_PREFIX.length));
    const config = (remoteState.config.config ?? {}) as { path?: unknown; key?: unknown };
    for (const location of [config.path, config.key]) {
      const file = typeof location === "string" ? (location.split("/").pop() ?? "") : "";
      const match = /^(?:terraform\.)?(.+)\.tfstate$/.exec(file);
      if (match) candidates.push(match[1]);
    }
    return candidates.find((id) => this.stackIds.includes(id));
  }

  /**
   * `value` (any JSON) with every `${...}` in it evaluated, recursively through arrays and objects: a resource's
   * argument is its value in the JSON; an attribute only known after apply (`arn`, `id`, `invoke_arn`, ...) is made
   * up by `options.arns`; a remote-state output is the producer's output value, evaluated in the producer;
   * `data.aws_caller_identity`'s account is the fake account and `data.aws_region`'s name the provider's region. A
   * string that is one interpolation becomes the value itself (a list stays a list), any other string text.
   */
  evaluate(stack: string, value: unknown, options: EvaluateOptions): unknown {
    return this.evaluateIn(stack, value, options, 0);
  }

  private evaluateIn(stack: string, value: unknown, options: EvaluateOptions, depth: number): unknown {
    if (typeof value === "string") {
      const whole = /^\$\{([^{}]*)\}$/.exec(value);
      if (whole) return this.evaluateExpression(stack, whole[1], options, depth);
      return value.replace(INTERPOLATION, (_, expression: string) => String(this.evaluateExpression(stack, expression, options, depth)));
    }
    if (Array.isArray(value)) return value.map((v) => this.evaluateIn(stack, v, options, depth));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.evaluateIn(stack, v, options, depth)]));
    }
    return value;
  }

  private evaluateExpression(stack: string, expression: string, options: EvaluateOptions, depth: number): unknown {
    const fail = (why: string): unknown => {
      if (options.unresolved) return options.unresolved(expression, stack, why);
      const madeUp = options.arns.unknown();
      if (madeUp !== undefined) return madeUp;
      throw new Error(`Cannot resolve \${${expression}} in stack ${stack}: ${why}`);
    };
    if (depth > MAX_EVALUATION_DEPTH) return fail(`references nest more than ${MAX_EVALUATION_DEPTH} deep`);
    const ref = parseReference(expression);
    if (!ref) return fail("only references are supported, not expressions");
    const [type, name] = ref.address.replace(/^data\./, "").split(".");
    const block = this.block(stack, ref.address);
    if (ref.address.startsWith("data.")) {
      if (type === "terraform_remote_state" && ref.output !== undefined) {
        const remote = block && this.remoteOutput(block, ref.output);
        if (!remote) return fail(`no stack it reads has an output "${ref.output}"`);
        return this.evaluateIn(remote.producer, remote.value, options, depth + 1);
      }
      if (type === "aws_caller_identity" && ref.attribute === "account_id") return options.arns.account;
      if (type === "aws_region" && ref.attribute === "name") return this.region(stack);
      const own = block ? options.dataSource?.(block, ref.attribute) : undefined;
      return own !== undefined ? own : fail(`data source ${type} is not emulated`);
    }
    if (!block) return fail("it refers to a resource that does not exist");
    const value =
      ref.attribute in block.config && !COMPUTED_ONLY.has(ref.attribute)
        ? this.evaluateIn(stack, block.config[ref.attribute], options, depth + 1)
        : (options.computed?.(block, ref.attribute) ?? this.computedAttribute(block, ref.attribute, options, depth + 1));
    if (value === undefined) return fail(`${type}.${name}.${ref.attribute} is only known after apply and not emulated`);
    return ref.key === undefined ? value : (value as Record<string, unknown> | undefined)?.[ref.key];
  }

  /** A made-up value of an attribute only known after apply; undefined for one `options.arns` cannot make up. */
  private computedAttribute(block: Block, attribute: string, options: EvaluateOptions, depth: number): string | undefined {
    const { arns } = options;
    const subject = this.arnSubject(block, options, depth);
    const region = subject.region;
    if (attribute === "id") return arns.id(subject);
    if (attribute === "arn") return arns.arn(subject);
    if (block.type === "aws_api_gateway_rest_api" && attribute === "root_resource_id") return arns.assignedId(subject, "root");
    if (block.type === "aws_api_gateway_rest_api" && attribute === "execution_arn") return arns.executionArn(region, arns.id(subject));
    if (block.type === "aws_lambda_function" && attribute === "invoke_arn") {
      const arn = arns.arn(subject);
      return arn === undefined ? undefined : arns.invokeArn(region, arn);
    }
    if (block.type === "aws_lambda_alias" && (attribute === "arn" || attribute === "invoke_arn")) {
      // `<function ARN>:<alias name>`: the function named by the alias's `function_name`, in the alias's region.
      const argument = (key: string) => String(this.evaluateIn(block.stack, block.config[key], options, depth));
      const aliasArn = `${arns.lambdaArn(region, argument("function_name"))}:${argument("name")}`;
      return attribute === "arn" ? aliasArn : arns.invokeArn(region, aliasArn);
    }
    if (block.type === "aws_api_gateway_stage" && attribute === "invoke_url") {
      const argument = (key: string) => String(this.evaluateIn(block.stack, block.config[key], options, depth));
      return arns.invokeUrl(region, argument("rest_api_id"), argument("stage_name"));
    }
    return undefined;
  }

  /** What FakeArns needs of a block; its name is evaluated only when asked for. */
  private arnSubject(block: Block, options: EvaluateOptions, depth: number): ArnSubject {
    const evaluateName = () => {
      const key = nameArgumentOf(block.type, block.config);
      return key === undefined ? undefined : String(this.evaluateIn(block.stack, block.config[key], options, depth));
    };
    return {
      type: block.type,
      address: `${block.stack}/${block.type}/${block.name}`,
      logicalId: block.name,
      region: this.region(block.stack),
      get name() {
        return evaluateName();
      },
    };
  }
}

/** How TerraformApp.evaluate makes up what only AWS knows, and what becomes of what it cannot evaluate. */
export interface EvaluateOptions {
  /** Makes up ARNs, ids and the account, by its strategy. */
  readonly arns: FakeArns;
  /** An attribute only known after apply that the caller makes up itself (a local stage URL); undefined leaves it to `arns`. */
  readonly computed?: (block: Block, attribute: string) => unknown;
  /** A data source's attribute the caller evaluates (a policy document's `json`); undefined when it does not. */
  readonly dataSource?: (block: Block, attribute: string) => unknown;
  /**
   * What an expression that cannot be evaluated becomes (`why` says what is missing).
   * @default what `arns.unknown()` makes up, else an error naming the expression, the stack and why
   */
  readonly unresolved?: (expression: string, stack: string, why: string) => unknown;
}

/** Attributes never read from the arguments, even when a resource has an argument of that name. */
const COMPUTED_ONLY = new Set(["arn", "invoke_arn", "root_resource_id", "execution_arn", "invoke_url", "version_id"]);

/** Deeper than any chain of references a stack can hold: a guard against a cycle in hand-edited JSON. */
const MAX_EVALUATION_DEPTH = 32;

/** The reference an interpolation's body (`aws_x.name.arn`, without `${}`) consists of; undefined for any other expression. */
export function parseReference(expression: string): Reference | undefined {
  const match = WHOLE_REFERENCE.exec(expression.trim());
  if (!match) return undefined;
  return referenceOf(match, "");
}

/** References in one string; `${...}` interpolations only, so literal text like `logs.us-east-1.amazonaws.com` is ignored. */
export function referencesInString(text: string): Reference[] {
  if (!text.includes("${")) return [];
  const found: Reference[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const end = (match.index ?? 0) + match[0].length;
    const closing = text.indexOf("}", end);
    const next = text.indexOf("${", end);
    found.push(referenceOf(match, closing === end ? text.slice(end + 1, next === -1 ? undefined : next) : ""));
  }
  return found;
}

function referenceOf(match: RegExpExecArray | RegExpMatchArray, suffix: string): Reference {
  const [, data, type, name, attribute, key] = match;
  const isRemoteOutput = data && type === "terraform_remote_state" && attribute === "outputs";
  return { address: `${data ? "data." : ""}${type}.${name}`, attribute, output: isRemoteOutput ? key : undefined, key, suffix };
}

/** Every string anywhere in a JSON value, depth first, object keys sorted. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === "object") return sortedEntries(value as Record<string, unknown>).flatMap(([, v]) => stringsIn(v));
  return [];
}

export function sortedEntries<T>(record: Readonly<Record<string, T>>): Array<[string, T]> {
  return Object.entries(record).sort(([a], [b]) => compare(a, b));
}

/** Plain code-unit comparison: the same order on every machine and locale. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function constructPathOf(meta: unknown, stack: string, name: string): string[] {
  const path = (meta as { metadata?: { path?: unknown } } | undefined)?.metadata?.path;
  if (typeof path !== "string") return [name];
  const segments = path.split("/");
  return segments[0] === stack && segments.length > 1 ? segments.slice(1) : segments;
}
