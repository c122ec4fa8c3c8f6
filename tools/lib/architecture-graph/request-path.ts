/**
 * The request path as solid edges: client → WAF → what it protects (or client → API), API → the authorizer it
 * guards routes with → its function, API → each function behind a route, and function → each store its IAM
 * policy grants it (labelled with the actions) or its environment names.
 */
import { compare, ResolvedReference, sortedEntries, TerraformApp } from "../terraform-json";
import { byHttpMethod, httpMethodOf, resourcePath } from "./api-routes";
import { CLIENT_ID, entryOf, GraphEdge, GraphNode, NodeFinder, unique } from "./model";
import { policyStatementsOf } from "./policy-statements";
import { counted, wrap } from "./text";
import { DATA_KINDS } from "./vocabulary";

export function requestPath(app: TerraformApp, nodes: readonly GraphNode[], find: NodeFinder): GraphEdge[] {
  const ofKind = (kind: GraphNode["kind"]) => nodes.filter((n) => n.kind === kind);
  const edges = [
    ...entryEdges(app, nodes, find),
    ...ofKind("api").flatMap((api) => [...authorizerEdges(app, api, find), ...routeEdges(app, api, find)]),
    ...ofKind("authorizer").flatMap((authorizer) => authorizerFunctionEdges(app, authorizer, find)),
    ...ofKind("function").flatMap((fn) => storeEdges(app, fn, find)),
  ];
  return dedupe(edges);
}

const request = (from: string, to: string, lines: readonly string[]): GraphEdge => ({ kind: "request", from, to, lines });

/** client → WAF → each resource it is associated with; client → every API no WAF protects. */
function entryEdges(app: TerraformApp, nodes: readonly GraphNode[], find: NodeFinder): GraphEdge[] {
  const edges: GraphEdge[] = [];
  const protectedNodes = new Set<string>();
  for (const waf of nodes.filter((n) => n.kind === "waf")) {
    for (const association of waf.blocks.filter((b) => /web_acl_association$/.test(b.type))) {
      for (const target of app.resolveAll(association.stack, association.config.resource_arn)) {
        const protectedNode = find(target.block);
        if (!protectedNode) continue;
        protectedNodes.add(protectedNode.id);
        edges.push(request(CLIENT_ID, waf.id, ["HTTPS"]), request(waf.id, protectedNode.id, []));
      }
    }
  }
  for (const api of nodes.filter((n) => n.kind === "api" && !protectedNodes.has(n.id))) edges.push(request(CLIENT_ID, api.id, ["HTTPS"]));
  return edges;
}

/** API → each authorizer its methods name, labelled with how many routes it guards. */
function authorizerEdges(app: TerraformApp, api: GraphNode, find: NodeFinder): GraphEdge[] {
  const guarded = new Map<string, number>();
  for (const method of api.blocks.filter((b) => b.type === "aws_api_gateway_method")) {
    for (const target of app.resolveAll(api.stack, method.config.authorizer_id)) {
      const node = find(target.block);
      if (node?.kind === "authorizer") guarded.set(node.id, (guarded.get(node.id) ?? 0) + 1);
    }
  }
  return sortedEntries(Object.fromEntries(guarded)).map(([authorizer, count]) => request(api.id, authorizer, [counted(count, "route")]));
}

/** API → function, labelled with the routes whose integration invokes it: one line per path. */
function routeEdges(app: TerraformApp, api: GraphNode, find: NodeFinder): GraphEdge[] {
  const routesByTarget = new Map<string, Map<string, Set<string>>>();
  for (const integration of api.blocks.filter((b) => b.type === "aws_api_gateway_integration")) {
    const target = functionsOf(app, api.stack, integration.config.uri, find)[0];
    if (!target) continue;
    const path = resourcePath(app, integration.stack, integration.config.resource_id);
    const methods = entryOf(
      entryOf(routesByTarget, target.id, () => new Map()),
      path,
      () => new Set<string>(),
    );
    methods.add(httpMethodOf(app, integration));
  }
  return sortedEntries(Object.fromEntries(routesByTarget)).map(([target, byPath]) =>
    request(
      api.id,
      target,
      sortedEntries(Object.fromEntries(byPath)).map(([path, methods]) => `${[...methods].sort(byHttpMethod).join(", ")} ${path}`),
    ),
  );
}

/** authorizer → the function it invokes. */
function authorizerFunctionEdges(app: TerraformApp, authorizer: GraphNode, find: NodeFinder): GraphEdge[] {
  const targets = authorizer.blocks.flatMap((b) => functionsOf(app, b.stack, b.config.authorizer_uri ?? b.config.authorizer_uri_arn, find));
  return unique(targets.map((n) => n.id)).map((id) => request(authorizer.id, id, ["invokes"]));
}

/** The function nodes `value` refers to, in reference order. */
function functionsOf(app: TerraformApp, stack: string, value: unknown, find: NodeFinder): GraphNode[] {
  return app
    .resolveAll(stack, value)
    .map((r: ResolvedReference) => find(r.block))
    .filter((n): n is GraphNode => n?.kind === "function");
}

/** function → each store its policy grants it (the actions), then → each store only its environment names. */
function storeEdges(app: TerraformApp, fn: GraphNode, find: NodeFinder): GraphEdge[] {
  const granted = grantsOf(app, fn, find);
  const grantEdges = sortedEntries(Object.fromEntries(granted)).map(([target, byAction]) => {
    const actions = sortedEntries(Object.fromEntries(byAction)).map(([action, qualifiers]) =>
      qualifiers.has("") ? action : `${action} (${[...qualifiers].sort(compare).join("; ")})`,
    );
    return request(fn.id, target, wrap(actions, 36));
  });
  const named = environmentReferencesOf(app, fn, find, (id) => granted.has(id));
  const envEdges = sortedEntries(Object.fromEntries(named)).map(([target, names]) => request(fn.id, target, [`env ${names.join(", ")}`]));
  return [...grantEdges, ...envEdges];
}

/**
 * Store node id → action → qualifiers ("index byUserId", "keys health#probe", joined by "; "; "" for an
 * unqualified grant), from the function's Allow statements.
 */
function grantsOf(app: TerraformApp, fn: GraphNode, find: NodeFinder): Map<string, Map<string, Set<string>>> {
  const actionsByTarget = new Map<string, Map<string, Set<string>>>();
  for (const statement of policyStatementsOf(app, fn)) {
    for (const resource of statement.resources) {
      for (const target of app.resolveAll(statement.stack, resource)) {
        const node = find(target.block);
        if (!node || node.id === fn.id || !DATA_KINDS.has(node.kind)) continue;
        const index = /^\/index\/([^/]+)/.exec(target.suffix)?.[1] ?? "";
        const keys = statement.leadingKeys.length > 0 ? `keys ${statement.leadingKeys.join(", ")}` : "";
        const qualifier = [index ? `index ${index}` : "", keys].filter(Boolean).join("; ");
        const byAction = entryOf(actionsByTarget, node.id, () => new Map<string, Set<string>>());
        for (const action of statement.actions) entryOf(byAction, action, () => new Set<string>()).add(qualifier);
      }
    }
  }
  return actionsByTarget;
}

/** Store node id → the names of the function's environment variables that refer to it, leaving out `skip`ped stores. */
function environmentReferencesOf(app: TerraformApp, fn: GraphNode, find: NodeFinder, skip: (id: string) => boolean): Map<string, string[]> {
  const fnBlock = fn.blocks.find((b) => b.type === "aws_lambda_function");
  const variables = ((fnBlock?.config.environment as { variables?: Record<string, unknown> } | undefined)?.variables ?? {}) as Record<
    string,
    unknown
  >;
  const envByTarget = new Map<string, string[]>();
  for (const [name, value] of sortedEntries(variables)) {
    for (const target of app.resolveAll(fn.stack, value)) {
      const node = find(target.block);
      if (!node || !DATA_KINDS.has(node.kind) || skip(node.id)) continue;
      envByTarget.set(node.id, unique([...(envByTarget.get(node.id) ?? []), name]));
    }
  }
  return envByTarget;
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
