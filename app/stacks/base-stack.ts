import { Construct } from "constructs";
import { Aspects, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { AppConfig } from "../config/schema";
import { addStateBackend } from "../constructs/state-backend";
import { NamePrefixAspect } from "../constructs/name-prefix-aspect";

export interface BaseStackProps {
  /** The validated configuration of the environment. */
  readonly config: AppConfig;
  /** Root of the local state files (`state/<environment>/terraform.<stack>.tfstate`); unused with the S3 backend. */
  readonly stateDir: string;
}

/**
 * What every stack of the app shares: the AWS provider for the configured region with the config's tags as
 * default tags (so every taggable resource carries them), its own state backend, and the naming rule.
 */
export abstract class BaseStack extends TerraformStack {
  public readonly config: AppConfig;
  public readonly provider: AwsProvider;

  protected constructor(scope: Construct, id: string, props: BaseStackProps) {
    super(scope, id);
    this.config = props.config;
    this.provider = new AwsProvider(this, "aws", {
      region: props.config.region,
      defaultTags: [{ tags: { ...props.config.tags, Stack: id } }],
    });
    addStateBackend(this, props.config.backend, props.config.environment, props.stateDir);
    Aspects.of(this).add(new NamePrefixAspect(props.config.namePrefix));
  }

  /** `<prefix><name>`, the name of a resource of this app. */
  protected prefixed(name: string): string {
    return `${this.config.namePrefix}${name}`;
  }
}
