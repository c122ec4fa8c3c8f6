import { Token } from "cdktf";
import { Construct } from "constructs";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
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
  /**
   * Tighter per-IP limits for single routes (the ones that take credentials), each its own rate-based rule
   * scoped down to the method and the end of the path, evaluated before the global one. @default none
   */
  readonly routeRateLimits?: readonly RouteRateLimit[];
  /** The request log: where WAF writes every request it evaluated, with the Authorization header redacted. */
  readonly logging: WafLoggingProps;
}

/** A per-IP rate limit on one route. */
export interface RouteRateLimit {
  /** Rule name part and metric name part, e.g. "post-sessions". */
  readonly name: string;
  readonly method: string;
  /** The route's path, e.g. "/sessions": matched at the end of the request's path, after the stage. */
  readonly path: string;
  /** Requests per 5 minutes from one IP on this route before it is blocked (WAF's minimum is 10). */
  readonly limitPer5Minutes: number;
}

export interface WafLoggingProps {
  /** Customer-managed key of the log group. */
  readonly kmsKeyArn: string;
  readonly retentionInDays: number;
  /** The account and region the log group is in: the log delivery policy admits only this account's deliveries. */
  readonly accountId: string;
  readonly region: string;
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
 * A string match statement without text transformations: EXACTLY, STARTS_WITH and ENDS_WITH cost 2 WCU each (AWS
 * WAF developer guide, "String match rule statement"); a logical AND costs what its statements cost.
 */
export const STRING_MATCH_WCU = 2;

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
  /** `aws-waf-logs-<name>`: WAF requires the prefix of a log destination. */
  public readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: RegionalWafProps) {
    super(scope, id);
    const checkLimit = (what: string, limit: number) => {
      if (!Token.isUnresolved(limit) && (!Number.isInteger(limit) || limit < 10)) {
        throw new ValidationError(`${what} must be an integer >= 10, received ${limit}`, this);
      }
    };
    checkLimit("rateLimitPer5Minutes", props.rateLimitPer5Minutes);
    for (const route of props.routeRateLimits ?? []) checkLimit(`the rate limit of ${route.method} ${route.path}`, route.limitPer5Minutes);
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

    // A route's own limit, counted per IP on requests of its method whose path ends with the route's path (the
    // path API Gateway sees starts with the stage, or a custom domain's base path).
    const routeRule = (route: RouteRateLimit, priority: number): WafRule => ({
      Name: `rate-limit-${route.name}`,
      Priority: priority,
      Action: { Block: {} },
      Statement: {
        RateBasedStatement: {
          Limit: route.limitPer5Minutes,
          AggregateKeyType: "IP",
          ScopeDownStatement: {
            AndStatement: {
              Statements: [stringMatch({ Method: {} }, "EXACTLY", route.method), stringMatch({ UriPath: {} }, "ENDS_WITH", route.path)],
            },
          },
        },
      },
      VisibilityConfig: visibility(`rate-limit-${route.name}`),
    });

    // Evaluated by priority: the anonymous IP list (origin only, no inspection) first; the common rule set and the
    // rate limit keep the priorities they always had; known bad inputs, then the routes' own limits.
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
      ...(props.routeRateLimits ?? []).map((route, i) => routeRule(route, 10 + i)),
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

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `aws-waf-logs-${props.name}`,
      retentionInDays: props.logging.retentionInDays,
      kmsKeyId: props.logging.kmsKeyArn,
    });
    // WAF delivers its log through CloudWatch Logs' log delivery service. Without a resource policy that lets it
    // write to the group, PutLoggingConfiguration writes an account-wide one itself (and needs the deployer to
    // hold logs:PutResourcePolicy on every log group); this one names the group and this account's deliveries only.
    const delivery = new CloudwatchLogResourcePolicy(this, "log-delivery-policy", {
      policyName: `${props.name}-log-delivery`,
      policyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "WafLogDelivery",
            Effect: "Allow",
            Principal: { Service: "delivery.logs.amazonaws.com" },
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${this.logGroup.arn}:log-stream:*`,
            Condition: {
              StringEquals: { "aws:SourceAccount": props.logging.accountId },
              ArnLike: { "aws:SourceArn": `arn:aws:logs:${props.logging.region}:${props.logging.accountId}:*` },
            },
          },
        ],
      }),
    });
    new Wafv2WebAclLoggingConfiguration(this, "logging", {
      resourceArn: this.webAcl.arn,
      logDestinationConfigs: [this.logGroup.arn],
      // The bearer token: never in a log.
      redactedFields: [{ singleHeader: { name: "authorization" } }],
      dependsOn: [delivery],
    });
  }
}

/** A string match on one part of the request, without text transformations. */
function stringMatch(field: Record<string, unknown>, constraint: "EXACTLY" | "ENDS_WITH", text: string): Record<string, unknown> {
  return {
    ByteMatchStatement: {
      FieldToMatch: field,
      PositionalConstraint: constraint,
      SearchString: text,
      TextTransformations: [{ Priority: 0, Type: "NONE" }],
    },
  };
}

function ruleCapacity(rule: WafRule): number {
  return statementCapacity(rule.Name, rule.Statement as Statement);
}

interface Statement {
  readonly ManagedRuleGroupStatement?: { readonly Name: ManagedRuleGroupName };
  readonly RateBasedStatement?: { readonly ScopeDownStatement?: Statement };
  readonly AndStatement?: { readonly Statements: readonly Statement[] };
  readonly ByteMatchStatement?: unknown;
}

function statementCapacity(rule: string, statement: Statement): number {
  if (statement.ManagedRuleGroupStatement) return MANAGED_RULE_GROUP_WCU[statement.ManagedRuleGroupStatement.Name];
  if (statement.RateBasedStatement) {
    const scopeDown = statement.RateBasedStatement.ScopeDownStatement;
    return RATE_BASED_RULE_WCU + (scopeDown ? statementCapacity(rule, scopeDown) : 0);
  }
  if (statement.AndStatement) return statement.AndStatement.Statements.reduce((sum, s) => sum + statementCapacity(rule, s), 0);
  if (statement.ByteMatchStatement) return STRING_MATCH_WCU;
  throw new Error(`rule ${rule}: no WCU known for its statement`);
}
