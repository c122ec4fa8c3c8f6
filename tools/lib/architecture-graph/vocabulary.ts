/**
 * What the diagram knows about resource types: which give a node its kind, which fold into monitoring, which
 * stay their own node, and how a type reads in a label. Everything else is drawn generically.
 */
import type { NodeKind } from "./model";

/** Resource types that make up monitoring; drawn as one summary node per stack, wherever their construct is. */
export const MONITORING_TYPE =
  /^aws_(cloudwatch_(metric_alarm|composite_alarm|dashboard|log_metric_filter|metric_stream|anomaly_detector)|sns_topic(_.*)?)$/;

/** Types drawn as their own node even inside a bigger construct: the request path passes through them. */
export const OWN_NODE_TYPES: Readonly<Record<string, NodeKind>> = {
  aws_api_gateway_authorizer: "authorizer",
  aws_apigatewayv2_authorizer: "authorizer",
};

/** The resource that names a node and gives its kind, in priority order when a construct holds several. */
export const PRIMARY_TYPES: ReadonlyArray<readonly [string, NodeKind]> = [
  ["aws_lambda_function", "function"],
  ["aws_dynamodb_table", "table"],
  ["aws_s3_bucket", "bucket"],
  ["aws_kms_key", "key"],
  ["aws_sqs_queue", "queue"],
  ["aws_api_gateway_rest_api", "api"],
  ["aws_apigatewayv2_api", "api"],
  ["aws_api_gateway_authorizer", "authorizer"],
  ["aws_apigatewayv2_authorizer", "authorizer"],
  ["aws_wafv2_web_acl", "waf"],
  ["aws_api_gateway_account", "account-settings"],
  ["aws_iam_role", "role"],
];

/** Kinds a function's request can reach through its IAM policy or environment: the stores, not the plumbing. */
export const DATA_KINDS: ReadonlySet<NodeKind> = new Set(["table", "bucket", "queue", "topic"]);

/** How a resource type reads in a label. Unknown types fall back to the type without `aws_`, spaced. */
export const FRIENDLY: Readonly<Record<string, string>> = {
  aws_lambda_function: "λ",
  aws_dynamodb_table: "table",
  aws_s3_bucket: "bucket",
  aws_kms_key: "KMS key",
  aws_kms_alias: "alias",
  aws_sqs_queue: "queue",
  aws_iam_role: "role",
  aws_iam_role_policy: "inline policy",
  aws_iam_role_policy_attachment: "policy attachment",
  aws_iam_policy: "managed policy",
  aws_cloudwatch_log_group: "log group",
  aws_s3_object: "S3 object",
  aws_s3_bucket_ownership_controls: "ownership controls",
  aws_s3_bucket_public_access_block: "public access block",
  aws_s3_bucket_policy: "bucket policy",
  aws_s3_bucket_server_side_encryption_configuration: "encryption",
  aws_s3_bucket_versioning: "versioning",
  aws_s3_bucket_lifecycle_configuration: "lifecycle",
  aws_lambda_permission: "invoke permission",
  aws_api_gateway_deployment: "deployment",
  aws_api_gateway_stage: "stage",
  aws_api_gateway_gateway_response: "gateway response",
  aws_api_gateway_method_settings: "method settings",
  aws_api_gateway_account: "account settings",
  aws_wafv2_web_acl: "web ACL",
  aws_wafv2_web_acl_association: "association",
  aws_cloudwatch_metric_alarm: "alarm",
  aws_cloudwatch_composite_alarm: "composite alarm",
  aws_cloudwatch_dashboard: "dashboard",
  aws_sns_topic: "SNS topic",
  aws_sns_topic_subscription: "subscription",
  aws_sns_topic_policy: "topic policy",
  aws_caller_identity: "account id",
};

/** API Gateway plumbing summarized as "N routes" on the API node instead of being listed. */
export const ROUTE_PLUMBING: ReadonlySet<string> = new Set([
  "aws_api_gateway_resource",
  "aws_api_gateway_method",
  "aws_api_gateway_integration",
  "aws_api_gateway_method_response",
  "aws_api_gateway_integration_response",
]);

export const HTTP_METHOD_ORDER: readonly string[] = ["ANY", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
