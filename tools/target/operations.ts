/**
 * The operations path of a deployment, checked by `npm run verify` after the API path: what an operator relies
 * on when something goes wrong. Each check talks to AWS through the SDK v3 clients with the caller's
 * credentials; none of them can run against the local stack, which has no CloudWatch, X-Ray, WAF or quotas.
 *
 * - an alarm of this app, put into ALARM with SetAlarmState, runs its SNS action (its history says the action
 *   succeeded: the topic's key policy lets CloudWatch publish); the alarm's state is put back afterwards;
 * - the access log holds the verify requests (by API Gateway request id), the function log groups hold their
 *   lines (by user id or request id), X-Ray holds the trace of one of them;
 * - the web ACL is associated with the stage (when the deployment has one);
 * - Lambda's concurrency quota of the account and region, reported (a new account's is 10).
 */
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
  type MetricAlarm,
  type StateValue,
} from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { GetAccountSettingsCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { GetWebACLForResourceCommand, WAFV2Client } from "@aws-sdk/client-wafv2";
import { BatchGetTracesCommand, XRayClient } from "@aws-sdk/client-xray";
import { FUNCTION_NAMES, type FunctionName } from "../../app/config/schema";
import { FUNCTIONS, type VerifyLogEvidence, type VerifyRunValue } from "../../app/stacks/functions";
import { openOutputsFile } from "./outputs";

/** What the operations checks need from the outputs of `cdktf output data-stack compute-stack api-stack`. */
export interface OperationsTarget {
  readonly region: string;
  /** data-stack `alarm_topic_arn`: every alarm of the app notifies it. */
  readonly alarmTopicArn: string;
  readonly apiId: string;
  readonly stageName: string;
  readonly accessLogGroup: string;
  /** compute-stack `<fn>_log_group_name` of every function. */
  readonly functionLogGroups: Readonly<Record<FunctionName, string>>;
  /** api-stack `web_acl_arn`; undefined when the deployment has no WAF (`api.waf.enabled` false). */
  readonly webAclArn?: string;
}

/** What the API path of verify did, for the operations checks to look for. */
export interface RequestEvidence {
  /** When the API path started: log and history searches start here. */
  readonly startedAt: Date;
  /** The throwaway user's id: the users and sessions functions log it. */
  readonly userId: string;
  /** API Gateway request id (`x-amzn-RequestId`) of GET /health, the request whose trace is looked up. */
  readonly healthRequestId: string;
  /** API Gateway request id of the request with an unknown token: the authorizer logs its refusal with it. */
  readonly refusedRequestId: string;
}

export interface OperationsClients {
  readonly cloudwatch: CloudWatchClient;
  readonly logs: CloudWatchLogsClient;
  readonly xray: XRayClient;
  readonly wafv2: WAFV2Client;
  readonly lambda: LambdaClient;
}

/** SDK clients for `region`, with the credentials of the environment (AWS_PROFILE, SSO, ...). */
export function createOperationsClients(region: string): OperationsClients {
  return {
    cloudwatch: new CloudWatchClient({ region }),
    logs: new CloudWatchLogsClient({ region }),
    xray: new XRayClient({ region }),
    wafv2: new WAFV2Client({ region }),
    lambda: new LambdaClient({ region }),
  };
}

/** How long to wait for logs, traces and alarm actions to show up: `attempts` tries, `intervalMs` apart. */
export interface PollOptions {
  readonly attempts: number;
  readonly intervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** CloudWatch Logs and X-Ray take seconds to a minute or two to show new data: 24 tries 5 s apart. */
export const DEFAULT_POLL: PollOptions = { attempts: 24, intervalMs: 5000, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** Lambda keeps this much of the account's concurrency unreserved: reservations can take the rest only. */
export const LAMBDA_MIN_UNRESERVED = 100;

/** A failed operations check; the message says what was expected, what was found and where to look. */
export class OperationsCheckFailed extends Error {}

function fail(message: string): never {
  throw new OperationsCheckFailed(message);
}

/** The operations checks by name, in the order they run. */
export const OPERATIONS_CHECKS = {
  quota: "Lambda concurrency quota of the account and region",
  waf: "the web ACL is associated with the stage",
  accessLog: "the access log has the verify requests",
  functionLogs: "the function log groups have the verify requests' lines",
  trace: "X-Ray has the trace of GET /health",
  alarm: "an alarm in ALARM notifies the encrypted SNS topic (and is put back)",
} as const;

/** The operations checks, in order: each returns the detail printed after "ok"; a failure throws. */
export interface OperationsCheck {
  readonly name: string;
  run(): Promise<string>;
}

/** Reads the operations target from an outputs file; throws an OutputsFileError naming what is missing. */
export function readOperationsTarget(path: string, region: string): OperationsTarget {
  const { stacks: outputs, read } = openOutputsFile(path);
  const webAclArn = outputs["api-stack"]?.web_acl_arn;
  return {
    region,
    alarmTopicArn: read("data-stack", "alarm_topic_arn"),
    apiId: read("api-stack", "api_id"),
    stageName: read("api-stack", "api_stage_name"),
    accessLogGroup: read("api-stack", "api_access_log_group_name"),
    functionLogGroups: Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, read("compute-stack", `${fn}_log_group_name`)])) as Record<
      FunctionName,
      string
    >,
    ...(typeof webAclArn === "string" && webAclArn !== "" ? { webAclArn } : {}),
  };
}

/** Retries `attempt` until it returns a value (not undefined), `poll.attempts` times. */
async function pollFor<T>(poll: PollOptions, attempt: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let i = 0; i < poll.attempts; i++) {
    if (i > 0) await poll.sleep(poll.intervalMs);
    const found = await attempt();
    if (found !== undefined) return found;
  }
  return undefined;
}

const waited = (poll: PollOptions) => `${poll.attempts} tries over ${Math.round(((poll.attempts - 1) * poll.intervalMs) / 1000)} s`;

/** How verify's messages name each value of a run that a function may log. */
const RUN_VALUE_LABELS: Readonly<Record<VerifyRunValue, string>> = {
  userId: "the throwaway user",
  refusedRequestId: "API request",
  healthRequestId: "API request",
};

/**
 * Which lines of each function's log group belong to the verify run, from the function's declaration
 * (`verifyLogs` in app/stacks/functions.ts): a term to look for and what it is, or why there is nothing to find.
 */
export function functionLogEvidence(fn: FunctionName, evidence: RequestEvidence): { term: string; what: string } | { nothingBecause: string } {
  const declared: VerifyLogEvidence = FUNCTIONS[fn].verifyLogs;
  if ("noLinesBecause" in declared) return { nothingBecause: declared.noLinesBecause };
  const term = evidence[declared.lineWith];
  return { term, what: `${RUN_VALUE_LABELS[declared.lineWith]} ${term} (${declared.loggedFor})` };
}

/** The operations checks for `target`, looking for what the API path left in `evidence`. */
export function operationsChecks(
  target: OperationsTarget,
  evidence: RequestEvidence,
  clients: OperationsClients,
  poll: PollOptions = DEFAULT_POLL,
): OperationsCheck[] {
  const startTime = evidence.startedAt.getTime() - 60_000;
  let traceId: string | undefined;

  const findLogLine = async (logGroupName: string, filterPattern: string) =>
    pollFor(poll, async () => {
      const page = await clients.logs.send(new FilterLogEventsCommand({ logGroupName, filterPattern, startTime, limit: 10 }));
      return page.events?.find((e) => e.message)?.message;
    });

  /** The SNS action the alarm ran after `setAt`, from its history; throws when there is none or it failed. */
  const alarmActionSucceeded = async (name: string, setAt: Date): Promise<string> => {
    const action = await pollFor(poll, async () => {
      const { AlarmHistoryItems } = await clients.cloudwatch.send(
        new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: "Action", StartDate: new Date(setAt.getTime() - 1000) }),
      );
      return AlarmHistoryItems?.find((item) => `${item.HistorySummary ?? ""}${item.HistoryData ?? ""}`.includes(target.alarmTopicArn));
    });
    if (!action) fail(`no action in the history of ${name} after ${waited(poll)}: did it reach ALARM, and are its actions enabled?`);
    const data = JSON.parse(action.HistoryData ?? "{}") as { actionState?: string; error?: string };
    if (data.actionState !== "Succeeded") {
      fail(
        `the SNS action of ${name} did not succeed: ${[data.actionState ?? "no actionState", data.error ?? action.HistorySummary].filter(Boolean).join(", ")}` +
          " (does the key policy of the topic's KMS key let CloudWatch use it?)",
      );
    }
    return `${name}: ${action.HistorySummary}`;
  };

  const stageArn = `arn:aws:apigateway:${target.region}::/restapis/${target.apiId}/stages/${target.stageName}`;

  return [
    {
      name: OPERATIONS_CHECKS.quota,
      async run() {
        const { AccountLimit } = await clients.lambda.send(new GetAccountSettingsCommand({}));
        const limit = AccountLimit?.ConcurrentExecutions;
        const unreserved = AccountLimit?.UnreservedConcurrentExecutions;
        if (limit === undefined || unreserved === undefined) fail("GetAccountSettings returned no AccountLimit.ConcurrentExecutions");
        const reservable = Math.max(0, unreserved - LAMBDA_MIN_UNRESERVED);
        const base = `limit ${limit} concurrent executions, ${unreserved} unreserved, up to ${reservable} more can be reserved`;
        return reservable === 0
          ? `${base}. WARNING: no reservedConcurrency can be applied in this account (Lambda keeps ${LAMBDA_MIN_UNRESERVED} unreserved; a new account's limit is 10): request a quota increase before setting one`
          : base;
      },
    },
    {
      name: OPERATIONS_CHECKS.waf,
      async run() {
        const { WebACL } = await clients.wafv2.send(new GetWebACLForResourceCommand({ ResourceArn: stageArn }));
        if (!target.webAclArn) {
          if (WebACL) fail(`the outputs name no web ACL (api.waf.enabled false), but ${WebACL.ARN} is associated with ${stageArn}`);
          return "none expected: this deployment has no web ACL (api.waf.enabled is false), and none is associated";
        }
        if (!WebACL) fail(`expected web ACL ${target.webAclArn} on ${stageArn}, found none associated`);
        if (WebACL.ARN !== target.webAclArn) fail(`expected web ACL ${target.webAclArn} on ${stageArn}, found ${WebACL.ARN}`);
        return WebACL.Name ?? WebACL.ARN ?? "";
      },
    },
    {
      name: OPERATIONS_CHECKS.accessLog,
      async run() {
        for (const requestId of [evidence.healthRequestId, evidence.refusedRequestId]) {
          const line = await findLogLine(target.accessLogGroup, `{ $.requestId = "${requestId}" }`);
          if (!line) {
            fail(
              `no line with requestId ${requestId} in ${target.accessLogGroup} after ${waited(poll)} ` +
                "(access logging needs API Gateway's CloudWatch role in the account settings: run the bootstrap)",
            );
          }
          if (requestId === evidence.healthRequestId) {
            const parsed = JSON.parse(line) as { xrayTraceId?: string };
            traceId = parsed.xrayTraceId && parsed.xrayTraceId !== "-" ? parsed.xrayTraceId : undefined;
          }
        }
        return `${evidence.healthRequestId}, ${evidence.refusedRequestId}`;
      },
    },
    {
      name: OPERATIONS_CHECKS.functionLogs,
      async run() {
        const found: string[] = [];
        const skipped: string[] = [];
        for (const fn of FUNCTION_NAMES) {
          const expected = functionLogEvidence(fn, evidence);
          if ("nothingBecause" in expected) {
            skipped.push(`${fn}: ${expected.nothingBecause}, nothing to find`);
            continue;
          }
          const line = await findLogLine(target.functionLogGroups[fn], `"${expected.term}"`);
          if (!line) fail(`no line mentioning ${expected.what} in ${target.functionLogGroups[fn]} after ${waited(poll)}`);
          found.push(fn);
        }
        return `${found.join(", ")}${skipped.length ? ` (${skipped.join("; ")})` : ""}`;
      },
    },
    {
      name: OPERATIONS_CHECKS.trace,
      async run() {
        if (!traceId) fail(`the access log line of GET /health (${evidence.healthRequestId}) has no xrayTraceId: is X-Ray tracing on for the stage?`);
        const trace = await pollFor(poll, async () => {
          const { Traces } = await clients.xray.send(new BatchGetTracesCommand({ TraceIds: [traceId!] }));
          return Traces?.find((t) => t.Id === traceId && (t.Segments?.length ?? 0) > 0);
        });
        if (!trace) fail(`no X-Ray trace ${traceId} after ${waited(poll)} (was the request sampled? verify asks for Sampled=1)`);
        const origins = new Set(
          trace.Segments!.map((s) => (JSON.parse(s.Document ?? "{}") as { origin?: string }).origin).filter((o): o is string => Boolean(o)),
        );
        if (!origins.has("AWS::ApiGateway::Stage"))
          fail(`trace ${traceId} has no API Gateway segment (origins: ${[...origins].join(", ") || "none"})`);
        return `${traceId}: ${[...origins].sort().join(", ")}`;
      },
    },
    {
      name: OPERATIONS_CHECKS.alarm,
      async run() {
        const alarms: MetricAlarm[] = [];
        let NextToken: string | undefined;
        do {
          const page = await clients.cloudwatch.send(
            new DescribeAlarmsCommand({ ActionPrefix: target.alarmTopicArn, AlarmTypes: ["MetricAlarm"], NextToken }),
          );
          alarms.push(...(page.MetricAlarms ?? []));
          NextToken = page.NextToken;
        } while (NextToken);
        if (alarms.length === 0) fail(`no alarm notifies ${target.alarmTopicArn}`);
        const alarm = alarms.find((a) => a.ActionsEnabled && a.StateValue !== "ALARM" && a.AlarmActions?.includes(target.alarmTopicArn));
        if (!alarm?.AlarmName) {
          fail(
            `every alarm notifying ${target.alarmTopicArn} is in ALARM already or has its actions disabled (${alarms.map((a) => `${a.AlarmName}: ${a.StateValue}`).join(", ")}); nothing to test with`,
          );
        }
        const name = alarm.AlarmName;
        const original = (alarm.StateValue ?? "INSUFFICIENT_DATA") as StateValue;
        const setAt = new Date();
        await clients.cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: name,
            StateValue: "ALARM",
            StateReason: "npm run verify: testing that this alarm's SNS action is delivered",
          }),
        );
        let outcome: { detail: string } | { error: unknown };
        try {
          outcome = { detail: await alarmActionSucceeded(name, setAt) };
        } catch (error) {
          outcome = { error };
        }
        try {
          await clients.cloudwatch.send(
            new SetAlarmStateCommand({
              AlarmName: name,
              StateValue: original,
              StateReason: `npm run verify: put back to ${original} after testing its SNS action`,
            }),
          );
        } catch (error) {
          const first = "error" in outcome ? `${(outcome.error as Error).message}; also ` : "";
          fail(`${first}could not put ${name} back to ${original} (${(error as Error).message}): set it by hand or wait for its next evaluation`);
        }
        if ("error" in outcome) throw outcome.error;
        return outcome.detail;
      },
    },
  ];
}
