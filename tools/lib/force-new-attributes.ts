/**
 * The arguments whose change makes Terraform replace a resource (`ForceNew: true` in the schema of the
 * hashicorp/aws provider, 5.100), for exactly the resource types the stacks use. tools/replacement-guard.ts
 * records their values; __tests__/replacement-guard.test.ts fails naming this file when a stack uses a type
 * that is missing here (or this lists a type no stack uses).
 *
 * Taken from the provider's resource schemas, `internal/service/<service>/<resource>.go`. Only top-level
 * arguments: a replacement forced from inside a block (a DynamoDB local secondary index) is listed by the
 * block's name. `region` (a ForceNew argument of every resource from provider 6 on) is not in 5.100.
 * Arguments that are updated in place are deliberately absent, even where a change would be a large one
 * (`aws_api_gateway_resource.path_part` and `parent_id`: the provider moves the resource with UpdateResource).
 */
export const FORCE_NEW_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_api_gateway_authorizer: ["rest_api_id"],
  aws_api_gateway_deployment: ["rest_api_id", "triggers", "variables"],
  aws_api_gateway_gateway_response: ["rest_api_id", "response_type"],
  aws_api_gateway_integration: [
    "rest_api_id",
    "resource_id",
    "http_method",
    "type",
    "credentials",
    "integration_http_method",
    "passthrough_behavior",
  ],
  aws_api_gateway_integration_response: ["rest_api_id", "resource_id", "http_method"],
  aws_api_gateway_method: ["rest_api_id", "resource_id", "http_method"],
  aws_api_gateway_method_response: ["rest_api_id", "resource_id", "http_method"],
  aws_api_gateway_method_settings: ["rest_api_id", "stage_name", "method_path"],
  aws_api_gateway_resource: ["rest_api_id"],
  aws_api_gateway_rest_api: [],
  aws_api_gateway_stage: ["rest_api_id", "stage_name"],
  aws_cloudwatch_dashboard: ["dashboard_name"],
  aws_cloudwatch_log_group: ["name", "name_prefix", "log_group_class"],
  aws_cloudwatch_log_resource_policy: ["policy_name"],
  aws_cloudwatch_metric_alarm: ["alarm_name"],
  aws_dynamodb_table: [
    "name",
    "hash_key",
    "range_key",
    "local_secondary_index",
    "import_table",
    "restore_source_name",
    "restore_to_latest_time",
    "restore_date_time",
  ],
  aws_codedeploy_app: ["compute_platform"],
  aws_codedeploy_deployment_config: ["compute_platform", "deployment_config_name", "minimum_healthy_hosts", "traffic_routing_config"],
  // Its application and its own name are renamed in place (UpdateDeploymentGroup).
  aws_codedeploy_deployment_group: [],
  aws_iam_role: ["name", "name_prefix", "path"],
  aws_iam_role_policy: ["name", "name_prefix", "role"],
  aws_kms_alias: ["name", "name_prefix"],
  aws_kms_key: ["customer_master_key_spec", "key_usage", "multi_region", "custom_key_store_id", "xks_key_id"],
  aws_lambda_alias: ["function_name", "name"],
  aws_lambda_function: ["function_name", "package_type"],
  aws_lambda_permission: [
    "action",
    "event_source_token",
    "function_name",
    "function_url_auth_type",
    "principal",
    "principal_org_id",
    "qualifier",
    "source_account",
    "source_arn",
    "statement_id",
    "statement_id_prefix",
  ],
  aws_s3_bucket: ["bucket", "bucket_prefix", "object_lock_enabled"],
  aws_s3_bucket_lifecycle_configuration: ["bucket", "expected_bucket_owner"],
  aws_s3_bucket_ownership_controls: ["bucket"],
  aws_s3_bucket_policy: ["bucket"],
  aws_s3_bucket_public_access_block: ["bucket"],
  aws_s3_bucket_server_side_encryption_configuration: ["bucket", "expected_bucket_owner"],
  aws_s3_bucket_versioning: ["bucket", "expected_bucket_owner"],
  aws_s3_object: ["bucket", "key"],
  aws_sns_topic: ["name", "name_prefix", "fifo_topic"],
  aws_sns_topic_policy: ["arn"],
  aws_wafv2_web_acl: ["name", "name_prefix", "scope"],
  aws_wafv2_web_acl_association: ["resource_arn", "web_acl_arn"],
  aws_wafv2_web_acl_logging_configuration: ["resource_arn", "log_destination_configs"],
};
