import { Construct } from "constructs";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";

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
 * `.tflock` lock files). Versioned, so an earlier state can be restored; SSE-S3, because this bucket must exist
 * before the app's KMS key does (that key's own state lives here); every public access blocked; ACLs disabled
 * (BucketOwnerEnforced); requests without TLS denied; `prevent_destroy`, so `cdktf destroy` cannot remove it.
 * Ownership controls, public access block and policy are applied one after the other, as in PackageBucket:
 * S3 rejects concurrent changes to them ("conflicting conditional operation").
 */
export class StateBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly versioning: S3BucketVersioningA;
  public readonly encryption: S3BucketServerSideEncryptionConfigurationA;
  public readonly policy: S3BucketPolicy;
  public readonly lifecycle: S3BucketLifecycleConfiguration;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    const retention = props.noncurrentVersionRetentionDays ?? 90;
    if (!Number.isInteger(retention) || retention < 1) {
      throw new Error(`noncurrentVersionRetentionDays must be a positive integer, received ${retention}`);
    }
    const keep = props.keepNoncurrentVersions ?? 10;
    if (!Number.isInteger(keep) || keep < 1 || keep > 100) {
      throw new Error(`keepNoncurrentVersions must be an integer 1..100 (S3's limit), received ${keep}`);
    }

    this.bucket = new S3Bucket(this, "bucket", {
      bucket: props.bucketName,
      forceDestroy: false,
      lifecycle: { preventDestroy: true },
    });

    const ownership = new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, "public-access", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      dependsOn: [ownership],
    });

    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls-only", {
      statement: [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["s3:*"],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: tlsOnly.json,
      dependsOn: [publicAccess],
    });

    this.encryption = new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      dependsOn: [this.policy],
    });

    this.versioning = new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });

    this.lifecycle = new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
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
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
      dependsOn: [this.versioning],
    });
  }
}
