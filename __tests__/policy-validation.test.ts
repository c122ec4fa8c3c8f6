/**
 * Every IAM policy of every stack, of the app for every config and of the bootstrap app, validated offline
 * against AWS's Service Authorization Reference (tools/lib/policy-validation.ts), and the validator itself
 * shown to reject bad statements.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { listEnvironments } from "../app/config/load";
import { addBootstrapStacks } from "../app/bootstrap";
import { PIPELINE_STACK_ID } from "../app/bootstrap/pipeline-roles";
import { pipelineConfig } from "./support/pipeline";
import { findPolicies, formatFinding, FoundPolicy, IamStatement, validatePolicies, validatePolicy } from "../tools/lib/policy-validation";
import { readSynthesized, SynthesizedFiles, TerraformApp, TerraformJson } from "../tools/lib/terraform-json";
import { synthStacks } from "./support/synth";

/** Resources of a stack that carry a policy argument, by the argument: what findPolicies must find. */
function policyArgumentsOf(json: TerraformJson): string[] {
  const found: string[] = [];
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    for (const [name, config] of Object.entries(byName)) {
      for (const argument of Object.keys(config)) {
        if (argument === "policy" || argument === "assume_role_policy") found.push(`${type}.${name}.${argument}`);
      }
    }
  }
  return found.sort();
}

/** Synthesizes a cdktf App built by `build` into a temp folder and reads every stack the manifest lists. */
function synthAll(build: (app: App, stateDir: string) => void): Pick<SynthesizedFiles, "json" | "stackIds"> {
  const dir = mkdtempSync(join(tmpdir(), "policy-validation-"));
  try {
    const app = new App({ outdir: join(dir, "out"), stackTraces: false });
    build(app, join(dir, "state"));
    app.synth();
    return readSynthesized(join(dir, "out"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("policy validation of the synthesized stacks", () => {
  test.each(listEnvironments())("every policy of every stack (app/config/%s.json) is valid", async (environment) => {
    const synth = synthStacks({ environment });
    try {
      const app = new TerraformApp(synth.json, synth.stackIds);
      const policies = findPolicies(app);
      const expected = synth.stackIds.flatMap((id) => policyArgumentsOf(synth.json[id]).map((p) => `${id} ${p}`));
      const found = policies.map((p) => `${p.stack} ${p.name.replace(/ \(.*\)$/, "")}`).sort();
      expect(found).toEqual(expect.arrayContaining(expected));
      expect(expected.length).toBeGreaterThanOrEqual(10);
      expect(new Set(policies.map((p) => p.kind))).toEqual(new Set(["identity", "trust", "resource"]));
      expect((await validatePolicies(app)).map(formatFinding)).toEqual([]);
    } finally {
      synth.cleanup();
    }
  });

  test.each([
    ["prod", {}],
    ["dev", { oidcProvider: { type: "existing", arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" } }],
  ] as const)(
    "every policy of the bootstrap app's stacks is valid (%s, with the state bucket and the pipeline roles)",
    async (environment, pipeline) => {
      const config = pipelineConfig(environment, pipeline);
      const { json, stackIds } = synthAll((app, stateDir) => addBootstrapStacks(app, { config, stateDir }));
      expect(stackIds).toEqual(expect.arrayContaining(["api-gateway-account", "state-bucket", PIPELINE_STACK_ID]));
      const app = new TerraformApp(json, stackIds);
      expect(new Set(findPolicies(app).map((p) => p.stack))).toEqual(new Set(stackIds));
      expect((await validatePolicies(app)).map(formatFinding)).toEqual([]);
    },
  );

  test("a bad action in a synthesized role policy is reported with its stack, policy, statement and action", async () => {
    const synth = synthStacks({ environment: "prod" });
    try {
      const json = JSON.parse(JSON.stringify(synth.json)) as Record<string, any>;
      const docs = json["compute-stack"].data.aws_iam_policy_document;
      const [id] = Object.keys(docs).filter((k) => k.startsWith("users_access"));
      docs[id].statement[0].actions = ["dynamodb:GetItm"];
      const findings = await validatePolicies(new TerraformApp(json, synth.stackIds));
      expect(findings.map(formatFinding)).toEqual([
        expect.stringMatching(
          /^compute-stack aws_iam_role_policy\.users_policy_[0-9A-F]{8}\.policy \(data\.aws_iam_policy_document\.users_access_[0-9A-F]{8}\) statement UsersTable dynamodb:GetItm: no action of dynamodb matches "GetItm"$/,
        ),
      ]);
    } finally {
      synth.cleanup();
    }
  });

  test("reads a literal JSON policy too, and reports a policy it cannot read", async () => {
    const json: Record<string, TerraformJson> = {
      one: {
        provider: { aws: [{ region: "us-east-1" }] },
        resource: {
          aws_iam_role_policy: {
            literal: {
              role: "r",
              policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Sid: "Traces", Effect: "Allow", Action: "xray:PutTraceSegments", Resource: "arn:aws:dynamodb:us-east-1:1:table/t" }],
              }),
            },
            expression: { role: "r", policy: "${jsonencode(local.policy)}" },
          },
        },
      },
    };
    const findings = (await validatePolicies(new TerraformApp(json, ["one"]))).map(formatFinding);
    expect(findings).toEqual([
      "one aws_iam_role_policy.expression.policy statement - -: cannot be read: neither a policy document reference nor literal JSON: ${jsonencode(local.policy)}",
      'one aws_iam_role_policy.literal.policy statement Traces xray:PutTraceSegments: accepts only Resource "*", found "arn:aws:dynamodb:us-east-1:1:table/t"',
    ]);
  });
});

describe("validatePolicy", () => {
  const TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/prod-service-users";
  const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  const LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/prod-service-users";
  const identity = (statement: IamStatement): FoundPolicy => ({
    stack: "s",
    name: "p",
    kind: "identity",
    statements: [{ Sid: "S", Effect: "Allow", ...statement }],
  });
  const messages = async (policy: FoundPolicy) => (await validatePolicy(policy)).map((f) => `${f.action}: ${f.message}`);

  test.each<[string, FoundPolicy, string]>([
    ["a misspelt action", identity({ Action: "dynamodb:GetItm", Resource: TABLE }), 'dynamodb:GetItm: no action of dynamodb matches "GetItm"'],
    ["an unknown service", identity({ Action: "dynamodbb:GetItem", Resource: TABLE }), 'dynamodbb:GetItem: service "dynamodbb" does not exist'],
    ["no action at all", identity({ Action: "GetItem", Resource: TABLE }), 'GetItem: "GetItem" is not an action'],
    [
      "GetItem on an index",
      identity({ Action: "dynamodb:GetItem", Resource: `${TABLE}/index/byUserId` }),
      "dynamodb:GetItem: no Resource of the statement is a type it accepts (table)",
    ],
    [
      "Query on a KMS key",
      identity({ Action: "dynamodb:Query", Resource: KEY }),
      "dynamodb:Query: no Resource of the statement is a type it accepts (index, table)",
    ],
    [
      "a wildcard-only action on a table",
      identity({ Action: "xray:PutTraceSegments", Resource: TABLE }),
      'xray:PutTraceSegments: accepts only Resource "*"',
    ],
    [
      "GetItem on *",
      identity({ Action: "dynamodb:GetItem", Resource: "*" }),
      'dynamodb:GetItem: Resource "*" for an action that accepts resource types (table): name the resources',
    ],
    [
      "PutLogEvents on the log group (not its streams)",
      identity({ Action: "logs:PutLogEvents", Resource: LOG_GROUP }),
      "logs:PutLogEvents: no Resource of the statement is a type it accepts (log-stream)",
    ],
    [
      "ListBucket on objects",
      identity({ Action: "s3:ListBucket", Resource: "arn:aws:s3:::b/*" }),
      "s3:ListBucket: no Resource of the statement is a type it accepts (accesspoint, bucket)",
    ],
    [
      "a table-level action on a pattern of indexes",
      identity({ Action: "dynamodb:DescribeTable", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/prod-service-*/index/*" }),
      "dynamodb:DescribeTable: no Resource of the statement is a type it accepts (table)",
    ],
    [
      "a resource no action takes",
      identity({ Action: "dynamodb:GetItem", Resource: [TABLE, KEY] }),
      'dynamodb:GetItem: Resource "' + KEY + "\" (kms:key) is accepted by none of the statement's actions",
    ],
    [
      "a misspelt condition key",
      identity({ Action: "dynamodb:GetItem", Resource: TABLE, Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKey": ["k"] } } }),
      'dynamodb:GetItem: condition key "dynamodb:LeadingKey" is neither a global key nor supported by any action of the statement',
    ],
    [
      "a condition key of another action",
      identity({
        Action: "dynamodb:GetItem",
        Resource: TABLE,
        Condition: { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } },
      }),
      'dynamodb:GetItem: condition key "kms:ViaService" is neither a global key nor supported by any action of the statement',
    ],
    [
      "an unknown condition operator",
      identity({ Action: "dynamodb:GetItem", Resource: TABLE, Condition: { StringEqual: { "aws:SourceAccount": "1" } } }),
      '-: unknown condition operator "StringEqual"',
    ],
    [
      "a bad Effect",
      identity({ Effect: "Permit", Action: "dynamodb:GetItem", Resource: TABLE }),
      '-: Effect must be "Allow" or "Deny", found "Permit"',
    ],
    [
      "a Principal in an identity policy",
      identity({ Action: "dynamodb:GetItem", Resource: TABLE, Principal: "*" }),
      "-: an identity policy statement must not name a Principal",
    ],
    ["an identity statement without Resource", identity({ Action: "dynamodb:GetItem" }), "-: an identity policy statement must name a Resource"],
    [
      "a trust policy without Principal",
      { stack: "s", name: "p", kind: "trust", statements: [{ Effect: "Allow", Action: "sts:AssumeRole" }] },
      "-: a trust policy statement must name a Principal",
    ],
    [
      "a trust policy allowing a non-STS action",
      {
        stack: "s",
        name: "p",
        kind: "trust",
        statements: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "lambda:InvokeFunction" }],
      },
      "lambda:InvokeFunction: a trust policy can only allow sts: actions",
    ],
    [
      "a service principal that is no service",
      { stack: "s", name: "p", kind: "trust", statements: [{ Effect: "Allow", Principal: { Service: "lambda" }, Action: "sts:AssumeRole" }] },
      '-: Service principal "lambda" is not of the form IAM accepts',
    ],
    [
      "an unknown principal type",
      { stack: "s", name: "p", kind: "trust", statements: [{ Effect: "Allow", Principal: { Role: "x" }, Action: "sts:AssumeRole" }] },
      '-: unknown principal type "Role"',
    ],
    [
      "an account principal that is no account",
      {
        stack: "s",
        name: "p",
        kind: "resource",
        attachedTo: KEY,
        statements: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::12345:root" }, Action: "kms:Decrypt", Resource: "*" }],
      },
      '-: AWS principal "arn:aws:iam::12345:root" is not of the form IAM accepts',
    ],
    [
      "a key policy action that does not act on keys",
      {
        stack: "s",
        name: "p",
        kind: "resource",
        attachedTo: KEY,
        statements: [{ Effect: "Allow", Principal: { Service: "logs.amazonaws.com" }, Action: "kms:ListAliases", Resource: "*" }],
      },
      'kms:ListAliases: accepts only Resource "*", found "' + KEY + '"',
    ],
  ])("rejects %s", async (_, policy, message) => {
    expect(await messages(policy)).toEqual([expect.stringContaining(message)]);
  });

  test.each<[string, FoundPolicy]>([
    ["Query on an index", identity({ Action: "dynamodb:Query", Resource: `${TABLE}/index/byUserId` })],
    // A wildcard stands for names: these are tables, functions and stages, whatever longer formats it could also reach.
    [
      "DescribeTable on the prefix's tables",
      identity({ Action: "dynamodb:DescribeTable", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/prod-service-*" }),
    ],
    [
      "GetFunction on the prefix's functions",
      identity({ Action: "lambda:GetFunction", Resource: "arn:aws:lambda:us-east-1:123456789012:function:prod-service-*" }),
    ],
    ["apigateway:POST under every REST API", identity({ Action: "apigateway:POST", Resource: "arn:aws:apigateway:us-east-1::/restapis/*" })],
    // wafv2 names API Gateway stages as a resource type of its own, in API Gateway's ARN format.
    [
      "wafv2:AssociateWebACL on stages",
      identity({ Action: "wafv2:AssociateWebACL", Resource: "arn:aws:apigateway:us-east-1::/restapis/*/stages/*" }),
    ],
    [
      "GetItem on probe keys",
      identity({
        Action: "dynamodb:GetItem",
        Resource: TABLE,
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["health#probe"] } },
      }),
    ],
    [
      "kms:Decrypt through DynamoDB",
      identity({ Action: "kms:Decrypt", Resource: KEY, Condition: { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } } }),
    ],
    ["log writes to the group's streams", identity({ Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${LOG_GROUP}:*` })],
    ["X-Ray on *", identity({ Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" })],
    [
      "a key policy with action patterns and an encryption-context condition",
      {
        stack: "s",
        name: "p",
        kind: "resource",
        attachedTo: KEY,
        statements: [
          {
            Effect: "Allow",
            Principal: { Service: "logs.us-east-1.amazonaws.com" },
            Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:Describe*"],
            Resource: "*",
            Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*" } },
          },
        ],
      },
    ],
    [
      "a GitHub OIDC trust policy",
      {
        stack: "s",
        name: "p",
        kind: "trust",
        statements: [
          {
            Effect: "Allow",
            Principal: { Federated: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
              StringLike: { "token.actions.githubusercontent.com:sub": "repo:o/r:ref:refs/heads/main" },
            },
          },
        ],
      },
    ],
    [
      "a TLS-only bucket policy",
      {
        stack: "s",
        name: "p",
        kind: "resource",
        statements: [
          {
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      },
    ],
  ])("accepts %s", async (_, policy) => {
    expect(await messages(policy)).toEqual([]);
  });
});
