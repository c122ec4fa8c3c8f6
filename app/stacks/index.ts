import { App } from "cdktf";
import type { AppConfig, FunctionName } from "../config/schema";
import type { LambdaArtifact } from "../lambda-packages/artifacts";
import { ApiStack } from "./api-stack";
import { ComputeStack } from "./compute-stack";
import { DataStack } from "./data-stack";

export interface AppStacksProps {
  readonly config: AppConfig;
  readonly artifacts: (name: FunctionName) => LambdaArtifact;
  /** Root of the local state files (`state/<environment>/...`); the repository root when run by the cdktf CLI. */
  readonly stateDir: string;
  readonly serviceVersion: string;
}

export interface AppStacks {
  readonly data: DataStack;
  readonly compute: ComputeStack;
  readonly api: ApiStack;
}

/** The stack ids, in deploy order: `cdktf deploy data-stack compute-stack api-stack`. */
export const STACK_IDS = ["data-stack", "compute-stack", "api-stack"] as const;

/** Adds the three stacks to `app` in deploy order, wired through cross-stack references. Does not synthesize. */
export function addStacks(app: App, props: AppStacksProps): AppStacks {
  const common = { config: props.config, stateDir: props.stateDir };
  const data = new DataStack(app, "data-stack", common);
  const compute = new ComputeStack(app, "compute-stack", {
    ...common,
    data,
    artifacts: props.artifacts,
    serviceVersion: props.serviceVersion,
  });
  const api = new ApiStack(app, "api-stack", { ...common, data, compute });
  return { data, compute, api };
}
