import { Construct } from "constructs";
import { CloudwatchMetricAlarm, CloudwatchMetricAlarmMetricQuery } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";

/** Where alarms notify, and how long a condition must hold. */
export interface AlarmSettings {
  /** SNS topic notified on ALARM and on OK. */
  readonly topicArn: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
}

interface AlarmBase {
  /** Full alarm name, prefix included. */
  readonly name: string;
  readonly description: string;
  readonly threshold: number;
  /** @default "GreaterThanOrEqualToThreshold" */
  readonly comparison?: "GreaterThanOrEqualToThreshold" | "GreaterThanThreshold";
  /**
   * No data usually means no traffic, which is not a failure of the thing watched.
   * @default "notBreaching"
   */
  readonly treatMissingData?: "notBreaching" | "breaching" | "missing" | "ignore";
}

/** An alarm on one metric, with a statistic ("Sum", "Maximum") or a percentile ("p99"). */
export interface MetricAlarmSpec extends AlarmBase {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: "Sum" | "Average" | "Maximum" | "p99";
}

/** An alarm on a metric-math expression over several metrics (the expression's id is "e"). */
export interface MathAlarmSpec extends AlarmBase {
  readonly expression: string;
  readonly label: string;
  readonly metrics: Readonly<Record<string, { namespace: string; metricName: string; dimensions: Readonly<Record<string, string>>; stat: string }>>;
}

/** Creates a CloudWatch alarm that notifies `settings.topicArn` on ALARM and OK, under the same defaults everywhere. */
export function addAlarm(scope: Construct, id: string, settings: AlarmSettings, spec: MetricAlarmSpec | MathAlarmSpec) {
  const common = {
    alarmName: spec.name,
    alarmDescription: spec.description,
    comparisonOperator: spec.comparison ?? "GreaterThanOrEqualToThreshold",
    threshold: spec.threshold,
    evaluationPeriods: settings.evaluationPeriods,
    datapointsToAlarm: settings.evaluationPeriods,
    treatMissingData: spec.treatMissingData ?? "notBreaching",
    alarmActions: [settings.topicArn],
    okActions: [settings.topicArn],
  };
  if ("expression" in spec) {
    const metricQuery: CloudwatchMetricAlarmMetricQuery[] = [
      { id: "e", expression: spec.expression, label: spec.label, returnData: true },
      ...Object.entries(spec.metrics).map(([metricId, m]) => ({
        id: metricId,
        returnData: false,
        metric: { ...m, dimensions: { ...m.dimensions }, period: settings.periodSeconds },
      })),
    ];
    return new CloudwatchMetricAlarm(scope, id, { ...common, metricQuery });
  }
  const percentile = spec.statistic.startsWith("p");
  return new CloudwatchMetricAlarm(scope, id, {
    ...common,
    namespace: spec.namespace,
    metricName: spec.metricName,
    dimensions: { ...spec.dimensions },
    period: settings.periodSeconds,
    statistic: percentile ? undefined : spec.statistic,
    extendedStatistic: percentile ? spec.statistic : undefined,
  });
}
