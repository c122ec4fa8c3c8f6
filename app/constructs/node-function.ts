import { Construct } from "constructs";
import { AssetType, TerraformAsset, Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import type { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { DataAwsIamPolicyDocument, DataAwsIamPolicyDocumentStatement } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { serviceRole } from "./service-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import type { LambdaArtifact } from "../lambda-packages/artifacts";
import { addAlarm, AlarmSettings } from "./alarms";
import { DynamoDbOperation, dynamoDbAction, kmsActionsThroughDynamoDb } from "./dynamodb-operations";
import { ValidationError } from "./validation-error";

/** One DynamoDB permission of a function: exactly these operations on exactly one table or index ARN. */
export interface DynamoDbGrant {
  /** Statement id, e.g. "UsersTable". */
  readonly sid: string;
  readonly operations: readonly DynamoDbOperation[];
  /** ARN of the table, or of one of its indexes (`<table arn>/index/<name>`). */
  readonly resourceArn: string;
  /** Restricts the grant to items whose partition key is one of these (`dynamodb:LeadingKeys`). @default any item */
  readonly leadingKeys?: readonly string[];
}

/** Runtime settings of one function, resolved from config. */
export interface FunctionSettings {
  readonly runtime: string;
  readonly architecture: "arm64" | "x86_64";
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly reservedConcurrency: number | null;
  readonly logRetentionDays: number;
  readonly applicationLogLevel: string;
  readonly systemLogLevel: string;
}

export interface NodeFunctionProps {
  /** Full function name, prefix included. */
  readonly functionName: string;
  readonly description: string;
  /** The static ZIP built by `npm run package`. */
  readonly artifact: LambdaArtifact;
  /** Versioned bucket the function's code is read from: one object per function, a new version per build. */
  readonly packageBucket: string;
  /** S3 version of the package object to run instead of the current build's (a rollback). @default the object's current version */
  readonly packageVersionId?: string;
  readonly settings: FunctionSettings;
  /** Customer-managed key of the app: encrypts the log group; DynamoDB uses it on the function's behalf. */
  readonly kmsKeyArn: string;
  readonly accountId: string;
  readonly region: string;
  readonly environment: Readonly<Record<string, string>>;
  /** DynamoDB permissions; @default none */
  readonly dynamoDbGrants?: readonly DynamoDbGrant[];
  /** Alarms on errors, throttles, p99 duration and (with reserved concurrency) concurrency; @default none */
  readonly alarms?: FunctionAlarmProps;
}

export interface FunctionAlarmProps extends AlarmSettings {
  /** Errors per period. */
  readonly errors: number;
  /** Throttled invocations per period. */
  readonly throttles: number;
  /** p99 duration threshold as a fraction of the timeout (0.8 = alarm at 80 % of the timeout). */
  readonly durationP99OfTimeout: number;
  /** Concurrency threshold as a fraction of the reserved concurrency. */
  readonly concurrencyOfReserved: number;
}

const MEMORY_RANGE = [128, 10240] as const;

/** The alias every caller invokes a function through (API Gateway, the authorizer); a release moves its traffic. */
export const LIVE_ALIAS = "live";

/**
 * A Node.js Lambda function with everything it owns: a role only Lambda of this account can assume, an inline
 * policy with exactly the DynamoDB operations and ARNs it is given (plus KMS through DynamoDB, its own log streams
 * and X-Ray), its log group (created first, with retention and encryption, so the role needs no
 * `logs:CreateLogGroup`), its package in S3 (one object, a new version per build), and the function itself with
 * `lambda-handler.handler`, active tracing and JSON logs, running the package version it is pinned to. Each change
 * publishes a numbered version; callers invoke the alias `live` (LIVE_ALIAS), which a release shifts to it, so
 * which version serves is the alias's choice, not `$LATEST`'s, and the alarms watch what the alias serves.
 */
export class NodeFunction extends Construct {
  public readonly role: IamRole;
  public readonly policy: IamRolePolicy;
  public readonly policyDocument: DataAwsIamPolicyDocument;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly packageObject: S3Object;
  public readonly function: LambdaFunction;
  /** `live`: what API Gateway invokes; created on the first version, then moved by releases (`npm run release`). */
  public readonly alias: LambdaAlias;
  /** Its alarms (errors, throttles, p99 duration, concurrency); a release rolls back when one of them fires. */
  public readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    const { settings } = props;
    if (!Token.isUnresolved(settings.memorySize) && (settings.memorySize < MEMORY_RANGE[0] || settings.memorySize > MEMORY_RANGE[1])) {
      throw new ValidationError(`memorySize must be 128..10240 MB, received ${settings.memorySize}`, this);
    }
    if (!Token.isUnresolved(props.functionName) && props.functionName.length > 64) {
      throw new ValidationError(`functionName must be at most 64 characters, received "${props.functionName}"`, this);
    }

    this.role = serviceRole(this, {
      service: "lambda.amazonaws.com",
      accountId: props.accountId,
      name: `${props.functionName}-role`,
      description: `Execution role of ${props.functionName}`,
    });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    const grants = props.dynamoDbGrants ?? [];
    const statements: DataAwsIamPolicyDocumentStatement[] = grants.map((grant) => ({
      sid: grant.sid,
      actions: grant.operations.map(dynamoDbAction),
      resources: [grant.resourceArn],
      condition: grant.leadingKeys
        ? [{ test: "ForAllValues:StringEquals", variable: "dynamodb:LeadingKeys", values: [...grant.leadingKeys] }]
        : undefined,
    }));
    const kmsActions = kmsActionsThroughDynamoDb(grants.flatMap((grant) => grant.operations));
    if (kmsActions.length > 0) {
      statements.push({
        // DynamoDB decrypts the table key with KMS on behalf of the principal accessing the table, for reads and
        // writes alike; GenerateDataKey is DynamoDB's own call when it creates the table key (AWS KMS Developer
        // Guide, "How Amazon DynamoDB uses AWS KMS"). The local run enforces exactly this (tools/local/iam/).
        sid: "UseAppKeyThroughDynamoDb",
        actions: [...kmsActions],
        resources: [props.kmsKeyArn],
        condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [`dynamodb.${props.region}.amazonaws.com`] }],
      });
    }
    statements.push(
      {
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
      {
        // X-Ray has no resource-level permissions: these two actions only accept "*".
        sid: "SendTraces",
        actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        resources: ["*"],
      },
    );
    this.policyDocument = new DataAwsIamPolicyDocument(this, "access", { statement: statements });
    this.policy = new IamRolePolicy(this, "policy", {
      name: `${props.functionName}-access`,
      role: this.role.id,
      policy: this.policyDocument.json,
    });

    // One object per function under a fixed key: a build that changes the ZIP changes `source_hash`, which the
    // provider updates in place with a new upload (only `bucket` and `key` force a replacement). In the versioned
    // bucket that is a new version, and the one it replaces stays as noncurrent (kept by the bucket's lifecycle
    // rule), so an earlier build can be run again. A replaced or destroyed aws_s3_object would take every version of
    // its key with it (the provider deletes them all), which is why the key never changes.
    const asset = new TerraformAsset(this, "package", { path: props.artifact.zipPath, type: AssetType.FILE });
    this.packageObject = new S3Object(this, "package-object", {
      bucket: props.packageBucket,
      key: props.artifact.s3Key,
      source: asset.path,
      sourceHash: props.artifact.sha256Hex,
      contentType: "application/zip",
    });

    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      handler: "lambda-handler.handler",
      runtime: settings.runtime,
      architectures: [settings.architecture],
      memorySize: settings.memorySize,
      timeout: settings.timeoutSeconds,
      reservedConcurrentExecutions: settings.reservedConcurrency ?? undefined,
      // The object's version_id is unknown in a plan whenever its content changes, so a new build updates the
      // code; `packageVersionId` runs an earlier version instead (a rollback). The version pins the bytes, so there
      // is no source_code_hash (the current build's hash would be wrong for a pinned function). Lambda reads the
      // object with the deployer's credentials; in a first deploy S3 may answer 404 for it while the bucket's new
      // versioning propagates (docs/operations.md, "First deploy").
      s3Bucket: props.packageBucket,
      s3Key: this.packageObject.key,
      s3ObjectVersion: props.packageVersionId ?? this.packageObject.versionId,
      environment: { variables: { ...props.environment } },
      tracingConfig: { mode: "Active" },
      loggingConfig: {
        logFormat: "JSON",
        logGroup: this.logGroup.name,
        applicationLogLevel: settings.applicationLogLevel,
        systemLogLevel: settings.systemLogLevel,
      },
      // A change of code or configuration publishes a new immutable version, which the alias can move to (and back).
      publish: true,
      dependsOn: [this.logGroup, this.policy],
    });

    this.alias = new LambdaAlias(this, "alias", {
      name: LIVE_ALIAS,
      description: `What callers of ${props.functionName} invoke`,
      functionName: this.function.functionName,
      // Terraform creates the alias on the first version; from then on `npm run release` (CodeDeploy) moves it, a
      // canary at a time and back on an alarm, so Terraform must neither undo a shift nor jump ahead of one.
      functionVersion: this.function.version,
      lifecycle: { ignoreChanges: ["function_version", "routing_config"] },
    });

    if (props.alarms) this.addAlarms(props.functionName, settings, props.alarms);
  }

  private addAlarms(functionName: string, settings: FunctionSettings, alarms: FunctionAlarmProps): void {
    // Lambda publishes each metric per function and, with `Resource` = `<function>:<alias>`, per alias: the alias's
    // metrics are what callers get, whichever version serves them, so a release can roll back on them.
    const metric = (metricName: string) => ({
      namespace: "AWS/Lambda",
      metricName,
      dimensions: { FunctionName: this.function.functionName, Resource: `${this.function.functionName}:${this.alias.name}` },
    });
    this.alarms.push(
      addAlarm(this, "errors-alarm", alarms, {
        ...metric("Errors"),
        statistic: "Sum",
        name: `${functionName}-errors`,
        description: `${functionName} throws or times out`,
        threshold: alarms.errors,
      }),
    );
    this.alarms.push(
      addAlarm(this, "throttles-alarm", alarms, {
        ...metric("Throttles"),
        statistic: "Sum",
        name: `${functionName}-throttles`,
        description: `Invocations of ${functionName} are throttled (concurrency exhausted)`,
        threshold: alarms.throttles,
      }),
    );
    const durationMs = Math.round(settings.timeoutSeconds * 1000 * alarms.durationP99OfTimeout);
    this.alarms.push(
      addAlarm(this, "duration-alarm", alarms, {
        ...metric("Duration"),
        statistic: "p99",
        name: `${functionName}-duration-p99`,
        description: `p99 duration of ${functionName} is at ${alarms.durationP99OfTimeout * 100} % of its ${settings.timeoutSeconds} s timeout (${durationMs} ms)`,
        threshold: durationMs,
      }),
    );
    if (settings.reservedConcurrency !== null) {
      const limit = Math.max(1, Math.floor(settings.reservedConcurrency * alarms.concurrencyOfReserved));
      this.alarms.push(
        addAlarm(this, "concurrency-alarm", alarms, {
          // Reserved concurrency is the function's, shared by all its versions: compare it with the whole function.
          namespace: "AWS/Lambda",
          metricName: "ConcurrentExecutions",
          dimensions: { FunctionName: this.function.functionName },
          statistic: "Maximum",
          name: `${functionName}-concurrency`,
          description: `${functionName} runs ${limit} or more of its ${settings.reservedConcurrency} reserved concurrent executions`,
          threshold: limit,
        }),
      );
    }
  }
}
