/**
 * What the pipeline's roles may do, per AWS service the app's three stacks use: the calls Terraform makes to
 * read a resource (refresh, for `cdktf diff` with the plan role) and to create, change and delete it (`cdktf
 * deploy` with the deploy role), on the ARNs of this environment's resources.
 *
 * One entry per service, keyed by the Terraform resource types it covers. `__tests__/pipeline-roles.test.ts`
 * synthesizes the stacks of every config and fails when a stack uses a resource type no entry covers, or an entry
 * covers a type no stack uses, so the roles follow the stacks. Action names and ARN formats are AWS's Service
 * Authorization Reference; the policy validation checks them.
 *
 * Resources are named `<namePrefix>...` (the stacks' NamePrefixAspect enforces it), so every ARN here is a
 * `<prefix>*` pattern where the ARN carries the name. Where it carries a generated id instead (KMS keys, REST
 * APIs, the API's execution log group) or where an action takes no resource at all, the statement says so.
 */
/** The environment a role works on: ARNs are built from these. */
export interface PermissionScope {
  readonly accountId: string;
  readonly region: string;
  /** The config's namePrefix, e.g. "prod-service-". */
  readonly namePrefix: string;
}

/** One IAM statement, in the shape of an `aws_iam_policy_document` statement. */
export interface PermissionStatement {
  readonly sid: string;
  readonly effect?: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly condition?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

/** What one AWS service's resources need. */
export interface ServicePermissions {
  /** The service prefix of the actions, e.g. "dynamodb". */
  readonly service: string;
  /** Terraform resource types of the app's stacks whose API calls these statements allow. */
  readonly resourceTypes: readonly string[];
  /** Reading the resources, as `terraform plan` refreshes them: the plan role's and the deploy role's. */
  read(scope: PermissionScope): PermissionStatement[];
  /** Creating, changing and deleting them: the deploy role's only. */
  manage(scope: PermissionScope): PermissionStatement[];
}

/** Data sources of the stacks that call no AWS API needing a permission (STS GetCallerIdentity needs none). */
export const PERMISSION_FREE_DATA_SOURCES = ["aws_caller_identity", "aws_iam_policy_document", "terraform_remote_state"] as const;

/**
 * Service principals the app's roles are passed to (`iam:PassedToService`): the principals their trust policies
 * name, checked by a test. (API Gateway's logging role is the bootstrap's, not the stacks'.)
 */
export const PASSED_TO_SERVICES: readonly string[] = ["codedeploy.amazonaws.com", "lambda.amazonaws.com"];

/**
 * AWS managed policies the stacks attach to their roles, the only ones the deploy role may attach (a test
 * compares them with the stacks' `aws_iam_role_policy_attachment`s). None today: every app role has inline
 * policies only, so the deploy role gets no iam:AttachRolePolicy at all.
 */
export const ATTACHABLE_MANAGED_POLICIES: readonly string[] = [];

/** The Lambda package bucket's name, `<prefix>lambda-pkgs-<account>-<region>` (data-stack; a test holds them together). */
export function packageBucketPattern(scope: PermissionScope): string {
  return `${scope.namePrefix}lambda-pkgs-${scope.accountId}-${scope.region}`;
}

/** Log group names of the stacks: functions, the stage's access log, and API Gateway's execution log (named by API id). */
export function logGroupPatterns(scope: PermissionScope): string[] {
  const arn = (name: string) => `arn:aws:logs:${scope.region}:${scope.accountId}:log-group:${name}`;
  return [
    arn(`/aws/lambda/${scope.namePrefix}*`),
    arn(`/aws/apigateway/${scope.namePrefix}*`),
    // API Gateway names the execution log group after the API's generated id, so the prefix cannot be in it.
    arn("API-Gateway-Execution-Logs_*"),
    // WAF requires its log destination's name to start with aws-waf-logs-.
    arn(`aws-waf-logs-${scope.namePrefix}*`),
  ];
}

const kmsKeys = (s: PermissionScope) => `arn:aws:kms:${s.region}:${s.accountId}:key/*`;
const viaService = (service: string, s: PermissionScope) => ({
  test: "StringEquals",
  variable: "kms:ViaService",
  values: [`${service}.${s.region}.amazonaws.com`],
});
// The wildcard spans "/", so this covers the tables' indexes too (`table/<prefix>users/index/byX`), for the one
// statement whose actions take an index (verify's Query); the table-level actions take only the table.
const tables = (s: PermissionScope) => [`arn:aws:dynamodb:${s.region}:${s.accountId}:table/${s.namePrefix}*`];
const restApis = (s: PermissionScope) => [`arn:aws:apigateway:${s.region}::/restapis`, `arn:aws:apigateway:${s.region}::/restapis/*`];
const stages = (s: PermissionScope) => `arn:aws:apigateway:${s.region}::/restapis/*/stages/*`;
const webAcls = (s: PermissionScope) => `arn:aws:wafv2:${s.region}:${s.accountId}:regional/webacl/${s.namePrefix}*/*`;

/** The app's CodeDeploy application, its deployment groups (`<application>/<group>`) and its deployment configs. */
const codeDeployResources = (s: PermissionScope) =>
  ["application", "deploymentgroup", "deploymentconfig"].map((type) => `arn:aws:codedeploy:${s.region}:${s.accountId}:${type}:${s.namePrefix}*`);

/** Every service the app's stacks use, with what reading and managing its resources takes. */
export const APP_SERVICE_PERMISSIONS: readonly ServicePermissions[] = [
  {
    service: "kms",
    resourceTypes: ["aws_kms_key", "aws_kms_alias"],
    read: (s) => [
      // A key's ARN carries its generated id, not a name: keys are scoped to this account and region.
      {
        sid: "ReadKmsKeys",
        actions: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
        resources: [kmsKeys(s)],
      },
      // ListAliases takes no resource (Service Authorization Reference): it lists the aliases of the account.
      { sid: "ListKmsAliases", actions: ["kms:ListAliases"], resources: ["*"] },
    ],
    manage: (s) => [
      // CreateKey takes no resource: there is no key yet to name.
      { sid: "CreateKmsKeys", actions: ["kms:CreateKey"], resources: ["*"] },
      {
        sid: "ManageKmsKeys",
        actions: [
          "kms:PutKeyPolicy",
          "kms:EnableKeyRotation",
          "kms:UpdateKeyDescription",
          "kms:TagResource",
          "kms:UntagResource",
          "kms:ScheduleKeyDeletion",
        ],
        resources: [kmsKeys(s)],
      },
      {
        sid: "ManageKmsAliases",
        actions: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"],
        resources: [`arn:aws:kms:${s.region}:${s.accountId}:alias/${s.namePrefix}*`, kmsKeys(s)],
      },
      // DynamoDB tables encrypted with the app key: DynamoDB creates a grant on the key as the caller.
      { sid: "GrantKeyToDynamoDb", actions: ["kms:CreateGrant"], resources: [kmsKeys(s)], condition: [viaService("dynamodb", s)] },
      // The ZIPs in the package bucket are SSE-KMS: a (single-part, they are small) upload needs a data key, and
      // Lambda reads a function's ZIP with the deployer's credentials (CreateFunction, UpdateFunctionCode), so the
      // deployer decrypts it through S3.
      {
        sid: "UsePackageKeyThroughS3",
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: [kmsKeys(s)],
        condition: [viaService("s3", s)],
      },
    ],
  },
  {
    service: "dynamodb",
    resourceTypes: ["aws_dynamodb_table"],
    read: (s) => [
      {
        sid: "ReadTables",
        actions: ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"],
        resources: tables(s),
      },
    ],
    manage: (s) => [
      {
        sid: "ManageTables",
        actions: [
          "dynamodb:CreateTable",
          "dynamodb:UpdateTable",
          "dynamodb:DeleteTable",
          "dynamodb:UpdateContinuousBackups",
          "dynamodb:UpdateTimeToLive",
          "dynamodb:TagResource",
          "dynamodb:UntagResource",
        ],
        resources: tables(s),
      },
    ],
  },
  {
    service: "s3",
    resourceTypes: [
      "aws_s3_bucket",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
      "aws_s3_object",
    ],
    read: (s) => [
      {
        sid: "ReadPackageBucket",
        actions: [
          "s3:ListBucket",
          "s3:GetBucketPolicy",
          "s3:GetBucketAcl",
          "s3:GetBucketCORS",
          "s3:GetBucketWebsite",
          "s3:GetBucketVersioning",
          "s3:GetAccelerateConfiguration",
          "s3:GetBucketRequestPayment",
          "s3:GetBucketLogging",
          "s3:GetLifecycleConfiguration",
          "s3:GetReplicationConfiguration",
          "s3:GetEncryptionConfiguration",
          "s3:GetBucketObjectLockConfiguration",
          "s3:GetBucketTagging",
          "s3:GetBucketOwnershipControls",
          "s3:GetBucketPublicAccessBlock",
        ],
        resources: [`arn:aws:s3:::${packageBucketPattern(s)}`],
      },
      { sid: "ReadPackages", actions: ["s3:GetObject", "s3:GetObjectTagging"], resources: [`arn:aws:s3:::${packageBucketPattern(s)}/*`] },
    ],
    manage: (s) => [
      {
        sid: "ManagePackageBucket",
        actions: [
          "s3:CreateBucket",
          "s3:DeleteBucket",
          "s3:PutBucketPolicy",
          "s3:DeleteBucketPolicy",
          "s3:PutBucketVersioning",
          "s3:PutLifecycleConfiguration",
          "s3:PutEncryptionConfiguration",
          "s3:PutBucketOwnershipControls",
          "s3:PutBucketPublicAccessBlock",
          "s3:PutBucketTagging",
          // Destroying an aws_s3_object in a versioned bucket lists the versions of its key and deletes each one.
          "s3:ListBucketVersions",
        ],
        resources: [`arn:aws:s3:::${packageBucketPattern(s)}`],
      },
      {
        // Each function's ZIP is one object, a new version per build. Lambda fetches the version a function is
        // pinned to with the deployer's credentials (GetObjectVersion); destroying an object deletes every version.
        sid: "ManagePackages",
        actions: ["s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging", "s3:GetObjectVersion", "s3:DeleteObjectVersion"],
        resources: [`arn:aws:s3:::${packageBucketPattern(s)}/*`],
      },
    ],
  },
  {
    service: "sns",
    resourceTypes: ["aws_sns_topic", "aws_sns_topic_policy", "aws_sns_topic_subscription"],
    read: (s) => [
      {
        // A subscription's ARN is its topic's ARN plus an id, so the topic pattern covers both.
        sid: "ReadTopics",
        actions: ["sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:GetSubscriptionAttributes"],
        resources: [`arn:aws:sns:${s.region}:${s.accountId}:${s.namePrefix}*`],
      },
    ],
    manage: (s) => [
      {
        sid: "ManageTopics",
        actions: [
          "sns:CreateTopic",
          "sns:DeleteTopic",
          "sns:SetTopicAttributes",
          "sns:TagResource",
          "sns:UntagResource",
          "sns:Subscribe",
          "sns:Unsubscribe",
          "sns:SetSubscriptionAttributes",
        ],
        resources: [`arn:aws:sns:${s.region}:${s.accountId}:${s.namePrefix}*`],
      },
    ],
  },
  {
    service: "cloudwatch",
    resourceTypes: ["aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard"],
    read: (s) => [
      {
        sid: "ReadAlarmsAndDashboards",
        actions: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:GetDashboard"],
        resources: [
          `arn:aws:cloudwatch:${s.region}:${s.accountId}:alarm:${s.namePrefix}*`,
          `arn:aws:cloudwatch::${s.accountId}:dashboard/${s.namePrefix}*`,
        ],
      },
    ],
    manage: (s) => [
      {
        sid: "ManageAlarms",
        actions: ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
        resources: [`arn:aws:cloudwatch:${s.region}:${s.accountId}:alarm:${s.namePrefix}*`],
      },
      {
        sid: "ManageDashboards",
        actions: ["cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"],
        resources: [`arn:aws:cloudwatch::${s.accountId}:dashboard/${s.namePrefix}*`],
      },
    ],
  },
  {
    service: "logs",
    resourceTypes: ["aws_cloudwatch_log_group", "aws_cloudwatch_log_resource_policy"],
    read: (s) => [
      // DescribeLogGroups and DescribeResourcePolicies take no resource (Service Authorization Reference): they
      // list the account's groups and resource policies.
      { sid: "DescribeLogGroups", actions: ["logs:DescribeLogGroups", "logs:DescribeResourcePolicies"], resources: ["*"] },
      { sid: "ReadLogGroups", actions: ["logs:ListTagsForResource"], resources: logGroupPatterns(s) },
    ],
    manage: (s) => [
      {
        sid: "ManageLogGroups",
        actions: [
          "logs:CreateLogGroup",
          "logs:DeleteLogGroup",
          "logs:PutRetentionPolicy",
          "logs:DeleteRetentionPolicy",
          "logs:AssociateKmsKey",
          "logs:DisassociateKmsKey",
          "logs:TagResource",
          "logs:UntagResource",
        ],
        resources: logGroupPatterns(s),
      },
      // The WAF log group's delivery policy: account-level, and CloudWatch Logs' resource-policy actions take no resource.
      { sid: "ManageLogResourcePolicies", actions: ["logs:PutResourcePolicy", "logs:DeleteResourcePolicy"], resources: ["*"] },
    ],
  },
  {
    service: "iam",
    resourceTypes: ["aws_iam_role", "aws_iam_role_policy", ...(ATTACHABLE_MANAGED_POLICIES.length > 0 ? ["aws_iam_role_policy_attachment"] : [])],
    read: (s) => [
      {
        sid: "ReadAppRoles",
        actions: ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"],
        resources: [`arn:aws:iam::${s.accountId}:role/${s.namePrefix}*`],
      },
    ],
    manage: (s) => [
      {
        sid: "ManageAppRoles",
        actions: [
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:UpdateRole",
          "iam:UpdateAssumeRolePolicy",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:PutRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:ListInstanceProfilesForRole",
        ],
        resources: [`arn:aws:iam::${s.accountId}:role/${s.namePrefix}*`],
      },
      ...(ATTACHABLE_MANAGED_POLICIES.length > 0
        ? [
            {
              sid: "AttachManagedPoliciesTheStacksUse",
              actions: ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
              resources: [`arn:aws:iam::${s.accountId}:role/${s.namePrefix}*`],
              condition: [{ test: "ArnEquals", variable: "iam:PolicyARN", values: [...ATTACHABLE_MANAGED_POLICIES] }],
            },
          ]
        : []),
      {
        sid: "PassAppRolesToTheirServices",
        actions: ["iam:PassRole"],
        resources: [`arn:aws:iam::${s.accountId}:role/${s.namePrefix}*`],
        condition: [{ test: "StringEquals", variable: "iam:PassedToService", values: [...PASSED_TO_SERVICES] }],
      },
    ],
  },
  {
    service: "lambda",
    resourceTypes: ["aws_lambda_alias", "aws_lambda_function", "aws_lambda_permission"],
    read: (s) => [
      {
        sid: "ReadFunctions",
        actions: [
          "lambda:GetFunction",
          "lambda:ListVersionsByFunction",
          "lambda:GetAlias",
          "lambda:GetFunctionCodeSigningConfig",
          "lambda:GetPolicy",
          "lambda:ListTags",
        ],
        resources: [`arn:aws:lambda:${s.region}:${s.accountId}:function:${s.namePrefix}*`],
      },
    ],
    manage: (s) => [
      {
        sid: "ManageFunctions",
        actions: [
          "lambda:CreateFunction",
          "lambda:DeleteFunction",
          "lambda:UpdateFunctionCode",
          "lambda:UpdateFunctionConfiguration",
          "lambda:PutFunctionConcurrency",
          "lambda:DeleteFunctionConcurrency",
          "lambda:TagResource",
          "lambda:UntagResource",
          "lambda:AddPermission",
          "lambda:RemovePermission",
          // Each change publishes a version behind the alias live; the ARN pattern covers `<function>:<alias>`.
          "lambda:PublishVersion",
          "lambda:CreateAlias",
          "lambda:UpdateAlias",
          "lambda:DeleteAlias",
        ],
        resources: [`arn:aws:lambda:${s.region}:${s.accountId}:function:${s.namePrefix}*`],
      },
    ],
  },
  {
    service: "codedeploy",
    resourceTypes: ["aws_codedeploy_app", "aws_codedeploy_deployment_config", "aws_codedeploy_deployment_group"],
    read: (s) => [
      {
        sid: "ReadReleases",
        actions: ["codedeploy:GetApplication", "codedeploy:GetDeploymentGroup", "codedeploy:GetDeploymentConfig", "codedeploy:ListTagsForResource"],
        resources: codeDeployResources(s),
      },
    ],
    manage: (s) => [
      {
        sid: "ManageReleases",
        actions: [
          "codedeploy:CreateApplication",
          "codedeploy:DeleteApplication",
          "codedeploy:CreateDeploymentGroup",
          "codedeploy:UpdateDeploymentGroup",
          "codedeploy:DeleteDeploymentGroup",
          "codedeploy:CreateDeploymentConfig",
          "codedeploy:DeleteDeploymentConfig",
          "codedeploy:TagResource",
          "codedeploy:UntagResource",
        ],
        resources: codeDeployResources(s),
      },
    ],
  },
  {
    service: "apigateway",
    resourceTypes: [
      "aws_api_gateway_authorizer",
      "aws_api_gateway_deployment",
      "aws_api_gateway_gateway_response",
      "aws_api_gateway_integration",
      "aws_api_gateway_integration_response",
      "aws_api_gateway_method",
      "aws_api_gateway_method_response",
      "aws_api_gateway_method_settings",
      "aws_api_gateway_resource",
      "aws_api_gateway_rest_api",
      "aws_api_gateway_stage",
    ],
    read: (s) => [
      // A REST API's ARN carries its generated id, not its name: APIs are scoped to this region.
      { sid: "ReadRestApis", actions: ["apigateway:GET"], resources: [...restApis(s), `arn:aws:apigateway:${s.region}::/tags/*`] },
    ],
    manage: (s) => [
      {
        sid: "CreateRestApisWithThePrefix",
        actions: ["apigateway:POST"],
        resources: [`arn:aws:apigateway:${s.region}::/restapis`],
        condition: [{ test: "StringLike", variable: "apigateway:Request/ApiName", values: [`${s.namePrefix}*`] }],
      },
      {
        sid: "ManageRestApis",
        actions: ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"],
        resources: [`arn:aws:apigateway:${s.region}::/restapis/*`],
      },
      { sid: "TagRestApis", actions: ["apigateway:PUT", "apigateway:DELETE"], resources: [`arn:aws:apigateway:${s.region}::/tags/*`] },
    ],
  },
  {
    service: "wafv2",
    resourceTypes: ["aws_wafv2_web_acl", "aws_wafv2_web_acl_association", "aws_wafv2_web_acl_logging_configuration"],
    read: (s) => [
      { sid: "ReadWebAcls", actions: ["wafv2:GetWebACL", "wafv2:GetLoggingConfiguration", "wafv2:ListTagsForResource"], resources: [webAcls(s)] },
      { sid: "ReadWebAclOfStage", actions: ["wafv2:GetWebACLForResource"], resources: [webAcls(s), stages(s)] },
    ],
    manage: (s) => [
      {
        // The AWS managed rule groups a web ACL references belong to AWS, not to this account.
        sid: "ManageWebAcls",
        actions: ["wafv2:CreateWebACL", "wafv2:UpdateWebACL"],
        resources: [webAcls(s), `arn:aws:wafv2:${s.region}:*:regional/managedruleset/*/*`],
      },
      { sid: "DeleteAndTagWebAcls", actions: ["wafv2:DeleteWebACL", "wafv2:TagResource", "wafv2:UntagResource"], resources: [webAcls(s)] },
      { sid: "ManageWebAclLogging", actions: ["wafv2:PutLoggingConfiguration", "wafv2:DeleteLoggingConfiguration"], resources: [webAcls(s)] },
      // WAF delivers its log through CloudWatch Logs' log delivery, created and removed with the logging
      // configuration; these actions take no resource.
      { sid: "ManageWafLogDelivery", actions: ["logs:CreateLogDelivery", "logs:DeleteLogDelivery"], resources: ["*"] },
      { sid: "AssociateWebAclWithStage", actions: ["wafv2:AssociateWebACL"], resources: [webAcls(s), stages(s)] },
      { sid: "DisassociateWebAclFromStage", actions: ["wafv2:DisassociateWebACL"], resources: [stages(s)] },
      // Associating a web ACL is also an API Gateway permission on the stage.
      { sid: "SetWebAclOfStage", actions: ["apigateway:SetWebACL"], resources: [stages(s)] },
    ],
  },
];

/**
 * What `npm run verify` does after a deploy besides calling the API: reads the throwaway user in both tables
 * (tools/target/dynamodb-reader.ts), and walks the operations path (tools/target/operations.ts): puts one of
 * the app's alarms into ALARM and back and reads its history, finds the requests in the function and access log
 * groups, reads the X-Ray trace, checks the stage's web ACL and reads the account's Lambda concurrency limit.
 */
export function verifyStatements(s: PermissionScope): PermissionStatement[] {
  return [
    { sid: "VerifyReadsTables", actions: ["dynamodb:GetItem", "dynamodb:Query"], resources: tables(s) },
    {
      sid: "VerifyTriggersAnAlarm",
      actions: ["cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory", "cloudwatch:SetAlarmState"],
      resources: [`arn:aws:cloudwatch:${s.region}:${s.accountId}:alarm:${s.namePrefix}*`],
    },
    { sid: "VerifyFindsLogLines", actions: ["logs:FilterLogEvents"], resources: logGroupPatterns(s) },
    // X-Ray's trace reads and Lambda's account settings take no resource (Service Authorization Reference).
    { sid: "VerifyReadsTraceAndQuota", actions: ["xray:BatchGetTraces", "lambda:GetAccountSettings"], resources: ["*"] },
  ];
}

/**
 * What `npm run release` (tools/release.ts) does after the deploy of compute-stack: reads each alias (the read
 * statements cover lambda:GetAlias), creates a deployment in the function's group and polls it. CreateDeployment
 * with an inline AppSpec registers it as a revision of the application and reads the group's deployment
 * configuration, the app's own or a predefined `CodeDeployDefault.*` one.
 */
export function releaseStatements(s: PermissionScope): PermissionStatement[] {
  const codedeploy = `arn:aws:codedeploy:${s.region}:${s.accountId}`;
  return [
    {
      sid: "ReleaseCreatesDeployments",
      actions: ["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
      resources: [`${codedeploy}:deploymentgroup:${s.namePrefix}*`],
    },
    {
      sid: "ReleaseRegistersRevisions",
      actions: ["codedeploy:RegisterApplicationRevision", "codedeploy:GetApplicationRevision"],
      resources: [`${codedeploy}:application:${s.namePrefix}*`],
    },
    {
      sid: "ReleaseReadsDeploymentConfigs",
      actions: ["codedeploy:GetDeploymentConfig"],
      resources: [`${codedeploy}:deploymentconfig:${s.namePrefix}*`, `${codedeploy}:deploymentconfig:CodeDeployDefault.*`],
    },
  ];
}

/** The state objects of one environment: `s3://<bucket>/<keyPrefix>/<environment>/<stack>.tfstate` and their `.tflock`. */
export interface StateScope {
  readonly bucket: string;
  /** `<keyPrefix>/<environment>/`, as app/bootstrap/state-stack.ts's stateKeyPrefix() builds it. */
  readonly keyPrefix: string;
}

/** Reading this environment's state (and the remote-state reads between its stacks), never writing it. */
export function stateReadStatements(state: StateScope): PermissionStatement[] {
  return [
    // Terraform's S3 backend lists the bucket (workspaces); listing shows key names, not state.
    { sid: "ListStateBucket", actions: ["s3:ListBucket"], resources: [`arn:aws:s3:::${state.bucket}`] },
    { sid: "ReadOwnState", actions: ["s3:GetObject"], resources: [`arn:aws:s3:::${state.bucket}/${state.keyPrefix}*`] },
  ];
}

/** Writing this environment's state and taking its S3-native lock (`<key>.tflock`: PutObject, then DeleteObject). */
export function stateWriteStatements(state: StateScope): PermissionStatement[] {
  return [
    { sid: "WriteAndLockOwnState", actions: ["s3:PutObject", "s3:DeleteObject"], resources: [`arn:aws:s3:::${state.bucket}/${state.keyPrefix}*`] },
  ];
}

/** The plan role's extra: reading the SSE-KMS package objects' metadata through S3 during a refresh. */
export function planDecryptStatements(s: PermissionScope): PermissionStatement[] {
  return [
    {
      sid: "DecryptPackagesThroughS3",
      actions: ["kms:Decrypt"],
      resources: [kmsKeys(s)],
      condition: [viaService("s3", s), { test: "ForAnyValue:StringLike", variable: "kms:ResourceAliases", values: [`alias/${s.namePrefix}*`] }],
    },
  ];
}
