/**
 * The bootstrap app's stacks: what is set up once per AWS account and region, before the app's three stacks, one
 * stack per concern so each can be deployed, changed or left out on its own:
 *
 * | stack | what | when |
 * |---|---|---|
 * | `api-gateway-account` | API Gateway's CloudWatch role (account setting of the region) | always |
 * | `state-bucket` | the S3 bucket of the app's Terraform state | only when the config's backend is S3 |
 * | `pipeline` | GitHub Actions' OIDC provider, plan role and deploy role of the environment | only with a `pipeline` section |
 *
 * Each stack extends BootstrapStack (provider for one region with the config's tags, local state in app/bootstrap/).
 * To add a concern, add its stack class in its own file and one line below.
 */
import { App } from "cdktf";
import type { AppConfig } from "../config/schema";
import { API_GATEWAY_ACCOUNT_STACK_ID, ApiGatewayAccountStack } from "./api-gateway-account-stack";
import { addPipelineStack, PipelineStack } from "./pipeline-roles";
import { addStateBucketStack, StateBucketStack } from "./state-stack";

export interface BootstrapStacksProps {
  readonly config: AppConfig;
  /** Folder of the bootstrap's local state files; app/bootstrap/ when run by the cdktf CLI. */
  readonly stateDir: string;
}

export interface BootstrapStacks {
  readonly apiGatewayAccount: ApiGatewayAccountStack;
  /** Only with an S3 backend in the config. */
  readonly stateBucket?: StateBucketStack;
  /** Only with a `pipeline` section in the config. */
  readonly pipeline?: PipelineStack;
}

/** Adds the bootstrap stacks `config` needs to `app` (does not synthesize). */
export function addBootstrapStacks(app: App, props: BootstrapStacksProps): BootstrapStacks {
  const { config, stateDir } = props;
  const apiGatewayAccount = new ApiGatewayAccountStack(app, API_GATEWAY_ACCOUNT_STACK_ID, {
    region: config.region,
    environment: config.environment,
    tags: config.tags,
    stateDir,
  });
  const stateBucket = config.backend.type === "s3" ? addStateBucketStack(app, { config, stateDir }) : undefined;
  const pipeline = addPipelineStack(app, { config, stateDir });
  return { apiGatewayAccount, stateBucket, pipeline };
}
