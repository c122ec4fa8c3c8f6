/**
 * The nodes: a stack's resources grouped by the construct right under the stack, with three exceptions. Monitoring
 * resources go to one "monitoring" node per stack, authorizers stay their own node (the request path passes
 * through them), and a lone resource of no known kind straight on the stack joins the stack's "other" node.
 */
import { Block, sortedEntries, TerraformApp } from "../terraform-json";
import { labelOf } from "./labels";
import { CLIENT_ID, GraphNode, mermaidId, NodeKind } from "./model";
import { MONITORING_TYPE, OWN_NODE_TYPES, PRIMARY_TYPES } from "./vocabulary";

/** Group keys of a stack's summary nodes start with this, so they never clash with a construct name. */
const SUMMARY = "\u0000";
const MONITORING_KEY = `${SUMMARY}monitoring`;
const OTHER_KEY = `${SUMMARY}other`;

/** Every node of the app, stack by stack; ids are unique across the app and never CLIENT_ID or a stack's id. */
export function groupNodes(app: TerraformApp): GraphNode[] {
  const usedIds = new Set<string>([CLIENT_ID, ...app.stackIds.map(mermaidId)]);
  return app.stackIds.flatMap((stack) => orderedGroups(groupResources(app, stack)).map(([key, blocks]) => nodeOf(app, stack, key, blocks, usedIds)));
}

/** The resource that names a node and gives its kind, with that kind. */
export function primaryOf(blocks: readonly Block[]): readonly [Block, NodeKind] | undefined {
  for (const [type, kind] of PRIMARY_TYPES) {
    const block = blocks.find((b) => b.type === type);
    if (block) return [block, kind];
  }
  return undefined;
}

/** The stack's resources by group key (see groupKey), lone unknown resources folded into the "other" group. */
function groupResources(app: TerraformApp, stack: string): Map<string, Block[]> {
  const groups = new Map<string, Block[]>();
  const add = (key: string, block: Block) => groups.set(key, [...(groups.get(key) ?? []), block]);
  for (const block of app.blocksOf(stack, "resource")) add(groupKey(block), block);
  for (const [key, blocks] of [...groups]) {
    if (!isLoneUnknown(key, blocks)) continue;
    groups.delete(key);
    add(OTHER_KEY, blocks[0]);
  }
  return groups;
}

/** The monitoring key, `<construct path>/<kind>:<name>` for a type drawn as its own node, or the top construct. */
function groupKey(block: Block): string {
  if (MONITORING_TYPE.test(block.type)) return MONITORING_KEY;
  const own = OWN_NODE_TYPES[block.type];
  if (own) return `${block.constructPath.slice(0, -1).join("/")}/${own}:${block.name}`;
  return block.constructPath[0];
}

/** One resource of no known kind, straight on the stack (not inside a construct). */
function isLoneUnknown(key: string, blocks: readonly Block[]): boolean {
  return !key.startsWith(SUMMARY) && blocks.length === 1 && !primaryOf(blocks) && blocks[0].constructPath.length <= 1;
}

/** Constructs in name order, then the stack's summary nodes. */
function orderedGroups(groups: ReadonlyMap<string, Block[]>): Array<[string, Block[]]> {
  const isSummary = (key: string) => Number(key.startsWith(SUMMARY));
  return sortedEntries(Object.fromEntries(groups)).sort(([a], [b]) => isSummary(a) - isSummary(b));
}

function nodeOf(app: TerraformApp, stack: string, key: string, blocks: Block[], usedIds: Set<string>): GraphNode {
  const summary = key.startsWith(SUMMARY) ? key.slice(SUMMARY.length) : undefined;
  const primary = primaryOf(blocks);
  const kind: NodeKind = summary === "monitoring" ? "monitoring" : (primary?.[1] ?? "generic");
  const id = uniqueId(mermaidId(`${stack}__${summary ?? key.replace(/:.*$/, "")}`), usedIds);
  const construct = summary ?? key.split("/")[0];
  return { id, stack, kind, blocks, lines: labelOf(app, { kind, construct, blocks, primary: primary?.[0] }) };
}

/** `base`, or `base_2`, `base_3`... when taken; records the id it returns. */
function uniqueId(base: string, usedIds: Set<string>): string {
  let id = base;
  for (let n = 2; usedIds.has(id); n++) id = `${base}_${n}`;
  usedIds.add(id);
  return id;
}
