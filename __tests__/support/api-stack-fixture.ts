/**
 * The api-stack's synthesized `cdk.tf.json` of each config, kept in `__tests__/fixtures/` so a refactor of the
 * API's constructs is proven not to change a byte of what Terraform sees (no construct id or path, hence no
 * resource name, moves). `__tests__/api-stack-json.test.ts` compares; `update-api-stack-fixtures.ts` rewrites
 * the fixtures when a change to the API is intended.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listEnvironments } from "../../app/config/load";
import { synthStacks } from "./synth";

export const API_STACK = "api-stack";

/** Stands for the synth's state folder, the one part of the JSON that differs per run. */
export const STATE_DIR_PLACEHOLDER = "<stateDir>";

/** The command that rewrites the fixtures from the current code. */
export const UPDATE_COMMAND = "node --import tsx __tests__/support/update-api-stack-fixtures.ts";

/** Every config in `app/config/`, so a new environment gets a fixture too. */
export function fixtureEnvironments(): string[] {
  return listEnvironments();
}

export const FIXTURE_DIR = join(__dirname, "..", "fixtures");

export function fixtureName(environment: string): string {
  return `${API_STACK}.${environment}.tf.json`;
}

export function fixturePath(environment: string): string {
  return join(FIXTURE_DIR, fixtureName(environment));
}

/**
 * Synthesizes the whole app for one config and returns api-stack's `cdk.tf.json` exactly as written to disk,
 * except for the absolute path of the (temporary) state folder: the local backend and the
 * `terraform_remote_state` blocks name `<stateDir>/state/<env>/terraform.<stack>.tfstate`, and that folder is
 * a fresh temp folder on every run. It is replaced by STATE_DIR_PLACEHOLDER; nothing else is touched.
 */
export function synthesizedApiStackJson(environment: string): string {
  const synth = synthStacks({ environment });
  try {
    const text = readFileSync(join(synth.dir(API_STACK), "cdk.tf.json"), "utf8");
    return text.split(synth.stateDir).join(STATE_DIR_PLACEHOLDER);
  } finally {
    synth.cleanup();
  }
}
