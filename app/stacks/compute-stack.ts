import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import type { AppConfig, LambdaConfig } from "../config/schema";
import { addAlarm } from "../constructs/alarms";
import { FunctionReleases } from "../constructs/function-releases";
import { DynamoDbGrant, FunctionSettings, NodeFunction } from "../constructs/node-function";
import type { LambdaArtifact } from "../lambda-packages/artifacts";
import { METRICS_NAMESPACE_ENV, type BusinessMetric } from "../lambda-packages/shared/metrics";
import { BaseStack, BaseStackProps } from "./base-stack";
import type { DataStack } from "./data-stack";
import { AppTable, FUNCTION_ACCESS, tableGrants, tableNameVariable, tablesOf } from "./function-access";
import { FUNCTION_NAMES, FUNCTIONS, type FunctionDeclaration, type FunctionName } from "./functions";
import { routeKey, routesOf } from "./routes";

export interface ComputeStackProps extends BaseStackProps {
  /** The data layer: tables, key, package bucket and account id arrive from it as cross-stack references. */
  readonly data: DataStack;
  /** Finds the ZIP of a function, built by `npm run package` (throws when it is missing or stale). */
  readonly artifacts: (name: FunctionName) => LambdaArtifact;
  /** Reported by `GET /health` as `version`. */
  readonly serviceVersion: string;
}

/** Settings of one function: the config's Lambda defaults with that function's overrides applied. */
export function functionSettings(lambda: LambdaConfig, name: FunctionName): FunctionSettings {
  const { functions, release: _release, ...defaults } = lambda;
  // The package version is which code runs, not a runtime setting: NodeFunction takes it separately.
  const { packageVersionId: _package, ...overrides } = functions[name] ?? {};
  return {
    ...defaults,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  } as FunctionSettings;
}

/** CloudWatch namespace of the business metrics: one per deployment, the name prefix without its "-". */
export function metricsNamespace(config: Pick<AppConfig, "namePrefix">): string {
  return config.namePrefix.replace(/-$/, "");
}

/** A function's description: what it does and, for an API function, the routes it serves (from ROUTES). */
export function functionDescription(name: FunctionName, purpose: string): string {
  const routes = routesOf(name).map(routeKey);
  return routes.length === 0 ? purpose : `${purpose}: ${routes.join(", ")}`;
}

/**
 * The environment compute-stack gives a function: the common variables, `<TABLE>_TABLE_NAME` of each table its
 * FUNCTION_ACCESS entry reaches (`tableName` gives the value), and its declaration's own variables.
 */
export function functionEnvironment(
  config: AppConfig,
  name: FunctionName,
  serviceVersion: string,
  tableName: (table: AppTable) => string,
): Record<string, string> {
  return {
    SERVICE_VERSION: serviceVersion,
    [METRICS_NAMESPACE_ENV]: metricsNamespace(config),
    ALLOWED_ORIGINS: config.api.corsOrigins.join(","),
    ...Object.fromEntries(tablesOf(FUNCTION_ACCESS[name]).map((table) => [tableNameVariable(table), tableName(table)])),
    ...(FUNCTIONS[name] as FunctionDeclaration).environment?.(config),
  };
}

/**
 * The compute layer: one NodeFunction per function of FUNCTIONS (app/stacks/functions.ts), each with its own
 * least-privilege role derived from the function's entry in FUNCTION_ACCESS (app/stacks/function-access.ts): its
 * DynamoDB statements, the KMS use that goes with them, and the table names in its environment. Redeploying this stack alone ships new handler code
 * without touching the data or the API.
 */
export class ComputeStack extends BaseStack {
  public readonly functions: Readonly<Record<FunctionName, NodeFunction>>;
  /** CodeDeploy's application and per-function deployment groups that shift each alias `live` in a release. */
  public readonly releases: FunctionReleases;
  /** Namespace of the business metrics the functions write as EMF (see app/lambda-packages/shared/metrics.ts). */
  public readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const { monitoring } = config;
    this.metricsNamespace = metricsNamespace(config);

    const define = (name: FunctionName): NodeFunction => {
      const declaration: FunctionDeclaration = FUNCTIONS[name];
      const access = FUNCTION_ACCESS[name];
      const dynamoDbGrants: DynamoDbGrant[] = tableGrants(access).map((grant) => ({
        sid: grant.sid,
        operations: grant.operations,
        resourceArn: grant.index ? data.tables[grant.table].indexArn(grant.index) : data.tables[grant.table].table.arn,
        leadingKeys: grant.leadingKeys,
      }));
      return new NodeFunction(this, name, {
        functionName: this.prefixed(name),
        description: functionDescription(name, declaration.description),
        artifact: props.artifacts(name),
        packageBucket: data.packageBucket.bucket.bucket,
        packageVersionId: config.lambda.functions[name]?.packageVersionId,
        settings: functionSettings(config.lambda, name),
        kmsKeyArn: data.appKey.key.arn,
        accountId: data.accountId,
        region: config.region,
        environment: functionEnvironment(config, name, props.serviceVersion, (table) => data.tables[table].table.name),
        dynamoDbGrants,
        alarms: {
          topicArn: data.alarmTopic.topic.arn,
          periodSeconds: monitoring.periodSeconds,
          evaluationPeriods: monitoring.evaluationPeriods,
          errors: monitoring.functionErrors,
          throttles: monitoring.functionThrottles,
          durationP99OfTimeout: monitoring.functionDurationP99OfTimeout,
          concurrencyOfReserved: monitoring.functionConcurrencyOfReserved,
        },
      });
    };

    this.functions = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, define(name)])) as Record<FunctionName, NodeFunction>;
    this.addFailedLogInAlarm(config, data.alarmTopic.topic.arn);
    this.releases = new FunctionReleases(this, "releases", {
      name: this.prefixed("functions"),
      accountId: data.accountId,
      release: config.lambda.release,
      functions: this.functions,
    });
    new TerraformOutput(this, "codedeploy_app_name", {
      value: this.releases.app.name,
      description: "CodeDeploy application of the releases (npm run release)",
    });

    for (const [name, fn] of Object.entries(this.functions)) {
      new TerraformOutput(this, `${name}_function_name`, {
        value: fn.function.functionName,
        description: `Name of the ${name} Lambda function`,
      });
      new TerraformOutput(this, `${name}_log_group_name`, {
        value: fn.logGroup.name,
        description: `Log group of the ${name} function`,
      });
      new TerraformOutput(this, `${name}_function_version`, {
        value: fn.function.version,
        description: `Version of the ${name} function this deploy published: what a release shifts its alias to`,
      });
      new TerraformOutput(this, `${name}_alias_name`, {
        value: fn.alias.name,
        description: `Alias of the ${name} function that API Gateway invokes`,
      });
      new TerraformOutput(this, `${name}_deployment_group_name`, {
        value: this.releases.groups[name as FunctionName].deploymentGroupName,
        description: `CodeDeploy deployment group that releases the ${name} function`,
      });
    }
  }

  /**
   * Credential stuffing shows as many failed log-ins, most of all log-ins: the alarm fires on the failed share
   * of the period's log-ins once the failures reach `failedLogIns.minFailures` (below that the share reads 0).
   */
  private addFailedLogInAlarm(config: AppConfig, topicArn: string): void {
    const { monitoring } = config;
    const { minFailures, rate } = monitoring.failedLogIns;
    const metric = (metricName: BusinessMetric) => ({ namespace: this.metricsNamespace, metricName, dimensions: {}, stat: "Sum" });
    addAlarm(
      this,
      "failed-log-ins",
      { topicArn, periodSeconds: monitoring.periodSeconds, evaluationPeriods: monitoring.evaluationPeriods },
      {
        name: this.prefixed("failed-log-ins"),
        description: `At least ${minFailures} failed log-ins per period, ${Math.round(rate * 100)} % or more of all log-ins: credential stuffing?`,
        expression: `IF(failed >= ${minFailures}, failed / (failed + FILL(succeeded, 0)), 0)`,
        label: "failed share of log-ins",
        threshold: rate,
        metrics: { failed: metric("LogInsFailed"), succeeded: metric("LogInsSucceeded") },
      },
    );
  }
}
