import { TABLE_NAMES, TABLES, type TableDeclaration } from "../app/lambda-packages/shared/tables";
import { statementsOf } from "./support/policies";
import { onlyResource as only, resources, synthStacks, SynthResult, TerraformJson } from "./support/synth";

let prod: SynthResult;
let dev: SynthResult;
let data: TerraformJson;

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
  dev = synthStacks({ environment: "dev" });
  data = prod.json["data-stack"];
});
afterAll(() => {
  prod.cleanup();
  dev.cleanup();
});

const table = (json: TerraformJson, name: string) => {
  const found = resources(json, "aws_dynamodb_table").find((t) => t.config.name === name);
  expect(found).toBeDefined();
  return found!.config as Record<string, any>;
};
const ref = (type: string, id: string, attribute: string) => `\${${type}.${id}.${attribute}}`;

describe("DataStack", () => {
  describe("app key", () => {
    test("is a customer-managed KMS key with rotation on and a prefixed alias", () => {
      const key = only(data, "aws_kms_key");
      expect(key.config.enable_key_rotation).toBe(true);
      expect(key.config.deletion_window_in_days).toBe(30);
      const alias = only(data, "aws_kms_alias");
      expect(alias.config.name).toBe("alias/prod-service-app");
      expect(alias.config.target_key_id).toBe(ref("aws_kms_key", key.id, "key_id"));
    });

    test("lets CloudWatch Logs of this account and region use it for log groups only", () => {
      const key = only(data, "aws_kms_key");
      const logs = statementsOf(data, key.config.policy).find((s) => s.sid === "CloudWatchLogsOfThisAccountAndRegion");
      expect(logs?.principals).toEqual([{ type: "Service", identifiers: ["logs.us-east-1.amazonaws.com"] }]);
      expect(logs?.condition).toEqual([
        {
          test: "ArnLike",
          variable: "kms:EncryptionContext:aws:logs:arn",
          values: ["arn:aws:logs:us-east-1:${data.aws_caller_identity.caller.account_id}:log-group:*"],
        },
      ]);
    });

    test("grants the account administration through IAM without a wildcard action", () => {
      const key = only(data, "aws_kms_key");
      const account = statementsOf(data, key.config.policy).find((s) => s.sid === "AccountAdministersKeyThroughIam");
      expect(account?.principals).toEqual([{ type: "AWS", identifiers: ["arn:aws:iam::${data.aws_caller_identity.caller.account_id}:root"] }]);
      expect(account?.actions).not.toContain("kms:*");
      expect(account?.actions).toEqual(expect.arrayContaining(["kms:Create*", "kms:ScheduleKeyDeletion", "kms:Decrypt"]));
    });
  });

  describe("tables", () => {
    test("there is exactly one table per entry of TABLES (app/lambda-packages/shared/tables.ts)", () => {
      expect(
        resources(data, "aws_dynamodb_table")
          .map((t) => t.config.name)
          .sort(),
      ).toEqual(TABLE_NAMES.map((name) => `prod-service-${name}`).sort());
    });

    test.each(TABLE_NAMES)("%s is on-demand, encrypted with the app key, with PITR, and TTL as declared", (name) => {
      const t = table(data, `prod-service-${name}`);
      const key = only(data, "aws_kms_key");
      const { ttlAttribute } = TABLES[name] as TableDeclaration;
      expect(t.billing_mode).toBe("PAY_PER_REQUEST");
      expect(t.server_side_encryption).toEqual({ enabled: true, kms_key_arn: ref("aws_kms_key", key.id, "arn") });
      expect(t.point_in_time_recovery).toEqual({ enabled: true });
      expect(t.ttl).toEqual(ttlAttribute ? { enabled: true, attribute_name: ttlAttribute } : undefined);
    });

    test.each(TABLE_NAMES)("%s has the keys and indexes TABLES declares, every index projecting keys only", (name) => {
      const t = table(data, `prod-service-${name}`);
      const { partitionKey, sortKey, indexes } = TABLES[name] as TableDeclaration;
      expect({ hash: t.hash_key, range: t.range_key }).toEqual({ hash: partitionKey.name, range: sortKey?.name });
      expect(t.global_secondary_index).toEqual(
        Object.entries(indexes).map(([index, keys]) => ({
          name: index,
          hash_key: keys.partitionKey.name,
          range_key: keys.sortKey?.name,
          projection_type: "KEYS_ONLY",
        })),
      );
      const declared = [partitionKey, sortKey, ...Object.values(indexes).flatMap((i) => [i.partitionKey, i.sortKey])].filter((a) => a !== undefined);
      expect([...t.attribute].sort((a, b) => a.name.localeCompare(b.name))).toEqual(
        [...new Map(declared.map((a) => [a.name, { name: a.name, type: a.type }])).values()].sort((a, b) => a.name.localeCompare(b.name)),
      );
    });

    test("the sessions table has TTL on expiresAt and the byUserId index (userId, createdAt)", () => {
      const sessions = table(data, "prod-service-sessions");
      expect(sessions.ttl).toEqual({ enabled: true, attribute_name: "expiresAt" });
      expect(sessions.global_secondary_index).toEqual([
        expect.objectContaining({ name: "byUserId", hash_key: "userId", range_key: "createdAt", projection_type: "KEYS_ONLY" }),
      ]);
    });

    test("deletion protection follows config: on in prod, off in dev", () => {
      for (const name of TABLE_NAMES) {
        expect({ name, prod: table(data, `prod-service-${name}`).deletion_protection_enabled }).toEqual({ name, prod: true });
        expect({ name, dev: table(dev.json["data-stack"], `dev-service-${name}`).deletion_protection_enabled }).toEqual({ name, dev: false });
      }
    });

    test("users are keyed by pk (user and email-claim items)", () => {
      const users = table(data, "prod-service-users");
      expect(users.hash_key).toBe("pk");
      expect(users.range_key).toBeUndefined();
      expect(users.attribute).toEqual([{ name: "pk", type: "S" }]);
      expect(users.global_secondary_index).toEqual([]);
    });

    test("sessions are keyed by token hash with a byUserId index", () => {
      const sessions = table(data, "prod-service-sessions");
      expect(sessions.hash_key).toBe("tokenHash");
      expect(sessions.global_secondary_index).toEqual([
        { name: "byUserId", hash_key: "userId", range_key: "createdAt", projection_type: "KEYS_ONLY" },
      ]);
      expect(sessions.attribute).toEqual(
        expect.arrayContaining([
          { name: "tokenHash", type: "S" },
          { name: "userId", type: "S" },
          { name: "createdAt", type: "N" },
        ]),
      );
    });
  });

  describe("package bucket", () => {
    test("has a globally unique name that starts with the prefix and carries the account and region", () => {
      expect(only(data, "aws_s3_bucket").config.bucket).toBe("prod-service-lambda-pkgs-${data.aws_caller_identity.caller.account_id}-us-east-1");
    });

    test("is versioned and encrypted with the app key and a bucket key", () => {
      expect(only(data, "aws_s3_bucket_versioning").config.versioning_configuration).toEqual({ status: "Enabled" });
      const key = only(data, "aws_kms_key");
      expect(only(data, "aws_s3_bucket_server_side_encryption_configuration").config.rule).toEqual([
        {
          apply_server_side_encryption_by_default: {
            sse_algorithm: "aws:kms",
            kms_master_key_id: ref("aws_kms_key", key.id, "arn"),
          },
          bucket_key_enabled: true,
        },
      ]);
    });

    test("blocks all public access and disables ACLs", () => {
      const block = only(data, "aws_s3_bucket_public_access_block").config;
      expect(block).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(only(data, "aws_s3_bucket_ownership_controls").config.rule).toEqual({
        object_ownership: "BucketOwnerEnforced",
      });
    });

    test("denies every request made without TLS", () => {
      const policy = only(data, "aws_s3_bucket_policy");
      const [deny] = statementsOf(data, policy.config.policy);
      expect(deny).toMatchObject({
        effect: "Deny",
        actions: ["s3:*"],
        principals: [{ type: "*", identifiers: ["*"] }],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      });
      const bucket = only(data, "aws_s3_bucket");
      expect(deny.resources).toEqual([ref("aws_s3_bucket", bucket.id, "arn"), `${ref("aws_s3_bucket", bucket.id, "arn")}/*`]);
    });

    test("applies ownership, public access block and policy one after the other", () => {
      const ownership = only(data, "aws_s3_bucket_ownership_controls");
      const block = only(data, "aws_s3_bucket_public_access_block");
      const policy = only(data, "aws_s3_bucket_policy");
      expect(block.config.depends_on).toEqual([`aws_s3_bucket_ownership_controls.${ownership.id}`]);
      expect(policy.config.depends_on).toEqual([`aws_s3_bucket_public_access_block.${block.id}`]);
    });

    test("expires noncurrent versions and aborts incomplete multipart uploads", () => {
      const rules = only(data, "aws_s3_bucket_lifecycle_configuration").config.rule as Record<string, any>[];
      expect(rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ status: "Enabled", noncurrent_version_expiration: [{ noncurrent_days: 90 }] }),
          expect.objectContaining({ status: "Enabled", abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
        ]),
      );
    });
  });

  describe("outputs", () => {
    test.each([...TABLE_NAMES.flatMap((table) => [`${table}_table_name`, `${table}_table_arn`]), "kms_key_arn", "package_bucket_name"])(
      "%s is an operator output with a description that reaches the outputs file",
      (name) => {
        const output = data.output?.[name];
        expect(output?.description).toEqual(expect.any(String));
        expect(output?.sensitive).toBeUndefined();
      },
    );

    test.each(TABLE_NAMES)("the %s table's outputs name it and its ARN, described from TABLES", (name) => {
      const id = resources(data, "aws_dynamodb_table").find((t) => t.config.name === `prod-service-${name}`)!.id;
      expect(data.output?.[`${name}_table_name`]).toEqual({
        value: ref("aws_dynamodb_table", id, "name"),
        description: `Name of the ${name} table (${TABLES[name].description})`,
      });
      expect(data.output?.[`${name}_table_arn`]).toEqual({ value: ref("aws_dynamodb_table", id, "arn"), description: `ARN of the ${name} table` });
    });

    test("the users table's name output says what it holds", () => {
      expect(data.output?.users_table_name?.description).toBe("Name of the users table (profiles, email claims and failed log-in counts)");
    });

    test("the outputs cdktf makes for cross-stack references are sensitive", () => {
      const crossStack = Object.entries(data.output ?? {}).filter(([name]) => name.startsWith("cross-stack-output-"));
      expect(crossStack.length).toBeGreaterThan(0);
      for (const [, output] of crossStack) expect(output.sensitive).toBe(true);
    });
  });
});
