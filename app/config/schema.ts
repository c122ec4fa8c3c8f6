import { z } from "zod";
import { FUNCTION_NAMES } from "../stacks/functions";

export { FUNCTION_NAMES, type FunctionName } from "../stacks/functions";

/**
 * The function names as plain strings: a function's declaration may read the config (its environment), so the
 * config's type must not depend on the declaration's type. zod still allows only these keys.
 */
const FUNCTION_NAME_VALUES: readonly string[] = FUNCTION_NAMES;

/**
 * Regions this app may be deployed to. The stacks build ARNs in the `aws` partition, so China and GovCloud
 * regions are excluded; production is pinned to us-east-1 (see the refinement at the bottom).
 */
export const SUPPORTED_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-central-1",
  "eu-north-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
] as const;

/** The only retention periods CloudWatch Logs accepts (0, "never expire", is deliberately not offered). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const oneOf = <T extends readonly number[]>(values: T, what: string) =>
  z.number().refine((v) => (values as readonly number[]).includes(v), {
    message: `one of ${values.join(", ")} (${what})`,
  });

/**
 * Every resource name starts with this. Lower case (S3 bucket names must be), ends with "-", and short
 * enough that the longest derived name (the package bucket, prefix + "lambda-packages-" + account id)
 * stays within S3's 63 characters.
 */
const NamePrefixSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,22}-$/, {
    message: "2-24 characters of a-z, 0-9 and '-', starting with a letter and ending with '-' (e.g. \"prod-service-\")",
  })
  .refine((v) => !v.includes("--"), { message: "a prefix without '--'" });

const TagsSchema = z
  .record(
    z.string().regex(/^(?!aws:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, {
      message: "a tag key of 1-128 characters not starting with 'aws:'",
    }),
    z.string().max(256),
  )
  .refine((tags) => Object.keys(tags).length <= 40, { message: "at most 40 tags (AWS allows 50; the stacks add their own)" });

const ThrottleSchema = z.strictObject({
  rateLimit: z.number().positive().max(10000).describe("Steady-state requests per second."),
  burstLimit: z.number().int().min(1).max(5000).describe("Bucket size: the largest burst of concurrent requests."),
});

/** Per-function overrides of the Lambda defaults; only the functions of app/stacks/functions.ts may be named. */
const FunctionOverridesSchema = z.strictObject({
  memorySize: z.number().int().min(128).max(10240).optional().describe("MB, instead of `lambda.memorySize`."),
  timeoutSeconds: z.number().int().min(1).max(29).optional().describe("Seconds, instead of `lambda.timeoutSeconds`."),
  reservedConcurrency: z.number().int().min(1).max(1000).nullable().optional().describe("Instead of `lambda.reservedConcurrency`."),
  packageVersionId: z
    .string()
    .regex(/^[A-Za-z0-9._+/=-]{1,1024}$/, { message: "an S3 object version id, as `aws s3api list-object-versions` prints it (VersionId)" })
    .optional()
    .describe(
      "Runs this S3 object version of the function's package (`<fn>/lambda.zip` in the package bucket) instead of the current " +
        'build: a rollback (docs/operations.md, "Roll a function back to a previous ZIP"). Default: the current build\'s version.',
    ),
});

/** How a release (`npm run release`) shifts each function's alias `live` to its new version, through CodeDeploy. */
const ReleaseSchema = z
  .discriminatedUnion("strategy", [
    z.strictObject({
      strategy: z.literal("all-at-once").describe("The new version takes all traffic at once (CodeDeployDefault.LambdaAllAtOnce)."),
    }),
    z.strictObject({
      strategy: z
        .literal("canary")
        .describe("The new version takes `canaryPercent` of the traffic for `canaryMinutes`, then all of it, unless an alarm fires first."),
      canaryPercent: z.number().int().min(1).max(99).describe("Percent of the invocations the new version serves during the canary."),
      canaryMinutes: z
        .number()
        .int()
        .min(1)
        .max(2880)
        .describe("Minutes the canary lasts before the rest of the traffic shifts (CodeDeploy allows up to 2880)."),
    }),
  ])
  .describe("Traffic shifting of a release. CodeDeploy rolls the alias back when the deployment fails or one of the function's alarms fires.");

const LambdaSchema = z.strictObject({
  runtime: z.enum(["nodejs22.x", "nodejs20.x"]).describe("Lambda runtime; nodejs22.x is the newest the pinned AWS provider (5.100.0) accepts."),
  architecture: z.enum(["arm64", "x86_64"]).describe("Instruction set of every function."),
  memorySize: z.number().int().min(128).max(10240).describe("MB per function, unless overridden in `lambda.functions`."),
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(29)
    .describe("Seconds; API Gateway's integration timeout is 29 s, so a longer function timeout is never used."),
  reservedConcurrency: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .nullable()
    .describe(
      "Reserved concurrency per function; null leaves the functions on the account's unreserved pool. It depends on the account's " +
        "quota, which validation cannot know: Lambda keeps 100 of the account's concurrency unreserved, so a reservation fails to apply " +
        "unless the limit leaves room for it, and a new account's limit is often 10. Request a Service Quotas increase (\"Concurrent " +
        "executions\") first; `npm run verify` reports the account's limit and what is still reservable.",
    ),
  logRetentionDays: oneOf(LOG_RETENTION_DAYS, "logRetentionDays").describe(
    `Retention of the function log groups: one of the values CloudWatch accepts (${LOG_RETENTION_DAYS.join(", ")}).`,
  ),
  applicationLogLevel: z.enum(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]).describe("Lambda's JSON log level for the handlers' lines."),
  systemLogLevel: z.enum(["DEBUG", "INFO", "WARN"]).describe("Lambda's JSON log level for the runtime's own lines."),
  functions: z
    .partialRecord(z.enum(FUNCTION_NAME_VALUES), FunctionOverridesSchema)
    .describe("Per-function overrides, keyed by a function of app/stacks/functions.ts."),
  release: ReleaseSchema,
});

const RouteKeySchema = z.string().regex(/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/[A-Za-z0-9_{}/.-]*$/, {
  message: 'a route key like "GET /health" or "PATCH /users/me"',
});

const ApiSchema = z.strictObject({
  stageName: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, { message: "1-64 characters of A-Z, a-z, 0-9 and _" })
    .describe("The stage, the last segment of the invoke URL."),
  throttling: ThrottleSchema.describe("Throttling of every method of the stage."),
  routeThrottling: z
    .record(RouteKeySchema, ThrottleSchema)
    .describe('Overrides of the stage throttling for single routes, keyed "METHOD /path", e.g. "POST /users".'),
  corsOrigins: z
    .array(
      z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, {
        message: 'an origin scheme://host[:port] without a path, e.g. "https://app.example.com"',
      }),
    )
    .describe(
      'Origins allowed by CORS, e.g. "https://app.example.com"; empty disables CORS; never "*". With exactly one origin, API ' +
        "Gateway's own errors (401, 429) carry it too; with several they cannot (a gateway response has a static header).",
    ),
  waf: z
    .strictObject({
      enabled: z.boolean().describe("A WAFv2 web ACL on the stage: AWS's common and known-bad-inputs rule sets and a per-IP rate limit."),
      rateLimitPer5Minutes: z
        .number()
        .int()
        .min(10)
        .max(2_000_000_000)
        .describe("Requests per 5 minutes from one IP before the rate-based rule blocks it (WAF's minimum is 10)."),
      credentialRateLimitPer5Minutes: z
        .number()
        .int()
        .min(10)
        .max(2_000_000_000)
        .describe(
          "Requests per 5 minutes from one IP to a route that takes credentials without a session (POST /users, POST /sessions) " +
            "before WAF blocks it there; well below `rateLimitPer5Minutes`, so guessing from one address is slowed at the edge.",
        ),
      anonymousIpList: z
        .boolean()
        .describe("AWS's anonymous IP list (VPNs, Tor, hosting providers): also blocks clients that run in a cloud, CI runners included."),
    })
    .describe("The web application firewall of the stage."),
  authorizerCacheTtlSeconds: z
    .number()
    .int()
    .min(0)
    .max(3600)
    .describe("Lambda authorizer result cache, seconds; 0 makes revocation (log-out) immediate for reads too (docs/api.md)."),
  executionLogLevel: z.enum(["OFF", "ERROR", "INFO"]).describe("API Gateway's execution logging of the stage."),
  accessLogRetentionDays: oneOf(LOG_RETENTION_DAYS, "accessLogRetentionDays").describe("Retention of the access and execution log groups."),
});

/** Alarm thresholds; every alarm notifies the alarm topic on ALARM and on OK. */
const MonitoringSchema = z.strictObject({
  alarmEmail: z.email().nullable().describe("Subscribed to the alarm topic by email (the recipient must confirm); null for no subscription."),
  periodSeconds: z.union([z.literal(60), z.literal(300)]).describe("Seconds per evaluation period."),
  evaluationPeriods: z.number().int().min(1).max(10).describe("Consecutive breaching periods before an alarm fires."),
  functionErrors: z.number().int().min(1).describe("Function errors per period."),
  functionThrottles: z.number().int().min(1).describe("Function throttles per period."),
  functionDurationP99OfTimeout: z.number().gt(0).max(1).describe("p99 duration, as a fraction of the function's timeout."),
  functionConcurrencyOfReserved: z
    .number()
    .gt(0)
    .max(1)
    .describe("Concurrent executions, as a fraction of the function's reserved concurrency (when one is set)."),
  api5xxErrors: z.number().int().min(1).describe("API 5XX responses per period."),
  api4xxRate: z.number().gt(0).max(1).describe("Fraction of API requests answered 4XX."),
  apiLatencyP99Ms: z.number().int().min(1).max(30000).describe("p99 latency of the API stage, ms."),
  apiIntegrationLatencyP99Ms: z.number().int().min(1).max(30000).describe("p99 integration (function) latency, ms."),
  tableThrottledRequests: z.number().int().min(1).describe("Throttled read and write events per table per period."),
  tableSystemErrors: z.number().int().min(1).describe("DynamoDB system errors per table per period."),
  failedLogIns: z
    .strictObject({
      minFailures: z.number().int().min(1).describe("Failed log-ins per period before the alarm may fire."),
      rate: z.number().gt(0).max(1).describe("The failed share of all log-ins in the period at which the alarm fires."),
    })
    .describe(
      "Credential stuffing: the alarm fires when, in one period, at least `minFailures` log-ins fail and they are at least `rate` " +
        "of all log-ins (so a handful of typos at night does not page anyone).",
    ),
});

const SessionsSchema = z.strictObject({
  lifetimeSeconds: z.number().int().min(300).max(2_592_000).describe("How long a session token is valid, in seconds (5 minutes to 30 days)."),
  idleTimeoutSeconds: z
    .number()
    .int()
    .min(600)
    .max(2_592_000)
    .describe(
      "A session unused for this long ends, in seconds (10 minutes to 30 days), before its lifetime if that is longer. " +
        "The last use is recorded at most every 5 minutes, so a session may end up to 5 minutes early, never late.",
    ),
  maxPerUser: z
    .number()
    .int()
    .min(1)
    .max(100)
    .describe("Sessions one user may hold at once (1 to 100); a log-in beyond that ends the user's oldest session."),
});

const BackendSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("local").describe("State files in state/<environment>/ of the working copy.") }),
  z.strictObject({
    type: z.literal("s3").describe("State in an S3 bucket the bootstrap creates, locked with S3-native locking."),
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "an S3 bucket name (3-63 characters of a-z, 0-9, . and -)" })
      .describe("The state bucket (globally unique)."),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9!_.*'()/-]{1,200}$/, { message: "an S3 key prefix (1-200 characters)" })
      .describe("State keys are `<keyPrefix>/<environment>/<stack>.tfstate`."),
    region: z.enum(SUPPORTED_REGIONS).describe("The state bucket's region."),
  }),
]);

/**
 * GitHub Actions identities the bootstrap creates for this environment (opt-in: leave `pipeline` out for none).
 * See docs/ci-cd.md.
 */
export const PipelineSchema = z.strictObject({
  repository: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, {
      message: 'a GitHub repository "owner/name", e.g. "acme/prod-service"',
    })
    .describe(
      '"owner/name" of the GitHub repository whose workflows may assume the roles, spelled as GitHub does: the OIDC `sub` claim is ' +
        "compared case-sensitively.",
    ),
  oidcProvider: z
    .discriminatedUnion("type", [
      z.strictObject({ type: z.literal("create").describe("Create it (the first environment bootstrapped in the account).") }),
      z.strictObject({
        type: z.literal("existing").describe("Use the one another environment of the account created."),
        arn: z
          .string()
          .regex(/^arn:aws:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
            message: "arn:aws:iam::<account id>:oidc-provider/token.actions.githubusercontent.com",
          })
          .describe("Its ARN."),
      }),
    ])
    .describe("GitHub's OIDC identity provider: an account holds at most one for token.actions.githubusercontent.com."),
  maxSessionSeconds: z.number().int().min(3600).max(43200).describe("Longest session of a pipeline role, in seconds (IAM allows 1 to 12 hours)."),
});

/** The whole per-environment configuration, one JSON file per environment in app/config/. */
export const AppConfigSchema = z
  .strictObject({
    projectName: z.string().min(1).max(64).describe("The project's name, in tags and descriptions."),
    environment: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,15}$/, { message: "2-16 characters of a-z, 0-9 and -, starting with a letter" })
      .describe("The environment: the file's name, the state folder or S3 key, the GitHub environment."),
    region: z.enum(SUPPORTED_REGIONS).describe("The region of every stack; prod is pinned to us-east-1."),
    namePrefix: NamePrefixSchema.describe(
      'Starts every resource name ("prod-service-" in prod, required): lower case, ends with "-", short enough for S3\'s 63 characters.',
    ),
    tags: TagsSchema.describe("Default tags of every stack's provider, so every taggable resource carries them."),
    dynamodb: z
      .strictObject({
        deletionProtection: z.boolean().describe("Tables refuse deletion until it is turned off and deployed."),
        pointInTimeRecovery: z.boolean().describe("Continuous backups of every table (35 days)."),
      })
      .describe("Table protection."),
    lambda: LambdaSchema.describe("Function defaults."),
    api: ApiSchema.describe("The REST API's stage."),
    sessions: SessionsSchema.describe("Sessions."),
    monitoring: MonitoringSchema.describe("Alarm thresholds; every alarm notifies the alarm topic on ALARM and on OK."),
    backend: BackendSchema.describe("Where Terraform keeps the state of the three stacks."),
    pipeline: PipelineSchema.optional().describe(
      "GitHub Actions roles the bootstrap creates for this environment (needs the S3 backend; leave it out for none; docs/ci-cd.md).",
    ),
  })
  .superRefine((config, ctx) => {
    if (config.environment === "prod" && config.region !== "us-east-1") {
      ctx.addIssue({ code: "custom", path: ["region"], message: '"us-east-1" (prod is pinned to it)' });
    }
    if (config.environment === "prod" && config.namePrefix !== "prod-service-") {
      ctx.addIssue({ code: "custom", path: ["namePrefix"], message: '"prod-service-" (prod resources are named prod-service-*)' });
    }
    if (config.pipeline && config.backend.type !== "s3") {
      ctx.addIssue({
        code: "custom",
        path: ["pipeline"],
        message: 'a config whose "backend" is S3 (a pipeline keeps and locks its state in S3: a runner has no local state file)',
      });
    }
  });

export type AppConfig = z.infer<typeof AppConfigSchema>;
export type ThrottleConfig = z.infer<typeof ThrottleSchema>;
export type LambdaConfig = z.infer<typeof LambdaSchema>;
export type ReleaseConfig = z.infer<typeof ReleaseSchema>;
export type ApiConfig = z.infer<typeof ApiSchema>;
export type BackendConfig = z.infer<typeof BackendSchema>;
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;
export type PipelineConfig = z.infer<typeof PipelineSchema>;
