/**
 * The IAM of the local run: each function's credentials (as Lambda gives each execution role's session), its
 * role's policies and its resource policy, all from the synthesized JSON, and the record of what was allowed
 * and denied.
 *
 * - `authorize(fn, request)` evaluates a request of a function's role session (DynamoDB, KMS through
 *   DynamoDB, and what Lambda does with the role: log delivery, traces). A denial is printed as one line,
 *   `IAM denied <function> <action> on <resource>: <why>`, and kept in `denials()`.
 * - `mayInvoke(fn, sourceArn, qualifier)` evaluates API Gateway's invocation of a function (or of its alias)
 *   against the function's (or the alias's) resource policy (`aws_lambda_permission`).
 * - `grants()` lists every (function, action, resource) the role policies allow, and every invoke permission
 *   (function, lambda:InvokeFunction, source ARN), and `exercised()` the ones an allowed request used, for the
 *   least-privilege tests.
 * - `usePolicies(app)` reloads every policy from another synthesized app (the mutation test edits the JSON in
 *   memory), keeping the credentials, so running functions are not restarted.
 *
 * Credentials that belong to no function (the fixed local admin key id of tests and tools) are not
 * evaluated: `principalOf` says "admin" for exactly that key id and nothing else.
 */
import { randomBytes } from "node:crypto";
import { LOCAL_AWS_CREDENTIALS } from "../credentials";
import { LOCAL_ARNS, type SynthesizedApp } from "../synthesized";
import type { TableInfo } from "./dynamodb-requests";
import { evaluate, type AuthorizationRequest, type Decision } from "./evaluate";
import type { Policy } from "./policy";
import { policyKey } from "./lambda-resource-policy";
import { functionRoles, lambdaResourcePolicies, tableInfos, type FunctionRole } from "./principals";

/** The environment Lambda gives a function for its role session. */
export interface SessionCredentials {
  readonly AWS_ACCESS_KEY_ID: string;
  readonly AWS_SECRET_ACCESS_KEY: string;
  readonly AWS_SESSION_TOKEN: string;
}

/** One refused request. */
export interface Denial {
  /** The function (for `apigateway`, the function API Gateway could not invoke). */
  readonly function: string;
  readonly action: string;
  readonly resource: string;
  /** Why, in one line: "no statement allows it", "explicit Deny in <policy>/<sid>", "condition ... failed in ...". */
  readonly reason: string;
  readonly kind: "explicit" | "implicit";
  /** For a refused invocation: the execute-api ARN API Gateway invoked from. */
  readonly sourceArn?: string;
}

/**
 * One (function, action, resource) a role policy allows, as written (wildcards kept); or one invoke permission
 * of a function's resource policy, with the source ARN pattern it allows as the resource.
 */
export interface Grant {
  readonly kind: "role policy" | "invoke permission";
  readonly function: string;
  readonly action: string;
  readonly resource: string;
  /** policy/sid of the statement(s) that grant it. */
  readonly statements: readonly string[];
}

/** The key of a grant: "<function> <action> <resource>". */
export const grantKey = (g: { function: string; action: string; resource: string }) => `${g.function} ${g.action} ${g.resource}`;

/** The access key id tests and tools use against the local DynamoDB endpoint; requests with it are not evaluated. */
export const ADMIN_ACCESS_KEY_ID: string = LOCAL_AWS_CREDENTIALS.AWS_ACCESS_KEY_ID;

/** Keys every request context of a role session carries (lower case). */
const PRINCIPAL_KEYS = ["aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:requestedregion", "aws:securetransport", "aws:userid"];

export interface LocalIamOptions {
  /** Receives the one-line denial messages. */
  readonly log: (line: string) => void;
}

/** The local run's IAM state; see the file comment. */
export class LocalIam {
  private roles = new Map<string, FunctionRole>();
  private resourcePolicies = new Map<string, Policy>();
  private tables = new Map<string, TableInfo>();
  /** Invoke permissions as grants, by "<function> <policy>/<sid>". */
  private invokeGrants = new Map<string, Grant>();
  private readonly credentials = new Map<string, SessionCredentials>();
  private readonly byAccessKey = new Map<string, string>();
  private readonly denied: Denial[] = [];
  private readonly used = new Set<string>();

  constructor(
    app: SynthesizedApp,
    private readonly options: LocalIamOptions,
  ) {
    this.usePolicies(app);
    for (const name of this.roles.keys()) {
      const accessKeyId = `ASIA${randomBytes(10).toString("hex").toUpperCase().slice(0, 16)}`;
      const credentials = {
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: randomBytes(30).toString("base64"),
        AWS_SESSION_TOKEN: randomBytes(96).toString("base64"),
      };
      this.credentials.set(name, credentials);
      this.byAccessKey.set(accessKeyId, name);
    }
  }

  /**
   * Reloads every role policy, resource policy and table from `app` (same functions, same credentials); true when
   * any of them differs from the ones it replaces.
   */
  usePolicies(app: SynthesizedApp): boolean {
    const before = this.fingerprint();
    const roles = functionRoles(app);
    if (this.roles.size > 0) {
      const names = roles
        .map((r) => r.functionName)
        .sort()
        .join(",");
      if (names !== [...this.roles.keys()].sort().join(",")) throw new Error(`usePolicies: the app defines other functions (${names})`);
    }
    this.roles = new Map(roles.map((r) => [r.functionName, r]));
    this.resourcePolicies = lambdaResourcePolicies(app, roles);
    this.tables = tableInfos(app);
    this.invokeGrants = new Map();
    for (const [key, policy] of this.resourcePolicies) {
      const functionName = key.split(":")[0];
      for (const statement of policy.statements) {
        const source = statement.conditions.find((c) => c.key.toLowerCase() === "aws:sourcearn")?.values[0] ?? "*";
        for (const action of statement.actions) {
          const where = `${policy.name}/${statement.sid}`;
          this.invokeGrants.set(`${key} ${where}`, {
            kind: "invoke permission",
            function: functionName,
            action,
            resource: source,
            statements: [where],
          });
        }
      }
    }
    return this.fingerprint() !== before;
  }

  /** Everything usePolicies() loads, as one comparable string. */
  private fingerprint(): string {
    return JSON.stringify([[...this.roles], [...this.resourcePolicies], [...this.tables]]);
  }

  /** The credentials environment of a function's role session. */
  credentialsOf(functionName: string): SessionCredentials {
    const credentials = this.credentials.get(functionName);
    if (!credentials) throw new Error(`No execution role for function ${functionName}`);
    return credentials;
  }

  /**
   * Who signed a request: a function (its access key id and session token), "admin" (exactly the local admin
   * key id, without a session token), or undefined (anything else: DynamoDB answers UnrecognizedClientException).
   */
  principalOf(accessKeyId: string, sessionToken: string | undefined): FunctionRole | "admin" | undefined {
    if (accessKeyId === ADMIN_ACCESS_KEY_ID && sessionToken === undefined) return "admin";
    const name = this.byAccessKey.get(accessKeyId);
    if (!name || this.credentials.get(name)!.AWS_SESSION_TOKEN !== sessionToken) return undefined;
    return this.roles.get(name);
  }

  role(functionName: string): FunctionRole {
    const role = this.roles.get(functionName);
    if (!role) throw new Error(`No execution role for function ${functionName}`);
    return role;
  }

  table(name: string): TableInfo | undefined {
    return this.tables.get(name);
  }

  /** Evaluates a request of the function's role session; records the grants used, or the denial (and logs it). */
  authorize(functionName: string, request: Omit<AuthorizationRequest, "modelledKeys"> & { readonly modelledKeys?: ReadonlySet<string> }): Decision {
    const role = this.role(functionName);
    const context = {
      "aws:principalarn": [role.roleArn],
      "aws:principalaccount": [LOCAL_ARNS.account],
      "aws:principaltype": ["AssumedRole"],
      "aws:requestedregion": [role.region],
      "aws:securetransport": ["true"],
      "aws:userid": [`AROA${functionName}:${functionName}`],
      ...request.context,
    };
    const modelledKeys = new Set([...PRINCIPAL_KEYS, ...Object.keys(request.context), ...(request.modelledKeys ?? [])]);
    const decision = evaluate(role.policies, { ...request, context, modelledKeys });
    if (decision.allowed) {
      for (const g of decision.grants) this.used.add(grantKey({ function: functionName, action: g.action, resource: g.resource }));
    } else {
      this.deny({ function: functionName, action: request.action, resource: request.resource, reason: decision.reason, kind: decision.kind });
    }
    return decision;
  }

  /**
   * Whether the resource policy of the function, or of its alias `qualifier`, lets API Gateway invoke it from
   * `sourceArn`; a refusal is a denial. Lambda evaluates an alias's invocation against the alias's policy only.
   */
  mayInvoke(functionName: string, sourceArn: string, qualifier?: string): boolean {
    const role = this.role(functionName);
    const key = policyKey(functionName, qualifier);
    const policy = this.resourcePolicies.get(key);
    const invoked = qualifier === undefined ? role.functionArn : `${role.functionArn}:${qualifier}`;
    const decision = evaluate(policy ? [policy] : [], {
      action: "lambda:InvokeFunction",
      resource: invoked,
      principal: { type: "Service", id: "apigateway.amazonaws.com" },
      context: { "aws:sourcearn": [sourceArn], "aws:sourceaccount": [LOCAL_ARNS.account] },
      modelledKeys: new Set(["aws:sourcearn", "aws:sourceaccount"]),
    });
    if (!decision.allowed) {
      this.deny({
        function: functionName,
        action: "lambda:InvokeFunction",
        resource: invoked,
        reason: `apigateway.amazonaws.com from ${sourceArn}: ${decision.reason === "no statement allows it" ? "no aws_lambda_permission allows it" : decision.reason}`,
        kind: decision.kind,
        sourceArn,
      });
      return false;
    }
    for (const g of decision.grants) {
      const grant = this.invokeGrants.get(`${key} ${g.policy}/${g.sid}`);
      if (grant) this.used.add(grantKey(grant));
    }
    return true;
  }

  /** Every (function, action, resource) the role policies allow, as written, then every invoke permission. */
  grants(): Grant[] {
    const grants = new Map<string, { kind: "role policy"; function: string; action: string; resource: string; statements: string[] }>();
    for (const role of this.roles.values()) {
      for (const policy of role.policies) {
        for (const statement of policy.statements) {
          if (statement.effect !== "Allow" || statement.problems.length > 0) continue;
          for (const action of statement.actions) {
            for (const resource of statement.resources) {
              const grant = { kind: "role policy" as const, function: role.functionName, action, resource };
              const entry = grants.get(grantKey(grant)) ?? { ...grant, statements: [] };
              entry.statements.push(`${policy.name}/${statement.sid}`);
              grants.set(grantKey(grant), entry);
            }
          }
        }
      }
    }
    return [...grants.values(), ...this.invokeGrants.values()];
  }

  /** Keys (`grantKey`) of the grants an allowed request has used. */
  exercised(): ReadonlySet<string> {
    return this.used;
  }

  denials(): readonly Denial[] {
    return this.denied;
  }

  /** Forgets the denials and the grants used so far. */
  reset(): void {
    this.denied.splice(0);
    this.used.clear();
  }

  /** Records a request refused before any policy was evaluated (e.g. an operation the check does not model). */
  refuse(denial: Denial): void {
    this.deny(denial);
  }

  private deny(denial: Denial): void {
    this.denied.push(denial);
    this.options.log(`IAM denied ${denial.function} ${denial.action} on ${denial.resource}: ${denial.reason}`);
  }
}

/** DynamoDB's AccessDeniedException message for a refused request, in AWS's wording. */
export function accessDeniedMessage(role: FunctionRole, action: string, resource: string, kind: "explicit" | "implicit"): string {
  const prefix = `User: ${role.sessionArn} is not authorized to perform: ${action} on resource: ${resource}`;
  return kind === "explicit"
    ? `${prefix} with an explicit deny in an identity-based policy`
    : `${prefix} because no identity-based policy allows the ${action} action`;
}
