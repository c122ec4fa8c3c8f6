import { Construct } from "constructs";
import { addAlarm, type AlarmSettings } from "../alarms";

export interface ApiAlarmProps extends AlarmSettings {
  /** 5XX responses per period. */
  readonly serverErrors: number;
  /** Fraction of requests answered 4XX (the 4XXError metric's average). */
  readonly clientErrorRate: number;
  readonly latencyP99Ms: number;
  readonly integrationLatencyP99Ms: number;
}

export interface StageAlarmsProps {
  /** The API's name as the metrics' ApiName dimension (the REST API's `name` attribute). */
  readonly apiName: string;
  /** The API's name at synth, for alarm names and descriptions. */
  readonly name: string;
  readonly stageName: string;
  readonly alarms: ApiAlarmProps;
}

/**
 * Alarms on the stage's 5XX count, 4XX rate, p99 latency and p99 integration latency (AWS/ApiGateway metrics
 * by ApiName and Stage). Ids in `scope`: `5xx-alarm`, `4xx-alarm`, `latency-alarm`, `integration-latency-alarm`.
 */
export function addStageAlarms(scope: Construct, props: StageAlarmsProps): void {
  const { name, alarms } = props;
  const metric = (metricName: string) => ({
    namespace: "AWS/ApiGateway",
    metricName,
    dimensions: { ApiName: props.apiName, Stage: props.stageName },
  });
  addAlarm(scope, "5xx-alarm", alarms, {
    ...metric("5XXError"),
    statistic: "Sum",
    name: `${name}-5xx`,
    description: `${name} answers 5XX (function errors, timeouts or gateway faults)`,
    threshold: alarms.serverErrors,
  });
  addAlarm(scope, "4xx-alarm", alarms, {
    ...metric("4XXError"),
    statistic: "Average",
    name: `${name}-4xx-rate`,
    description: `More than ${alarms.clientErrorRate * 100} % of requests to ${name} are answered 4XX`,
    threshold: alarms.clientErrorRate,
    comparison: "GreaterThanThreshold",
  });
  addAlarm(scope, "latency-alarm", alarms, {
    ...metric("Latency"),
    statistic: "p99",
    name: `${name}-latency-p99`,
    description: `p99 latency of ${name} is ${alarms.latencyP99Ms} ms or more`,
    threshold: alarms.latencyP99Ms,
  });
  addAlarm(scope, "integration-latency-alarm", alarms, {
    ...metric("IntegrationLatency"),
    statistic: "p99",
    name: `${name}-integration-latency-p99`,
    description: `p99 integration (function) latency of ${name} is ${alarms.integrationLatencyP99Ms} ms or more`,
    threshold: alarms.integrationLatencyP99Ms,
  });
}
