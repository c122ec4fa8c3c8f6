/**
 * Who may do what in the local run, read from the synthesized JSON only:
 * - each `aws_lambda_function`'s execution role (its `role` ARN -> the `aws_iam_role` of that name) and the
 *   role's inline `aws_iam_role_policy` documents, resolved (`data.aws_iam_policy_document` rendered);
 * - each function's resource policy, from the `aws_lambda_permission`s naming it;
 * - each table's ARN, partition keys and customer managed key (`server_side_encryption.kms_key_arn`).
 * Managed policy attachments, `inline_policy` blocks and permission boundaries are refused: the local run
 * cannot evaluate them, and guessing would let through what AWS might refuse.
 */
import { lambdaResourcePolicies as lambdaPolicyDocuments } from "./lambda-resource-policy";
import { parsePolicy, type Policy } from "./policy";
import type { TableInfo } from "./dynamodb-requests";
import { LOCAL_ARNS, type ResourceRef, type SynthesizedApp } from "../synthesized";

type Json = Record<string, unknown>;

/** A function's execution role as the local run evaluates it. */
export interface FunctionRole {
  readonly functionName: string;
  readonly functionArn: string;
  readonly region: string;
  readonly roleName: string;
  readonly roleArn: string;
  /** The role session Lambda uses: arn:aws:sts::<account>:assumed-role/<role>/<function>. */
  readonly sessionArn: string;
  readonly policies: readonly Policy[];
  /** `tracing_config.mode` is Active: Lambda sends the traces with the role's credentials. */
  readonly tracingActive: boolean;
  /** The log group Lambda writes the function's logs to, with the role's credentials. */
  readonly logGroupArn: string;
}

const arnOf = (app: SynthesizedApp, resource: ResourceRef) => String(app.resolve(resource.stack, `\${${resource.type}.${resource.name}.arn}`));

/** The execution role of every function, with its inline policies. */
export function functionRoles(app: SynthesizedApp): FunctionRole[] {
  const roles = app.resources("aws_iam_role");
  const rolePolicies = app.resources("aws_iam_role_policy");
  const attachments = app.resources("aws_iam_role_policy_attachment");
  return app.resources("aws_lambda_function").map((fn) => {
    const functionName = app.argument<string>(fn, "function_name");
    const roleArn = app.argument<string>(fn, "role");
    const role = roles.find((r) => arnOf(app, r) === roleArn);
    if (!role) throw new Error(`Function ${functionName}: its role ${roleArn} is not an aws_iam_role of the app`);
    const roleName = app.argument<string>(role, "name");
    for (const unsupported of ["managed_policy_arns", "inline_policy", "permissions_boundary"]) {
      if (role.config[unsupported] !== undefined) {
        throw new Error(`Role ${roleName}: ${unsupported} is not evaluated by the local run; use aws_iam_role_policy`);
      }
    }
    if (attachments.some((a) => app.argument(a, "role") === roleName)) {
      throw new Error(`Role ${roleName}: managed policy attachments are not evaluated by the local run; use aws_iam_role_policy`);
    }
    const policies = rolePolicies
      .filter((p) => app.argument(p, "role") === roleName)
      .map((p) => parsePolicy(app.argument<string>(p, "name", p.name), app.argument<string>(p, "policy")));
    const logging = app.argument<Json>(fn, "logging_config", {});
    const logGroup = typeof logging.log_group === "string" ? logging.log_group : `/aws/lambda/${functionName}`;
    const tracing = app.argument<Json>(fn, "tracing_config", {});
    const region = fn.stack.region;
    return {
      functionName,
      functionArn: arnOf(app, fn),
      region,
      roleName,
      roleArn,
      sessionArn: LOCAL_ARNS.assumedRoleArn(roleName, functionName),
      policies,
      tracingActive: tracing.mode === "Active",
      logGroupArn: LOCAL_ARNS.logGroupArn(region, logGroup),
    };
  });
}

/**
 * Each function's resource policies (its own and each alias's), parsed for the evaluator: built from its
 * `aws_lambda_permission`s as Lambda builds them (lambda-resource-policy.ts). Every permission must name a
 * function of the app. Keyed by `policyKey`: the function name, `<name>:<alias>` for an alias's.
 */
export function lambdaResourcePolicies(app: SynthesizedApp, functions: readonly FunctionRole[]): Map<string, Policy> {
  const policies = lambdaPolicyDocuments(app, (target, permission) => {
    const fn = functions.find((f) => f.functionName === target || f.functionArn === target);
    if (!fn) throw new Error(`aws_lambda_permission ${permission.name}: function ${target} is not a function of the app`);
    return fn.functionArn;
  });
  return new Map([...policies].map(([key, p]) => [key, parsePolicy(`resource policy of ${key}`, p.document)]));
}

/** Every table of the app, by name. */
export function tableInfos(app: SynthesizedApp): Map<string, TableInfo> {
  const tables = new Map<string, TableInfo>();
  for (const table of app.resources("aws_dynamodb_table")) {
    const name = app.argument<string>(table, "name");
    const indexes = app.argument<Json[]>(table, "global_secondary_index", []);
    const localIndexes = app.argument<Json[]>(table, "local_secondary_index", []);
    const hashKey = app.argument<string>(table, "hash_key");
    const sse = app.argument<Json | Json[] | undefined>(table, "server_side_encryption", undefined);
    const encryption = Array.isArray(sse) ? sse[0] : sse;
    const kmsKeyArn = encryption?.enabled === true && typeof encryption.kms_key_arn === "string" ? encryption.kms_key_arn : undefined;
    tables.set(name, {
      name,
      arn: arnOf(app, table),
      partitionKey: hashKey,
      indexes: Object.fromEntries([
        ...indexes.map((i) => [String(i.name), String(i.hash_key)]),
        ...localIndexes.map((i) => [String(i.name), hashKey]),
      ]),
      ...(kmsKeyArn ? { kmsKeyArn } : {}),
    });
  }
  return tables;
}
