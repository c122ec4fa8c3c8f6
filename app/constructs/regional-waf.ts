import { Token } from "cdktf";
import { Construct } from "constructs";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { ValidationError } from "./validation-error";

export interface RegionalWafProps {
  /** Web ACL name, prefix included; also the prefix of its CloudWatch metric names. */
  readonly name: string;
  /** ARN of the resource to protect (an API Gateway stage). */
  readonly resourceArn: string;
  /** Requests per 5 minutes from one IP address before it is blocked. */
  readonly rateLimitPer5Minutes: number;
  /**
   * Blocks requests from VPNs, Tor, proxies and hosting providers (AWS's anonymous IP list). Off by default: it
   * also blocks API clients that run in a cloud, CI runners included. @default false
   */
  readonly anonymousIpList?: boolean;
}

/**
 * Web ACL capacity units (WCU) of the AWS managed rule groups used here, as AWS's developer guide lists them
 * ("AWS Managed Rules rule groups list": baseline and IP reputation groups).
 */
export const MANAGED_RULE_GROUP_WCU = {
  AWSManagedRulesCommonRuleSet: 700,
  AWSManagedRulesKnownBadInputsRuleSet: 200,
  AWSManagedRulesAnonymousIpList: 50,
} as const;
export type ManagedRuleGroupName = keyof typeof MANAGED_RULE_GROUP_WCU;

/** A rate-based rule without a scope-down statement costs 2 WCU (AWS WAF developer guide, "Rate-based rule statement"). */
export const RATE_BASED_RULE_WCU = 2;

/**
 * WCU a web ACL holds at the base price; AWS charges extra above it (and never allows more than 5,000). The ACL
 * here stays within it.
 */
export const WEB_ACL_BASE_CAPACITY = 1500;

interface WafRule {
  readonly Name: string;
  readonly Priority: number;
  readonly [key: string]: unknown;
}

/**
 * A regional WAFv2 web ACL in front of the API: optionally AWS's anonymous IP list, a rate-based rule per source
 * IP, AWS's managed common rule set (OWASP-style bad inputs) and its known-bad-inputs rule set (Log4j/Log4Shell,
 * Java deserialization, exploitable paths), each with CloudWatch metrics and sampled requests.
 */
export class RegionalWaf extends Construct {
  public readonly webAcl: Wafv2WebAcl;
  /** WCU the rules use, counted from the documented cost of each rule. */
  public readonly capacity: number;

  constructor(scope: Construct, id: string, props: RegionalWafProps) {
    super(scope, id);
    const rateLimit = props.rateLimitPer5Minutes;
    if (!Token.isUnresolved(rateLimit) && (!Number.isInteger(rateLimit) || rateLimit < 10)) {
      throw new ValidationError(`rateLimitPer5Minutes must be an integer >= 10, received ${rateLimit}`, this);
    }
    const visibility = (metric: string) => ({
      CloudWatchMetricsEnabled: true,
      SampledRequestsEnabled: true,
      MetricName: `${props.name}-${metric}`,
    });
    const managed = (name: string, priority: number, group: ManagedRuleGroupName, metric: string): WafRule => ({
      Name: name,
      Priority: priority,
      OverrideAction: { None: {} },
      Statement: { ManagedRuleGroupStatement: { VendorName: "AWS", Name: group } },
      VisibilityConfig: visibility(metric),
    });

    // Evaluated by priority: the anonymous IP list (origin only, no inspection) first; the common rule set and the
    // rate limit keep the priorities they always had; known bad inputs last.
    const rules: WafRule[] = [
      ...(props.anonymousIpList ? [managed("aws-anonymous-ip-list", 0, "AWSManagedRulesAnonymousIpList", "anonymous-ip")] : []),
      managed("aws-common-rule-set", 1, "AWSManagedRulesCommonRuleSet", "common"),
      {
        Name: "rate-limit-per-ip",
        Priority: 2,
        Action: { Block: {} },
        Statement: { RateBasedStatement: { Limit: props.rateLimitPer5Minutes, AggregateKeyType: "IP" } },
        VisibilityConfig: visibility("rate-limit"),
      },
      managed("aws-known-bad-inputs", 3, "AWSManagedRulesKnownBadInputsRuleSet", "known-bad-inputs"),
    ];
    this.capacity = rules.reduce((sum, rule) => sum + ruleCapacity(rule), 0);
    if (this.capacity > WEB_ACL_BASE_CAPACITY) {
      throw new ValidationError(`the web ACL's rules need ${this.capacity} WCU, more than the ${WEB_ACL_BASE_CAPACITY} of the base price`, this);
    }

    this.webAcl = new Wafv2WebAcl(this, "acl", {
      name: props.name,
      description: `Protects ${props.name}: AWS common and known-bad-inputs rule sets${props.anonymousIpList ? ", anonymous IP list" : ""} and a per-IP rate limit`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudwatchMetricsEnabled: true,
        sampledRequestsEnabled: true,
        metricName: props.name,
      },
      // The provider's nested rule statements do not fit cdktf's generated types; rule_json takes the
      // WAFv2 API's own JSON.
      ruleJson: JSON.stringify(rules),
    });

    new Wafv2WebAclAssociation(this, "association", {
      resourceArn: props.resourceArn,
      webAclArn: this.webAcl.arn,
    });
  }
}

function ruleCapacity(rule: WafRule): number {
  const statement = rule.Statement as { ManagedRuleGroupStatement?: { Name: ManagedRuleGroupName }; RateBasedStatement?: unknown };
  if (statement.ManagedRuleGroupStatement) return MANAGED_RULE_GROUP_WCU[statement.ManagedRuleGroupStatement.Name];
  if (statement.RateBasedStatement) return RATE_BASED_RULE_WCU;
  throw new Error(`rule ${rule.Name}: no WCU known for its statement`);
}
