/**
 * Business metrics as CloudWatch Embedded Metric Format (EMF) log lines: no SDK call, no dependency, no
 * permission beyond writing logs. CloudWatch Logs extracts a metric from every log event whose JSON has an
 * `_aws` member at its ROOT.
 *
 * With the function's log format set to JSON, the Lambda Node.js runtime wraps whatever goes through `console`
 * as `{"timestamp","level","requestId","message": ...}`, which puts `_aws` one level down, where CloudWatch
 * does not look (the metric loss AWS notes for aws-embedded-metrics before 4.1.1; Powertools writes its
 * metrics through its own Console on process.stdout for the same reason). So the EMF document is written to
 * process.stdout directly, one JSON object per line, which Lambda delivers to CloudWatch Logs as is.
 *
 * Metrics are written only when METRICS_NAMESPACE is set (the compute stack always sets it); without it, in
 * unit tests of the handlers, count() does nothing.
 */

/**
 * The business metrics, their meaning and their dashboard graph, and the only list of them: the dashboard, the
 * alarm and the local run read it.
 */
export const BUSINESS_METRICS = {
  SignUps: { graph: "Accounts", description: "accounts created (POST /users answered 201)" },
  PasswordChanges: { graph: "Accounts", description: "passwords changed (PATCH /users/me with a new password answered 200)" },
  AccountDeletions: { graph: "Accounts", description: "accounts deleted (DELETE /users/me answered 204)" },
  LogInsSucceeded: { graph: "Log-ins", description: "log-ins that started a session (POST /sessions answered 201)" },
  LogInsFailed: { graph: "Log-ins", description: "log-ins refused for an unknown email or a wrong password (POST /sessions answered 401)" },
  LogInsThrottled: {
    graph: "Log-ins",
    description: "log-ins refused unchecked while their email address waits after repeated failures (POST /sessions answered 429)",
  },
  LogOuts: { graph: "Log-ins", description: "sessions ended by their user (DELETE /sessions/current answered 204)" },
  LogOutsEverywhere: { graph: "Log-ins", description: "users who ended all their sessions at once (DELETE /sessions answered 204)" },
  AuthorizerDenials: {
    graph: "Authorizer denials",
    description: "bearer requests the authorizer refused: no, malformed, unknown or expired token (401)",
  },
} as const satisfies Record<string, { readonly graph: string; readonly description: string }>;

export type BusinessMetric = keyof typeof BUSINESS_METRICS;
export const BUSINESS_METRIC_NAMES = Object.keys(BUSINESS_METRICS) as BusinessMetric[];

/** Environment variable holding the CloudWatch namespace of the metrics. */
export const METRICS_NAMESPACE_ENV = "METRICS_NAMESPACE";

/** EMF limits (CloudWatch EMF specification): metrics per directive, namespace and metric name lengths. */
export const EMF_LIMITS = { metricsPerDirective: 100, namespaceLength: 1024, metricNameLength: 255 } as const;

/** An EMF document: the `_aws` metadata and one root member per metric, holding its value. */
export interface EmfDocument {
  readonly _aws: {
    readonly Timestamp: number;
    readonly CloudWatchMetrics: readonly [
      {
        readonly Namespace: string;
        readonly Dimensions: readonly (readonly string[])[];
        readonly Metrics: readonly { readonly Name: string; readonly Unit: "Count" }[];
      },
    ];
  };
  readonly [metric: string]: unknown;
}

/**
 * The EMF document counting `values` (metric -> count) at `timestamp` (epoch ms). No dimensions (`[[]]`): the
 * namespace is per deployment, and a per-request dimension would make a metric per value.
 */
export function emfDocument(namespace: string, values: Partial<Record<BusinessMetric, number>>, timestamp: number = Date.now()): EmfDocument {
  const names = Object.keys(values) as BusinessMetric[];
  if (names.length === 0 || names.length > EMF_LIMITS.metricsPerDirective) {
    throw new Error(`an EMF document needs 1 to ${EMF_LIMITS.metricsPerDirective} metrics, received ${names.length}`);
  }
  if (namespace.length === 0 || namespace.length > EMF_LIMITS.namespaceLength) {
    throw new Error(`an EMF namespace must be 1 to ${EMF_LIMITS.namespaceLength} characters, received ${namespace.length}`);
  }
  return {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: [[]], Metrics: names.map((Name) => ({ Name, Unit: "Count" as const })) }],
    },
    ...values,
  };
}

/** Writes one raw line to stdout (not through console: see the top of this file). */
export type LineWriter = (line: string) => void;

const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Counts one occurrence (or `value`) of a business metric: one EMF line. */
export function count(metric: BusinessMetric, value = 1, write: LineWriter = stdoutWriter): void {
  const namespace = process.env[METRICS_NAMESPACE_ENV];
  if (!namespace) return;
  write(JSON.stringify(emfDocument(namespace, { [metric]: value })));
}
