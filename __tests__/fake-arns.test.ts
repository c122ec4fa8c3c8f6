/**
 * The tooling's one ARN factory (tools/lib/fake-arns.ts): AWS's ARN formats, and what each strategy makes up for
 * the parts AWS assigns.
 */
import { FAKE_ACCOUNT_ID, FakeArns, fakeId, fakeUuid, nameArgumentOf, OPAQUE, type ArnSubject } from "../tools/lib/fake-arns";

const subject = (type: string, name: string | undefined): ArnSubject => ({
  type,
  address: `stack/${type}/logical_ID`,
  logicalId: "logical_ID",
  region: "eu-west-1",
  name,
});

describe("FakeArns", () => {
  test.each([
    ["aws_dynamodb_table", "t", "arn:aws:dynamodb:eu-west-1:123456789012:table/t"],
    ["aws_s3_bucket", "b", "arn:aws:s3:::b"],
    ["aws_sns_topic", "alarms", "arn:aws:sns:eu-west-1:123456789012:alarms"],
    ["aws_sqs_queue", "q", "arn:aws:sqs:eu-west-1:123456789012:q"],
    ["aws_cloudwatch_log_group", "/aws/lambda/f", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f"],
    ["aws_lambda_function", "f", "arn:aws:lambda:eu-west-1:123456789012:function:f"],
    ["aws_iam_role", "r", "arn:aws:iam::123456789012:role/r"],
    ["aws_iam_policy", "p", "arn:aws:iam::123456789012:policy/p"],
    ["aws_kms_alias", "alias/app", "arn:aws:kms:eu-west-1:123456789012:alias/app"],
    [
      "aws_iam_openid_connect_provider",
      "https://token.actions.githubusercontent.com",
      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    ],
  ])("gives a named %s the same ARN under every strategy", (type, name, arn) => {
    for (const strategy of ["deterministic", "opaque", "plausible"] as const) {
      expect(new FakeArns(strategy).arn(subject(type, name))).toBe(arn);
    }
  });

  test("makes up an id AWS assigns by the strategy: a stable hash, or OPAQUE", () => {
    const api = subject("aws_api_gateway_rest_api", "api");

    expect(new FakeArns("deterministic").id(api)).toBe(fakeId("stack/aws_api_gateway_rest_api/logical_ID"));
    expect(new FakeArns("plausible").id(api)).toBe(fakeId("stack/aws_api_gateway_rest_api/logical_ID"));
    expect(new FakeArns("opaque").id(api)).toBe(OPAQUE);
    expect(new FakeArns("deterministic").arn(api)).toBe(
      `arn:aws:apigateway:eu-west-1::/restapis/${fakeId("stack/aws_api_gateway_rest_api/logical_ID")}`,
    );
  });

  test("makes up a missing name by the strategy", () => {
    const unnamed = subject("aws_dynamodb_table", undefined);

    expect(new FakeArns("deterministic").arn(unnamed)).toBe(`arn:aws:dynamodb:eu-west-1:123456789012:table/${fakeId(unnamed.address)}`);
    expect(new FakeArns("opaque").arn(unnamed)).toBe(`arn:aws:dynamodb:eu-west-1:123456789012:table/${OPAQUE}`);
    expect(new FakeArns("plausible").arn(unnamed)).toBe("arn:aws:dynamodb:eu-west-1:123456789012:table/stub-aws-dynamodb-table-logical-id");
  });

  test("says what a value it cannot make up becomes: nothing (an error for the caller), OPAQUE or stub", () => {
    expect([new FakeArns("deterministic").unknown(), new FakeArns("opaque").unknown(), new FakeArns("plausible").unknown()]).toEqual([
      undefined,
      OPAQUE,
      "stub",
    ]);
  });

  test("uses one fake account, AWS's documentation example, unless given another", () => {
    expect(FAKE_ACCOUNT_ID).toBe("123456789012");
    expect(new FakeArns("deterministic", "111122223333").assumedRoleArn("r", "f")).toBe("arn:aws:sts::111122223333:assumed-role/r/f");
  });
});

describe("fakeId and fakeUuid", () => {
  test("are derived from the seed: the same seed the same id, of the shape AWS uses", () => {
    expect(fakeId("a")).toMatch(/^[0-9a-f]{10}$/);
    expect(fakeId("a")).toBe(fakeId("a"));
    expect(fakeId("a")).not.toBe(fakeId("b"));
    expect(fakeUuid("a")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("nameArgumentOf", () => {
  test("is the argument a type's ARN carries, else the first name-like argument there is", () => {
    expect(nameArgumentOf("aws_lambda_function", { function_name: "f", name: "x" })).toBe("function_name");
    expect(nameArgumentOf("aws_lambda_function", {})).toBeUndefined();
    expect(nameArgumentOf("aws_wafv2_web_acl", { description: "d", name: "acl" })).toBe("name");
  });
});
