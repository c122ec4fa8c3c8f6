import { Construct } from "constructs";
import { TerraformOutput } from "cdktf";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { AlarmTopic } from "../constructs/alarm-topic";
import type { AlarmSettings } from "../constructs/alarms";
import { AppKey } from "../constructs/app-key";
import { PackageBucket } from "../constructs/package-bucket";
import { SecureTable } from "../constructs/secure-table";
import type { DynamoDbOperation } from "../constructs/dynamodb-operations";
import { TABLE_NAMES, TABLES, type TableDeclaration, type TableName } from "../lambda-packages/shared/tables";
import { BaseStack, BaseStackProps } from "./base-stack";
import { tableOperations } from "./function-access";

export type DataStackProps = BaseStackProps;

/**
 * The stateful layer, deployed first and changed least: the app's KMS key, one table per entry of TABLES
 * (app/lambda-packages/shared/tables.ts) and the bucket of Lambda packages. Everything the other stacks need from here is a public property; cdktf turns
 * each use into a cross-stack reference.
 */
export class DataStack extends BaseStack {
  public readonly accountId: string;
  public readonly appKey: AppKey;
  /** The tables by their short name, as TABLES and FUNCTION_ACCESS name them. */
  public readonly tables: Readonly<Record<TableName, SecureTable>>;
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

    // The construct id is the table's short name: renaming a table in TABLES replaces it (and its data).
    this.tables = Object.fromEntries(
      TABLE_NAMES.map((name) => {
        const { partitionKey, sortKey, indexes, ttlAttribute } = TABLES[name] as TableDeclaration;
        const table = new SecureTable(this, name, {
          tableName: this.prefixed(name),
          partitionKey,
          sortKey,
          globalSecondaryIndexes: Object.entries(indexes).map(([index, keys]) => ({ name: index, ...keys })),
          ttlAttribute,
          kmsKeyArn,
          ...config.dynamodb,
          alarms: tableAlarms(tableOperations(name)),
        });
        return [name, table];
      }),
    ) as Record<TableName, SecureTable>;

    this.packageBucket = new PackageBucket(this, "packages", {
      bucketName: `${this.prefixed("lambda-pkgs")}-${this.accountId}-${config.region}`,
      kmsKeyArn,
    });

    const outputs: Record<string, [string, string]> = {
      ...Object.fromEntries(
        TABLE_NAMES.flatMap((name) => [
          [`${name}_table_name`, [this.tables[name].table.name, `Name of the ${name} table (${TABLES[name].description})`]],
          [`${name}_table_arn`, [this.tables[name].table.arn, `ARN of the ${name} table`]],
        ]),
      ),
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
