import { Construct } from "constructs";
import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import type { DynamoDbOperation } from "./dynamodb-operations";

/** A table on the dashboard: its name (a reference) and the operations the app calls on it. */
export interface DashboardTable {
  readonly name: string;
  /** DynamoDB publishes SuccessfulRequestLatency per TableName and Operation: one line per operation. */
  readonly operations: readonly DynamoDbOperation[];
}

export interface AppDashboardProps {
  /** Dashboard name, prefix included. */
  readonly dashboardName: string;
  readonly region: string;
  readonly api: { readonly apiName: string; readonly stageName: string };
  /** Function names (references), labelled by their short names. */
  readonly functions: Readonly<Record<string, string>>;
  /** Tables, labelled by their short names. */
  readonly tables: Readonly<Record<string, DashboardTable>>;
  /** Business metrics (EMF, no dimensions) in this namespace, drawn as one graph per `graph`. @default no row */
  readonly businessMetrics?: {
    readonly namespace: string;
    readonly metrics: Readonly<Record<string, { readonly graph: string }>>;
  };
}

type MetricLine = (string | Record<string, string>)[];

/**
 * One CloudWatch dashboard for the app, one row per layer: the API stage (requests, errors, latency), the
 * functions (invocations, errors, p99 duration, throttles and concurrency) and the tables (capacity used,
 * throttling, latency per operation), then the business metrics when given (sign-ups, log-ins, ...).
 */
export class AppDashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;
  /** Console URL of the dashboard. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: AppDashboardProps) {
    super(scope, id);
    const api = (metric: string, stat: string, label: string): MetricLine => [
      "AWS/ApiGateway",
      metric,
      "ApiName",
      props.api.apiName,
      "Stage",
      props.api.stageName,
      { stat, label },
    ];
    const perFunction = (metric: string, stat: string): MetricLine[] =>
      Object.entries(props.functions).map(([label, name]) => ["AWS/Lambda", metric, "FunctionName", name, { stat, label }]);
    const perTable = (metric: string, stat: string, suffix = ""): MetricLine[] =>
      Object.entries(props.tables).map(([label, table]) => ["AWS/DynamoDB", metric, "TableName", table.name, { stat, label: `${label}${suffix}` }]);
    const perTableOperation = (metric: string, stat: string): MetricLine[] =>
      Object.entries(props.tables).flatMap(([label, table]) =>
        table.operations.map((operation): MetricLine => [
          "AWS/DynamoDB",
          metric,
          "TableName",
          table.name,
          "Operation",
          operation,
          { stat, label: `${label} ${operation}` },
        ]),
      );

    const rows: [string, [string, MetricLine[]][]][] = [
      [
        "API",
        [
          ["Requests", [api("Count", "Sum", "requests")]],
          ["Errors", [api("4XXError", "Sum", "4XX"), api("5XXError", "Sum", "5XX")]],
          ["Latency p99 (ms)", [api("Latency", "p99", "latency"), api("IntegrationLatency", "p99", "integration")]],
        ],
      ],
      [
        "Functions",
        [
          ["Invocations", perFunction("Invocations", "Sum")],
          ["Errors", perFunction("Errors", "Sum")],
          ["Duration p99 (ms)", perFunction("Duration", "p99")],
          ["Throttles and concurrency", [...perFunction("Throttles", "Sum"), ...perFunction("ConcurrentExecutions", "Maximum")]],
        ],
      ],
      [
        "Tables",
        [
          ["Capacity used", [...perTable("ConsumedReadCapacityUnits", "Sum", " reads"), ...perTable("ConsumedWriteCapacityUnits", "Sum", " writes")]],
          ["Throttled events", [...perTable("ReadThrottleEvents", "Sum", " reads"), ...perTable("WriteThrottleEvents", "Sum", " writes")]],
          ["Request latency (ms)", perTableOperation("SuccessfulRequestLatency", "Average")],
        ],
      ],
    ];

    if (props.businessMetrics) {
      const { namespace, metrics } = props.businessMetrics;
      const graphs = new Map<string, MetricLine[]>();
      for (const [name, { graph }] of Object.entries(metrics)) {
        graphs.set(graph, [...(graphs.get(graph) ?? []), [namespace, name, { stat: "Sum", label: name }]]);
      }
      rows.push(["Business", [...graphs]]);
    }

    const widgets: object[] = [];
    let y = 0;
    for (const [title, graphs] of rows) {
      widgets.push({ type: "text", x: 0, y, width: 24, height: 1, properties: { markdown: `## ${title}` } });
      y += 1;
      const width = 24 / graphs.length;
      graphs.forEach(([graphTitle, metrics], i) => {
        widgets.push({
          type: "metric",
          x: i * width,
          y,
          width,
          height: 6,
          properties: { title: graphTitle, region: props.region, view: "timeSeries", stacked: false, period: 60, metrics },
        });
      });
      y += 6;
    }

    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.dashboardName,
      dashboardBody: JSON.stringify({ widgets }),
    });
    this.url = `https://${props.region}.console.aws.amazon.com/cloudwatch/home?region=${props.region}#dashboards/dashboard/${this.dashboard.dashboardName}`;
  }
}
