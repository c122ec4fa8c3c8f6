/**
 * The one place the tooling makes up what AWS only knows once a resource exists: the account id, ARNs, the ids
 * AWS assigns on create. Every tool that reads the synthesized JSON without AWS needs them (the local run, policy
 * validation, the Terraform harness's stub state and fake STS); each asks for the same ARN formats, made up by the
 * strategy it needs:
 * - `deterministic` (the local run): ids are hashes of the block's address, the same on every run, so a local URL
 *   or ARN is stable; a value it cannot make up is an error.
 * - `opaque` (policy validation): an id AWS assigns, or anything else it cannot know, is OPAQUE, which the
 *   validator matches as a wildcard, so it never passes or fails a policy on a value it made up.
 * - `plausible` (stub remote state for a Terraform plan): every value has the shape the AWS provider accepts; what
 *   cannot be made up becomes `stub`.
 */
import { createHash } from "node:crypto";

/**
 * The account of every made-up ARN, the fake STS's GetCallerIdentity answer and the local run's caller identity:
 * AWS's documentation example account, so it can never be mistaken for a real one.
 */
export const FAKE_ACCOUNT_ID = "123456789012";

/** Stands for a value the `opaque` strategy cannot know: matches any text, and is never the literal `*`. */
export const OPAQUE = "\u0001";

export type ArnStrategy = "deterministic" | "opaque" | "plausible";

/** A resource to make an ARN or id for. */
export interface ArnSubject {
  /** Terraform resource type, e.g. `aws_dynamodb_table`. */
  readonly type: string;
  /** Unique in the app, e.g. `<stack>/<type>/<logical id>`: the seed of every id made up for it. */
  readonly address: string;
  /** Logical id (the key under the type in the JSON). */
  readonly logicalId: string;
  readonly region: string;
  /** The name its ARN carries (ARN_NAME_ARGUMENT's argument, evaluated); undefined when it has none. */
  readonly name: string | undefined;
}

/** The argument holding the name an ARN carries, for the types whose ARN format this file knows. */
const ARN_NAME_ARGUMENT: Readonly<Record<string, string>> = {
  aws_dynamodb_table: "name",
  aws_kms_alias: "name",
  aws_s3_bucket: "bucket",
  aws_sns_topic: "name",
  aws_sqs_queue: "name",
  aws_cloudwatch_log_group: "name",
  aws_lambda_function: "function_name",
  aws_iam_role: "name",
  aws_iam_policy: "name",
  aws_iam_openid_connect_provider: "url",
};

/** Arguments tried, in order, for the name of a resource of a type not in ARN_NAME_ARGUMENT. */
const NAME_ARGUMENTS = ["name", "function_name", "bucket", "table_name", "role_name"];

/** The argument naming a resource of `type` in `config`, undefined when it has none. */
export function nameArgumentOf(type: string, config: Readonly<Record<string, unknown>>): string | undefined {
  const known = ARN_NAME_ARGUMENT[type];
  if (known) return known in config ? known : undefined;
  return NAME_ARGUMENTS.find((key) => key in config);
}

/** Types whose `id` is their name (ARN_NAME_ARGUMENT's argument) rather than an id AWS assigns. */
const NAME_IS_ID = new Set(["aws_dynamodb_table", "aws_lambda_function", "aws_s3_bucket", "aws_iam_role"]);

/** ARNs and ids of made-up resources, in AWS's formats, with the parts AWS assigns made up by one strategy. */
export class FakeArns {
  constructor(
    readonly strategy: ArnStrategy,
    readonly account: string = FAKE_ACCOUNT_ID,
  ) {}

  /** The `arn` attribute of a resource; undefined for a type without a known format under the opaque strategy. */
  arn(subject: ArnSubject): string | undefined {
    const { region } = subject;
    const account = this.account;
    const name = () => this.nameOf(subject);
    switch (subject.type) {
      case "aws_dynamodb_table":
        return this.tableArn(region, name());
      case "aws_kms_key":
        return `arn:aws:kms:${region}:${account}:key/${this.assigned(() => fakeUuid(subject.address))}`;
      case "aws_kms_alias":
        return `arn:aws:kms:${region}:${account}:${name()}`;
      case "aws_s3_bucket":
        return `arn:aws:s3:::${name()}`;
      case "aws_sns_topic":
      case "aws_sqs_queue":
        return `arn:aws:${subject.type.split("_")[1]}:${region}:${account}:${name()}`;
      case "aws_cloudwatch_log_group":
        return this.logGroupArn(region, name());
      case "aws_lambda_function":
        return this.lambdaArn(region, name());
      case "aws_iam_role":
        return `arn:aws:iam::${account}:role/${name()}`;
      case "aws_iam_policy":
        return `arn:aws:iam::${account}:policy/${name()}`;
      case "aws_iam_openid_connect_provider":
        return `arn:aws:iam::${account}:oidc-provider/${name().replace(/^https:\/\//, "")}`;
      case "aws_api_gateway_rest_api":
        return `arn:aws:apigateway:${region}::/restapis/${this.id(subject)}`;
      default: {
        if (this.strategy === "opaque") return undefined;
        const [, service = "service", ...rest] = subject.type.split("_");
        return `arn:aws:${service}:${region}:${account}:${rest.join("-") || "resource"}/${subject.name ?? this.id(subject)}`;
      }
    }
  }

  /** The `id` attribute: the name for a type identified by its name, else an id AWS would assign. */
  id(subject: ArnSubject): string {
    if (NAME_IS_ID.has(subject.type)) return this.nameOf(subject);
    return this.assignedId(subject);
  }

  /** An id AWS assigns on create (`purpose` tells two ids of one resource apart: an API's `root` resource id). */
  assignedId(subject: Pick<ArnSubject, "address">, purpose?: string): string {
    return this.assigned(() => fakeId(purpose ? `${subject.address}/${purpose}` : subject.address));
  }

  tableArn(region: string, tableName: string): string {
    return `arn:aws:dynamodb:${region}:${this.account}:table/${tableName}`;
  }

  logGroupArn(region: string, logGroupName: string): string {
    return `arn:aws:logs:${region}:${this.account}:log-group:${logGroupName}`;
  }

  /** The session of a role assumed under `sessionName` (Lambda names a function's session after the function). */
  assumedRoleArn(roleName: string, sessionName: string): string {
    return `arn:aws:sts::${this.account}:assumed-role/${roleName}/${sessionName}`;
  }

  lambdaArn(region: string, functionName: string): string {
    return `arn:aws:lambda:${region}:${this.account}:function:${functionName}`;
  }

  /** What API Gateway invokes a function by (a Lambda function's `invoke_arn`). */
  invokeArn(region: string, functionArn: string): string {
    return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
  }

  /** An API's `execution_arn`: what its resource policy and a Lambda permission's `source_arn` name. */
  executionArn(region: string, apiId: string): string {
    return `arn:aws:execute-api:${region}:${this.account}:${apiId}`;
  }

  /** A stage's `invoke_url` on AWS. */
  invokeUrl(region: string, apiId: string, stageName: string): string {
    return `https://${apiId}.execute-api.${region}.amazonaws.com/${stageName}`;
  }

  /**
   * What a value that cannot be made up becomes: OPAQUE (opaque), `stub` (plausible), or undefined, for the
   * caller to report as an error (deterministic).
   */
  unknown(): string | undefined {
    return this.strategy === "opaque" ? OPAQUE : this.strategy === "plausible" ? "stub" : undefined;
  }

  private nameOf(subject: ArnSubject): string {
    if (subject.name !== undefined) return subject.name;
    if (this.strategy === "opaque") return OPAQUE;
    if (this.strategy === "plausible") return `stub-${subject.type}-${subject.logicalId}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
    return fakeId(subject.address);
  }

  private assigned(make: () => string): string {
    return this.strategy === "opaque" ? OPAQUE : make();
  }
}

/** A 10-character lower-case id derived from `seed`, like the ids API Gateway assigns. */
export function fakeId(seed: string): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, 10);
}

/** A version-4-shaped UUID derived from `seed`, like a KMS key id. */
export function fakeUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
