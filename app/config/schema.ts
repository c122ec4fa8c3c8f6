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
  /** Steady-state requests per second. */
  rateLimit: z.number().positive().max(10000),
  /** Bucket size: the largest burst of concurrent requests. */
  burstLimit: z.number().int().min(1).max(5000),
});

/** Per-function overrides of the Lambda defaults; only the functions of app/stacks/functions.ts may be named. */
const FunctionOverridesSchema = z.strictObject({
  memorySize: z.number().int().min(128).max(10240).optional(),
  timeoutSeconds: z.number().int().min(1).max(29).optional(),
  reservedConcurrency: z.number().int().min(1).max(1000).nullable().optional(),
});

const LambdaSchema = z.strictObject({
  /** nodejs22.x is the newest runtime the pinned AWS provider (5.100.0) accepts. */
  runtime: z.enum(["nodejs22.x", "nodejs20.x"]),
  architecture: z.enum(["arm64", "x86_64"]),
  memorySize: z.number().int().min(128).max(10240),
  /** Seconds; API Gateway's integration timeout is 29 s, so a longer function timeout is never used. */
  timeoutSeconds: z.number().int().min(1).max(29),
  /** Reserved concurrency per function; null leaves the function on the account's unreserved pool. */
  reservedConcurrency: z.number().int().min(1).max(1000).nullable(),
  logRetentionDays: oneOf(LOG_RETENTION_DAYS, "logRetentionDays"),
  applicationLogLevel: z.enum(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]),
  systemLogLevel: z.enum(["DEBUG", "INFO", "WARN"]),
  functions: z.partialRecord(z.enum(FUNCTION_NAME_VALUES), FunctionOverridesSchema),
});

const RouteKeySchema = z.string().regex(/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/[A-Za-z0-9_{}/.-]*$/, {
  message: 'a route key like "GET /health" or "PATCH /users/me"',
});

const ApiSchema = z.strictObject({
  stageName: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, { message: "1-64 characters of A-Z, a-z, 0-9 and _" }),
  throttling: ThrottleSchema,
  /** Overrides of the stage throttling for single routes, keyed "METHOD /path". */
  routeThrottling: z.record(RouteKeySchema, ThrottleSchema),
  /** Origins allowed by CORS, e.g. "https://app.example.com"; empty disables CORS. Never "*". */
  corsOrigins: z.array(
    z.string().regex(/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/, {
      message: 'an origin scheme://host[:port] without a path, e.g. "https://app.example.com"',
    }),
  ),
  waf: z.strictObject({
    enabled: z.boolean(),
    /** Requests per 5 minutes from one IP before the rate-based rule blocks it (WAF minimum is 10). */
    rateLimitPer5Minutes: z.number().int().min(10).max(2_000_000_000),
    /** AWS's anonymous IP list (VPNs, Tor, hosting providers): also blocks clients that run in a cloud, CI included. */
    anonymousIpList: z.boolean(),
  }),
  /** Lambda authorizer result cache; 0 makes revocation (log-out) immediate. API Gateway allows up to 3600. */
  authorizerCacheTtlSeconds: z.number().int().min(0).max(3600),
  executionLogLevel: z.enum(["OFF", "ERROR", "INFO"]),
  accessLogRetentionDays: oneOf(LOG_RETENTION_DAYS, "accessLogRetentionDays"),
});

/** Alarm thresholds; every alarm notifies the alarm topic on ALARM and on OK. */
const MonitoringSchema = z.strictObject({
  /** Subscribed to the alarm topic by email (the recipient must confirm); null for no subscription. */
  alarmEmail: z.email().nullable(),
  /** Seconds per evaluation period. */
  periodSeconds: z.union([z.literal(60), z.literal(300)]),
  /** Consecutive breaching periods before an alarm fires. */
  evaluationPeriods: z.number().int().min(1).max(10),
  /** Function errors per period. */
  functionErrors: z.number().int().min(1),
  /** Function throttles per period. */
  functionThrottles: z.number().int().min(1),
  /** p99 duration, as a fraction of the function's timeout. */
  functionDurationP99OfTimeout: z.number().gt(0).max(1),
  /** Concurrent executions, as a fraction of the function's reserved concurrency (when one is set). */
  functionConcurrencyOfReserved: z.number().gt(0).max(1),
  /** API 5XX responses per period. */
  api5xxErrors: z.number().int().min(1),
  /** Fraction of API requests answered 4XX. */
  api4xxRate: z.number().gt(0).max(1),
  /** p99 latency of the API stage, ms. */
  apiLatencyP99Ms: z.number().int().min(1).max(30000),
  /** p99 integration (function) latency, ms. */
  apiIntegrationLatencyP99Ms: z.number().int().min(1).max(30000),
  /** Throttled read and write events per table per period. */
  tableThrottledRequests: z.number().int().min(1),
  /** DynamoDB system errors per table per period. */
  tableSystemErrors: z.number().int().min(1),
  /**
   * Credential stuffing: the failed-log-in alarm fires when, in one period, at least `minFailures` log-ins fail
   * AND they are at least `rate` of all log-ins (so a handful of typos at night does not page anyone).
   */
  failedLogIns: z.strictObject({
    minFailures: z.number().int().min(1),
    rate: z.number().gt(0).max(1),
  }),
});

const SessionsSchema = z.strictObject({
  /** How long a session token is valid, in seconds (5 minutes to 30 days). */
  lifetimeSeconds: z.number().int().min(300).max(2_592_000),
});

const BackendSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("local") }),
  z.strictObject({
    type: z.literal("s3"),
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: "an S3 bucket name (3-63 characters of a-z, 0-9, . and -)" }),
    /** State keys are `<keyPrefix>/<environment>/<stack>.tfstate`. */
    keyPrefix: z.string().regex(/^[A-Za-z0-9!_.*'()/-]{1,200}$/, { message: "an S3 key prefix (1-200 characters)" }),
    region: z.enum(SUPPORTED_REGIONS),
  }),
]);

/**
 * GitHub Actions identities the bootstrap creates for this environment (opt-in: leave `pipeline` out for none).
 * See docs/ci-cd.md.
 */
export const PipelineSchema = z.strictObject({
  /**
   * "owner/name" of the GitHub repository whose workflows may assume the roles, spelled as GitHub does: the OIDC
   * `sub` claim is compared case-sensitively.
   */
  repository: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, {
    message: 'a GitHub repository "owner/name", e.g. "acme/prod-service"',
  }),
  /**
   * GitHub's OIDC identity provider: an account holds at most one for token.actions.githubusercontent.com, so
   * the first environment bootstrapped in an account creates it and the others name its ARN.
   */
  oidcProvider: z.discriminatedUnion("type", [
    z.strictObject({ type: z.literal("create") }),
    z.strictObject({
      type: z.literal("existing"),
      arn: z.string().regex(/^arn:aws:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/, {
        message: "arn:aws:iam::<account id>:oidc-provider/token.actions.githubusercontent.com",
      }),
    }),
  ]),
  /** Longest session of a pipeline role, in seconds (IAM allows 1 to 12 hours). */
  maxSessionSeconds: z.number().int().min(3600).max(43200),
});

/** The whole per-environment configuration, one JSON file per environment in app/config/. */
export const AppConfigSchema = z
  .strictObject({
    projectName: z.string().min(1).max(64),
    environment: z.string().regex(/^[a-z][a-z0-9-]{1,15}$/, { message: "2-16 characters of a-z, 0-9 and -, starting with a letter" }),
    region: z.enum(SUPPORTED_REGIONS),
    namePrefix: NamePrefixSchema,
    tags: TagsSchema,
    dynamodb: z.strictObject({
      deletionProtection: z.boolean(),
      pointInTimeRecovery: z.boolean(),
    }),
    lambda: LambdaSchema,
    api: ApiSchema,
    sessions: SessionsSchema,
    monitoring: MonitoringSchema,
    backend: BackendSchema,
    pipeline: PipelineSchema.optional(),
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
export type ApiConfig = z.infer<typeof ApiSchema>;
export type BackendConfig = z.infer<typeof BackendSchema>;
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;
export type PipelineConfig = z.infer<typeof PipelineSchema>;
