/**
 * A function's resource policy as Lambda builds it from the function's `aws_lambda_permission`s: one statement
 * per permission, in the form AddPermission stores and GetPolicy returns it, compact JSON:
 *
 *   {"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"<statement_id>","Effect":"Allow",
 *    "Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction",
 *    "Resource":"arn:aws:lambda:<region>:<account>:function:<name>",
 *    "Condition":{"ArnLike":{"AWS:SourceArn":"<source_arn>"}}}]}
 *
 * - Principal: a service (`*.amazonaws.com`) as `{"Service": ...}`; an account id as its root ARN
 *   `{"AWS":"arn:aws:iam::<id>:root"}`; `*` as `"*"`; any other ARN as `{"AWS": ...}`.
 * - Resource: the function ARN, whether `function_name` is a name or an ARN, with `:<qualifier>` when the
 *   permission has one: Lambda keeps a separate policy per alias or version, and one allows invoking only what
 *   it is attached to (an unqualified permission does not let API Gateway invoke an alias, nor the reverse).
 * - Condition: `source_arn` as `ArnLike AWS:SourceArn`, `source_account` as `StringEquals AWS:SourceAccount`.
 * - `event_source_token`, `principal_org_id` and `function_url_auth_type` are refused (the app uses none).
 *
 * The local IAM evaluates these documents (principals.ts); `resourcePolicySize` measures them against Lambda's
 * limit. Values only known after apply resolve through SynthesizedApp: account 000000000000 has AWS's 12
 * digits and its ids have 10 characters (a REST API id has 10, an authorizer id 6), so a size measured here is
 * what Lambda stores or a few bytes more, never less.
 */
import { FAKE_ACCOUNT_ID } from "../../lib/fake-arns";
import type { ResourceRef, SynthesizedApp } from "../synthesized";

/** Lambda's hard limit on a function's resource policy (AddPermission then fails with PolicyLengthExceededException). */
export const LAMBDA_POLICY_SIZE_LIMIT = 20_480;

/** One function's resource policy, or one of its aliases'. */
export interface LambdaResourcePolicy {
  readonly functionName: string;
  /** The alias or version the policy belongs to; undefined for the function's own. */
  readonly qualifier?: string;
  /** The ARN it allows invoking: the function's, with `:<qualifier>` for an alias's or version's policy. */
  readonly functionArn: string;
  /** The policy document, keys in Lambda's order. */
  readonly document: { readonly Version: string; readonly Id: string; readonly Statement: ReadonlyArray<Record<string, unknown>> };
  /** The permissions it was built from, in statement order. */
  readonly permissions: readonly ResourceRef[];
}

/** Finds the ARN of the function a permission's (resolved) `function_name` names. */
export type FunctionArnOf = (functionNameOrArn: string, permission: ResourceRef) => string;

/**
 * The function's ARN: the app's `aws_lambda_function` of that name if there is one, else the ARN Lambda would
 * give a function of that name in the permission's region.
 */
export function functionArnInApp(app: SynthesizedApp): FunctionArnOf {
  return (target, permission) => {
    if (target.startsWith("arn:")) return target;
    const fn = app.resources("aws_lambda_function").find((f) => app.argument(f, "function_name") === target);
    if (fn) return String(app.resolve(fn.stack, `\${aws_lambda_function.${fn.name}.arn}`));
    return `arn:aws:lambda:${permission.stack.region}:${FAKE_ACCOUNT_ID}:function:${target}`;
  };
}

const UNSUPPORTED = ["event_source_token", "principal_org_id", "function_url_auth_type"];

function principalJson(principal: string): unknown {
  if (principal === "*") return "*";
  if (principal.endsWith(".amazonaws.com")) return { Service: principal };
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  return { AWS: principal };
}

/** The key of a policy in lambdaResourcePolicies: the function name, `<name>:<qualifier>` for an alias's or version's. */
export function policyKey(functionName: string, qualifier?: string): string {
  return qualifier === undefined ? functionName : `${functionName}:${qualifier}`;
}

/** Every resource policy (PolicyKey) from every `aws_lambda_permission` of the app. */
export function lambdaResourcePolicies(app: SynthesizedApp, functionArnOf: FunctionArnOf = functionArnInApp(app)): Map<string, LambdaResourcePolicy> {
  const policies = new Map<
    string,
    { functionName: string; qualifier?: string; functionArn: string; statements: Array<Record<string, unknown>>; permissions: ResourceRef[] }
  >();
  for (const permission of app.resources("aws_lambda_permission")) {
    for (const unsupported of UNSUPPORTED) {
      if (permission.config[unsupported] !== undefined) throw new Error(`aws_lambda_permission ${permission.name}: ${unsupported} is not emulated`);
    }
    const target = app.argument<string>(permission, "function_name");
    const unqualifiedArn = functionArnOf(target, permission);
    const functionName = unqualifiedArn.split(":")[6] ?? target;
    const qualifier = app.argument<string | undefined>(permission, "qualifier", undefined);
    const functionArn = qualifier === undefined ? unqualifiedArn : `${unqualifiedArn}:${qualifier}`;
    const key = policyKey(functionName, qualifier);
    const sourceArn = app.argument<string | undefined>(permission, "source_arn", undefined);
    const sourceAccount = app.argument<string | undefined>(permission, "source_account", undefined);
    const condition: Record<string, Record<string, string>> = {};
    if (sourceAccount !== undefined) condition.StringEquals = { "AWS:SourceAccount": sourceAccount };
    if (sourceArn !== undefined) condition.ArnLike = { "AWS:SourceArn": sourceArn };
    const policy = policies.get(key) ?? { functionName, qualifier, functionArn, statements: [], permissions: [] };
    policy.statements.push({
      Sid: app.argument<string>(permission, "statement_id", permission.name),
      Effect: "Allow",
      Principal: principalJson(app.argument<string>(permission, "principal")),
      Action: app.argument<string>(permission, "action"),
      Resource: functionArn,
      ...(Object.keys(condition).length ? { Condition: condition } : {}),
    });
    policy.permissions.push(permission);
    policies.set(key, policy);
  }
  return new Map(
    [...policies].map(([key, p]) => [
      key,
      {
        functionName: p.functionName,
        ...(p.qualifier === undefined ? {} : { qualifier: p.qualifier }),
        functionArn: p.functionArn,
        document: { Version: "2012-10-17", Id: "default", Statement: p.statements },
        permissions: p.permissions,
      },
    ]),
  );
}

/** Bytes of the policy as Lambda stores it (compact JSON, UTF-8): what LAMBDA_POLICY_SIZE_LIMIT caps. */
export function resourcePolicySize(policy: LambdaResourcePolicy): number {
  return Buffer.byteLength(JSON.stringify(policy.document), "utf8");
}
