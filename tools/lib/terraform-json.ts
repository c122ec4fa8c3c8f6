/**
 * Read-only helpers over synthesized `cdk.tf.json` documents: the blocks of a stack, the references inside their
 * arguments, and cross-stack references followed through `terraform_remote_state` to the producing stack's
 * resource. Pure functions over plain JSON; nothing here synthesizes, reads files or looks at the environment.
 */

import type { TerraformJson } from "./synthesize";

export type { TerraformJson };

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

/** Name cdktf gives the `terraform_remote_state` a consumer reads a producer's outputs through. */
const REMOTE_STATE_PREFIX = "cross-stack-reference-input-";

const REFERENCE = /(?<![\w.-])(data\.)?([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?/g;

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
    const producer = this.producerOf(block);
    const value = producer ? this.json[producer]?.output?.[ref.output]?.value : undefined;
    if (!producer || value === undefined) return undefined;
    const [inner] = this.references(producer, value);
    const resolved = inner ? this.resolve(producer, inner, depth + 1) : undefined;
    if (!resolved) return undefined;
    return {
      ...resolved,
      suffix: resolved.suffix + ref.suffix,
      crossStack: resolved.crossStack ?? { consumer: stack, producer, output: ref.output },
    };
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
}

/** References in one string; `${...}` interpolations only, so literal text like `logs.us-east-1.amazonaws.com` is ignored. */
export function referencesInString(text: string): Reference[] {
  if (!text.includes("${")) return [];
  const found: Reference[] = [];
  for (const match of text.matchAll(REFERENCE)) {
    const [whole, data, type, name, attribute, output] = match;
    const address = `${data ? "data." : ""}${type}.${name}`;
    const end = (match.index ?? 0) + whole.length;
    const closing = text.indexOf("}", end);
    const next = text.indexOf("${", end);
    const suffix = closing === end ? text.slice(end + 1, next === -1 ? undefined : next) : "";
    const isRemoteOutput = data && type === "terraform_remote_state" && attribute === "outputs";
    found.push({ address, attribute, output: isRemoteOutput ? output : undefined, suffix });
  }
  return found;
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
