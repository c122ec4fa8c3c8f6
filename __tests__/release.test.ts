/**
 * `npm run release` (tools/release.ts) against a fake CodeDeploy and Lambda: what it asks CodeDeploy to do, what it
 * prints, and how it ends (success, rollback, timeout, nothing to release).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand } from "@aws-sdk/client-codedeploy";
import { GetAliasCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { FUNCTION_NAMES } from "../app/stacks/functions";
import { appSpec, exitCodeOf, main, readReleaseTarget, release } from "../tools/release";

const lambda = mockClient(LambdaClient);
const codeDeploy = mockClient(CodeDeployClient);
const clients = { lambda: new LambdaClient({ region: "us-east-1" }), codeDeploy: new CodeDeployClient({ region: "us-east-1" }) };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "release-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  lambda.reset();
  codeDeploy.reset();
});

/** compute-stack's outputs of a deploy that published `versions` (default "8" for every function). */
function outputsFile(versions: Partial<Record<string, string>> = {}): string {
  const compute: Record<string, string> = { codedeploy_app_name: "prod-service-functions" };
  for (const name of FUNCTION_NAMES) {
    compute[`${name}_function_name`] = `prod-service-${name}`;
    compute[`${name}_alias_name`] = "live";
    compute[`${name}_function_version`] = versions[name] ?? "8";
    compute[`${name}_deployment_group_name`] = `prod-service-functions-${name}`;
  }
  const file = join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ "compute-stack": compute, "api-stack": { api_invoke_url: "https://x" } }));
  return file;
}

/** Every alias serves `served` (per function, default "8"). */
function aliasesServe(served: Partial<Record<string, string>> = {}): void {
  for (const name of FUNCTION_NAMES) {
    lambda.on(GetAliasCommand, { FunctionName: `prod-service-${name}`, Name: "live" }).resolves({ FunctionVersion: served[name] ?? "8" });
  }
}

const fakeClock = () => {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
};

describe("npm run release", () => {
  test("reads the application, and per function its name, alias, published version and deployment group from the outputs", () => {
    const target = readReleaseTarget(outputsFile({ users: "12" }));
    expect(target.applicationName).toBe("prod-service-functions");
    expect(target.functions.find((f) => f.name === "users")).toEqual({
      name: "users",
      functionName: "prod-service-users",
      alias: "live",
      targetVersion: "12",
      deploymentGroup: "prod-service-functions-users",
    });
  });

  test("an outputs file without compute-stack's outputs is a usage error naming what is missing", async () => {
    const file = join(dir, "api-only.json");
    writeFileSync(file, JSON.stringify({ "api-stack": { api_invoke_url: "https://x" } }));
    expect(() => readReleaseTarget(file)).toThrow(`Outputs file ${file} has no "compute-stack".codedeploy_app_name.`);
    const errors = jest.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      expect(await main([file])).toBe(2);
    } finally {
      errors.mockRestore();
    }
  });

  test("nothing to release: every alias serves the published version, and no deployment is created", async () => {
    aliasesServe();
    const lines: string[] = [];
    const outcomes = await release(readReleaseTarget(outputsFile()), clients, { log: (l) => lines.push(l), timeoutMs: 60_000, ...fakeClock() });
    expect(outcomes.map((o) => o.result)).toEqual(FUNCTION_NAMES.map(() => "unchanged"));
    expect(codeDeploy.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(lines).toContain("Nothing to release: every alias already serves the version the deploy published.");
    expect(exitCodeOf(outcomes)).toBe(0);
  });

  test("success: one deployment for the function whose version changed, with an AppSpec naming the alias and both versions; progress is shown", async () => {
    aliasesServe({ users: "7" });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: "d-USERS" });
    codeDeploy
      .on(GetDeploymentCommand, { deploymentId: "d-USERS" })
      .resolvesOnce({ deploymentInfo: { status: "InProgress" } })
      .resolvesOnce({ deploymentInfo: { status: "InProgress" } })
      .resolves({ deploymentInfo: { status: "Succeeded" } });
    lambda
      .on(GetAliasCommand, { FunctionName: "prod-service-users", Name: "live" })
      .resolvesOnce({ FunctionVersion: "7" })
      .resolves({ FunctionVersion: "7", RoutingConfig: { AdditionalVersionWeights: { "8": 0.1 } } });
    const lines: string[] = [];
    const target = readReleaseTarget(outputsFile());
    const outcomes = await release(target, clients, { log: (l) => lines.push(l), timeoutMs: 60_000, ...fakeClock() });

    const calls = codeDeploy.commandCalls(CreateDeploymentCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      {
        applicationName: "prod-service-functions",
        deploymentGroupName: "prod-service-functions-users",
        description: "prod-service-users:live from version 7 to 8",
        revision: {
          revisionType: "AppSpecContent",
          appSpecContent: {
            content: appSpec(
              target.functions.find((f) => f.name === "users")!,
              "7",
            ),
          },
        },
      },
    ]);
    expect(
      JSON.parse(
        appSpec(
          target.functions.find((f) => f.name === "users")!,
          "7",
        ),
      ),
    ).toEqual({
      version: 0,
      Resources: [
        {
          users: {
            Type: "AWS::Lambda::Function",
            Properties: { Name: "prod-service-users", Alias: "live", CurrentVersion: "7", TargetVersion: "8" },
          },
        },
      ],
    });
    expect(lines.filter((l) => l.startsWith("users:"))).toEqual([
      "users: deployment d-USERS shifts live from version 7 to 8",
      "users: InProgress",
      "users: version 8 serves 10 % (version 7 the rest)",
      "users: Succeeded",
    ]);
    expect(outcomes.find((o) => o.name === "users")).toEqual({ name: "users", result: "succeeded", deploymentId: "d-USERS" });
    expect(exitCodeOf(outcomes)).toBe(0);
  });

  test("rollback: an alarm stopped the deployment and CodeDeploy moved the alias back; the release fails saying why", async () => {
    aliasesServe({ health: "3" });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: "d-HEALTH" });
    codeDeploy.on(GetDeploymentCommand, { deploymentId: "d-HEALTH" }).resolves({
      deploymentInfo: {
        status: "Stopped",
        errorInformation: { code: "ALARM_ACTIVE", message: "One or more alarms have been activated: prod-service-health-errors" },
        rollbackInfo: { rollbackDeploymentId: "d-ROLLBACK", rollbackMessage: "Deployment d-ROLLBACK rolled back d-HEALTH" },
      },
    });
    const outcomes = await release(readReleaseTarget(outputsFile()), clients, { log: () => undefined, timeoutMs: 60_000, ...fakeClock() });
    expect(outcomes.find((o) => o.name === "health")).toEqual({
      name: "health",
      result: "rolled back",
      deploymentId: "d-HEALTH",
      reason: "One or more alarms have been activated: prod-service-health-errors (Deployment d-ROLLBACK rolled back d-HEALTH)",
    });
    expect(exitCodeOf(outcomes)).toBe(1);
  });

  test("a failed deployment without a rollback fails the release too", async () => {
    aliasesServe({ sessions: "3" });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: "d-SESSIONS" });
    codeDeploy
      .on(GetDeploymentCommand, { deploymentId: "d-SESSIONS" })
      .resolves({ deploymentInfo: { status: "Failed", errorInformation: { message: "The alias live does not exist" } } });
    const outcomes = await release(readReleaseTarget(outputsFile()), clients, { log: () => undefined, timeoutMs: 60_000, ...fakeClock() });
    expect(outcomes.find((o) => o.name === "sessions")).toMatchObject({ result: "failed", reason: "The alias live does not exist" });
    expect(exitCodeOf(outcomes)).toBe(1);
  });

  test("timeout: a deployment still in progress when the time is up fails the release and says how to stop it", async () => {
    aliasesServe({ authorizer: "3" });
    codeDeploy.on(CreateDeploymentCommand).resolves({ deploymentId: "d-AUTH" });
    codeDeploy.on(GetDeploymentCommand, { deploymentId: "d-AUTH" }).resolves({ deploymentInfo: { status: "InProgress" } });
    const clock = fakeClock();
    const lines: string[] = [];
    const outcomes = await release(readReleaseTarget(outputsFile()), clients, {
      log: (l) => lines.push(l),
      timeoutMs: 60_000,
      pollMs: 15_000,
      ...clock,
    });
    expect(outcomes.find((o) => o.name === "authorizer")).toMatchObject({ result: "timed out", deploymentId: "d-AUTH" });
    expect(lines).toContain(
      "authorizer: still InProgress at the timeout; CodeDeploy finishes or rolls it back by itself " +
        "(aws deploy stop-deployment --deployment-id d-AUTH --auto-rollback-enabled stops it now)",
    );
    expect(clock.now()).toBe(60_000);
    expect(exitCodeOf(outcomes)).toBe(1);
  });
});
