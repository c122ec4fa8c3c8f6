import { Token } from "cdktf";
import { Construct } from "constructs";
import { PrivateBucket } from "../constructs/private-bucket";
import { ValidationError } from "../constructs/validation-error";

export interface StateBucketProps {
  /** Globally unique bucket name: the `backend.bucket` of the app's config. */
  readonly bucketName: string;
  /** Days a replaced state version is kept before it may expire. @default 90 */
  readonly noncurrentVersionRetentionDays?: number;
  /** Replaced versions of each state file kept however old they are. @default 10 */
  readonly keepNoncurrentVersions?: number;
}

/**
 * The S3 bucket holding the app's Terraform state (one object per stack and environment, plus Terraform's
 * `.tflock` lock files), with the secure defaults of PrivateBucket. Versioned, so an earlier state can be
 * restored; SSE-S3, because this bucket must exist before the app's KMS key does (that key's own state lives
 * here); `prevent_destroy`, so `cdktf destroy` cannot remove it.
 */
export class StateBucket extends PrivateBucket {
  constructor(scope: Construct, id: string, props: StateBucketProps) {
    const retention = props.noncurrentVersionRetentionDays ?? 90;
    const keep = props.keepNoncurrentVersions ?? 10;
    super(scope, id, {
      bucketName: props.bucketName,
      preventDestroy: true,
      lifecycleRules: [
        {
          // Current state versions never expire; only replaced ones, and never the newest `keep` of each file.
          id: "expire-noncurrent-state-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: retention, newerNoncurrentVersions: keep }],
        },
        {
          // Every run writes and deletes a `.tflock` object; clear the delete markers once their versions expired.
          id: "remove-expired-delete-markers",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
      ],
    });
    // After super(): the errors need this construct's path. Nothing is synthesized once one throws.
    if (!Token.isUnresolved(retention) && (!Number.isInteger(retention) || retention < 1)) {
      throw new ValidationError(`noncurrentVersionRetentionDays must be a positive integer, received ${retention}`, this);
    }
    if (!Token.isUnresolved(keep) && (!Number.isInteger(keep) || keep < 1 || keep > 100)) {
      throw new ValidationError(`keepNoncurrentVersions must be an integer 1..100 (S3's limit), received ${keep}`, this);
    }
  }
}
