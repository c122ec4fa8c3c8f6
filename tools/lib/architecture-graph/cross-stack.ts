/**
 * Cross-stack references as dotted edges: one per producer → consumer stack pair that has at least one
 * `terraform_remote_state` output in use, labelled with what crosses (`table sessions, users: arn, name`).
 * Producers of the same kind that send the same attributes share a line.
 */
import { compare, ResolvedReference, sortedEntries, TerraformApp } from "../terraform-json";
import { entryOf, GraphEdge, mermaidId } from "./model";
import { friendly } from "./text";
import { FRIENDLY } from "./vocabulary";

/** What one producing construct sends: its kind as a label reads it, and the attributes read. */
interface Crossing {
  readonly kind: string;
  /** The top construct of the producing resource; empty for the account id, which belongs to no construct. */
  readonly construct: string;
  readonly attributes: Set<string>;
}

/** Separates the parts of a composite map key; no stack, kind or attribute name holds it. */
const SEP = "\u0000";

export function crossStackEdges(app: TerraformApp): GraphEdge[] {
  return sortedEntries(Object.fromEntries(crossingsByStackPair(app))).map(([pair, crossings]) => {
    const [producer, consumer] = pair.split(SEP);
    return { kind: "cross-stack", from: mermaidId(producer), to: mermaidId(consumer), lines: crossingLines(crossings) };
  });
}

/** `<producer>\0<consumer>` → `<kind>\0<construct>` → what crosses, for every reference read through remote state. */
function crossingsByStackPair(app: TerraformApp): Map<string, Map<string, Crossing>> {
  const crossings = new Map<string, Map<string, Crossing>>();
  for (const consumer of app.stackIds) {
    for (const block of app.blocksOf(consumer)) {
      if (block.type === "terraform_remote_state") continue;
      for (const resolved of app.resolveAll(consumer, block.config)) {
        if (!resolved.crossStack) continue;
        const producers = entryOf(crossings, `${resolved.crossStack.producer}${SEP}${consumer}`, () => new Map<string, Crossing>());
        const { kind, construct } = producerOf(resolved);
        entryOf(producers, `${kind}${SEP}${construct}`, () => ({ kind, construct, attributes: new Set<string>() })).attributes.add(
          resolved.attribute,
        );
      }
    }
  }
  return crossings;
}

function producerOf(resolved: ResolvedReference): { kind: string; construct: string } {
  const kind = friendly(resolved.block.type);
  const construct = resolved.block.type === "aws_caller_identity" ? "" : resolved.block.constructPath[0];
  return { kind, construct };
}

/** One line per kind and attribute list, naming the constructs that send it: `table sessions, users: arn, name`. */
function crossingLines(crossings: ReadonlyMap<string, Crossing>): string[] {
  const constructsByLine = new Map<string, string[]>();
  for (const entry of crossings.values()) {
    const key = `${entry.kind}${SEP}${[...entry.attributes].sort(compare).join(", ")}`;
    constructsByLine.set(key, [...(constructsByLine.get(key) ?? []), entry.construct].filter(Boolean).sort(compare));
  }
  return sortedEntries(Object.fromEntries(constructsByLine)).map(([key, constructs]) => {
    const [kind, attributes] = key.split(SEP);
    if (kind === FRIENDLY.aws_caller_identity) return kind;
    return `${kind}${constructs.length > 0 ? ` ${constructs.join(", ")}` : ""}: ${attributes}`;
  });
}
