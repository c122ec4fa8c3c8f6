/** The graph `npm run diagram` draws: its node and edge types, and the small helpers every part of it shares. */
import type { Block } from "../terraform-json";

export type NodeKind =
  "function" | "table" | "bucket" | "key" | "queue" | "topic" | "api" | "authorizer" | "waf" | "account-settings" | "role" | "monitoring" | "generic";

export interface GraphNode {
  /** Mermaid-safe id, stable across runs: derived from the stack and construct names only. */
  readonly id: string;
  readonly stack: string;
  readonly kind: NodeKind;
  /** Label lines, plain text (the renderer escapes them). */
  readonly lines: readonly string[];
  /** The resources drawn as this node. */
  readonly blocks: readonly Block[];
}

export type EdgeKind = "request" | "cross-stack";

export interface GraphEdge {
  readonly kind: EdgeKind;
  /** A node id, a stack's subgraph id, or CLIENT_ID. */
  readonly from: string;
  readonly to: string;
  /** Label lines, plain text; empty for none. */
  readonly lines: readonly string[];
}

export interface ArchitectureGraph {
  readonly stacks: ReadonlyArray<{ readonly id: string; readonly subgraphId: string; readonly nodes: readonly GraphNode[] }>;
  /** Present when the app has an API: the caller at the start of the request path. */
  readonly client?: { readonly id: string; readonly label: string };
  readonly edges: readonly GraphEdge[];
}

export const CLIENT_ID = "client";

/** The node a block is drawn in, if any. */
export type NodeFinder = (block: Block) => GraphNode | undefined;

/** A Mermaid node id: letters, digits and `_` only. */
export function mermaidId(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

/**
 * A Terraform argument that may be one block or a list of them, as a list. `T` is what the caller knows the
 * items to be (synthesized JSON carries no types).
 */
export function asArray<T = Record<string, unknown>>(value: unknown): T[] {
  if (Array.isArray(value)) return value as T[];
  return value && typeof value === "object" ? [value as T] : [];
}

export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/** `map.get(key)`, creating the entry with `create()` first when it is missing. */
export function entryOf<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  const existing = map.get(key);
  if (existing !== undefined) return existing;
  const created = create();
  map.set(key, created);
  return created;
}
