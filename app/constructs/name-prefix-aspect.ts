import { IConstruct } from "constructs";
import { Annotations, IAspect, TerraformResource, Token } from "cdktf";

/** Attributes that name the resource itself (not a reference to another one). */
const NAME_ATTRIBUTES = ["name", "name_prefix", "function_name", "bucket", "alarm_name", "dashboard_name"];

/** References held in a name attribute: these resource types name *another* resource there. */
const REFERENCE_ATTRIBUTES: Record<string, readonly string[]> = {
  aws_s3_object: ["bucket"],
  aws_s3_bucket_policy: ["bucket"],
  aws_s3_bucket_versioning: ["bucket"],
  aws_s3_bucket_public_access_block: ["bucket"],
  aws_s3_bucket_ownership_controls: ["bucket"],
  aws_s3_bucket_server_side_encryption_configuration: ["bucket"],
  aws_s3_bucket_lifecycle_configuration: ["bucket"],
  aws_lambda_permission: ["function_name"],
};

/** Names that live inside another resource, which carries the prefix: a Lambda alias is unique per function only. */
const SCOPED_NAMES: Record<string, readonly string[]> = {
  aws_lambda_alias: ["name"],
};

/** Name forms AWS imposes; the app's prefix follows them. */
const AWS_NAME_FORMS = [/^API-Gateway-Execution-Logs_/, /^alias\//, /^\/aws\/lambda\//, /^\/aws\/apigateway\//, /^aws-waf-logs-/];

/**
 * Fails synth when a resource's own name does not start with the configured prefix, so every named resource
 * of every stack follows the naming convention. Names that are references (tokens) are checked where they
 * are defined.
 */
export class NamePrefixAspect implements IAspect {
  constructor(private readonly prefix: string) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const type = node.terraformResourceType;
    const attributes = (node.toTerraform() as { resource: Record<string, Record<string, Record<string, unknown>>> }).resource[type][
      node.friendlyUniqueId
    ];
    for (const key of NAME_ATTRIBUTES) {
      const value = attributes?.[key];
      if (typeof value !== "string" || REFERENCE_ATTRIBUTES[type]?.includes(key) || SCOPED_NAMES[type]?.includes(key)) continue;
      const bare = AWS_NAME_FORMS.reduce((name, form) => name.replace(form, ""), value);
      if (Token.isUnresolved(bare) && bare.startsWith("${")) continue; // named where it is defined
      if (!bare.startsWith(this.prefix)) {
        Annotations.of(node).addError(`${type}.${key} "${value}" must start with the name prefix "${this.prefix}"`);
      }
    }
  }
}
