/**
 * What CloudWatch would extract from the functions' log lines, counted locally: every line that is an
 * Embedded Metric Format document (a JSON object with `_aws.CloudWatchMetrics` at its root, as
 * app/lambda-packages/shared/metrics.ts writes them) adds its metrics' values. A JSON log line that merely carries
 * an `_aws` member deeper down (inside `message`) is not one, as on AWS.
 */

/** namespace -> metric name -> sum of the values seen. */
export type MetricTotals = Record<string, Record<string, number>>;

interface Directive {
  readonly Namespace: string;
  readonly Metrics: readonly { readonly Name: string }[];
}

function directives(doc: Record<string, unknown>): readonly Directive[] | undefined {
  const aws = doc._aws as { CloudWatchMetrics?: unknown; Timestamp?: unknown } | undefined;
  if (!aws || typeof aws !== "object" || typeof aws.Timestamp !== "number" || !Array.isArray(aws.CloudWatchMetrics)) return undefined;
  return aws.CloudWatchMetrics.filter(
    (d): d is Directive =>
      typeof d?.Namespace === "string" && Array.isArray(d?.Metrics) && d.Metrics.every((m: { Name?: unknown }) => typeof m?.Name === "string"),
  );
}

export class LocalMetrics {
  private readonly totals: MetricTotals = {};

  /** Counts the metrics of `line` when it is an EMF document; returns whether it was one. */
  record(line: string): boolean {
    if (!line.startsWith("{") || !line.includes('"_aws"')) return false;
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      return false;
    }
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return false;
    const found = directives(doc as Record<string, unknown>);
    if (!found || found.length === 0) return false;
    for (const directive of found) {
      const namespace = (this.totals[directive.Namespace] ??= {});
      for (const { Name } of directive.Metrics) {
        const value = (doc as Record<string, unknown>)[Name];
        const values = Array.isArray(value) ? value : [value];
        for (const v of values) if (typeof v === "number" && Number.isFinite(v)) namespace[Name] = (namespace[Name] ?? 0) + v;
      }
    }
    return true;
  }

  /** A copy of the totals so far. */
  snapshot(): MetricTotals {
    return Object.fromEntries(Object.entries(this.totals).map(([ns, metrics]) => [ns, { ...metrics }]));
  }

  /** One line per metric, e.g. "  dev-service LogInsFailed 3"; a line saying so when there are none. */
  lines(): string[] {
    const rows = Object.entries(this.totals).flatMap(([ns, metrics]) => Object.entries(metrics).map(([name, value]) => `  ${ns} ${name} ${value}`));
    return rows.length === 0 ? ["  (no metrics written)"] : rows;
  }
}
