import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { addAlarm, AlarmSettings } from "./alarms";
import type { DynamoDbOperation } from "./dynamodb-operations";
import { ValidationError } from "./validation-error";

/** A string (S) or number (N) key attribute. */
export interface KeyAttribute {
  readonly name: string;
  readonly type: "S" | "N";
}

export interface SecondaryIndex {
  readonly name: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** @default "KEYS_ONLY": the cheapest; a lookup then reads the items it needs by key. */
  readonly projectionType?: "KEYS_ONLY" | "ALL";
}

export interface SecureTableProps {
  readonly tableName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes?: readonly SecondaryIndex[];
  /** Attribute holding the expiry in epoch seconds; TTL is on from the first deploy when set. */
  readonly ttlAttribute?: string;
  /** ARN of the customer-managed key for encryption at rest. */
  readonly kmsKeyArn: string;
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  /** Alarms on throttled requests and system errors; @default none */
  readonly alarms?: TableAlarmProps;
}

export interface TableAlarmProps extends AlarmSettings {
  /** Throttled read + write events per period. */
  readonly throttledRequests: number;
  /** System errors per period, summed over `operations`. */
  readonly systemErrors: number;
  /** Operations whose SystemErrors are watched (DynamoDB reports them per operation); at least one. */
  readonly operations: readonly DynamoDbOperation[];
}

/**
 * A DynamoDB table with the secure defaults in one place: on-demand billing, SSE with the app's KMS key,
 * point-in-time recovery and deletion protection as configured, TTL when the data expires.
 */
export class SecureTable extends Construct {
  public readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: SecureTableProps) {
    super(scope, id);
    const indexes = props.globalSecondaryIndexes ?? [];
    const keyAttributes = [props.partitionKey, props.sortKey, ...indexes.flatMap((index) => [index.partitionKey, index.sortKey])].filter(
      (a): a is KeyAttribute => a !== undefined,
    );
    const attributes = [...new Map(keyAttributes.map((a) => [a.name, a])).values()];
    for (const a of keyAttributes) {
      const first = keyAttributes.find((b) => b.name === a.name)!;
      if (first.type !== a.type) {
        throw new ValidationError(`key attribute ${a.name} of ${props.tableName} is both ${first.type} and ${a.type}`, this);
      }
    }

    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: props.partitionKey.name,
      rangeKey: props.sortKey?.name,
      attribute: attributes.map((a) => ({ name: a.name, type: a.type })),
      globalSecondaryIndex: indexes.map((index) => ({
        name: index.name,
        hashKey: index.partitionKey.name,
        rangeKey: index.sortKey?.name,
        projectionType: index.projectionType ?? "KEYS_ONLY",
      })),
      serverSideEncryption: { enabled: true, kmsKeyArn: props.kmsKeyArn },
      pointInTimeRecovery: { enabled: props.pointInTimeRecovery },
      ttl: props.ttlAttribute ? { enabled: true, attributeName: props.ttlAttribute } : undefined,
      deletionProtectionEnabled: props.deletionProtection,
    });

    if (props.alarms) this.addAlarms(props.tableName, props.alarms);
  }

  private addAlarms(tableName: string, alarms: TableAlarmProps): void {
    const metric = (metricName: string, extra: Record<string, string> = {}) => ({
      namespace: "AWS/DynamoDB",
      metricName,
      dimensions: { TableName: this.table.name, ...extra },
      stat: "Sum",
    });
    addAlarm(this, "throttled-requests-alarm", alarms, {
      name: `${tableName}-throttled-requests`,
      description: `Reads or writes of ${tableName} are being throttled`,
      threshold: alarms.throttledRequests,
      expression: "FILL(r, 0) + FILL(w, 0)",
      label: "Throttled events",
      metrics: { r: metric("ReadThrottleEvents"), w: metric("WriteThrottleEvents") },
    });
    if (alarms.operations.length === 0) {
      throw new ValidationError(`alarms.operations of ${tableName} must name at least one operation, received none`, this);
    }
    const operations = Object.fromEntries(alarms.operations.map((operation, i) => [`m${i}`, metric("SystemErrors", { Operation: operation })]));
    addAlarm(this, "system-errors-alarm", alarms, {
      name: `${tableName}-system-errors`,
      description: `DynamoDB answers requests to ${tableName} with internal errors`,
      threshold: alarms.systemErrors,
      expression: `SUM([${Object.keys(operations)
        .map((id) => `FILL(${id}, 0)`)
        .join(", ")}])`,
      label: "System errors",
      metrics: operations,
    });
  }

  /** ARN of a global secondary index of this table, for IAM statements. */
  public indexArn(indexName: string): string {
    return `${this.table.arn}/index/${indexName}`;
  }
}
