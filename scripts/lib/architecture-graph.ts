/**
 * Turns synthesized stacks into a small graph for a picture: one node per construct that owns something worth
 * drawing (a function with its role and log group, a table, the bucket, the key, the REST API, the authorizer,
 * the WAF), monitoring resources folded into one node per stack, the cross-stack references as stack-to-stack
 * edges saying what crosses, and the request path (client → WAF → API → authorizer / functions → tables).
 *
 * Everything is derived from the JSON: resource types, construct paths, `${...}` references, and
 * `terraform_remote_state` reads followed to the producing stack's outputs. Nothing is keyed on this app's
 * names, so a new construct or resource type shows up as a generic node instead of breaking the picture.
 */
import { Block, compare, ResolvedReference, sortedEntries, TerraformApp, TerraformJson } from "./terraform-json";

export type NodeKind =
  | "function"
  | "table"
  | "bucket"
  | "key"
  | "queue"
  | "topic"
  | "api"
  | "authorizer"
  | "waf"
  | "account-settings"
  | "role"
  | "monitoring"
  | "generic";

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

/** Resource types that make up monitoring; drawn as one summary node per stack, wherever their construct is. */
const MONITORING_TYPE = /^aws_(cloudwatch_(metric_alarm|composite_alarm|dashboard|log_metric_filter|metric_stream|anomaly_detector)|sns_topic(_.*)?)$/;

/** Types drawn as their own node even inside a bigger construct: the request path passes through them. */
const OWN_NODE_TYPES: Readonly<Record<string, NodeKind>> = {
  aws_api_gateway_authorizer: "authorizer",
  aws_apigatewayv2_authorizer: "authorizer",
};

/** The resource that names a node and gives its kind, in priority order when a construct holds several. */
const PRIMARY_TYPES: ReadonlyArray<readonly [string, NodeKind]> = [
  ["aws_lambda_function", "function"],
  ["aws_dynamodb_table", "table"],
  ["aws_s3_bucket", "bucket"],
  ["aws_kms_key", "key"],
  ["aws_sqs_queue", "queue"],
  ["aws_api_gateway_rest_api", "api"],
  ["aws_apigatewayv2_api", "api"],
  ["aws_api_gateway_authorizer", "authorizer"],
  ["aws_apigatewayv2_authorizer", "authorizer"],
  ["aws_wafv2_web_acl", "waf"],
  ["aws_api_gateway_account", "account-settings"],
  ["aws_iam_role", "role"],
];

/** Kinds a function's request can reach through its IAM policy or environment: the stores, not the plumbing. */
const DATA_KINDS: ReadonlySet<NodeKind> = new Set(["table", "bucket", "queue", "topic"]);

/** How a resource type reads in a label. Unknown types fall back to the type without `aws_`, spaced. */
const FRIENDLY: Readonly<Record<string, string>> = {
  aws_lambda_function: "λ",
  aws_dynamodb_table: "table",
  aws_s3_bucket: "bucket",
  aws_kms_key: "KMS key",
  aws_kms_alias: "alias",
  aws_sqs_queue: "queue",
  aws_iam_role: "role",
  aws_iam_role_policy: "inline policy",
  aws_iam_role_policy_attachment: "policy attachment",
  aws_iam_policy: "managed policy",
  aws_cloudwatch_log_group: "log group",
  aws_s3_object: "S3 object",
  aws_s3_bucket_ownership_controls: "ownership controls",
  aws_s3_bucket_public_access_block: "public access block",
  aws_s3_bucket_policy: "bucket policy",
  aws_s3_bucket_server_side_encryption_configuration: "encryption",
  aws_s3_bucket_versioning: "versioning",
  aws_s3_bucket_lifecycle_configuration: "lifecycle",
  aws_lambda_permission: "invoke permission",
  aws_api_gateway_deployment: "deployment",
  aws_api_gateway_stage: "stage",
  aws_api_gateway_gateway_response: "gateway response",
  aws_api_gateway_method_settings: "method settings",
  aws_api_gateway_account: "account settings",
  aws_wafv2_web_acl: "web ACL",
  aws_wafv2_web_acl_association: "association",
  aws_cloudwatch_metric_alarm: "alarm",
  aws_cloudwatch_composite_alarm: "composite alarm",
  aws_cloudwatch_dashboard: "dashboard",
  aws_sns_topic: "SNS topic",
  aws_sns_topic_subscription: "subscription",
  aws_sns_topic_policy: "topic policy",
  aws_caller_identity: "account id",
};

/** API Gateway plumbing summarized as "N routes" on the API node instead of being listed. */
const ROUTE_PLUMBING = new Set([
  "aws_api_gateway_resource",
  "aws_api_gateway_method",
  "aws_api_gateway_integration",
  "aws_api_gateway_method_response",
  "aws_api_gateway_integration_response",
]);

const HTTP_METHOD_ORDER = ["ANY", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Builds the graph of `stackIds` (in that order) from their synthesized JSON. Pure and deterministic. */
export function buildArchitectureGraph(json: Readonly<Record<string, TerraformJson>>, stackIds: readonly string[]): ArchitectureGraph {
  const app = new TerraformApp(json, stackIds);
  const nodes = groupNodes(app);
  const nodeOf = new Map<string, GraphNode>();
  for (const node of nodes) for (const block of node.blocks) nodeOf.set(`${block.stack}|${block.address}`, node);
  const find = (block: Block) => nodeOf.get(`${block.stack}|${block.address}`);

  const edges = [...requestPath(app, nodes, find), ...crossStackEdges(app)];
  const hasApi = nodes.some((n) => n.kind === "api");
  return {
    stacks: app.stackIds.map((id) => ({ id, subgraphId: mermaidId(id), nodes: nodes.filter((n) => n.stack === id) })),
    client: hasApi ? { id: CLIENT_ID, label: "client" } : undefined,
    edges,
  };
}

// ------------------------------------------------------------------------------------------------ nodes

function groupNodes(app: TerraformApp): GraphNode[] {
  const nodes: GraphNode[] = [];
  const usedIds = new Set<string>([CLIENT_ID, ...app.stackIds.map(mermaidId)]);
  for (const stack of app.stackIds) {
    const groups = new Map<string, Block[]>();
    const add = (key: string, block: Block) => groups.set(key, [...(groups.get(key) ?? []), block]);
    for (const block of app.blocksOf(stack, "resource")) {
      const own = OWN_NODE_TYPES[block.type];
      if (MONITORING_TYPE.test(block.type)) add("\u0000monitoring", block);
      else if (own) add(`${block.constructPath.slice(0, -1).join("/")}/${own}:${block.name}`, block);
      else add(block.constructPath[0], block);
    }
    // A lone resource of no known kind straight on the stack joins the stack's "other" node.
    for (const [key, blocks] of [...groups]) {
      if (key.startsWith("\u0000") || blocks.length > 1 || primaryOf(blocks)) continue;
      if (blocks[0].constructPath.length > 1) continue;
      groups.delete(key);
      add("\u0000other", blocks[0]);
    }
    // Constructs in name order, then the stack's summary nodes (their keys start with \u0000).
    const isSummary = (key: string) => Number(key.startsWith("\u0000"));
    const ordered = sortedEntries(Object.fromEntries(groups)).sort(([a], [b]) => isSummary(a) - isSummary(b));
    for (const [key, blocks] of ordered) {
      const special = key.startsWith("\u0000") ? key.slice(1) : undefined;
      const primary = primaryOf(blocks);
      const kind: NodeKind = special === "monitoring" ? "monitoring" : primary?.[1] ?? "generic";
      const base = mermaidId(`${stack}__${special ?? key.replace(/:.*$/, "")}`);
      let id = base;
      for (let n = 2; usedIds.has(id); n++) id = `${base}_${n}`;
      usedIds.add(id);
      const construct = special ?? key.split("/")[0];
      nodes.push({ id, stack, kind, blocks, lines: labelOf(app, kind, construct, blocks, primary?.[0]) });
    }
  }
  return nodes;
}

function primaryOf(blocks: readonly Block[]): readonly [Block, NodeKind] | undefined {
  for (const [type, kind] of PRIMARY_TYPES) {
    const block = blocks.find((b) => b.type === type);
    if (block) return [block, kind];
  }
  return undefined;
}

function labelOf(app: TerraformApp, kind: NodeKind, construct: string, blocks: readonly Block[], primary?: Block): string[] {
  const c = (primary?.config ?? {}) as Record<string, any>;
  const others = (exclude: ReadonlySet<string> = new Set()) =>
    countTypes(blocks.filter((b) => b !== primary && !exclude.has(b.type)));
  const named = (value: unknown) => literal(app, primary?.stack ?? "", value) || construct;

  switch (kind) {
    case "function":
      return [`λ ${named(c.function_name)}`, ...wrap(others())];
    case "table": {
      const features = [
        ...asArray(c.global_secondary_index).map((gsi: any) => `GSI ${gsi.name}`),
        ...asArray(c.ttl).filter((t: any) => t.enabled !== false && t.attribute_name).map((t: any) => `TTL ${t.attribute_name}`),
        ...(c.stream_enabled ? ["stream"] : []),
      ];
      return [`DynamoDB ${named(c.name)}`, ...wrap([...features, ...others()])];
    }
    case "bucket":
      return [`S3 ${named(c.bucket)}`, ...wrap(others())];
    case "key": {
      const alias = blocks.find((b) => b.type === "aws_kms_alias");
      const rotation = c.enable_key_rotation ? ["rotation on"] : [];
      const title = alias ? `KMS key ${literal(app, alias.stack, alias.config.name)}` : `KMS key ${construct}`;
      return [title, ...wrap([...rotation, ...others(new Set(["aws_kms_alias"]))])];
    }
    case "api": {
      const allMethods = blocks.filter((b) => b.type === "aws_api_gateway_method");
      const preflights = allMethods.filter((b) => b.config.http_method === "OPTIONS").length;
      const methods = allMethods.length - preflights;
      const stages = blocks
        .filter((b) => b.type === "aws_api_gateway_stage" || b.type === "aws_apigatewayv2_stage")
        .map((b) => `stage ${literal(app, b.stack, b.config.stage_name ?? b.config.name) || b.name}`);
      const routes = [
        ...(methods > 0 ? [`${methods} route${methods === 1 ? "" : "s"}`] : []),
        ...(preflights > 0 ? [`${preflights} CORS preflight${preflights === 1 ? "" : "s"}`] : []),
      ];
      const rest = others(new Set([...ROUTE_PLUMBING, "aws_api_gateway_stage", "aws_apigatewayv2_stage"]));
      const title = primary?.type === "aws_api_gateway_rest_api" ? "API Gateway REST API" : "API Gateway API";
      return [`${title} ${named(c.name)}`, ...wrap([...stages, ...routes]), ...wrap(rest)];
    }
    case "authorizer":
      return [`${String(c.type ?? "").toUpperCase() || "Lambda"} authorizer`, named(c.name)];
    case "waf": {
      const rules = asArray(c.rule).map((r: any) => String(r.name)).sort(compare);
      return [`WAFv2 web ACL ${named(c.name)}`, ...wrap(rules.length > 0 ? [`rules: ${rules.join(", ")}`] : []), ...wrap(others())];
    }
    case "account-settings": {
      const role = blocks.find((b) => b.type === "aws_iam_role");
      return [
        "API Gateway account settings",
        ...(role ? [`CloudWatch role ${literal(app, role.stack, role.config.name) || construct}`] : []),
        ...wrap(others(new Set(["aws_iam_role"]))),
      ];
    }
    case "monitoring":
      return ["monitoring", ...wrap(countTypes(blocks))];
    default:
      return [primary ? `${friendly(primary.type)} ${named(primary.config.name)}` : construct, ...wrap(others())];
  }
}

/** "role", "2 log groups": one entry per type, in type order. */
function countTypes(blocks: readonly Block[]): string[] {
  const counts = new Map<string, number>();
  for (const b of blocks) counts.set(b.type, (counts.get(b.type) ?? 0) + 1);
  return sortedEntries(Object.fromEntries(counts)).map(([type, n]) => (n === 1 ? friendly(type) : `${n} ${plural(friendly(type))}`));
}

function friendly(type: string): string {
  return FRIENDLY[type] ?? type.replace(/^aws_/, "").replace(/_/g, " ");
}

function plural(word: string): string {
  if (/(s|settings)$/.test(word)) return word;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}

/** Joins items into lines of about `width` characters. */
function wrap(items: readonly string[], width = 44): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 2 + item.length <= width) lines[last] += `, ${item}`;
    else lines.push(item);
  }
  return lines;
}

/**
 * A name as it will be deployed, with each interpolation shown as `{attribute}` (`{account_id}`), so labels
 * never hold a hash, a path or a cdktf logical id. Empty for a non-string.
 */
function literal(app: TerraformApp, stack: string, value: unknown): string {
  if (typeof value !== "string") return "";
  return value.replace(/\$\{([^}]*)\}/g, (whole) => {
    const [ref] = app.references(stack, whole);
    const resolved = ref ? app.resolve(stack, ref) : undefined;
    return `{${resolved?.attribute ?? ref?.attribute ?? "…"}}`;
  });
}

function asArray(value: unknown): any[] {
  if (Array.isArray(value)) return value;
  return value && typeof value === "object" ? [value] : [];
}

/** A Mermaid node id: letters, digits and `_` only. */
export function mermaidId(text: string): string {
  return text.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
}

// ----------------------------------------------------------------------------------------- request path

function requestPath(app: TerraformApp, nodes: readonly GraphNode[], find: (b: Block) => GraphNode | undefined): GraphEdge[] {
  const edges: GraphEdge[] = [];
  const nodeOfRef = (r: ResolvedReference | undefined) => (r ? find(r.block) : undefined);

  // client → WAF → what it protects, or client → API.
  const protectedNodes = new Set<string>();
  for (const node of nodes.filter((n) => n.kind === "waf")) {
    for (const association of node.blocks.filter((b) => /web_acl_association$/.test(b.type))) {
      for (const target of app.resolveAll(association.stack, association.config.resource_arn)) {
        const protectedNode = find(target.block);
        if (!protectedNode) continue;
        protectedNodes.add(protectedNode.id);
        edges.push({ kind: "request", from: CLIENT_ID, to: node.id, lines: ["HTTPS"] });
        edges.push({ kind: "request", from: node.id, to: protectedNode.id, lines: [] });
      }
    }
  }
  for (const api of nodes.filter((n) => n.kind === "api" && !protectedNodes.has(n.id))) {
    edges.push({ kind: "request", from: CLIENT_ID, to: api.id, lines: ["HTTPS"] });
  }

  // API → authorizer (the routes it guards) → its function.
  for (const api of nodes.filter((n) => n.kind === "api")) {
    const methods = api.blocks.filter((b) => b.type === "aws_api_gateway_method");
    const guarded = new Map<string, number>();
    for (const method of methods) {
      for (const target of app.resolveAll(api.stack, method.config.authorizer_id)) {
        const node = find(target.block);
        if (node?.kind === "authorizer") guarded.set(node.id, (guarded.get(node.id) ?? 0) + 1);
      }
    }
    for (const [authorizer, count] of sortedEntries(Object.fromEntries(guarded))) {
      edges.push({ kind: "request", from: api.id, to: authorizer, lines: [`${count} route${count === 1 ? "" : "s"}`] });
    }

    // API → function, labelled with the routes whose integration invokes it.
    const routesByTarget = new Map<string, Map<string, Set<string>>>();
    for (const integration of api.blocks.filter((b) => b.type === "aws_api_gateway_integration")) {
      const target = app.resolveAll(api.stack, integration.config.uri).map(nodeOfRef).find((n) => n?.kind === "function");
      if (!target) continue;
      const method = httpMethodOf(app, integration);
      const path = resourcePath(app, integration.stack, integration.config.resource_id);
      const byPath = routesByTarget.get(target.id) ?? new Map<string, Set<string>>();
      byPath.set(path, (byPath.get(path) ?? new Set()).add(method));
      routesByTarget.set(target.id, byPath);
    }
    for (const [target, byPath] of sortedEntries(Object.fromEntries(routesByTarget))) {
      const lines = sortedEntries(Object.fromEntries(byPath)).map(([path, ms]) => `${[...ms].sort(byHttpMethod).join(", ")} ${path}`);
      edges.push({ kind: "request", from: api.id, to: target, lines });
    }
  }
  for (const authorizer of nodes.filter((n) => n.kind === "authorizer")) {
    const targets = authorizer.blocks.flatMap((b) => app.resolveAll(b.stack, b.config.authorizer_uri ?? b.config.authorizer_uri_arn));
    for (const id of unique(targets.map(nodeOfRef).filter((n) => n?.kind === "function").map((n) => n!.id))) {
      edges.push({ kind: "request", from: authorizer.id, to: id, lines: ["invokes"] });
    }
  }

  // function → the stores its IAM policy grants it (labelled with the actions) or its environment names.
  for (const fn of nodes.filter((n) => n.kind === "function")) {
    const actionsByTarget = new Map<string, Map<string, Set<string>>>();
    for (const statement of policyStatementsOf(app, fn)) {
      for (const resource of statement.resources) {
        for (const target of app.resolveAll(statement.stack, resource)) {
          const node = find(target.block);
          if (!node || node.id === fn.id || !DATA_KINDS.has(node.kind)) continue;
          const index = /^\/index\/([^/]+)/.exec(target.suffix)?.[1] ?? "";
          const qualifiers = [index ? `index ${index}` : "", statement.leadingKeys.length > 0 ? `keys ${statement.leadingKeys.join(", ")}` : ""];
          const qualifier = qualifiers.filter(Boolean).join("; ");
          const byAction = actionsByTarget.get(node.id) ?? new Map<string, Set<string>>();
          for (const action of statement.actions) byAction.set(action, (byAction.get(action) ?? new Set()).add(qualifier));
          actionsByTarget.set(node.id, byAction);
        }
      }
    }
    for (const [target, byAction] of sortedEntries(Object.fromEntries(actionsByTarget))) {
      const actions = sortedEntries(Object.fromEntries(byAction)).map(([action, indexes]) =>
        indexes.has("") ? action : `${action} (${[...indexes].sort(compare).join("; ")})`,
      );
      edges.push({ kind: "request", from: fn.id, to: target, lines: wrap(actions, 36) });
    }
    const fnBlock = fn.blocks.find((b) => b.type === "aws_lambda_function");
    const variables = ((fnBlock?.config.environment as any)?.variables ?? {}) as Record<string, unknown>;
    const envByTarget = new Map<string, string[]>();
    for (const [name, value] of sortedEntries(variables)) {
      for (const target of app.resolveAll(fn.stack, value)) {
        const node = find(target.block);
        if (!node || !DATA_KINDS.has(node.kind) || actionsByTarget.has(node.id)) continue;
        envByTarget.set(node.id, unique([...(envByTarget.get(node.id) ?? []), name]));
      }
    }
    for (const [target, names] of sortedEntries(Object.fromEntries(envByTarget))) {
      edges.push({ kind: "request", from: fn.id, to: target, lines: [`env ${names.join(", ")}`] });
    }
  }
  return dedupe(edges);
}

interface Statement {
  readonly stack: string;
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
  /** Partition keys the statement is limited to (`dynamodb:LeadingKeys`); empty when it is not. */
  readonly leadingKeys: readonly string[];
}

/** Allow statements of the policies attached to the function's role: inline (`aws_iam_role_policy`) or a literal JSON policy. */
function policyStatementsOf(app: TerraformApp, fn: GraphNode): Statement[] {
  const functionBlock = fn.blocks.find((b) => b.type === "aws_lambda_function");
  if (!functionBlock) return [];
  const roles = new Set(app.resolveAll(fn.stack, functionBlock.config.role).map((r) => r.block.address));
  const policies = app
    .blocksOf(fn.stack, "resource")
    .filter((b) => b.type === "aws_iam_role_policy" && app.resolveAll(b.stack, b.config.role).some((r) => roles.has(r.block.address)));
  const statements: Statement[] = [];
  for (const policy of policies) {
    const documents = app.resolveAll(policy.stack, policy.config.policy).filter((r) => r.block.type === "aws_iam_policy_document");
    for (const doc of documents) {
      for (const s of asArray(doc.block.config.statement)) {
        if ((s.effect ?? "Allow") !== "Allow") continue;
        const leadingKeys = asArray(s.condition)
          .filter((c) => c.variable === "dynamodb:LeadingKeys")
          .flatMap((c) => asArray(c.values).map(String));
        statements.push({ stack: doc.block.stack, actions: asArray(s.actions).map(shortAction), resources: asArray(s.resources), leadingKeys });
      }
    }
    if (typeof policy.config.policy === "string" && policy.config.policy.trim().startsWith("{")) {
      try {
        const parsed = JSON.parse(policy.config.policy) as { Statement?: unknown };
        for (const s of asArray(parsed.Statement)) {
          if ((s.Effect ?? "Allow") !== "Allow") continue;
          const leadingKeys = Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((byKey) =>
            asArray(byKey["dynamodb:LeadingKeys"]).map(String),
          );
          statements.push({ stack: policy.stack, actions: asArray(s.Action).map(shortAction), resources: asArray(s.Resource), leadingKeys });
        }
      } catch {
        // Not a literal JSON document (an expression); its references were followed above.
      }
    }
  }
  return statements;
}

function shortAction(action: unknown): string {
  return String(action).replace(/^[a-z0-9-]+:/, "");
}

function httpMethodOf(app: TerraformApp, integration: Block): string {
  for (const ref of app.resolveAll(integration.stack, integration.config.http_method)) {
    const method = ref.block.config.http_method;
    if (typeof method === "string" && !method.includes("${")) return method;
  }
  const literalMethod = integration.config.http_method;
  return typeof literalMethod === "string" && !literalMethod.includes("${") ? literalMethod : "ANY";
}

/** `/users/{id}` from a resource id reference, following `parent_id` up to the API's root resource. */
function resourcePath(app: TerraformApp, stack: string, resourceId: unknown, depth = 0): string {
  const [ref] = app.resolveAll(stack, resourceId);
  if (!ref || depth > 32) return "/";
  if (ref.attribute === "root_resource_id") return "";
  if (ref.block.type !== "aws_api_gateway_resource") return "/";
  const parent = resourcePath(app, ref.block.stack, ref.block.config.parent_id, depth + 1);
  return `${parent === "/" ? "" : parent}/${String(ref.block.config.path_part)}`;
}

function byHttpMethod(a: string, b: string): number {
  const rank = (m: string) => (HTTP_METHOD_ORDER.includes(m) ? HTTP_METHOD_ORDER.indexOf(m) : HTTP_METHOD_ORDER.length);
  return rank(a) - rank(b) || compare(a, b);
}

// ----------------------------------------------------------------------------------------- cross-stack

/**
 * One edge per producer → consumer stack pair that has at least one `terraform_remote_state` output in use,
 * labelled with what crosses: `table sessions, users: arn, name`. Producers of the same kind that send the
 * same attributes share a line.
 */
function crossStackEdges(app: TerraformApp): GraphEdge[] {
  const crossings = new Map<string, Map<string, { kind: string; construct: string; attributes: Set<string> }>>();
  for (const consumer of app.stackIds) {
    for (const block of app.blocksOf(consumer)) {
      if (block.type === "terraform_remote_state") continue;
      for (const resolved of app.resolveAll(consumer, block.config)) {
        if (!resolved.crossStack) continue;
        const pair = `${resolved.crossStack.producer}\u0000${consumer}`;
        const producers = crossings.get(pair) ?? new Map();
        const kind = friendly(resolved.block.type);
        const construct = resolved.block.type === "aws_caller_identity" ? "" : resolved.block.constructPath[0];
        const key = `${kind}\u0000${construct}`;
        const entry = producers.get(key) ?? { kind, construct, attributes: new Set<string>() };
        entry.attributes.add(resolved.attribute);
        producers.set(key, entry);
        crossings.set(pair, producers);
      }
    }
  }
  const subgraph = new Map(app.stackIds.map((id) => [id, mermaidId(id)]));
  const edges: GraphEdge[] = [];
  for (const [pair, producers] of sortedEntries(Object.fromEntries(crossings))) {
    const [producer, consumer] = pair.split("\u0000");
    const lines = new Map<string, string[]>();
    for (const entry of producers.values()) {
      const attributes = [...entry.attributes].sort(compare).join(", ");
      const key = `${entry.kind}\u0000${attributes}`;
      lines.set(key, [...(lines.get(key) ?? []), entry.construct].filter(Boolean).sort(compare));
    }
    const label = sortedEntries(Object.fromEntries(lines)).map(([key, constructs]) => {
      const [kind, attributes] = key.split("\u0000");
      if (kind === FRIENDLY.aws_caller_identity) return kind;
      return `${kind}${constructs.length > 0 ? ` ${constructs.join(", ")}` : ""}: ${attributes}`;
    });
    edges.push({ kind: "cross-stack", from: subgraph.get(producer)!, to: subgraph.get(consumer)!, lines: label });
  }
  return edges;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function dedupe(edges: readonly GraphEdge[]): GraphEdge[] {
  const seen = new Set<string>();
  return edges.filter((e) => {
    const key = `${e.kind}|${e.from}|${e.to}|${e.lines.join("\n")}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
