import { Construct } from "constructs";
import { CodedeployApp } from "@cdktf/provider-aws/lib/codedeploy-app";
import { CodedeployDeploymentConfig } from "@cdktf/provider-aws/lib/codedeploy-deployment-config";
import { CodedeployDeploymentGroup } from "@cdktf/provider-aws/lib/codedeploy-deployment-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { serviceRole } from "./service-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { ReleaseConfig } from "../config/schema";
import type { NodeFunction } from "./node-function";
import { ValidationError } from "./validation-error";

export interface FunctionReleasesProps {
  /** Names the CodeDeploy application, its service role (`<name>-codedeploy`) and each deployment group (`<name>-<function>`). */
  readonly name: string;
  readonly accountId: string;
  readonly release: ReleaseConfig;
  /** The functions a release shifts, keyed by a short name (e.g. "users"); each has its alias and its alarms. */
  readonly functions: Readonly<Record<string, NodeFunction>>;
}

/** CodeDeploy watches at most 10 alarms per deployment group. */
const MAX_ALARMS_PER_GROUP = 10;

/** Predefined deployment configuration of an all-at-once shift. */
export const ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce";

/**
 * CodeDeploy for the functions' alias `live`: one application (compute platform Lambda), one deployment group per
 * function with the deployment configuration of `release` (a canary of `canaryPercent` for `canaryMinutes`, or all
 * at once) and automatic rollback when the deployment fails or one of the function's alarms fires while it runs,
 * and the service role CodeDeploy uses, allowed exactly what it does to shift an alias on these functions: read
 * and update the alias, read its provisioned concurrency, read the alarms it watches. (AWS's managed
 * AWSCodeDeployRoleForLambdaLimited grants those on `*`, plus S3 reads and lifecycle hooks this app does not use.)
 * Ids in this construct: `app`, `role`, `role-policy`, `canary` (canary only), `group-<function>`.
 */
export class FunctionReleases extends Construct {
  public readonly app: CodedeployApp;
  public readonly role: IamRole;
  /** The configuration every group deploys with: the canary's own, or ALL_AT_ONCE. */
  public readonly deploymentConfigName: string;
  /** Keyed like `props.functions`. */
  public readonly groups: Readonly<Record<string, CodedeployDeploymentGroup>>;

  constructor(scope: Construct, id: string, props: FunctionReleasesProps) {
    super(scope, id);
    const functions = Object.entries(props.functions);
    for (const [name, fn] of functions) {
      if (fn.alarms.length > MAX_ALARMS_PER_GROUP) {
        throw new ValidationError(`function ${name} has ${fn.alarms.length} alarms; a CodeDeploy deployment group watches at most 10`, this);
      }
    }

    this.app = new CodedeployApp(this, "app", { name: props.name, computePlatform: "Lambda" });

    this.role = serviceRole(this, {
      service: "codedeploy.amazonaws.com",
      accountId: props.accountId,
      name: `${props.name}-codedeploy`,
      description: `CodeDeploy's role for the releases of ${props.name}: shifts the functions' alias live`,
    });
    const access = new DataAwsIamPolicyDocument(this, "access", {
      statement: [
        {
          sid: "ShiftAliasTraffic",
          actions: ["lambda:GetAlias", "lambda:UpdateAlias"],
          resources: functions.map(([, fn]) => fn.function.arn),
        },
        {
          // Asked of the alias and of the versions it shifts between.
          sid: "ReadProvisionedConcurrency",
          actions: ["lambda:GetProvisionedConcurrencyConfig"],
          resources: functions.map(([, fn]) => `${fn.function.arn}:*`),
        },
        {
          sid: "WatchFunctionAlarms",
          actions: ["cloudwatch:DescribeAlarms"],
          resources: functions.flatMap(([, fn]) => fn.alarms.map((alarm) => alarm.arn)),
        },
      ],
    });
    new IamRolePolicy(this, "role-policy", { name: `${props.name}-codedeploy-access`, role: this.role.id, policy: access.json });

    this.deploymentConfigName =
      props.release.strategy === "canary"
        ? new CodedeployDeploymentConfig(this, "canary", {
            deploymentConfigName: `${props.name}-canary-${props.release.canaryPercent}pct-${props.release.canaryMinutes}min`,
            computePlatform: "Lambda",
            trafficRoutingConfig: {
              type: "TimeBasedCanary",
              timeBasedCanary: { percentage: props.release.canaryPercent, interval: props.release.canaryMinutes },
            },
          }).deploymentConfigName
        : ALL_AT_ONCE;

    this.groups = Object.fromEntries(
      functions.map(([name, fn]) => [
        name,
        new CodedeployDeploymentGroup(this, `group-${name}`, {
          appName: this.app.name,
          deploymentGroupName: `${props.name}-${name}`,
          serviceRoleArn: this.role.arn,
          deploymentConfigName: this.deploymentConfigName,
          // Lambda deployments shift an alias's traffic: always blue/green with traffic control.
          deploymentStyle: { deploymentType: "BLUE_GREEN", deploymentOption: "WITH_TRAFFIC_CONTROL" },
          autoRollbackConfiguration: { enabled: true, events: ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"] },
          alarmConfiguration: { enabled: true, alarms: fn.alarms.map((alarm) => alarm.alarmName) },
        }),
      ]),
    );
  }
}
