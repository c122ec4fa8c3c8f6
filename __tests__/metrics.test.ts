/**
 * The business metrics' EMF lines (app/lambda-packages/shared/metrics.ts) against the CloudWatch Embedded Metric
 * Format specification, and what the local run counts from them (tools/local/metrics.ts).
 */
import Ajv2020 from "ajv/dist/2020";
import { BUSINESS_METRIC_NAMES, count, emfDocument, METRICS_NAMESPACE_ENV } from "../app/lambda-packages/shared/metrics";
import { LocalMetrics } from "../tools/local/metrics";

/**
 * The EMF specification's document structure as a JSON Schema: a root `_aws` MetadataObject with a
 * millisecond `Timestamp` and `CloudWatchMetrics` MetricDirectives (Namespace 1-1024 characters, Dimensions of
 * DimensionSets of at most 30 keys, 1-100 MetricDefinitions with a Name of 1-255 characters and a standard
 * Unit); metadata objects have no other members; each metric and dimension named is a root member (a number or
 * at most 100 numbers; a string of at most 1024 characters).
 */
const UNITS = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
];
const EMF_SCHEMA = {
  type: "object",
  required: ["_aws"],
  properties: {
    _aws: {
      type: "object",
      additionalProperties: false,
      required: ["Timestamp", "CloudWatchMetrics"],
      properties: {
        Timestamp: { type: "integer", minimum: 0 },
        CloudWatchMetrics: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            additionalProperties: false,
            required: ["Namespace", "Dimensions", "Metrics"],
            properties: {
              Namespace: { type: "string", minLength: 1, maxLength: 1024 },
              Dimensions: { type: "array", items: { type: "array", maxItems: 30, items: { type: "string", minLength: 1, maxLength: 250 } } },
              Metrics: {
                type: "array",
                minItems: 1,
                maxItems: 100,
                items: {
                  type: "object",
                  additionalProperties: false,
                  required: ["Name"],
                  properties: {
                    Name: { type: "string", minLength: 1, maxLength: 255 },
                    Unit: { enum: UNITS },
                    StorageResolution: { enum: [1, 60] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
const validateEmf = new Ajv2020({ allErrors: true, strict: true }).compile(EMF_SCHEMA);

/** The spec's rule across members: every metric named has a numeric root member, every dimension a string one. */
function targetMembersProblems(doc: Record<string, any>): string[] {
  const problems: string[] = [];
  for (const directive of doc._aws.CloudWatchMetrics) {
    for (const { Name } of directive.Metrics) {
      const value = doc[Name];
      const ok = typeof value === "number" || (Array.isArray(value) && value.length <= 100 && value.every((v) => typeof v === "number"));
      if (!ok) problems.push(`metric ${Name} has no numeric root member`);
    }
    for (const key of directive.Dimensions.flat()) {
      if (typeof doc[key] !== "string" || doc[key].length > 1024) problems.push(`dimension ${key} has no string root member`);
    }
  }
  return problems;
}

describe("business metrics as EMF", () => {
  const lines: string[] = [];
  const write = (line: string) => lines.push(line);

  beforeEach(() => {
    lines.length = 0;
    process.env[METRICS_NAMESPACE_ENV] = "test-service";
  });
  afterAll(() => {
    delete process.env[METRICS_NAMESPACE_ENV];
  });

  test("count() writes exactly this line: the metric at the root, its directive in _aws, no dimensions, unit Count", () => {
    jest.spyOn(Date, "now").mockReturnValueOnce(1_764_000_000_000);

    count("LogInsFailed", 1, write);

    expect(lines).toEqual([
      '{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":[{"Namespace":"test-service","Dimensions":[[]],"Metrics":[{"Name":"LogInsFailed","Unit":"Count"}]}]},"LogInsFailed":1}',
    ]);
  });

  test.each(BUSINESS_METRIC_NAMES)("the line of %s is a valid EMF document on one line", (metric) => {
    count(metric, 1, write);

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    const doc = JSON.parse(lines[0]);
    expect(validateEmf(doc) ? [] : validateEmf.errors).toEqual([]);
    expect(targetMembersProblems(doc)).toEqual([]);
    expect(doc[metric]).toBe(1);
  });

  test("the schema check can fail: a nested document, a missing Timestamp and an unknown Unit are refused", () => {
    const doc = emfDocument("ns", { SignUps: 1 }, 1);
    expect(validateEmf({ message: doc })).toBe(false);
    expect(validateEmf({ ...doc, _aws: { CloudWatchMetrics: doc._aws.CloudWatchMetrics } })).toBe(false);
    expect(
      validateEmf({
        ...doc,
        _aws: { ...doc._aws, CloudWatchMetrics: [{ ...doc._aws.CloudWatchMetrics[0], Metrics: [{ Name: "SignUps", Unit: "Things" }] }] },
      }),
    ).toBe(false);
    expect(targetMembersProblems({ _aws: doc._aws })).toEqual(["metric SignUps has no numeric root member"]);
  });

  test("goes to process.stdout as one raw line, not through console (which Lambda's JSON log format would wrap)", () => {
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const info = jest.spyOn(console, "info").mockImplementation(() => undefined);
    const log = jest.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      count("SignUps");
      expect(stdout).toHaveBeenCalledTimes(1);
      const [chunk] = stdout.mock.calls[0];
      expect(String(chunk).endsWith("}\n")).toBe(true);
      expect(JSON.parse(String(chunk)).SignUps).toBe(1);
      expect(info).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
      info.mockRestore();
      log.mockRestore();
    }
  });

  test("writes nothing without METRICS_NAMESPACE", () => {
    delete process.env[METRICS_NAMESPACE_ENV];
    count("SignUps", 1, write);
    expect(lines).toEqual([]);
  });

  test("refuses a document without metrics or with an empty namespace", () => {
    expect(() => emfDocument("ns", {})).toThrow("an EMF document needs 1 to 100 metrics, received 0");
    expect(() => emfDocument("", { SignUps: 1 })).toThrow("an EMF namespace must be 1 to 1024 characters, received 0");
  });
});

describe("LocalMetrics (the local run's view of CloudWatch's extraction)", () => {
  test("sums the metrics of raw EMF lines, and ignores an EMF document wrapped in a console log line", () => {
    const metrics = new LocalMetrics();
    const line = JSON.stringify(emfDocument("dev-service", { LogInsFailed: 1 }, 1));

    expect(metrics.record(line)).toBe(true);
    expect(metrics.record(line)).toBe(true);
    expect(metrics.record(JSON.stringify({ timestamp: "t", level: "INFO", requestId: "r", message: JSON.parse(line) }))).toBe(false);
    expect(metrics.record('{"msg":"session started"}')).toBe(false);
    expect(metrics.record("not json {")).toBe(false);

    expect(metrics.snapshot()).toEqual({ "dev-service": { LogInsFailed: 2 } });
    expect(metrics.lines()).toEqual(["  dev-service LogInsFailed 2"]);
  });
});
