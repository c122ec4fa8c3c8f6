import { Construct } from "constructs";
import { App, TerraformOutput } from "cdktf";
import type { AppConfig, BackendConfig } from "../config/schema";
import { BootstrapStack } from "./bootstrap-stack";
import { StateBucket } from "./state-bucket";

/** The bootstrap stack that creates the S3 state bucket: `cdktf deploy state-bucket` in app/bootstrap/. */
export const STATE_BUCKET_STACK_ID = "state-bucket";

/** The `backend` section of a config that keeps state in S3. */
export type S3BackendSettings = Extract<BackendConfig, { type: "s3" }>;

export interface StateBucketStackProps {
  /** Where the app keeps its state: the bucket is created in `region` with the name `bucket`. */
  readonly backend: S3BackendSettings;
  /** Environment whose config this is; names the state prefix in the outputs. */
  readonly environment: string;
  /** Default tags of every resource (the config's `tags`). */
  readonly tags: Readonly<Record<string, string>>;
  /** Folder of this stack's own local state file, `<bucket>.tfstate`; app/bootstrap/ when run by the cdktf CLI. */
  readonly stateDir: string;
}

/**
 * Creates the S3 bucket the app's stacks keep their state in. Its own state cannot live in the bucket it
 * creates, so it stays in a local file in `stateDir`, one per bucket (`<bucket>.tfstate`), so running it with
 * another environment's config never plans to replace a different bucket.
 */
export class StateBucketStack extends BootstrapStack {
  public readonly stateBucket: StateBucket;

  constructor(scope: Construct, id: string, props: StateBucketStackProps) {
    const { backend } = props;
    super(scope, id, { region: backend.region, tags: props.tags, stateDir: props.stateDir, stateFile: `${backend.bucket}.tfstate` });

    this.stateBucket = new StateBucket(this, "state", { bucketName: backend.bucket });

    new TerraformOutput(this, "state_bucket_name", {
      value: this.stateBucket.bucket.bucket,
      description: "Bucket of the app's Terraform state (the config's backend.bucket)",
    });
    new TerraformOutput(this, "state_bucket_arn", { value: this.stateBucket.bucket.arn, description: "ARN of the state bucket" });
    new TerraformOutput(this, "state_bucket_region", {
      value: backend.region,
      description: "Region of the state bucket (the config's backend.region)",
    });
    new TerraformOutput(this, "state_key_prefix", {
      value: stateKeyPrefix(backend, props.environment),
      description: "The app's stacks of this environment keep their state under this prefix, one <stack>.tfstate each",
    });
  }
}

/** `<keyPrefix>/<environment>/`: where the app's S3 backend puts each stack's `<stack>.tfstate`. */
export function stateKeyPrefix(backend: S3BackendSettings, environment: string): string {
  return `${backend.keyPrefix.replace(/\/+$/, "")}/${environment}/`;
}

/**
 * The config's S3 backend; throws an Error that says what to change when the config keeps its state locally,
 * since there is then no bucket to create.
 * @param source how to name the config in the message. @default `app/config/<environment>.json`
 */
export function requireS3Backend(config: AppConfig, source = `app/config/${config.environment}.json`): S3BackendSettings {
  if (config.backend.type !== "s3") {
    throw new Error(
      `${source} has backend ${JSON.stringify(config.backend)}, so there is no state bucket to create. ` +
        'Set "backend" to {"type": "s3", "bucket": "<globally unique name>", "keyPrefix": "<prefix>", "region": "<region>"} ' +
        "and run the bootstrap again.",
    );
  }
  return config.backend;
}

/** Adds the `state-bucket` stack for `config`'s S3 backend to `app` (does not synthesize); throws for a local backend. */
export function addStateBucketStack(
  app: App,
  props: { readonly config: AppConfig; readonly stateDir: string; readonly source?: string },
): StateBucketStack {
  const backend = requireS3Backend(props.config, props.source);
  return new StateBucketStack(app, STATE_BUCKET_STACK_ID, {
    backend,
    environment: props.config.environment,
    tags: props.config.tags,
    stateDir: props.stateDir,
  });
}
