/**
 * Turns synthesized stacks into a small graph for a picture: one node per construct that owns something worth
 * drawing (nodes.ts, labelled by labels.ts), the request path (request-path.ts) and the cross-stack references
 * as stack-to-stack edges saying what crosses (cross-stack.ts). tools/diagram.ts renders it as Mermaid.
 *
 * Everything is derived from the JSON: resource types, construct paths, `${...}` references, and
 * `terraform_remote_state` reads followed to the producing stack's outputs. Nothing is keyed on this app's
 * names, so a new construct or resource type shows up as a generic node instead of breaking the picture.
 */
import { Block, TerraformApp, TerraformJson } from "../terraform-json";
import { crossStackEdges } from "./cross-stack";
import { ArchitectureGraph, CLIENT_ID, GraphNode, mermaidId } from "./model";
import { groupNodes } from "./nodes";
import { requestPath } from "./request-path";

export type { ArchitectureGraph, EdgeKind, GraphEdge, GraphNode, NodeKind } from "./model";
export { CLIENT_ID, mermaidId } from "./model";

/** Builds the graph of `stackIds` (in that order) from their synthesized JSON. Pure and deterministic. */
export function buildArchitectureGraph(json: Readonly<Record<string, TerraformJson>>, stackIds: readonly string[]): ArchitectureGraph {
  const app = new TerraformApp(json, stackIds);
  const nodes = groupNodes(app);
  const nodeOf = new Map<string, GraphNode>();
  const key = (block: Block) => `${block.stack}|${block.address}`;
  for (const node of nodes) for (const block of node.blocks) nodeOf.set(key(block), node);

  return {
    stacks: app.stackIds.map((id) => ({ id, subgraphId: mermaidId(id), nodes: nodes.filter((n) => n.stack === id) })),
    client: nodes.some((n) => n.kind === "api") ? { id: CLIENT_ID, label: "client" } : undefined,
    edges: [...requestPath(app, nodes, (block) => nodeOf.get(key(block))), ...crossStackEdges(app)],
  };
}
