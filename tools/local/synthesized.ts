/**
 * Reads a synthesized cdktf app (`manifest.json` and each stack's `cdk.tf.json`) and resolves the Terraform
 * references in it, so the local stack runs from exactly what Terraform would deploy.
 *
 * What resolves:
 * - `${<type>.<name>.<attr>}`: the argument of that resource in the same stack (`name`, `function_name`, ...),
 *   or, for attributes only known after apply (`arn`, `invoke_arn`, `id`, ...), a deterministic local value in
 *   account 000000000000 (see computedAttribute).
 * - `${data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>}`: cdktf's cross-stack
 *   references, resolved through the producing stack's `output` block.
 * - `${data.aws_caller_identity.<name>.account_id}` and `${data.aws_region.<name>.name}`.
 * - `${data.aws_iam_policy_document.<name>.json}`: the policy JSON, rendered as the AWS provider does.
 * Anything else (function calls such as `${sha1(...)}`) throws when it is resolved; the local stack only
 * resolves the arguments it uses.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderPolicyDocument } from "./iam/policy-document";

/** The account id of every local ARN. */
export const LOCAL_ACCOUNT_ID = "000000000000";

/** One block of a stack's `cdk.tf.json`, keyed by type, then by logical id. */
export type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** The parts of a stack's `cdk.tf.json` the local stack reads. */
export interface StackJson {
  readonly provider?: { readonly aws?: ReadonlyArray<{ readonly region?: string }> };
  readonly resource?: Blocks;
  readonly data?: Blocks;
  readonly output?: Record<string, { readonly value: unknown }>;
}

export interface SynthesizedStack {
  readonly id: string;
  /** Absolute folder of the stack: relative asset paths (`aws_s3_object.source`) start here. */
  readonly dir: string;
  readonly json: StackJson;
  readonly region: string;
}

/** A resource of the app: where it is, its logical id and its (unresolved) arguments. */
export interface ResourceRef {
  readonly stack: SynthesizedStack;
  readonly type: string;
  readonly name: string;
  readonly config: Record<string, unknown>;
}

export interface SynthesizedAppOptions {
  /** The stage URL that `aws_api_gateway_stage.invoke_url` resolves to. @default the execute-api URL on AWS */
  readonly invokeUrl?: (stageName: string) => string;
}

interface Manifest {
  readonly stacks: Record<string, { readonly workingDirectory: string; readonly synthesizedStackPath: string }>;
}

const REFERENCE = /^(data\.)?([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_-]+))?$/;
const REMOTE_STATE_PREFIX = "cross-stack-reference-input-";

/** A synthesized app read from `outdir`, with a resolver for the references in its JSON. */
export class SynthesizedApp {
  readonly stacks: ReadonlyMap<string, SynthesizedStack>;

  /** `preloaded` replaces what is read from `outdir` (see `withStackJson`). */
  constructor(
    readonly outdir: string,
    private readonly options: SynthesizedAppOptions = {},
    preloaded?: ReadonlyMap<string, SynthesizedStack>,
  ) {
    if (preloaded) {
      this.stacks = preloaded;
      return;
    }
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as Manifest;
    const stacks = new Map<string, SynthesizedStack>();
    for (const [id, entry] of Object.entries(manifest.stacks)) {
      const json = JSON.parse(readFileSync(join(outdir, entry.synthesizedStackPath), "utf8")) as StackJson;
      const region = json.provider?.aws?.[0]?.region;
      if (!region) throw new Error(`Stack ${id} has no aws provider with a region in ${entry.synthesizedStackPath}`);
      stacks.set(id, { id, dir: join(outdir, entry.workingDirectory), json, region });
    }
    this.stacks = stacks;
  }

  /** The same app with one stack's JSON replaced, in memory (e.g. a policy with one action removed). */
  withStackJson(stackId: string, json: StackJson): SynthesizedApp {
    const stacks = new Map(this.stacks);
    stacks.set(stackId, { ...this.stack(stackId), json });
    return new SynthesizedApp(this.outdir, this.options, stacks);
  }

  /** Every resource of this Terraform type, in every stack. */
  resources(type: string): ResourceRef[] {
    return [...this.stacks.values()].flatMap((stack) =>
      Object.entries(stack.json.resource?.[type] ?? {}).map(([name, config]) => ({ stack, type, name, config })),
    );
  }

  /** The resolved value of one argument of a resource; `fallback` when the argument is absent. */
  argument<T = unknown>(resource: ResourceRef, key: string, fallback?: T): T {
    const value = resource.config[key];
    return (value === undefined ? fallback : this.resolve(resource.stack, value)) as T;
  }

  /** The value of an output of a stack, resolved. */
  output(stackId: string, name: string): unknown {
    const stack = this.stack(stackId);
    const output = stack.json.output?.[name];
    if (!output) throw new Error(`Stack ${stackId} has no output "${name}"`);
    return this.resolve(stack, output.value);
  }

  /** `value` with every reference in it resolved, recursively through arrays and objects. */
  resolve(stack: SynthesizedStack, value: unknown): unknown {
    if (typeof value === "string") return this.resolveString(stack, value);
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(stack, v)]));
    }
    return value;
  }

  private stack(id: string): SynthesizedStack {
    const stack = this.stacks.get(id);
    if (!stack) throw new Error(`No stack "${id}" in ${this.outdir}; stacks: ${[...this.stacks.keys()].join(", ")}`);
    return stack;
  }

  private resolveString(stack: SynthesizedStack, text: string): unknown {
    const whole = /^\$\{([^{}]*)\}$/.exec(text);
    if (whole) return this.resolveReference(stack, whole[1]);
    return text.replace(/\$\{([^{}]*)\}/g, (_, expression: string) => String(this.resolveReference(stack, expression)));
  }

  private resolveReference(stack: SynthesizedStack, expression: string): unknown {
    const match = REFERENCE.exec(expression.trim());
    if (!match) throw new Error(`Cannot resolve \${${expression}} locally: only references are supported, not expressions`);
    const [, data, type, name, attribute, key] = match;
    if (data) return this.resolveData(stack, type, name, attribute, key, expression);
    const config = stack.json.resource?.[type]?.[name];
    if (!config) throw new Error(`\${${expression}} in stack ${stack.id} refers to a resource that does not exist`);
    const resource: ResourceRef = { stack, type, name, config };
    const value =
      attribute in config && !COMPUTED_ONLY.has(attribute) ? this.resolve(stack, config[attribute]) : this.computedAttribute(resource, attribute);
    return key === undefined ? value : (value as Record<string, unknown>)?.[key];
  }

  private resolveData(stack: SynthesizedStack, type: string, name: string, attribute: string, key: string | undefined, expression: string): unknown {
    if (type === "terraform_remote_state" && attribute === "outputs" && key && name.startsWith(REMOTE_STATE_PREFIX)) {
      return this.output(name.slice(REMOTE_STATE_PREFIX.length), key);
    }
    if (type === "aws_caller_identity" && attribute === "account_id") return LOCAL_ACCOUNT_ID;
    if (type === "aws_region" && attribute === "name") return stack.region;
    const config = stack.json.data?.[type]?.[name];
    if (type === "aws_iam_policy_document" && attribute === "json" && config) {
      return renderPolicyDocument(this.resolve(stack, config) as Record<string, unknown>, `data.${type}.${name} in stack ${stack.id}`);
    }
    throw new Error(`Cannot resolve \${${expression}} locally: data source ${type} is not emulated`);
  }

  /** A deterministic local value for an attribute Terraform only knows after apply. */
  private computedAttribute(resource: ResourceRef, attribute: string): string {
    const { type, stack } = resource;
    const arg = (key: string): string => String(this.argument(resource, key));
    const region = stack.region;
    if (attribute === "id") return naturalId(resource, arg) ?? localId(`${stack.id}/${type}/${resource.name}`);
    if (type === "aws_api_gateway_rest_api" && attribute === "root_resource_id") {
      return localId(`${stack.id}/${type}/${resource.name}/root`);
    }
    if (type === "aws_api_gateway_rest_api" && attribute === "execution_arn") {
      return `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT_ID}:${this.computedAttribute(resource, "id")}`;
    }
    if (type === "aws_api_gateway_stage" && attribute === "invoke_url") {
      const stageName = arg("stage_name");
      return this.options.invokeUrl?.(stageName) ?? `https://${arg("rest_api_id")}.execute-api.${region}.amazonaws.com/${stageName}`;
    }
    if (type === "aws_lambda_function" && attribute === "invoke_arn") {
      return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${this.computedAttribute(resource, "arn")}/invocations`;
    }
    if (type === "aws_s3_object" && attribute === "version_id") return "local";
    if (attribute === "arn") {
      switch (type) {
        case "aws_lambda_function":
          return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${arg("function_name")}`;
        case "aws_dynamodb_table":
          return `arn:aws:dynamodb:${region}:${LOCAL_ACCOUNT_ID}:table/${arg("name")}`;
        case "aws_s3_bucket":
          return `arn:aws:s3:::${arg("bucket")}`;
        case "aws_iam_role":
          return `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${arg("name")}`;
        case "aws_kms_key": {
          const hex = localId(`${stack.id}/${type}/${resource.name}/key`) + createHash("sha256").update(resource.name).digest("hex").slice(0, 22);
          return `arn:aws:kms:${region}:${LOCAL_ACCOUNT_ID}:key/${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
        }
        case "aws_cloudwatch_log_group":
          return `arn:aws:logs:${region}:${LOCAL_ACCOUNT_ID}:log-group:${arg("name")}`;
        default: {
          const service = type.split("_")[1] ?? "local";
          return `arn:aws:${service}:${region}:${LOCAL_ACCOUNT_ID}:${type}/${this.computedAttribute(resource, "id")}`;
        }
      }
    }
    throw new Error(`Cannot resolve ${type}.${resource.name}.${attribute} in stack ${stack.id}: it is only known after apply and not emulated`);
  }
}

/** Attributes that are never arguments, even when a resource has a key of that name. */
const COMPUTED_ONLY = new Set(["arn", "invoke_arn", "root_resource_id", "execution_arn", "invoke_url", "version_id"]);

/** The id AWS gives a resource when it is one of its arguments (a table's id is its name). */
function naturalId(resource: ResourceRef, arg: (key: string) => string): string | undefined {
  switch (resource.type) {
    case "aws_dynamodb_table":
      return arg("name");
    case "aws_lambda_function":
      return arg("function_name");
    case "aws_s3_bucket":
      return arg("bucket");
    case "aws_iam_role":
      return arg("name");
    default:
      return undefined;
  }
}

/** A 10-character lower-case id derived from `seed`, like the ids API Gateway assigns. */
export function localId(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 10);
}
