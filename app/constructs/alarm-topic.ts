import { Construct } from "constructs";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";

export interface AlarmTopicProps {
  /** Topic name, prefix included. */
  readonly topicName: string;
  /** Customer-managed key encrypting the messages; its policy must let CloudWatch alarms use it. */
  readonly kmsKeyArn: string;
  readonly accountId: string;
  readonly region: string;
  /** Alarms allowed to publish, as an ARN pattern, e.g. "arn:aws:cloudwatch:us-east-1:123:alarm:prod-service-*". */
  readonly alarmArnPattern: string;
  /** Subscribed by email when set; the recipient confirms the subscription. @default none */
  readonly email?: string | null;
}

/**
 * The SNS topic every alarm of the app notifies, encrypted with the app key. Only CloudWatch alarms of this app
 * (account + alarm name pattern) may publish, and only over TLS.
 */
export class AlarmTopic extends Construct {
  public readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: props.kmsKeyArn });

    const policy = new DataAwsIamPolicyDocument(this, "policy", {
      statement: [
        {
          sid: "CloudWatchAlarmsOfThisApp",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
            { test: "ArnLike", variable: "aws:SourceArn", values: [props.alarmArnPattern] },
          ],
        },
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["sns:Publish", "sns:Subscribe"],
          resources: [this.topic.arn],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new SnsTopicPolicy(this, "topic-policy", { arn: this.topic.arn, policy: policy.json });

    if (props.email) {
      new SnsTopicSubscription(this, "email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.email });
    }
  }
}
