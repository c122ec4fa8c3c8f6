import * as path from "node:path";
import { Construct } from "constructs";
import { LocalBackend, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";

export interface BootstrapStackProps {
  /** Region the stack's resources are in. */
  readonly region: string;
  /** Default tags of every resource (the config's `tags`). */
  readonly tags: Readonly<Record<string, string>>;
  /** Folder of the stack's local state file; app/bootstrap/ when run by the cdktf CLI. */
  readonly stateDir: string;
  /** File name of the state in `stateDir`, e.g. `state/prod/api-gateway-account.tfstate`. */
  readonly stateFile: string;
}

/**
 * What every stack of the bootstrap app shares: the AWS provider for one region with the config's tags, and a
 * local state file. Bootstrap stacks hold what must exist before the app's stacks (or once per account and region
 * for all of them), so their state cannot live in the app's backend: it stays in app/bootstrap/ (git-ignored).
 */
export abstract class BootstrapStack extends TerraformStack {
  public readonly provider: AwsProvider;
  /** Absolute path of this stack's local state file. */
  public readonly localStatePath: string;

  protected constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    this.provider = new AwsProvider(this, "aws", {
      region: props.region,
      defaultTags: [{ tags: { ...props.tags, Stack: id } }],
    });
    this.localStatePath = path.join(props.stateDir, props.stateFile);
    new LocalBackend(this, { path: this.localStatePath });
  }
}
