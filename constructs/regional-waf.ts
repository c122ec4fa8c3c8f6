import { Construct } from "constructs";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";

export interface RegionalWafProps {
  /** Web ACL name, prefix included; also the prefix of its CloudWatch metric names. */
  readonly name: string;
  /** ARN of the resource to protect (an API Gateway stage). */
  readonly resourceArn: string;
  /** Requests per 5 minutes from one IP address before it is blocked. */
  readonly rateLimitPer5Minutes: number;
}

/**
 * A regional WAFv2 web ACL in front of the API: AWS's managed common rule set (OWASP-style bad inputs) and a
 * rate-based rule per source IP, both with CloudWatch metrics and sampled requests.
 */
export class RegionalWaf extends Construct {
  public readonly webAcl: Wafv2WebAcl;

  constructor(scope: Construct, id: string, props: RegionalWafProps) {
    super(scope, id);
    if (!Number.isInteger(props.rateLimitPer5Minutes) || props.rateLimitPer5Minutes < 10) {
      throw new Error(`rateLimitPer5Minutes must be an integer >= 10, received ${props.rateLimitPer5Minutes}`);
    }
    const visibility = (metric: string) => ({
      CloudWatchMetricsEnabled: true,
      SampledRequestsEnabled: true,
      MetricName: `${props.name}-${metric}`,
    });

    this.webAcl = new Wafv2WebAcl(this, "acl", {
      name: props.name,
      description: `Protects ${props.name}: AWS common rule set and a per-IP rate limit`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudwatchMetricsEnabled: true,
        sampledRequestsEnabled: true,
        metricName: props.name,
      },
      // The provider's nested rule statements do not fit cdktf's generated types; rule_json takes the
      // WAFv2 API's own JSON.
      ruleJson: JSON.stringify([
        {
          Name: "aws-common-rule-set",
          Priority: 1,
          OverrideAction: { None: {} },
          Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: "AWSManagedRulesCommonRuleSet" } },
          VisibilityConfig: visibility("common"),
        },
        {
          Name: "rate-limit-per-ip",
          Priority: 2,
          Action: { Block: {} },
          Statement: { RateBasedStatement: { Limit: props.rateLimitPer5Minutes, AggregateKeyType: "IP" } },
          VisibilityConfig: visibility("rate-limit"),
        },
      ]),
    });

    new Wafv2WebAclAssociation(this, "association", {
      resourceArn: props.resourceArn,
      webAclArn: this.webAcl.arn,
    });
  }
}
