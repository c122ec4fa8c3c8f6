/**
 * The synthesized app as the local stack reads it: each stack's `cdk.tf.json` (read and resolved by the tooling's
 * one model, tools/lib/terraform-json.ts), its folder and its region, so the local stack runs from exactly what
 * Terraform would deploy.
 *
 * References resolve as TerraformApp.evaluate resolves them, with the deterministic strategy of FakeArns (the
 * same ARNs and ids on every run, in FAKE_ACCOUNT_ID), plus what only the local run renders: a policy document's
 * `json` as the AWS provider renders it, the stage URL the local API serves, and `local` as an S3 object's
 * version. Anything else (function calls such as `${sha1(...)}`) throws when it is resolved; the local stack only
 * resolves the arguments it uses.
 */
import { FakeArns } from "../lib/fake-arns";
import { providerRegion, readSynthesized, TerraformApp, type Block, type EvaluateOptions, type TerraformJson } from "../lib/terraform-json";
import { renderPolicyDocument } from "./iam/policy-document";

export interface SynthesizedStack {
  readonly id: string;
  /** Absolute folder of the stack: relative asset paths (`aws_s3_object.source`) start here. */
  readonly dir: string;
  readonly json: TerraformJson;
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

/** The local run's made-up values: stable across runs, and an error for what it cannot make up. */
export const LOCAL_ARNS = new FakeArns("deterministic");

/** A synthesized app read from `outdir`, with a resolver for the references in its JSON. */
export class SynthesizedApp {
  readonly stacks: ReadonlyMap<string, SynthesizedStack>;
  private readonly model: TerraformApp;
  private readonly evaluation: EvaluateOptions;

  /** `preloaded` replaces what is read from `outdir` (see `withStackJson`). */
  constructor(
    readonly outdir: string,
    private readonly options: SynthesizedAppOptions = {},
    preloaded?: ReadonlyMap<string, SynthesizedStack>,
  ) {
    this.stacks = preloaded ?? readStacks(outdir);
    const stacks = [...this.stacks.values()];
    this.model = new TerraformApp(Object.fromEntries(stacks.map((s) => [s.id, s.json])), [...this.stacks.keys()]);
    this.evaluation = {
      arns: LOCAL_ARNS,
      computed: (block, attribute) => this.localAttribute(block, attribute),
      dataSource: (block, attribute) => this.renderedDataSource(block, attribute),
      unresolved: (expression, _stack, why) => {
        throw new Error(`Cannot resolve \${${expression}} locally: ${why}`);
      },
    };
  }

  /** The same app with one stack's JSON replaced, in memory (e.g. a policy with one action removed). */
  withStackJson(stackId: string, json: TerraformJson): SynthesizedApp {
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
    return this.model.evaluate(stack.id, value, this.evaluation);
  }

  private stack(id: string): SynthesizedStack {
    const stack = this.stacks.get(id);
    if (!stack) throw new Error(`No stack "${id}" in ${this.outdir}; stacks: ${[...this.stacks.keys()].join(", ")}`);
    return stack;
  }

  /** What only the local run knows: the URL its API serves a stage at, and the one version of each S3 object. */
  private localAttribute(block: Block, attribute: string): unknown {
    if (block.type === "aws_api_gateway_stage" && attribute === "invoke_url" && this.options.invokeUrl) {
      return this.options.invokeUrl(String(this.model.evaluate(block.stack, block.config.stage_name, this.evaluation)));
    }
    if (block.type === "aws_s3_object" && attribute === "version_id") return "local";
    return undefined;
  }

  private renderedDataSource(block: Block, attribute: string): unknown {
    if (block.type !== "aws_iam_policy_document" || attribute !== "json") return undefined;
    const config = this.model.evaluate(block.stack, block.config, this.evaluation) as Record<string, unknown>;
    return renderPolicyDocument(config, `${block.address} in stack ${block.stack}`);
  }
}

function readStacks(outdir: string): Map<string, SynthesizedStack> {
  const { stackIds, json, stackDirs } = readSynthesized(outdir);
  const stacks = new Map<string, SynthesizedStack>();
  for (const id of stackIds) {
    const region = providerRegion(json[id]);
    if (!region) throw new Error(`Stack ${id} has no aws provider with a region in ${stackDirs[id]}/cdk.tf.json`);
    stacks.set(id, { id, dir: stackDirs[id], json: json[id], region });
  }
  return stacks;
}
