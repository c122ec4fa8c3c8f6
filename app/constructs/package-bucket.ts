import { Token } from "cdktf";
import { Construct } from "constructs";
import { PrivateBucket } from "./private-bucket";
import { ValidationError } from "./validation-error";

export interface PackageBucketProps {
  /** Globally unique bucket name. */
  readonly bucketName: string;
  readonly kmsKeyArn: string;
  /** Days a replaced package version is kept, for rollbacks. @default 90 */
  readonly noncurrentVersionRetentionDays?: number;
}

/**
 * The private bucket holding the Lambda ZIP packages, SSE-KMS with the app key. Versioning keeps replaced
 * packages for `noncurrentVersionRetentionDays`, for rollbacks.
 */
export class PackageBucket extends PrivateBucket {
  constructor(scope: Construct, id: string, props: PackageBucketProps) {
    const retention = props.noncurrentVersionRetentionDays ?? 90;
    super(scope, id, {
      bucketName: props.bucketName,
      kmsKeyArn: props.kmsKeyArn,
      lifecycleRules: [
        {
          id: "expire-noncurrent-packages",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: retention }],
        },
      ],
    });
    // After super(): the error needs this construct's path. Nothing is synthesized once it throws.
    if (!Token.isUnresolved(retention) && (!Number.isInteger(retention) || retention < 1)) {
      throw new ValidationError(`noncurrentVersionRetentionDays must be a positive integer, received ${retention}`, this);
    }
  }
}
