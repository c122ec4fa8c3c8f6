/**
 * Every metric an alarm or a dashboard widget of any stack asks for must be one AWS publishes with exactly that
 * set of dimensions: CloudWatch matches dimensions exactly, so a widget asking for `SuccessfulRequestLatency` by
 * `TableName` alone (DynamoDB publishes it per `TableName` and `Operation`) shows nothing, and an alarm on it
 * sits in INSUFFICIENT_DATA / "not breaching" forever. Custom namespaces (not `AWS/...`) are the app's own and
 * are not checked here.
 */
import { listEnvironments } from "../app/config/load";
import { resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";

interface DocumentedMetric {
  /** Each dimension set AWS publishes the metric with (names sorted); `[]` is the account/Region aggregate. */
  readonly dimensionSets: readonly (readonly string[])[];
  /** The AWS page that lists them. */
  readonly source: string;
}

const LAMBDA = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html";
const LAMBDA_FUNCTION = {
  dimensionSets: [["FunctionName"], ["FunctionName", "Resource"], ["ExecutedVersion", "FunctionName", "Resource"]],
  source: LAMBDA,
};
const API_GATEWAY = "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html";
const API_GATEWAY_METRIC = { dimensionSets: [["ApiName"], ["ApiName", "Stage"], ["ApiName", "Method", "Resource", "Stage"]], source: API_GATEWAY };
const DYNAMODB = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html";
const DYNAMODB_TABLE_OR_INDEX = { dimensionSets: [["TableName"], ["GlobalSecondaryIndexName", "TableName"]], source: DYNAMODB };
const DYNAMODB_PER_OPERATION = { dimensionSets: [["Operation", "TableName"]], source: DYNAMODB };

/** The documented dimension sets of the metrics this app uses; a metric missing here fails until its row is added. */
const DOCUMENTED: Readonly<Record<string, Readonly<Record<string, DocumentedMetric>>>> = {
  "AWS/Lambda": {
    // "Invocation metrics" and "Performance metrics": FunctionName, Resource (version or alias), ExecutedVersion.
    Invocations: LAMBDA_FUNCTION,
    Errors: LAMBDA_FUNCTION,
    Throttles: LAMBDA_FUNCTION,
    Duration: LAMBDA_FUNCTION,
    // "Concurrency metrics": per function, version or alias, and as the Region's aggregate (no dimension).
    ConcurrentExecutions: { dimensionSets: [[], ...LAMBDA_FUNCTION.dimensionSets], source: LAMBDA },
  },
  "AWS/ApiGateway": {
    // REST APIs: ApiName; ApiName + Stage; ApiName + Method + Resource + Stage (detailed metrics).
    Count: API_GATEWAY_METRIC,
    "4XXError": API_GATEWAY_METRIC,
    "5XXError": API_GATEWAY_METRIC,
    Latency: API_GATEWAY_METRIC,
    IntegrationLatency: API_GATEWAY_METRIC,
  },
  "AWS/DynamoDB": {
    // "Dimensions: TableName, GlobalSecondaryIndexName": for the table, or one of its global secondary indexes.
    ConsumedReadCapacityUnits: DYNAMODB_TABLE_OR_INDEX,
    ConsumedWriteCapacityUnits: DYNAMODB_TABLE_OR_INDEX,
    ReadThrottleEvents: DYNAMODB_TABLE_OR_INDEX,
    WriteThrottleEvents: DYNAMODB_TABLE_OR_INDEX,
    // "Dimensions: TableName, Operation".
    SuccessfulRequestLatency: DYNAMODB_PER_OPERATION,
    SystemErrors: DYNAMODB_PER_OPERATION,
    ThrottledRequests: DYNAMODB_PER_OPERATION,
  },
};

/** One metric asked for by an alarm or a widget. */
interface MetricUse {
  /** "data-stack alarm prod-service-users-system-errors (m0)" or "api-stack dashboard widget "Errors"". */
  readonly where: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: readonly string[];
}

/** The metrics of every alarm (plain or metric math) and every dashboard widget of a stack. */
function metricUses(stackId: string, json: TerraformJson): MetricUse[] {
  const uses: MetricUse[] = [];
  const keys = (dimensions: unknown) => Object.keys((dimensions ?? {}) as object).sort();
  for (const alarm of resources(json, "aws_cloudwatch_metric_alarm")) {
    const c = alarm.config as Record<string, any>;
    const where = `${stackId} alarm ${c.alarm_name}`;
    if (c.metric_name) uses.push({ where, namespace: c.namespace, metricName: c.metric_name, dimensions: keys(c.dimensions) });
    for (const query of (c.metric_query ?? []) as Record<string, any>[]) {
      if (!query.metric) continue;
      uses.push({
        where: `${where} (${query.id})`,
        namespace: query.metric.namespace,
        metricName: query.metric.metric_name,
        dimensions: keys(query.metric.dimensions),
      });
    }
  }
  for (const dashboard of resources(json, "aws_cloudwatch_dashboard")) {
    const body = JSON.parse(String(dashboard.config.dashboard_body)) as { widgets: { type: string; properties: Record<string, any> }[] };
    for (const widget of body.widgets.filter((w) => w.type === "metric")) {
      let previous: unknown[] = [];
      for (const line of (widget.properties.metrics ?? []) as unknown[][]) {
        const where = `${stackId} dashboard ${dashboard.config.dashboard_name} widget "${widget.properties.title}"`;
        uses.push({ where, ...parseMetricLine(line, previous, where) });
        previous = line;
      }
    }
  }
  return uses;
}

/** A dashboard metric array: [namespace, name, (dimName, dimValue)*, {options}?], "." repeating the line before. */
function parseMetricLine(line: readonly unknown[], previous: readonly unknown[], where: string): Omit<MetricUse, "where"> {
  const fields = line.filter((item) => typeof item === "string") as string[];
  if (fields[0] === "...") throw new Error(`${where}: the "..." shorthand is not supported by this test; spell the metric out`);
  const resolved = fields.map((field, i) => (field === "." ? String(previous[i]) : field));
  if (line.some((item) => typeof item === "object" && item !== null && "expression" in item)) {
    return { namespace: "(expression)", metricName: "(expression)", dimensions: [] };
  }
  const [namespace, metricName, ...pairs] = resolved;
  if (pairs.length % 2 !== 0) throw new Error(`${where}: dimension names and values do not pair up in ${JSON.stringify(line)}`);
  return { namespace, metricName, dimensions: pairs.filter((_, i) => i % 2 === 0).sort() };
}

/** Why a metric can never have data, or undefined when AWS publishes it with these dimensions. */
function findingOf(use: MetricUse): string | undefined {
  if (use.namespace === "(expression)" || !use.namespace.startsWith("AWS/")) return undefined;
  const documented = DOCUMENTED[use.namespace]?.[use.metricName];
  if (!documented)
    return `${use.where}: ${use.namespace} ${use.metricName} is not in this test's table of documented metrics; add it with its AWS page`;
  const asked = use.dimensions.join(",");
  if (documented.dimensionSets.some((set) => [...set].sort().join(",") === asked)) return undefined;
  const sets = documented.dimensionSets.map((s) => `{${s.join(", ")}}`).join(" or ");
  return `${use.where}: ${use.namespace} ${use.metricName} by {${use.dimensions.join(", ")}} has no data; AWS publishes it by ${sets} (${documented.source})`;
}

describe("metric dimensions", () => {
  const synths: SynthResult[] = [];
  afterAll(() => synths.forEach((s) => s.cleanup()));

  test.each(listEnvironments())("every alarm and dashboard metric of every stack (app/config/%s.json) is one AWS publishes", (environment) => {
    const synth = synthStacks({ environment });
    synths.push(synth);
    const uses = synth.stackIds.flatMap((id) => metricUses(id, synth.json[id]));
    expect(uses.filter((u) => u.namespace === "AWS/DynamoDB").length).toBeGreaterThan(0);
    expect(uses.filter((u) => u.namespace === "AWS/Lambda").length).toBeGreaterThan(0);
    expect(uses.filter((u) => u.namespace === "AWS/ApiGateway").length).toBeGreaterThan(0);
    expect(uses.map(findingOf).filter(Boolean)).toEqual([]);
  });

  test.each<[string, Omit<MetricUse, "where">, string]>([
    [
      "DynamoDB latency by table only",
      { namespace: "AWS/DynamoDB", metricName: "SuccessfulRequestLatency", dimensions: ["TableName"] },
      "AWS/DynamoDB SuccessfulRequestLatency by {TableName} has no data; AWS publishes it by {Operation, TableName}",
    ],
    [
      "DynamoDB read throttling per operation",
      { namespace: "AWS/DynamoDB", metricName: "ReadThrottleEvents", dimensions: ["Operation", "TableName"] },
      "AWS/DynamoDB ReadThrottleEvents by {Operation, TableName} has no data",
    ],
    [
      "an API stage metric without ApiName",
      { namespace: "AWS/ApiGateway", metricName: "5XXError", dimensions: ["Stage"] },
      "AWS/ApiGateway 5XXError by {Stage} has no data",
    ],
    [
      "a Lambda metric by a dimension Lambda does not publish",
      { namespace: "AWS/Lambda", metricName: "Errors", dimensions: ["FunctionArn"] },
      "AWS/Lambda Errors by {FunctionArn} has no data",
    ],
    [
      "a metric the table does not know",
      { namespace: "AWS/Lambda", metricName: "Erors", dimensions: ["FunctionName"] },
      "AWS/Lambda Erors is not in this test's table of documented metrics",
    ],
  ])("rejects %s", (_, use, message) => {
    expect(findingOf({ where: "seeded", ...use })).toContain(message);
  });

  test("reads dashboard lines with '.' repeats and rejects dimensions that do not pair up", () => {
    const first = ["AWS/DynamoDB", "SuccessfulRequestLatency", "TableName", "t", "Operation", "GetItem", { stat: "Average" }];
    expect(parseMetricLine([".", ".", ".", ".", ".", "Query"], first, "w")).toEqual({
      namespace: "AWS/DynamoDB",
      metricName: "SuccessfulRequestLatency",
      dimensions: ["Operation", "TableName"],
    });
    expect(() => parseMetricLine(["AWS/Lambda", "Errors", "FunctionName"], [], "w")).toThrow("w: dimension names and values do not pair up");
  });
});
