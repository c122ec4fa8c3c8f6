import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { AlarmTopic } from "../constructs/alarm-topic";
import type { AlarmSettings } from "../constructs/alarms";
import { AppKey } from "../constructs/app-key";
import { PackageBucket } from "../constructs/package-bucket";
import { SecureTable } from "../constructs/secure-table";
import type { DynamoDbOperation } from "../constructs/dynamodb-operations";
import { SESSIONS_TABLE, USERS_TABLE } from "../lambda-packages/shared/table-keys";
import { BaseStack, BaseStackProps } from "./base-stack";
import { AppTable, tableOperations } from "./function-access";

export type DataStackProps = BaseStackProps;

/**
 * The stateful layer, deployed first and changed least: the app's KMS key, the users and sessions tables and
 * the bucket of Lambda packages. Everything the other stacks need from here is a public property; cdktf turns
 * each use into a cross-stack reference.
 */
export class DataStack extends BaseStack {
  public readonly accountId: string;
  public readonly appKey: AppKey;
  public readonly usersTable: SecureTable;
  public readonly sessionsTable: SecureTable;
  /** Both tables by their short name, as FUNCTION_ACCESS names them. */
  public readonly tables: Readonly<Record<AppTable, SecureTable>>;
  public readonly packageBucket: PackageBucket;
  public readonly alarmTopic: AlarmTopic;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.accountId = new DataAwsCallerIdentity(this, "caller").accountId;
    const alarmArnPattern = `arn:aws:cloudwatch:${config.region}:${this.accountId}:alarm:${config.namePrefix}*`;
    this.appKey = new AppKey(this, "app-key", {
      aliasName: this.prefixed("app"),
      accountId: this.accountId,
      region: config.region,
      alarmArnPattern,
    });
    const kmsKeyArn = this.appKey.key.arn;

    this.alarmTopic = new AlarmTopic(this, "alarm-topic", {
      topicName: this.prefixed("alarms"),
      kmsKeyArn,
      accountId: this.accountId,
      region: config.region,
      alarmArnPattern,
      email: config.monitoring.alarmEmail,
    });
    const alarms: AlarmSettings = {
      topicArn: this.alarmTopic.topic.arn,
      periodSeconds: config.monitoring.periodSeconds,
      evaluationPeriods: config.monitoring.evaluationPeriods,
    };
    // SystemErrors is published per operation: watch every operation some function is declared to call.
    const tableAlarms = (operations: readonly DynamoDbOperation[]) => ({
      ...alarms,
      throttledRequests: config.monitoring.tableThrottledRequests,
      systemErrors: config.monitoring.tableSystemErrors,
      operations,
    });

    this.usersTable = new SecureTable(this, "users", {
      tableName: this.prefixed("users"),
      partitionKey: { name: USERS_TABLE.partitionKey, type: "S" },
      ttlAttribute: USERS_TABLE.ttlAttribute,
      kmsKeyArn,
      ...config.dynamodb,
      alarms: tableAlarms(tableOperations("users")),
    });

    this.sessionsTable = new SecureTable(this, "sessions", {
      tableName: this.prefixed("sessions"),
      partitionKey: { name: SESSIONS_TABLE.partitionKey, type: "S" },
      globalSecondaryIndexes: [
        {
          name: SESSIONS_TABLE.byUserIdIndex,
          partitionKey: { name: SESSIONS_TABLE.userIdAttribute, type: "S" },
          sortKey: { name: SESSIONS_TABLE.createdAtAttribute, type: "N" },
        },
      ],
      ttlAttribute: SESSIONS_TABLE.ttlAttribute,
      kmsKeyArn,
      ...config.dynamodb,
      alarms: tableAlarms(tableOperations("sessions")),
    });

    this.tables = { users: this.usersTable, sessions: this.sessionsTable };

    this.packageBucket = new PackageBucket(this, "packages", {
      bucketName: `${this.prefixed("lambda-pkgs")}-${this.accountId}-${config.region}`,
      kmsKeyArn,
    });

    const outputs: Record<string, [string, string]> = {
      users_table_name: [this.usersTable.table.name, "Name of the users table (profiles and email claims)"],
      users_table_arn: [this.usersTable.table.arn, "ARN of the users table"],
      sessions_table_name: [this.sessionsTable.table.name, "Name of the sessions table (keyed by token hash, TTL on expiresAt)"],
      sessions_table_arn: [this.sessionsTable.table.arn, "ARN of the sessions table"],
      kms_key_arn: [kmsKeyArn, "ARN of the customer-managed key encrypting tables, packages and logs"],
      kms_alias_name: [this.appKey.alias.name, "Alias of the app key"],
      package_bucket_name: [this.packageBucket.bucket.bucket, "Bucket holding the versioned Lambda ZIP packages"],
      alarm_topic_arn: [this.alarmTopic.topic.arn, "SNS topic every alarm notifies (subscribe on-call here)"],
    };
    for (const [name, [value, description]] of Object.entries(outputs)) {
      new TerraformOutput(this, name, { value, description });
    }
  }
}
