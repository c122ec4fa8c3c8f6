import { Token } from "cdktf";
import { Construct } from "constructs";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { ValidationError } from "./validation-error";

/**
 * What the account (through IAM policies) may do with the key: administration and symmetric-key use, listed
 * instead of `kms:*` so the key policy has no wildcard action.
 */
const KEY_ACCOUNT_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:RetireGrant",
];

export interface AppKeyProps {
  /** Alias name without `alias/`, e.g. "prod-service-app". */
  readonly aliasName: string;
  readonly accountId: string;
  readonly region: string;
  /** The app's CloudWatch alarms (ARN pattern), which publish to the key-encrypted alarm topic. */
  readonly alarmArnPattern: string;
  /** Days before a scheduled deletion completes. @default 30 */
  readonly deletionWindowInDays?: number;
}

/**
 * The customer-managed KMS key that encrypts the app's data at rest (tables, package bucket, log groups, the
 * alarm topic). Rotation is on. The key policy keeps the account in control through IAM, lets CloudWatch Logs
 * of this account and region use the key for log groups only (the encryption-context condition), and lets
 * this app's CloudWatch alarms publish to the encrypted alarm topic.
 */
export class AppKey extends Construct {
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;

  constructor(scope: Construct, id: string, props: AppKeyProps) {
    super(scope, id);
    const window = props.deletionWindowInDays ?? 30;
    if (!Token.isUnresolved(window) && (window < 7 || window > 30)) {
      throw new ValidationError(`deletionWindowInDays must be 7..30, received ${window}`, this);
    }

    const policy = new DataAwsIamPolicyDocument(this, "policy", {
      statement: [
        {
          sid: "AccountAdministersKeyThroughIam",
          principals: [{ type: "AWS", identifiers: [`arn:aws:iam::${props.accountId}:root`] }],
          actions: KEY_ACCOUNT_ACTIONS,
          resources: ["*"],
        },
        {
          sid: "CloudWatchLogsOfThisAccountAndRegion",
          principals: [{ type: "Service", identifiers: [`logs.${props.region}.amazonaws.com`] }],
          actions: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          resources: ["*"],
          condition: [
            {
              test: "ArnLike",
              variable: "kms:EncryptionContext:aws:logs:arn",
              values: [`arn:aws:logs:${props.region}:${props.accountId}:log-group:*`],
            },
          ],
        },
        {
          sid: "CloudWatchAlarmsPublishToEncryptedTopic",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
            { test: "ArnLike", variable: "aws:SourceArn", values: [props.alarmArnPattern] },
          ],
        },
      ],
    });

    this.key = new KmsKey(this, "key", {
      description: `App data key (${props.aliasName}): DynamoDB tables, Lambda package bucket, log groups`,
      enableKeyRotation: true,
      deletionWindowInDays: window,
      policy: policy.json,
    });
    this.alias = new KmsAlias(this, "alias", { name: `alias/${props.aliasName}`, targetKeyId: this.key.keyId });
  }
}
