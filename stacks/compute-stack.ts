import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import type { FunctionName, LambdaConfig } from "../config/schema";
import { DynamoDbGrant, FunctionSettings, NodeFunction } from "../constructs/node-function";
import type { LambdaArtifact } from "../lambda-packages/artifacts";
import { HEALTH_PROBE_KEYS } from "../lambda-packages/shared/table-keys";
import { BaseStack, BaseStackProps } from "./base-stack";
import type { DataStack } from "./data-stack";

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
  const { functions, ...defaults } = lambda;
  const overrides = functions[name] ?? {};
  return {
    ...defaults,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  } as FunctionSettings;
}

/**
 * The compute layer: one NodeFunction per function, each with its own least-privilege role. Redeploying this
 * stack alone ships new handler code without touching the data or the API.
 */
export class ComputeStack extends BaseStack {
  public readonly functions: Readonly<Partial<Record<FunctionName, NodeFunction>>>;

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    const users = data.usersTable.table;
    const sessions = data.sessionsTable.table;

    const commonEnvironment = {
      USERS_TABLE_NAME: users.name,
      SESSIONS_TABLE_NAME: sessions.name,
      SERVICE_VERSION: props.serviceVersion,
      ALLOWED_ORIGINS: config.api.corsOrigins.join(","),
    };

    const define = (name: FunctionName, description: string, dynamoDbGrants: DynamoDbGrant[], environment = {}) => {
      const artifact = props.artifacts(name);
      return new NodeFunction(this, name, {
        functionName: this.prefixed(name),
        description,
        artifact,
        packageBucket: data.packageBucket.bucket.bucket,
        settings: functionSettings(config.lambda, name),
        kmsKeyArn: data.appKey.key.arn,
        accountId: data.accountId,
        region: config.region,
        environment: { ...commonEnvironment, ...environment },
        dynamoDbGrants,
      });
    };

    const health = define("health", "GET /health: checks that both tables are reachable", [
      {
        sid: "ProbeUsersTable",
        actions: ["dynamodb:GetItem"],
        resources: [users.arn],
        leadingKeys: [HEALTH_PROBE_KEYS.users],
      },
      {
        sid: "ProbeSessionsTable",
        actions: ["dynamodb:GetItem"],
        resources: [sessions.arn],
        leadingKeys: [HEALTH_PROBE_KEYS.sessions],
      },
    ]);

    this.functions = { health };

    for (const [name, fn] of Object.entries(this.functions)) {
      new TerraformOutput(this, `${name}_function_name`, {
        value: fn.function.functionName,
        description: `Name of the ${name} Lambda function`,
      });
      new TerraformOutput(this, `${name}_log_group_name`, {
        value: fn.logGroup.name,
        description: `Log group of the ${name} function`,
      });
    }
  }
}
