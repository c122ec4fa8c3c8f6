/** A node's label: a title naming what is deployed, then what else the node holds, wrapped to a few lines. */
import { Block, compare, TerraformApp } from "../terraform-json";
import { asArray, NodeKind } from "./model";
import { counted, countTypes, friendly, literal, wrap } from "./text";
import { ROUTE_PLUMBING } from "./vocabulary";

/** What a label is drawn from. */
export interface LabelInput {
  readonly kind: NodeKind;
  /** The construct (or summary) the node stands for: the title when the primary resource has no literal name. */
  readonly construct: string;
  readonly blocks: readonly Block[];
  /** The resource that names the node (see PRIMARY_TYPES). */
  readonly primary?: Block;
}

/** The parts of a label every kind uses. */
interface LabelContext extends LabelInput {
  readonly app: TerraformApp;
  /** The primary resource's arguments. */
  readonly config: Record<string, unknown>;
  /** The other resources counted by type, leaving out `exclude`d types. */
  others(exclude?: ReadonlySet<string>): string[];
  /** A name argument as deployed, or the construct name when it is not a string. */
  named(value: unknown): string;
}

type LabelOfKind = (context: LabelContext) => string[];

const LABELS: Partial<Record<NodeKind, LabelOfKind>> = {
  function: ({ config, named, others }) => [`λ ${named(config.function_name)}`, ...wrap(others())],
  table: tableLabel,
  bucket: ({ config, named, others }) => [`S3 ${named(config.bucket)}`, ...wrap(others())],
  key: keyLabel,
  api: apiLabel,
  authorizer: ({ config, named }) => [`${String(config.type ?? "").toUpperCase() || "Lambda"} authorizer`, named(config.name)],
  waf: wafLabel,
  "account-settings": accountSettingsLabel,
  monitoring: ({ blocks }) => ["monitoring", ...wrap(countTypes(blocks))],
};

export function labelOf(app: TerraformApp, input: LabelInput): string[] {
  const { blocks, primary, construct } = input;
  const context: LabelContext = {
    ...input,
    app,
    config: (primary?.config ?? {}) as Record<string, unknown>,
    others: (exclude = new Set()) => countTypes(blocks.filter((b) => b !== primary && !exclude.has(b.type))),
    named: (value) => literal(app, primary?.stack ?? "", value) || construct,
  };
  return (LABELS[input.kind] ?? genericLabel)(context);
}

/** GSIs, TTL and streams are what a reader wants to know about a table. */
function tableLabel({ config, named, others }: LabelContext): string[] {
  const features = [
    ...asArray(config.global_secondary_index).map((gsi) => `GSI ${gsi.name}`),
    ...asArray(config.ttl)
      .filter((t) => t.enabled !== false && t.attribute_name)
      .map((t) => `TTL ${t.attribute_name}`),
    ...(config.stream_enabled ? ["stream"] : []),
  ];
  return [`DynamoDB ${named(config.name)}`, ...wrap([...features, ...others()])];
}

/** Titled with its alias when it has one. */
function keyLabel({ app, blocks, config, construct, others }: LabelContext): string[] {
  const alias = blocks.find((b) => b.type === "aws_kms_alias");
  const rotation = config.enable_key_rotation ? ["rotation on"] : [];
  const title = alias ? `KMS key ${literal(app, alias.stack, alias.config.name)}` : `KMS key ${construct}`;
  return [title, ...wrap([...rotation, ...others(new Set(["aws_kms_alias"]))])];
}

/** Stages by name and routes counted (CORS preflights apart); the route plumbing is not listed. */
function apiLabel({ app, blocks, config, primary, named, others }: LabelContext): string[] {
  const allMethods = blocks.filter((b) => b.type === "aws_api_gateway_method");
  const preflights = allMethods.filter((b) => b.config.http_method === "OPTIONS").length;
  const methods = allMethods.length - preflights;
  const stages = blocks
    .filter((b) => b.type === "aws_api_gateway_stage" || b.type === "aws_apigatewayv2_stage")
    .map((b) => `stage ${literal(app, b.stack, b.config.stage_name ?? b.config.name) || b.name}`);
  const routes = [...(methods > 0 ? [counted(methods, "route")] : []), ...(preflights > 0 ? [counted(preflights, "CORS preflight")] : [])];
  const rest = others(new Set([...ROUTE_PLUMBING, "aws_api_gateway_stage", "aws_apigatewayv2_stage"]));
  const title = primary?.type === "aws_api_gateway_rest_api" ? "API Gateway REST API" : "API Gateway API";
  return [`${title} ${named(config.name)}`, ...wrap([...stages, ...routes]), ...wrap(rest)];
}

/** The rule names, sorted. */
function wafLabel({ config, named, others }: LabelContext): string[] {
  const rules = asArray(config.rule)
    .map((r) => String(r.name))
    .sort(compare);
  return [`WAFv2 web ACL ${named(config.name)}`, ...wrap(rules.length > 0 ? [`rules: ${rules.join(", ")}`] : []), ...wrap(others())];
}

/** The account-wide settings and the CloudWatch role they name. */
function accountSettingsLabel({ app, blocks, construct, others }: LabelContext): string[] {
  const role = blocks.find((b) => b.type === "aws_iam_role");
  return [
    "API Gateway account settings",
    ...(role ? [`CloudWatch role ${literal(app, role.stack, role.config.name) || construct}`] : []),
    ...wrap(others(new Set(["aws_iam_role"]))),
  ];
}

/** A kind without a label of its own: the primary resource's type and name, or the construct name. */
function genericLabel({ primary, construct, named, others }: LabelContext): string[] {
  return [primary ? `${friendly(primary.type)} ${named(primary.config.name)}` : construct, ...wrap(others())];
}
