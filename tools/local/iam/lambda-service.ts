/**
 * What Lambda itself does with a function's execution role on each invocation, checked like any other
 * request of the role session:
 * - log delivery: Lambda creates the log stream and puts the function's log events with the role's
 *   credentials (`logs:CreateLogStream`, `logs:PutLogEvents` on the log group's streams). Without them, the
 *   function still runs but its logs are lost: the local run then drops its log lines too.
 * - with active tracing, Lambda sends the invocation's trace segments and telemetry with the role
 *   (`xray:PutTraceSegments`, `xray:PutTelemetryRecords`, which only accept `*`). Without them, traces are
 *   dropped; the local run records the denial (it has no X-Ray to send to).
 */
import type { LocalIam } from "./local-iam";

/** The log stream ARN the local run uses for a function's invocations. */
export const logStreamArn = (logGroupArn: string, functionName: string) => `${logGroupArn}:log-stream:tools/local/[$LATEST]${functionName}`;

/** Evaluates Lambda's own calls for one invocation; `logsDelivered` is false when the logs would be lost. */
export function lambdaServiceCalls(iam: LocalIam, functionName: string): { readonly logsDelivered: boolean } {
  const role = iam.role(functionName);
  const stream = logStreamArn(role.logGroupArn, functionName);
  const logs = ["logs:CreateLogStream", "logs:PutLogEvents"].map(
    (action) => iam.authorize(functionName, { action, resource: stream, context: {} }).allowed,
  );
  if (role.tracingActive) {
    for (const action of ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]) iam.authorize(functionName, { action, resource: "*", context: {} });
  }
  return { logsDelivered: logs.every(Boolean) };
}
