import * as path from "node:path";
import { Construct } from "constructs";
import { DataTerraformRemoteStateLocal, DataTerraformRemoteStateS3, LocalBackend, S3Backend, TerraformRemoteState, TerraformStack } from "cdktf";
import type { BackendConfig } from "../config/schema";

/**
 * cdktf's backends build the `terraform_remote_state` of a cross-stack reference from the *consuming* stack's
 * own backend settings: an explicit local `path` or an S3 `key` then points the consumer at its own state.
 * These subclasses point it at the producing stack's state instead.
 */
class StackLocalBackend extends LocalBackend {
  constructor(
    scope: Construct,
    private readonly stateDir: string,
    private readonly environment: string,
  ) {
    super(scope, { path: localStatePath(stateDir, environment, TerraformStack.of(scope).node.id) });
  }

  public getRemoteStateDataSource(scope: Construct, name: string, fromStack: string): TerraformRemoteState {
    return new DataTerraformRemoteStateLocal(scope, name, { path: localStatePath(this.stateDir, this.environment, fromStack) });
  }
}

class StackS3Backend extends S3Backend {
  constructor(
    scope: Construct,
    private readonly settings: S3StateSettings,
  ) {
    super(scope, s3StateConfig(settings, TerraformStack.of(scope).node.id));
    // cdktf 0.21's S3BackendConfig has no `use_lockfile`: S3-native state locking (Terraform >= 1.10) is set here.
    TerraformStack.of(scope).addOverride("terraform.backend.s3.use_lockfile", true);
  }

  public getRemoteStateDataSource(scope: Construct, name: string, fromStack: string): TerraformRemoteState {
    return new DataTerraformRemoteStateS3(scope, name, s3StateConfig(this.settings, fromStack));
  }
}

interface S3StateSettings {
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly region: string;
  readonly environment: string;
}

/** Folder, under the state root, that holds the local state files of every environment. */
export const LOCAL_STATE_FOLDER = "state";

/**
 * `<stateDir>/state/<environment>/terraform.<stack>.tfstate`: one folder per environment, so dev and prod
 * deployed from one checkout never read or overwrite each other's state.
 */
export function localStatePath(stateDir: string, environment: string, stackId: string): string {
  return path.join(stateDir, LOCAL_STATE_FOLDER, environment, `terraform.${stackId}.tfstate`);
}

/** `<keyPrefix>/<environment>/<stack>.tfstate`: the S3 key of one stack's state. */
export function s3StateKey(keyPrefix: string, environment: string, stackId: string): string {
  return `${keyPrefix.replace(/\/+$/, "")}/${environment}/${stackId}.tfstate`;
}

function s3StateConfig(settings: S3StateSettings, stackId: string) {
  return {
    bucket: settings.bucket,
    key: s3StateKey(settings.keyPrefix, settings.environment, stackId),
    region: settings.region,
    encrypt: true,
  };
}

/**
 * Gives `stack` its own state, per environment: a local file `state/<environment>/terraform.<stack>.tfstate` under
 * `stateDir`, or one S3 object per stack and environment with encryption and S3-native locking. The
 * `terraform_remote_state` of each cross-stack reference reads the producer's state of the same environment.
 */
export function addStateBackend(stack: TerraformStack, backend: BackendConfig, environment: string, stateDir: string): void {
  if (backend.type === "s3") {
    new StackS3Backend(stack, { ...backend, environment });
  } else {
    new StackLocalBackend(stack, stateDir, environment);
  }
}
