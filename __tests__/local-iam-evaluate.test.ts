/**
 * The local IAM evaluator (tools/local/iam/evaluate.ts), table-driven: the examples of AWS's "Policy evaluation
 * logic" documentation (IAM User Guide: "Policy evaluation for requests within a single account", "The
 * difference between explicit and implicit denies"), the condition operators and set operators the stacks use,
 * and the elements it refuses to guess about (fail closed).
 */
import { arnLike, evaluate, type AuthorizationRequest } from "../tools/local/iam/evaluate";
import { parsePolicy } from "../tools/local/iam/policy";
import { renderPolicyDocument } from "../tools/local/iam/policy-document";

const request = (action: string, resource: string, context: Record<string, string[]> = {}, modelled: string[] = []): AuthorizationRequest => ({
  action,
  resource,
  context,
  modelledKeys: new Set([...Object.keys(context), ...modelled]),
});

const outcome = (policy: unknown, r: AuthorizationRequest) => {
  const decision = evaluate([parsePolicy("test-policy", policy)], r);
  return decision.allowed ? "allow" : `${decision.kind} deny: ${decision.reason}`;
};

describe("evaluate: AWS's policy evaluation examples", () => {
  // IAM User Guide, "Example identity-based and resource-based policy evaluation": the policy of carlossalazar.
  const carlos = {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowS3ListRead",
        Effect: "Allow",
        Action: ["s3:GetBucketLocation", "s3:GetAccountPublicAccessBlock", "s3:ListAccessPoints", "s3:ListAllMyBuckets"],
        Resource: "arn:aws:s3:::*",
      },
      {
        Sid: "AllowS3Self",
        Effect: "Allow",
        Action: "s3:*",
        Resource: ["arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/*", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar"],
      },
      { Sid: "DenyS3Logs", Effect: "Deny", Action: "s3:*", Resource: "arn:aws:s3:::*log*" },
    ],
  };
  // IAM User Guide, "The difference between explicit and implicit denies".
  const getList = {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AllowGetList", Effect: "Allow", Action: ["iam:Get*", "iam:List*"], Resource: "*" },
      { Sid: "DenyReports", Effect: "Deny", Action: "iam:*Report", Resource: "*" },
    ],
  };

  it.each<[string, unknown, AuthorizationRequest, string]>([
    [
      "Carlos saves a file to his logs bucket: DenyS3Logs wins",
      carlos,
      request("s3:PutObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs/a.log"),
      "explicit deny: explicit Deny in test-policy/DenyS3Logs",
    ],
    ["Carlos reads his own bucket", carlos, request("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar/notes.txt"), "allow"],
    ["Carlos lists the location of any bucket", carlos, request("s3:GetBucketLocation", "arn:aws:s3:::another-bucket"), "allow"],
    [
      "an explicit deny beats the list allow on a log bucket",
      carlos,
      request("s3:GetBucketLocation", "arn:aws:s3:::team-logs"),
      "explicit deny: explicit Deny in test-policy/DenyS3Logs",
    ],
    [
      "Carlos writes to another bucket: implicitly denied",
      carlos,
      request("s3:PutObject", "arn:aws:s3:::another-bucket/x"),
      "implicit deny: no statement allows it",
    ],
    ["iam:GetUser is allowed by AllowGetList", getList, request("iam:GetUser", "*"), "allow"],
    ["iam:CreatePolicy is implicitly denied", getList, request("iam:CreatePolicy", "*"), "implicit deny: no statement allows it"],
    [
      "iam:GetOrganizationsAccessReport is explicitly denied",
      getList,
      request("iam:GetOrganizationsAccessReport", "*"),
      "explicit deny: explicit Deny in test-policy/DenyReports",
    ],
    ["action names match case-insensitively", getList, request("IAM:getuser", "*"), "allow"],
  ])("%s", (_, policy, r, expected) => {
    expect(outcome(policy, r)).toBe(expected);
  });
});

describe("evaluate: resources and ARN matching", () => {
  const table = "arn:aws:dynamodb:us-east-1:111122223333:table/users";
  it.each<[string, string, string, boolean]>([
    ["an exact ARN", table, table, true],
    ["an index is not its table", table, `${table}/index/byEmail`, false],
    ["a wildcard inside the resource component", "arn:aws:dynamodb:us-east-1:111122223333:table/users/index/*", `${table}/index/byEmail`, true],
    ["a wildcard does not reach into the account component", "arn:aws:dynamodb:us-east-1:*able/users", table, false],
    [
      "the last component keeps its colons",
      "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*",
      "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:log-stream:s",
      true,
    ],
    ["resources match case-sensitively", table, table.replace("users", "Users"), false],
    ["* matches any resource", "*", table, true],
    ["? matches one character", "arn:aws:dynamodb:us-east-1:111122223333:table/user?", table, true],
  ])("%s", (_, pattern, arn, matches) => {
    expect(arnLike(pattern, arn)).toBe(matches);
  });
});

describe("evaluate: condition operators", () => {
  const statement = (Condition: unknown) => ({
    Version: "2012-10-17",
    Statement: [{ Sid: "Cond", Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*", Condition }],
  });
  const get = (context: Record<string, string[]>, modelled: string[] = []) =>
    request("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/t", context, modelled);
  const leading = { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["health#probe"] } };

  it.each<[string, unknown, AuthorizationRequest, string]>([
    [
      "StringEquals holds",
      { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } },
      get({ "kms:viaservice": ["dynamodb.us-east-1.amazonaws.com"] }),
      "allow",
    ],
    [
      "StringEquals fails on another value",
      { StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } },
      get({ "kms:viaservice": ["s3.us-east-1.amazonaws.com"] }),
      'implicit deny: condition StringEquals kms:ViaService failed (request: ["s3.us-east-1.amazonaws.com"], policy: ["dynamodb.us-east-1.amazonaws.com"]) in test-policy/Cond',
    ],
    [
      "StringEquals fails on an absent key",
      { StringEquals: { "kms:ViaService": "x" } },
      get({}, ["kms:viaservice"]),
      "implicit deny: condition StringEquals kms:ViaService failed (key absent from the request) in test-policy/Cond",
    ],
    ["condition keys match case-insensitively", { StringEquals: { "KMS:VIASERVICE": "x" } }, get({ "kms:viaservice": ["x"] }), "allow"],
    ["StringLike with a wildcard", { StringLike: { "aws:userid": "AROA*:fn" } }, get({ "aws:userid": ["AROAEXAMPLE:fn"] }), "allow"],
    ["StringNotEquals holds on another value", { StringNotEquals: { "aws:userid": "a" } }, get({ "aws:userid": ["b"] }), "allow"],
    [
      "ArnLike on the source ARN",
      { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:us-east-1:1:api/dev/GET/users/*" } },
      get({ "aws:sourcearn": ["arn:aws:execute-api:us-east-1:1:api/dev/GET/users/{id}"] }),
      "allow",
    ],
    [
      "ArnLike refuses another method",
      { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:us-east-1:1:api/dev/GET/users/*" } },
      get({ "aws:sourcearn": ["arn:aws:execute-api:us-east-1:1:api/dev/DELETE/users/me"] }),
      'implicit deny: condition ArnLike AWS:SourceArn failed (request: ["arn:aws:execute-api:us-east-1:1:api/dev/DELETE/users/me"], policy: ["arn:aws:execute-api:us-east-1:1:api/dev/GET/users/*"]) in test-policy/Cond',
    ],
    ["ForAllValues:StringEquals: every leading key allowed", leading, get({ "dynamodb:leadingkeys": ["health#probe"] }), "allow"],
    [
      "ForAllValues:StringEquals: one other key refuses the request",
      leading,
      get({ "dynamodb:leadingkeys": ["health#probe", "user#1"] }),
      'implicit deny: condition ForAllValues:StringEquals dynamodb:LeadingKeys failed (request: ["health#probe","user#1"], policy: ["health#probe"]) in test-policy/Cond',
    ],
    // AWS: "ForAllValues ... also returns true if there are no context keys in the request" (use Null to guard).
    ["ForAllValues holds when the key is absent", leading, get({}, ["dynamodb:leadingkeys"]), "allow"],
    [
      "ForAnyValue:StringEquals needs one match",
      { "ForAnyValue:StringEquals": { "dynamodb:LeadingKeys": ["a"] } },
      get({ "dynamodb:leadingkeys": ["b", "a"] }),
      "allow",
    ],
    [
      "ForAnyValue fails when the key is absent",
      { "ForAnyValue:StringEquals": { "dynamodb:LeadingKeys": ["a"] } },
      get({}, ["dynamodb:leadingkeys"]),
      'implicit deny: condition ForAnyValue:StringEquals dynamodb:LeadingKeys failed (request: absent, policy: ["a"]) in test-policy/Cond',
    ],
    [
      "two keys of one operator are ANDed",
      { StringEquals: { "kms:ViaService": "v", "kms:CallerAccount": "1" } },
      get({ "kms:viaservice": ["v"], "kms:calleraccount": ["2"] }),
      'implicit deny: condition StringEquals kms:CallerAccount failed (request: ["2"], policy: ["1"]) in test-policy/Cond',
    ],
    ["the values of one key are ORed", { StringEquals: { "kms:ViaService": ["a", "v"] } }, get({ "kms:viaservice": ["v"] }), "allow"],
    ["Null true holds when the key is absent", { Null: { "dynamodb:LeadingKeys": "true" } }, get({}, ["dynamodb:leadingkeys"]), "allow"],
    ["Bool on SecureTransport", { Bool: { "aws:SecureTransport": "true" } }, get({ "aws:securetransport": ["true"] }), "allow"],
  ])("%s", (_, condition, r, expected) => {
    expect(outcome(statement(condition), r)).toBe(expected);
  });

  it.each<[string, unknown, AuthorizationRequest, string]>([
    [
      "an operator it does not know",
      { DateGreaterThan: { "aws:CurrentTime": "2020-01-01T00:00:00Z" } },
      get({ "aws:currenttime": ["x"] }),
      "condition DateGreaterThan aws:CurrentTime is an operator the local evaluator does not understand",
    ],
    [
      "IfExists variants",
      { StringEqualsIfExists: { "kms:ViaService": "v" } },
      get({ "kms:viaservice": ["v"] }),
      "condition StringEqualsIfExists kms:ViaService is an operator the local evaluator does not understand",
    ],
    [
      "a key the request context does not model",
      { StringEquals: { "dynamodb:Select": "COUNT" } },
      get({}),
      "condition StringEquals dynamodb:Select uses a key the local run does not model for dynamodb:GetItem",
    ],
    [
      "a single-valued operator on a multivalued key",
      { StringEquals: { "dynamodb:LeadingKeys": "a" } },
      get({ "dynamodb:leadingkeys": ["a", "b"] }),
      "is a single-valued operator on a multivalued key",
    ],
  ])("fails closed on %s, naming it", (_, condition, r, expected) => {
    const result = outcome(statement(condition), r);
    expect(result).toContain("explicit deny: ");
    expect(result).toContain(expected);
  });
});

describe("evaluate: elements outside the grammar the stacks produce fail closed", () => {
  it.each<[string, Record<string, unknown>, string]>([
    ["NotAction", { Sid: "S", Effect: "Allow", NotAction: "iam:*", Resource: "*" }, "element NotAction"],
    ["NotResource", { Sid: "S", Effect: "Allow", Action: "dynamodb:GetItem", NotResource: "arn:aws:dynamodb:*:*:table/x" }, "element NotResource"],
    [
      "a policy variable",
      { Sid: "S", Effect: "Allow", Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:*:*:table/${aws:username}" },
      "policy variable in Resource arn:aws:dynamodb:*:*:table/${aws:username}",
    ],
    ["an unknown Effect", { Sid: "S", Effect: "Permit", Action: "dynamodb:GetItem", Resource: "*" }, 'Effect "Permit"'],
  ])("%s denies the request and names the element", (_, statement, element) => {
    const result = outcome(
      { Version: "2012-10-17", Statement: [{ Sid: "Ok", Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" }, statement] },
      request("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/x"),
    );
    expect(result).toBe(`explicit deny: ${element} in test-policy/S is not understood by the local evaluator (denied: fail closed)`);
  });

  test("a statement it does not understand does not deny requests for other actions", () => {
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Ok", Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" },
        { Sid: "S", Effect: "Allow", Action: "iam:PassRole", NotResource: "x" },
      ],
    };
    expect(outcome(policy, request("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/x"))).toBe("allow");
  });
});

describe("evaluate: resource policies (aws_lambda_permission)", () => {
  const permission = parsePolicy("resource policy of fn", {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowApiGateway",
        Effect: "Allow",
        Principal: { Service: "apigateway.amazonaws.com" },
        Action: "lambda:InvokeFunction",
        Resource: "arn:aws:lambda:us-east-1:1:function:fn",
        Condition: { ArnLike: { "AWS:SourceArn": "arn:aws:execute-api:us-east-1:1:api/dev/GET/health" } },
      },
    ],
  });
  const invoke = (id: string, sourceArn: string): AuthorizationRequest => ({
    action: "lambda:InvokeFunction",
    resource: "arn:aws:lambda:us-east-1:1:function:fn",
    principal: { type: "Service", id },
    context: { "aws:sourcearn": [sourceArn] },
    modelledKeys: new Set(["aws:sourcearn"]),
  });

  it.each<[string, AuthorizationRequest, boolean]>([
    ["API Gateway from the permitted method", invoke("apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:1:api/dev/GET/health"), true],
    ["API Gateway from another method", invoke("apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:1:api/dev/POST/health"), false],
    ["another service principal", invoke("events.amazonaws.com", "arn:aws:execute-api:us-east-1:1:api/dev/GET/health"), false],
  ])("%s: allowed %s", (_, r, allowed) => {
    expect(evaluate([permission], r).allowed).toBe(allowed);
  });
});

describe("renderPolicyDocument", () => {
  test("renders an aws_iam_policy_document as the AWS provider does: Effect defaults to Allow, single values as strings", () => {
    const json = renderPolicyDocument(
      {
        statement: [
          {
            sid: "A",
            actions: ["dynamodb:GetItem"],
            resources: ["arn:t", "arn:u"],
            condition: [{ test: "StringEquals", variable: "kms:ViaService", values: ["v"] }],
          },
          { effect: "Deny", not_actions: ["iam:*"], resources: ["*"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] },
        ],
      },
      "test",
    );
    expect(JSON.parse(json)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "A",
          Effect: "Allow",
          Action: "dynamodb:GetItem",
          Resource: ["arn:t", "arn:u"],
          Condition: { StringEquals: { "kms:ViaService": "v" } },
        },
        { Effect: "Deny", NotAction: "iam:*", Resource: "*", Principal: { Service: "lambda.amazonaws.com" } },
      ],
    });
  });

  test("refuses document merging, which the local run does not emulate", () => {
    expect(() => renderPolicyDocument({ source_policy_documents: ["{}"] }, "data.aws_iam_policy_document.x")).toThrow(
      "data.aws_iam_policy_document.x: source_policy_documents (document merging) is not emulated by the local run",
    );
  });
});
