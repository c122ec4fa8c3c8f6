/**
 * State is per environment: every config in app/config/, synthesized from one checkout (one state root), gets state
 * locations no other environment uses, with the local backend the configs ship with and with one S3 bucket and
 * key prefix shared by all of them (the case where only the environment tells them apart). Every cross-stack
 * `terraform_remote_state` reads the producing stack's state of its own environment.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listEnvironments, loadConfig } from "../app/config/load";
import type { AppConfig, BackendConfig } from "../app/config/schema";
import { localStatePath, s3StateKey } from "../app/constructs/state-backend";
import { STACK_IDS } from "../app/stacks";
import { dataSources, synthStacks, TerraformJson } from "./support/synth";

const SHARED_S3: BackendConfig = { type: "s3", bucket: "acme-tf-state", keyPrefix: "serverless/", region: "us-east-1" };

/** Where one stack's state lives: `local:<path>` or `s3://<bucket>/<key>`. */
function backendLocation(json: TerraformJson): string {
  const backend = (json.terraform as { backend?: Record<string, Record<string, string>> }).backend ?? {};
  if (backend.local) return `local:${backend.local.path}`;
  if (backend.s3) return `s3://${backend.s3.bucket}/${backend.s3.key}`;
  throw new Error(`unexpected backend ${JSON.stringify(backend)}`);
}

function readLocation(config: { backend: string; config: Record<string, string> }): string {
  return config.backend === "local" ? `local:${config.config.path}` : `s3://${config.config.bucket}/${config.config.key}`;
}

interface Synthesized {
  readonly environment: string;
  readonly own: Record<string, string>;
  readonly reads: { consumer: string; producer: string; location: string }[];
}

const environments = listEnvironments();
const stateRoot = mkdtempSync(join(tmpdir(), "state-root-"));
const synthesized: Record<"local" | "s3", Synthesized[]> = { local: [], s3: [] };

beforeAll(() => {
  for (const environment of environments) {
    const config = loadConfig({ environment });
    const variants: Record<"local" | "s3", AppConfig> = { local: config, s3: { ...config, backend: SHARED_S3 } };
    for (const kind of ["local", "s3"] as const) {
      const synth = synthStacks({ config: variants[kind], stateDir: stateRoot });
      try {
        synthesized[kind].push({
          environment,
          own: Object.fromEntries(synth.stackIds.map((id) => [id, backendLocation(synth.json[id])])),
          reads: synth.stackIds.flatMap((consumer) =>
            dataSources(synth.json[consumer], "terraform_remote_state").map((d) => ({
              consumer,
              producer: d.id.replace("cross-stack-reference-input-", ""),
              location: readLocation(d.config as never),
            })),
          ),
        });
      } finally {
        synth.cleanup();
      }
    }
  }
}, 120_000);

afterAll(() => rmSync(stateRoot, { recursive: true, force: true }));

describe("per-environment state", () => {
  test("app/config/ holds more than one environment, so the test compares something", () => {
    expect(environments.length).toBeGreaterThanOrEqual(2);
    expect(environments).toEqual(expect.arrayContaining(["dev", "prod"]));
  });

  test("every config file names its own environment (the state locations are keyed by it)", () => {
    for (const environment of environments) expect(loadConfig({ environment }).environment).toBe(environment);
  });

  describe.each(["local", "s3"] as const)("with the %s backend", (kind) => {
    test("no two environments (or stacks) share a state location", () => {
      const all = synthesized[kind].flatMap(({ environment, own }) =>
        Object.entries(own).map(([stack, location]) => ({ environment, stack, location })),
      );
      expect(all).toHaveLength(environments.length * STACK_IDS.length);
      const owners = new Map<string, string[]>();
      for (const { environment, stack, location } of all) owners.set(location, [...(owners.get(location) ?? []), `${environment}/${stack}`]);
      expect([...owners].filter(([, users]) => users.length > 1)).toEqual([]);
    });

    test("each stack's state location is the documented one for its environment", () => {
      for (const { environment, own } of synthesized[kind]) {
        for (const stack of STACK_IDS) {
          expect(own[stack]).toBe(
            kind === "local"
              ? `local:${localStatePath(stateRoot, environment, stack)}`
              : `s3://acme-tf-state/${s3StateKey("serverless/", environment, stack)}`,
          );
        }
      }
      expect(localStatePath("/repo", "dev", "api-stack")).toBe("/repo/state/dev/terraform.api-stack.tfstate");
      expect(s3StateKey("serverless/", "dev", "api-stack")).toBe("serverless/dev/api-stack.tfstate");
    });

    test("every cross-stack read follows to the producer's state of the same environment", () => {
      for (const { environment, own, reads } of synthesized[kind]) {
        expect(reads.map((r) => `${r.consumer} <- ${r.producer}`).sort()).toEqual([
          "api-stack <- compute-stack",
          "api-stack <- data-stack",
          "compute-stack <- data-stack",
        ]);
        for (const read of reads) expect({ environment, ...read }).toEqual({ environment, ...read, location: own[read.producer] });
      }
    });
  });
});
