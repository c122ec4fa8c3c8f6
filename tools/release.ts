/**
 * `npm run release -- <outputs.json> [--timeout-minutes <n>]`: after `cdktf deploy compute-stack`, shifts each
 * function's alias `live` to the version that deploy published, through CodeDeploy, with the deployment group's
 * configuration (prod: a canary; dev: all at once). The file is the one of
 * `npx cdktf output data-stack compute-stack api-stack --outputs-file outputs.json`; it reads compute-stack's
 * `codedeploy_app_name` and, per function, `<fn>_function_name`, `<fn>_alias_name`, `<fn>_function_version` and
 * `<fn>_deployment_group_name`.
 *
 * For each function whose alias serves another version than the published one it creates a deployment (an AppSpec
 * naming the function, the alias, the current and the target version), all functions at once, and prints each
 * deployment's status and the share of traffic the new version gets as they change. Exit codes: 0 when every
 * deployment succeeded or there was nothing to release; 1 when one failed or was stopped (CodeDeploy moved the
 * alias back: a rollback) or is still running at the timeout; 2 for a usage or outputs file error.
 */
import { parseArgs } from "node:util";
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, type DeploymentInfo } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { FUNCTION_NAMES } from "../app/stacks/functions";
import { openOutputsFile } from "./target/outputs";
import { runCli } from "./lib/cli";

/** What a release of one function needs, from compute-stack's outputs. */
export interface FunctionRelease {
  /** Short name, e.g. "users". */
  readonly name: string;
  readonly functionName: string;
  readonly alias: string;
  /** The version the deploy published: what the alias should serve. */
  readonly targetVersion: string;
  readonly deploymentGroup: string;
}

export interface ReleaseTarget {
  readonly source: string;
  readonly applicationName: string;
  readonly functions: readonly FunctionRelease[];
}

export class ReleaseUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReleaseUsageError";
  }
}

/** Reads what a release needs from an outputs file; throws an OutputsFileError naming the file and what is missing. */
export function readReleaseTarget(path: string): ReleaseTarget {
  const outputs = openOutputsFile(path);
  const file = outputs.file;
  const read = (name: string) => outputs.read("compute-stack", name);
  return {
    source: file,
    applicationName: read("codedeploy_app_name"),
    functions: FUNCTION_NAMES.map((name) => ({
      name,
      functionName: read(`${name}_function_name`),
      alias: read(`${name}_alias_name`),
      targetVersion: read(`${name}_function_version`),
      deploymentGroup: read(`${name}_deployment_group_name`),
    })),
  };
}

/** The AppSpec of a Lambda deployment: shift `alias` of the function from `currentVersion` to the target version. */
export function appSpec(fn: FunctionRelease, currentVersion: string): string {
  return JSON.stringify({
    version: 0.0,
    Resources: [
      {
        [fn.name]: {
          Type: "AWS::Lambda::Function",
          Properties: { Name: fn.functionName, Alias: fn.alias, CurrentVersion: currentVersion, TargetVersion: fn.targetVersion },
        },
      },
    ],
  });
}

export interface ReleaseClients {
  readonly lambda: Pick<LambdaClient, "send">;
  readonly codeDeploy: Pick<CodeDeployClient, "send">;
}

export interface ReleaseOptions {
  readonly log: (line: string) => void;
  /** How long to wait for all deployments. */
  readonly timeoutMs: number;
  /** @default 15 s */
  readonly pollMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** How the release of one function ended. */
export type ReleaseOutcome =
  | { readonly name: string; readonly result: "unchanged"; readonly version: string }
  | { readonly name: string; readonly result: "succeeded"; readonly deploymentId: string }
  | { readonly name: string; readonly result: "rolled back" | "failed" | "timed out"; readonly deploymentId: string; readonly reason: string };

const DONE = new Set(["Succeeded", "Failed", "Stopped"]);

/** Releases every function of `target` whose alias serves another version; resolves when all are done or the time is up. */
export async function release(target: ReleaseTarget, clients: ReleaseClients, options: ReleaseOptions): Promise<ReleaseOutcome[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const deadline = now() + options.timeoutMs;
  const outcomes = await Promise.all(
    target.functions.map((fn) => releaseOne(target.applicationName, fn, clients, { ...options, now, sleep, deadline })),
  );
  const changed = outcomes.filter((o) => o.result !== "unchanged");
  if (changed.length === 0) options.log("Nothing to release: every alias already serves the version the deploy published.");
  return outcomes;
}

async function releaseOne(
  applicationName: string,
  fn: FunctionRelease,
  clients: ReleaseClients,
  options: ReleaseOptions & { now: () => number; sleep: (ms: number) => Promise<void>; deadline: number },
): Promise<ReleaseOutcome> {
  const { log } = options;
  const alias = await clients.lambda.send(new GetAliasCommand({ FunctionName: fn.functionName, Name: fn.alias }));
  const current = alias.FunctionVersion;
  if (!current) throw new Error(`${fn.functionName}:${fn.alias} has no version`);
  if (current === fn.targetVersion) {
    log(`${fn.name}: ${fn.alias} already serves version ${current}`);
    return { name: fn.name, result: "unchanged", version: current };
  }
  const created = await clients.codeDeploy.send(
    new CreateDeploymentCommand({
      applicationName,
      deploymentGroupName: fn.deploymentGroup,
      description: `${fn.functionName}:${fn.alias} from version ${current} to ${fn.targetVersion}`,
      revision: { revisionType: "AppSpecContent", appSpecContent: { content: appSpec(fn, current) } },
    }),
  );
  const deploymentId = created.deploymentId;
  if (!deploymentId) throw new Error(`CodeDeploy returned no deployment id for ${fn.name}`);
  log(`${fn.name}: deployment ${deploymentId} shifts ${fn.alias} from version ${current} to ${fn.targetVersion}`);

  let lastStatus = "";
  let lastShare = "";
  for (;;) {
    const { deploymentInfo } = await clients.codeDeploy.send(new GetDeploymentCommand({ deploymentId }));
    const status = deploymentInfo?.status ?? "Unknown";
    if (status !== lastStatus) {
      log(`${fn.name}: ${status}`);
      lastStatus = status;
    }
    if (DONE.has(status)) return finished(fn.name, deploymentId, status, deploymentInfo);
    const share = await trafficShare(fn, clients);
    if (share !== lastShare) {
      log(`${fn.name}: ${share}`);
      lastShare = share;
    }
    if (options.now() >= options.deadline) {
      const reason =
        `still ${status} at the timeout; CodeDeploy finishes or rolls it back by itself ` +
        `(aws deploy stop-deployment --deployment-id ${deploymentId} --auto-rollback-enabled stops it now)`;
      log(`${fn.name}: ${reason}`);
      return { name: fn.name, result: "timed out", deploymentId, reason };
    }
    await options.sleep(options.pollMs ?? 15_000);
  }
}

/** "version 8 serves 10 % (7 the rest)", read from the alias's routing configuration. */
async function trafficShare(fn: FunctionRelease, clients: ReleaseClients): Promise<string> {
  const alias = await clients.lambda.send(new GetAliasCommand({ FunctionName: fn.functionName, Name: fn.alias }));
  const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
  const [additional] = Object.entries(weights);
  if (!additional) return `version ${alias.FunctionVersion} serves all traffic`;
  return `version ${additional[0]} serves ${Math.round(additional[1] * 100)} % (version ${alias.FunctionVersion} the rest)`;
}

function finished(name: string, deploymentId: string, status: string, info: DeploymentInfo | undefined): ReleaseOutcome {
  if (status === "Succeeded") return { name, result: "succeeded", deploymentId };
  const error = info?.errorInformation?.message ?? info?.errorInformation?.code ?? status;
  const rollback = info?.rollbackInfo?.rollbackMessage;
  const rolledBack = info?.rollbackInfo?.rollbackDeploymentId !== undefined || rollback !== undefined;
  return {
    name,
    result: rolledBack ? "rolled back" : "failed",
    deploymentId,
    reason: rollback ? `${error} (${rollback})` : error,
  };
}

/** The exit code of a release: 0 when every function succeeded or was unchanged, else 1. */
export function exitCodeOf(outcomes: readonly ReleaseOutcome[]): number {
  return outcomes.every((o) => o.result === "succeeded" || o.result === "unchanged") ? 0 : 1;
}

const USAGE = "Usage: npm run release -- <outputs.json> [--timeout-minutes <n>]   (default 30)";

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let target: ReleaseTarget;
  let timeoutMinutes: number;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { "timeout-minutes": { type: "string" } }, allowPositionals: true });
    if (positionals.length !== 1) throw new ReleaseUsageError(USAGE);
    timeoutMinutes = Number(values["timeout-minutes"] ?? 30);
    if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0) throw new ReleaseUsageError(`--timeout-minutes must be a positive number. ${USAGE}`);
    target = readReleaseTarget(positionals[0]);
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const clients = { lambda: new LambdaClient({}), codeDeploy: new CodeDeployClient({}) };
  const outcomes = await release(target, clients, { log: (line) => console.log(line), timeoutMs: timeoutMinutes * 60_000 });
  for (const o of outcomes) {
    if (o.result === "rolled back" || o.result === "failed" || o.result === "timed out") console.error(`${o.name}: ${o.result}: ${o.reason}`);
  }
  return exitCodeOf(outcomes);
}

if (require.main === module) runCli(main);
