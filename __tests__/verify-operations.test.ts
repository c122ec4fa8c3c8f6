/**
 * The operations path of `npm run verify` (tools/target/operations.ts) against a mocked AWS SDK
 * (aws-sdk-client-mock): each check passes on what AWS answers for a healthy deployment, and fails with its own
 * message on each way it can be broken. No request leaves the process: every client is mocked.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, SetAlarmStateCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetWebACLForResourceCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import { BatchGetTracesCommand, XRayClient } from "@aws-sdk/client-xray";
import { FUNCTION_NAMES } from "../app/config/schema";
import {
  functionLogEvidence,
  OPERATIONS_CHECKS,
  operationsChecks,
  readOperationsTarget,
  type OperationsClients,
  type OperationsTarget,
  type PollOptions,
  type RequestEvidence,
} from "../tools/target/operations";

const REGION = "us-east-1";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:prod-service-alarms";
const ACL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/prod-service-api-waf/1111";
const TRACE = "1-67a1b2c3-0123456789abcdef01234567";

const target: OperationsTarget = {
  region: REGION,
  alarmTopicArn: TOPIC,
  apiId: "abc123",
  stageName: "prod",
  accessLogGroup: "/aws/apigateway/prod-service-api/prod/access",
  functionLogGroups: Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, `/aws/lambda/prod-service-${fn}`])) as OperationsTarget["functionLogGroups"],
  webAclArn: ACL,
};
const evidence: RequestEvidence = {
  startedAt: new Date("2026-12-01T12:00:00Z"),
  userId: "user-1",
  healthRequestId: "req-health",
  refusedRequestId: "req-refused",
};
/** Two tries, no waiting: a missing log line or trace fails at once. */
const poll: PollOptions = { attempts: 2, intervalMs: 0, sleep: async () => undefined };

const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const xray = mockClient(XRayClient);
const wafv2 = mockClient(WAFV2Client);
const lambda = mockClient(LambdaClient);
const clients: OperationsClients = {
  cloudwatch: new CloudWatchClient({ region: REGION }),
  logs: new CloudWatchLogsClient({ region: REGION }),
  xray: new XRayClient({ region: REGION }),
  wafv2: new WAFV2Client({ region: REGION }),
  lambda: new LambdaClient({ region: REGION }),
};

const accessLine = (requestId: string, xrayTraceId = TRACE) => JSON.stringify({ requestId, status: "200", xrayTraceId });

/** What AWS answers for a healthy deployment. */
function healthyAws(): void {
  for (const mock of [cloudwatch, logs, xray, wafv2, lambda]) mock.reset();
  lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 } });
  wafv2
    .on(GetWebACLForResourceCommand)
    .resolves({ WebACL: { ARN: ACL, Name: "prod-service-api-waf", Id: "1111", DefaultAction: {}, VisibilityConfig: undefined } as never });
  logs.on(FilterLogEventsCommand).callsFake((input: { logGroupName: string; filterPattern: string }) => {
    const match = /\$\.requestId = "([^"]+)"/.exec(input.filterPattern);
    if (input.logGroupName === target.accessLogGroup && match) return { events: [{ message: accessLine(match[1]) }] };
    return { events: [{ message: `{"level":"INFO","message":{"msg":"found ${input.filterPattern}"}}` }] };
  });
  xray.on(BatchGetTracesCommand).resolves({
    Traces: [
      {
        Id: TRACE,
        Segments: [
          { Id: "s1", Document: JSON.stringify({ origin: "AWS::ApiGateway::Stage" }) },
          { Id: "s2", Document: JSON.stringify({ origin: "AWS::Lambda::Function" }) },
        ],
      },
    ],
  });
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: "prod-service-api-5xx", StateValue: "ALARM", ActionsEnabled: true, AlarmActions: [TOPIC] },
      { AlarmName: "prod-service-api-latency-p99", StateValue: "OK", ActionsEnabled: true, AlarmActions: [TOPIC] },
    ],
  });
  cloudwatch.on(SetAlarmStateCommand).resolves({});
  cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
    AlarmHistoryItems: [
      {
        AlarmName: "prod-service-api-latency-p99",
        HistoryItemType: "Action",
        HistorySummary: `Successfully executed action ${TOPIC}`,
        HistoryData: JSON.stringify({ actionState: "Succeeded", notificationResource: TOPIC }),
      },
    ],
  });
}

/** Runs every check in order, as verify does; the first failure's message, or the details of all. */
async function runChecks(t: OperationsTarget = target): Promise<{ passed: Record<string, string> } | { failed: string; message: string }> {
  const passed: Record<string, string> = {};
  for (const check of operationsChecks(t, evidence, clients, poll)) {
    try {
      passed[check.name] = await check.run();
    } catch (error) {
      return { failed: check.name, message: (error as Error).message };
    }
  }
  return { passed };
}

async function failureOf(setUp: () => void, t: OperationsTarget = target): Promise<{ failed: string; message: string }> {
  healthyAws();
  setUp();
  const result = await runChecks(t);
  if ("passed" in result) throw new Error("expected a check to fail, every check passed");
  return result;
}

beforeEach(healthyAws);

describe("verify's operations path", () => {
  test("passes every check, in order, on a healthy deployment", async () => {
    const result = await runChecks();
    const expected = FUNCTION_NAMES.map((fn) => [fn, functionLogEvidence(fn, evidence)] as const);
    const found = expected.filter(([, e]) => "term" in e).map(([fn]) => fn);
    const skipped = expected.flatMap(([fn, e]) => ("nothingBecause" in e ? [`${fn}: ${e.nothingBecause}, nothing to find`] : []));
    expect(result).toEqual({
      passed: {
        [OPERATIONS_CHECKS.quota]: "limit 1000 concurrent executions, 1000 unreserved, up to 900 more can be reserved",
        [OPERATIONS_CHECKS.waf]: "prod-service-api-waf",
        [OPERATIONS_CHECKS.accessLog]: "req-health, req-refused",
        [OPERATIONS_CHECKS.functionLogs]: `${found.join(", ")} (${skipped.join("; ")})`,
        [OPERATIONS_CHECKS.trace]: `${TRACE}: AWS::ApiGateway::Stage, AWS::Lambda::Function`,
        [OPERATIONS_CHECKS.alarm]: `prod-service-api-latency-p99: Successfully executed action ${TOPIC}`,
      },
    });
    expect(Object.keys("passed" in result ? result.passed : {})).toEqual(Object.values(OPERATIONS_CHECKS));
    expect(found).toEqual(expect.arrayContaining(["users", "sessions", "authorizer"]));
    expect(skipped).toContain("health: logs only failures, nothing to find");
  });

  test("every function's log evidence comes from its declaration (verifyLogs in app/stacks/functions.ts)", () => {
    expect(functionLogEvidence("users", evidence)).toEqual({ term: "user-1", what: "the throwaway user user-1 (sign-up, deletion)" });
    expect(functionLogEvidence("sessions", evidence)).toEqual({ term: "user-1", what: "the throwaway user user-1 (log-in)" });
    expect(functionLogEvidence("authorizer", evidence)).toEqual({
      term: "req-refused",
      what: "API request req-refused (the refused unknown token)",
    });
    expect(functionLogEvidence("health", evidence)).toEqual({ nothingBecause: "logs only failures" });
  });

  test("looks for the verify requests by request id in the access log and by user or request id in the function logs", async () => {
    await runChecks();
    const searches = logs.commandCalls(FilterLogEventsCommand).map((c) => [c.args[0].input.logGroupName, c.args[0].input.filterPattern]);
    const functionSearches = FUNCTION_NAMES.flatMap((fn) => {
      const expected = functionLogEvidence(fn, evidence);
      return "term" in expected ? [[`/aws/lambda/prod-service-${fn}`, `"${expected.term}"`]] : [];
    });
    expect(searches).toEqual([
      [target.accessLogGroup, '{ $.requestId = "req-health" }'],
      [target.accessLogGroup, '{ $.requestId = "req-refused" }'],
      ...functionSearches,
    ]);
    expect(functionSearches).toEqual(
      expect.arrayContaining([
        ["/aws/lambda/prod-service-users", '"user-1"'],
        ["/aws/lambda/prod-service-sessions", '"user-1"'],
        ["/aws/lambda/prod-service-authorizer", '"req-refused"'],
      ]),
    );
    for (const call of logs.commandCalls(FilterLogEventsCommand)) expect(call.args[0].input.startTime).toBe(evidence.startedAt.getTime() - 60_000);
  });

  test("puts an alarm that is not in ALARM into ALARM, then back to the state it had", async () => {
    await runChecks();
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toMatchObject({ ActionPrefix: TOPIC, AlarmTypes: ["MetricAlarm"] });
    expect(cloudwatch.commandCalls(SetAlarmStateCommand).map((c) => [c.args[0].input.AlarmName, c.args[0].input.StateValue])).toEqual([
      ["prod-service-api-latency-p99", "ALARM"],
      ["prod-service-api-latency-p99", "OK"],
    ]);
    expect(cloudwatch.commandCalls(DescribeAlarmHistoryCommand)[0].args[0].input).toMatchObject({
      AlarmName: "prod-service-api-latency-p99",
      HistoryItemType: "Action",
    });
  });

  test("asks WAF about the stage's ARN", async () => {
    await runChecks();
    expect(wafv2.commandCalls(GetWebACLForResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod",
    });
  });

  test("warns, without failing, when the account's concurrency leaves nothing to reserve (a new account's limit of 10)", async () => {
    lambda.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });
    const result = await runChecks();
    expect("passed" in result && result.passed[OPERATIONS_CHECKS.quota]).toBe(
      "limit 10 concurrent executions, 10 unreserved, up to 0 more can be reserved. WARNING: no reservedConcurrency can be applied in this account " +
        "(Lambda keeps 100 unreserved; a new account's limit is 10): request a quota increase before setting one",
    );
  });

  test("without a web ACL in the outputs (WAF off), checks that none is associated", async () => {
    wafv2.on(GetWebACLForResourceCommand).resolves({});
    const { webAclArn: _none, ...withoutWaf } = target;
    const result = await runChecks(withoutWaf);
    expect("passed" in result && result.passed[OPERATIONS_CHECKS.waf]).toBe(
      "none expected: this deployment has no web ACL (api.waf.enabled is false), and none is associated",
    );
  });

  type Case = [string, () => void, string, string, OperationsTarget?];
  const cases: Case[] = [
    [
      "GetAccountSettings answers without a limit",
      () => lambda.on(GetAccountSettingsCommand).resolves({}),
      OPERATIONS_CHECKS.quota,
      "GetAccountSettings returned no AccountLimit.ConcurrentExecutions",
    ],
    [
      "no web ACL is associated",
      () => wafv2.on(GetWebACLForResourceCommand).resolves({}),
      OPERATIONS_CHECKS.waf,
      `expected web ACL ${ACL} on arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod, found none associated`,
    ],
    [
      "another web ACL is associated",
      () => wafv2.on(GetWebACLForResourceCommand).resolves({ WebACL: { ARN: "arn:other", Name: "other" } as never }),
      OPERATIONS_CHECKS.waf,
      `expected web ACL ${ACL} on arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod, found arn:other`,
    ],
    [
      "a web ACL is associated though the deployment has none",
      () => wafv2.on(GetWebACLForResourceCommand).resolves({ WebACL: { ARN: "arn:stray", Name: "stray" } as never }),
      OPERATIONS_CHECKS.waf,
      "the outputs name no web ACL (api.waf.enabled false), but arn:stray is associated with arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod",
      { ...target, webAclArn: undefined },
    ],
    [
      "the access log never gets the request",
      () => logs.on(FilterLogEventsCommand).resolves({ events: [] }),
      OPERATIONS_CHECKS.accessLog,
      `no line with requestId req-health in ${target.accessLogGroup} after 2 tries over 0 s ` +
        "(access logging needs API Gateway's CloudWatch role in the account settings: run the bootstrap)",
    ],
    [
      "a function log group never gets the line",
      () =>
        logs
          .on(FilterLogEventsCommand)
          .callsFake((input: { logGroupName: string; filterPattern: string }) =>
            input.logGroupName === "/aws/lambda/prod-service-sessions" ? { events: [] } : { events: [{ message: accessLine("x") }] },
          ),
      OPERATIONS_CHECKS.functionLogs,
      "no line mentioning the throwaway user user-1 (log-in) in /aws/lambda/prod-service-sessions after 2 tries over 0 s",
    ],
    [
      "the access log line has no trace id",
      () => logs.on(FilterLogEventsCommand).resolves({ events: [{ message: accessLine("req", "-") }] }),
      OPERATIONS_CHECKS.trace,
      "the access log line of GET /health (req-health) has no xrayTraceId: is X-Ray tracing on for the stage?",
    ],
    [
      "X-Ray never has the trace",
      () => xray.on(BatchGetTracesCommand).resolves({ Traces: [] }),
      OPERATIONS_CHECKS.trace,
      `no X-Ray trace ${TRACE} after 2 tries over 0 s (was the request sampled? verify asks for Sampled=1)`,
    ],
    [
      "the trace has no API Gateway segment",
      () => xray.on(BatchGetTracesCommand).resolves({ Traces: [{ Id: TRACE, Segments: [{ Id: "s", Document: '{"origin":"AWS::Lambda"}' }] }] }),
      OPERATIONS_CHECKS.trace,
      `trace ${TRACE} has no API Gateway segment (origins: AWS::Lambda)`,
    ],
    [
      "no alarm notifies the topic",
      () => cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] }),
      OPERATIONS_CHECKS.alarm,
      `no alarm notifies ${TOPIC}`,
    ],
    [
      "every alarm is in ALARM already",
      () =>
        cloudwatch
          .on(DescribeAlarmsCommand)
          .resolves({ MetricAlarms: [{ AlarmName: "a", StateValue: "ALARM", ActionsEnabled: true, AlarmActions: [TOPIC] }] }),
      OPERATIONS_CHECKS.alarm,
      `every alarm notifying ${TOPIC} is in ALARM already or has its actions disabled (a: ALARM); nothing to test with`,
    ],
    [
      "the alarm's history shows no action",
      () => cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] }),
      OPERATIONS_CHECKS.alarm,
      "no action in the history of prod-service-api-latency-p99 after 2 tries over 0 s: did it reach ALARM, and are its actions enabled?",
    ],
    [
      "the SNS action failed (e.g. the key policy)",
      () =>
        cloudwatch.on(DescribeAlarmHistoryCommand).resolves({
          AlarmHistoryItems: [
            {
              HistorySummary: `Failed to execute action ${TOPIC}`,
              HistoryData: JSON.stringify({ actionState: "Failed", notificationResource: TOPIC, error: "KMS.AccessDeniedException" }),
            },
          ],
        }),
      OPERATIONS_CHECKS.alarm,
      "the SNS action of prod-service-api-latency-p99 did not succeed: Failed, KMS.AccessDeniedException (does the key policy of the topic's KMS key let CloudWatch use it?)",
    ],
    [
      "the alarm cannot be put back",
      () => cloudwatch.on(SetAlarmStateCommand, { StateValue: "OK" }).rejects(new Error("Throttling")),
      OPERATIONS_CHECKS.alarm,
      "could not put prod-service-api-latency-p99 back to OK (Throttling): set it by hand or wait for its next evaluation",
    ],
  ];

  // A rest parameter, so jest does not take the optional fifth column for a `done` callback.
  test.each(cases)("fails when %s, with a message that says so", async (...[, setUp, check, message, t]: Case) => {
    expect(await failureOf(setUp, t)).toEqual({ failed: check, message });
  });

  test("puts the alarm back even when its action failed", async () => {
    await failureOf(() => cloudwatch.on(DescribeAlarmHistoryCommand).resolves({ AlarmHistoryItems: [] }));
    expect(cloudwatch.commandCalls(SetAlarmStateCommand).map((c) => c.args[0].input.StateValue)).toEqual(["ALARM", "OK"]);
  });
});

describe("the operations target from an outputs file", () => {
  const dir = mkdtempSync(join(tmpdir(), "verify-ops-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const outputs = {
    "data-stack": { alarm_topic_arn: TOPIC, users_table_name: "u", sessions_table_name: "s" },
    "compute-stack": Object.fromEntries(FUNCTION_NAMES.map((fn) => [`${fn}_log_group_name`, `/aws/lambda/prod-service-${fn}`])),
    "api-stack": {
      api_invoke_url: "https://abc123.execute-api.us-east-1.amazonaws.com/prod",
      api_id: "abc123",
      api_stage_name: "prod",
      api_access_log_group_name: target.accessLogGroup,
      web_acl_arn: ACL,
    },
  };
  const write = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  test("reads every output the checks need", () => {
    expect(readOperationsTarget(write("full.json", outputs), REGION)).toEqual(target);
  });

  test("an outputs file without compute-stack (the old command) is refused, saying how to write it", () => {
    const file = write("no-compute.json", { ...outputs, "compute-stack": undefined });
    expect(() => readOperationsTarget(file, REGION)).toThrow(
      `Outputs file ${file} has no "compute-stack".health_log_group_name. Write it with: npx cdktf output data-stack compute-stack api-stack --outputs-file outputs.json`,
    );
  });
});
