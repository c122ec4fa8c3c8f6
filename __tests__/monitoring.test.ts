import { loadConfig } from "../app/config/load";
import { BUSINESS_METRIC_NAMES } from "../app/lambda-packages/shared/metrics";
import { FUNCTION_NAMES } from "../app/config/schema";
import { APP_TABLES, tableOperations } from "../app/stacks/function-access";
import { statementsOf } from "./support/policies";
import { comesFrom, resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";

let prod: SynthResult;

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
});
afterAll(() => prod.cleanup());

const alarms = (json: TerraformJson) =>
  Object.fromEntries(resources(json, "aws_cloudwatch_metric_alarm").map((a) => [a.config.alarm_name as string, a.config as Record<string, any>]));
/** The alarm topic's ARN, read by `stack` from data-stack. */
const topicRef = (stack: string) => comesFrom(prod, stack, "data-stack/alarm-topic/topic.arn");

describe("monitoring", () => {
  describe("alarm topic", () => {
    test("is encrypted with the app key and only this app's alarms may publish, over TLS", () => {
      const data = prod.json["data-stack"];
      const [topic] = resources(data, "aws_sns_topic");
      const [key] = resources(data, "aws_kms_key");
      expect(topic.config).toMatchObject({ name: "prod-service-alarms", kms_master_key_id: `\${aws_kms_key.${key.id}.arn}` });
      const [policy] = resources(data, "aws_sns_topic_policy");
      const statements = statementsOf(data, policy.config.policy);
      expect(statements).toEqual([
        expect.objectContaining({
          sid: "CloudWatchAlarmsOfThisApp",
          actions: ["sns:Publish"],
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.caller.account_id}"] },
            {
              test: "ArnLike",
              variable: "aws:SourceArn",
              values: ["arn:aws:cloudwatch:us-east-1:${data.aws_caller_identity.caller.account_id}:alarm:prod-service-*"],
            },
          ],
        }),
        expect.objectContaining({ sid: "DenyInsecureTransport", effect: "Deny" }),
      ]);
    });

    test("the key policy lets only this app's alarms use the key for the topic", () => {
      const data = prod.json["data-stack"];
      const [key] = resources(data, "aws_kms_key");
      const statement = statementsOf(data, key.config.policy).find((s) => s.sid === "CloudWatchAlarmsPublishToEncryptedTopic");
      expect(statement).toMatchObject({
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
      });
      expect(statement?.condition?.map((c) => c.variable)).toEqual(["aws:SourceAccount", "aws:SourceArn"]);
    });

    test("an email from config is subscribed; without one there is no subscription", () => {
      expect(resources(prod.json["data-stack"], "aws_sns_topic_subscription")).toHaveLength(0);
      const config = loadConfig({ environment: "prod" });
      const synth = synthStacks({ config: { ...config, monitoring: { ...config.monitoring, alarmEmail: "oncall@example.com" } } });
      try {
        expect(resources(synth.json["data-stack"], "aws_sns_topic_subscription").map((s) => s.config)).toEqual([
          expect.objectContaining({ protocol: "email", endpoint: "oncall@example.com" }),
        ]);
      } finally {
        synth.cleanup();
      }
    });
  });

  describe("alarms live in the stack of what they watch and notify the topic on ALARM and OK", () => {
    test.each(["prod-service-users", "prod-service-sessions"])("table %s: throttled requests and system errors", (table) => {
      const data = alarms(prod.json["data-stack"]);
      const throttled = data[`${table}-throttled-requests`];
      expect(throttled).toMatchObject({ threshold: 5, treat_missing_data: "notBreaching", evaluation_periods: 5 });
      expect(throttled.metric_query[0]).toMatchObject({ id: "e", expression: "FILL(r, 0) + FILL(w, 0)", return_data: true });
      expect(throttled.metric_query.slice(1).map((q: any) => q.metric.metric_name)).toEqual(["ReadThrottleEvents", "WriteThrottleEvents"]);
      const errors = data[`${table}-system-errors`];
      expect(errors.threshold).toBe(1);
      expect(errors.metric_query.slice(1).every((q: any) => q.metric.metric_name === "SystemErrors")).toBe(true);
      const [topic] = resources(prod.json["data-stack"], "aws_sns_topic");
      for (const alarm of [throttled, errors]) {
        expect(alarm.alarm_actions).toEqual([`\${aws_sns_topic.${topic.id}.arn}`]);
        expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
      }
    });

    test.each(APP_TABLES)("table %s: system errors of every operation a function is declared to call", (table) => {
      const errors = alarms(prod.json["data-stack"])[`prod-service-${table}-system-errors`];
      const watched = errors.metric_query.slice(1).map((q: any) => q.metric.dimensions.Operation);
      expect(watched).toEqual(tableOperations(table));
      expect(errors.metric_query[0].expression).toBe(`SUM([${watched.map((_: string, i: number) => `FILL(m${i}, 0)`).join(", ")}])`);
    });

    test.each(FUNCTION_NAMES)("function %s: errors, throttles and p99 duration against its timeout", (fn) => {
      const compute = alarms(prod.json["compute-stack"]);
      const config = loadConfig({ environment: "prod" });
      const timeout = config.lambda.functions[fn]?.timeoutSeconds ?? config.lambda.timeoutSeconds;
      expect(compute[`prod-service-${fn}-errors`]).toMatchObject({ metric_name: "Errors", statistic: "Sum", threshold: 5 });
      expect(compute[`prod-service-${fn}-throttles`]).toMatchObject({ metric_name: "Throttles", threshold: 1 });
      expect(compute[`prod-service-${fn}-duration-p99`]).toMatchObject({
        metric_name: "Duration",
        extended_statistic: "p99",
        threshold: timeout * 1000 * 0.8,
      });
      for (const name of ["errors", "throttles", "duration-p99"]) {
        expect(compute[`prod-service-${fn}-${name}`]).toMatchObject({
          alarm_actions: [topicRef("compute-stack")],
          ok_actions: [topicRef("compute-stack")],
        });
      }
    });

    test("a concurrency alarm exists only for functions with reserved concurrency, near that limit", () => {
      expect(Object.keys(alarms(prod.json["compute-stack"])).filter((n) => n.endsWith("-concurrency"))).toEqual([]);
      const config = loadConfig({ environment: "prod" });
      const synth = synthStacks({
        config: { ...config, lambda: { ...config.lambda, functions: { ...config.lambda.functions, users: { reservedConcurrency: 50 } } } },
      });
      try {
        const compute = alarms(synth.json["compute-stack"]);
        expect(Object.keys(compute).filter((n) => n.endsWith("-concurrency"))).toEqual(["prod-service-users-concurrency"]);
        expect(compute["prod-service-users-concurrency"]).toMatchObject({
          metric_name: "ConcurrentExecutions",
          statistic: "Maximum",
          threshold: 40,
        });
      } finally {
        synth.cleanup();
      }
    });

    test("failed log-ins (compute-stack): the failed share of log-ins, once the failures reach the minimum, from config", () => {
      const config = loadConfig({ environment: "prod" });
      const alarm = alarms(prod.json["compute-stack"])["prod-service-failed-log-ins"];
      const { minFailures, rate } = config.monitoring.failedLogIns;
      expect(alarm).toMatchObject({ threshold: rate, comparison_operator: "GreaterThanOrEqualToThreshold", treat_missing_data: "notBreaching" });
      expect(alarm.metric_query[0]).toMatchObject({
        id: "e",
        expression: `IF(failed >= ${minFailures}, failed / (failed + FILL(succeeded, 0)), 0)`,
        return_data: true,
      });
      expect(alarm.metric_query.slice(1).map((q: any) => [q.id, q.metric])).toEqual([
        ["failed", expect.objectContaining({ namespace: "prod-service", metric_name: "LogInsFailed", stat: "Sum", period: 60 })],
        ["succeeded", expect.objectContaining({ namespace: "prod-service", metric_name: "LogInsSucceeded", stat: "Sum", period: 60 })],
      ]);
      expect(alarm).toMatchObject({ alarm_actions: [topicRef("compute-stack")], ok_actions: [topicRef("compute-stack")] });
    });

    test("every function writes its business metrics to the deployment's namespace", () => {
      const fns = resources(prod.json["compute-stack"], "aws_lambda_function");
      expect(fns.map((f) => (f.config as any).environment.variables.METRICS_NAMESPACE)).toEqual(fns.map(() => "prod-service"));
    });

    test("API stage: 5XX count, 4XX rate, p99 latency and p99 integration latency", () => {
      const api = alarms(prod.json["api-stack"]);
      const dims = { ApiName: expect.stringContaining("aws_api_gateway_rest_api"), Stage: "prod" };
      expect(api["prod-service-api-5xx"]).toMatchObject({ metric_name: "5XXError", statistic: "Sum", threshold: 5, dimensions: dims });
      expect(api["prod-service-api-4xx-rate"]).toMatchObject({
        metric_name: "4XXError",
        statistic: "Average",
        threshold: 0.25,
        comparison_operator: "GreaterThanThreshold",
      });
      expect(api["prod-service-api-latency-p99"]).toMatchObject({ metric_name: "Latency", extended_statistic: "p99", threshold: 1500 });
      expect(api["prod-service-api-integration-latency-p99"]).toMatchObject({
        metric_name: "IntegrationLatency",
        extended_statistic: "p99",
        threshold: 1200,
      });
      for (const alarm of Object.values(api)) expect(alarm.alarm_actions).toEqual([topicRef("api-stack")]);
    });
  });

  describe("dashboard", () => {
    test("has one row per layer and is named with the prefix", () => {
      const [dashboard] = resources(prod.json["api-stack"], "aws_cloudwatch_dashboard");
      expect(dashboard.config.dashboard_name).toBe("prod-service-dashboard");
      const body = JSON.parse(dashboard.config.dashboard_body as string);
      const headers = body.widgets.filter((w: any) => w.type === "text").map((w: any) => w.properties.markdown);
      expect(headers).toEqual(["## API", "## Functions", "## Tables", "## Business"]);
      const functions = body.widgets.find((w: any) => w.properties.title === "Invocations");
      expect(functions.properties.metrics.map((m: any[]) => m[4].label)).toEqual(FUNCTION_NAMES);
    });

    test("shows the latency of each table per declared operation (DynamoDB publishes it per TableName and Operation)", () => {
      const [dashboard] = resources(prod.json["api-stack"], "aws_cloudwatch_dashboard");
      const body = JSON.parse(dashboard.config.dashboard_body as string);
      const latency = body.widgets.find((w: any) => w.properties.title === "Request latency (ms)");
      const lines = latency.properties.metrics.map((m: any[]) => [m[1], m[2], m[4], m[5], m[6].label]);
      const expected = APP_TABLES.flatMap((table) =>
        tableOperations(table).map((op) => ["SuccessfulRequestLatency", "TableName", "Operation", op, `${table} ${op}`]),
      );
      expect(lines).toEqual(expected);
    });

    test("the business row draws every business metric from the functions' namespace", () => {
      const [dashboard] = resources(prod.json["api-stack"], "aws_cloudwatch_dashboard");
      const body = JSON.parse(dashboard.config.dashboard_body as string);
      const business = body.widgets.filter((w: any) => w.type === "metric" && w.properties.metrics.some((m: any[]) => m[0] === "prod-service"));
      expect(business.map((w: any) => w.properties.title)).toEqual(["Accounts", "Log-ins", "Authorizer denials"]);
      const drawn = business.flatMap((w: any) => w.properties.metrics.map((m: any[]) => m[1]));
      expect(drawn.sort()).toEqual([...BUSINESS_METRIC_NAMES].sort());
      expect(business.every((w: any) => w.properties.metrics.every((m: any[]) => m.length === 3 && m[2].stat === "Sum"))).toBe(true);
    });

    test("every alarm and widget metric in the app's namespace is a business metric the functions write, with no dimensions, as their EMF lines do", () => {
      const namespace = "prod-service";
      const [dashboard] = resources(prod.json["api-stack"], "aws_cloudwatch_dashboard");
      const widgetLines = JSON.parse(dashboard.config.dashboard_body as string).widgets.flatMap((w: any) => w.properties.metrics ?? []);
      const fromWidgets = widgetLines.filter((m: any[]) => m[0] === namespace).map((m: any[]) => ({ name: m[1], dimensions: m.slice(2, -1) }));
      const fromAlarms = Object.values(alarms(prod.json["compute-stack"])).flatMap((a: any) =>
        (a.metric_query ?? [])
          .filter((q: any) => q.metric?.namespace === namespace)
          .map((q: any) => ({ name: q.metric.metric_name, dimensions: Object.keys(q.metric.dimensions ?? {}) })),
      );

      expect(fromWidgets.length + fromAlarms.length).toBeGreaterThan(0);
      const wrong = [...fromWidgets, ...fromAlarms].filter(
        (use) => !(BUSINESS_METRIC_NAMES as string[]).includes(use.name) || use.dimensions.length > 0,
      );
      expect(wrong).toEqual([]);
    });

    test("its URL is an output", () => {
      const output = prod.json["api-stack"].output?.dashboard_url;
      expect(output?.description).toEqual(expect.any(String));
      expect(String(output?.value)).toContain("#dashboards/dashboard/");
    });
  });
});
