import { cpSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { App, TerraformResource } from "cdktf";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { listEnvironments, loadConfig } from "../app/config/load";
import { buildPackage } from "../app/lambda-packages/build";
import { LAMBDA_PACKAGES_DIR, loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { addStacks, STACK_IDS } from "../app/stacks";
import { allStatements, isWildcardAction } from "./support/policies";
import { dataSources, resources, sourcesOf, synthStacks, SynthResult } from "./support/synth";
import { tempDirsOfThisFile } from "./support/temp-dirs";

let prod: SynthResult;
let dev: SynthResult;

const tempDir = tempDirsOfThisFile();

beforeAll(() => {
  prod = synthStacks({ environment: "prod" });
  dev = synthStacks({ environment: "dev" });
});
afterAll(() => {
  prod.cleanup();
  dev.cleanup();
});

/** Attributes that hold a resource's own name, per resource type that has one. */
const NAME_ATTRIBUTE: Record<string, string> = {
  aws_dynamodb_table: "name",
  aws_kms_alias: "name",
  aws_s3_bucket: "bucket",
  aws_iam_role: "name",
  aws_iam_role_policy: "name",
  aws_cloudwatch_log_group: "name",
  aws_lambda_function: "function_name",
  aws_api_gateway_rest_api: "name",
  aws_api_gateway_authorizer: "name",
  aws_wafv2_web_acl: "name",
};

describe("the app", () => {
  test("synthesizes exactly data-stack, compute-stack and api-stack, in deploy order", () => {
    expect(prod.stackIds).toEqual(["data-stack", "compute-stack", "api-stack"]);
    expect(STACK_IDS).toEqual(["data-stack", "compute-stack", "api-stack"]);
  });

  describe("cross-stack wiring", () => {
    const remoteStates = (stack: string) => Object.fromEntries(dataSources(prod.json[stack], "terraform_remote_state").map((d) => [d.id, d.config]));

    test("data-stack reads no other stack", () => {
      expect(remoteStates("data-stack")).toEqual({});
    });

    /** The state files a stack's remote states read, whatever cdktf names the data sources. */
    const readsStateOf = (stack: string) => Object.values(remoteStates(stack)).sort((a: any, b: any) => (a.config.path < b.config.path ? -1 : 1));
    const stateOf = (producer: string) => ({
      backend: "local",
      config: { path: path.join(prod.stateDir, "state", "prod", `terraform.${producer}.tfstate`) },
    });

    test("compute-stack reads only data-stack's state", () => {
      expect(readsStateOf("compute-stack")).toEqual([stateOf("data-stack")]);
    });

    test("api-stack reads compute-stack's and data-stack's state", () => {
      expect(readsStateOf("api-stack")).toEqual([stateOf("compute-stack"), stateOf("data-stack")]);
    });

    test("each stack keeps its own local state file, in its environment's folder", () => {
      for (const id of prod.stackIds) {
        expect(prod.json[id].terraform).toMatchObject({
          backend: { local: { path: path.join(prod.stateDir, "state", "prod", `terraform.${id}.tfstate`) } },
        });
      }
    });

    test("no table, bucket or function name is written twice: consumers hold references", () => {
      /** The value is one reference to `producer`'s resource `source` (`<construct path>.<attribute>`). */
      const fromStack = (consumer: string, value: unknown, producer: string, source: RegExp) =>
        expect({ value, sources: sourcesOf(prod, consumer, value) }).toEqual({
          value,
          sources: [expect.stringMatching(new RegExp(`^${producer}/${source.source}$`))],
        });
      for (const fn of resources(prod.json["compute-stack"], "aws_lambda_function")) {
        const variables = (fn.config.environment as { variables: Record<string, string> }).variables;
        for (const name of Object.keys(variables).filter((v) => v.endsWith("_TABLE_NAME"))) {
          fromStack("compute-stack", variables[name], "data-stack", /[\w-]+\/table\.name/);
        }
      }
      for (const object of resources(prod.json["compute-stack"], "aws_s3_object")) {
        fromStack("compute-stack", object.config.bucket, "data-stack", /packages\/bucket\.bucket/);
      }
      for (const permission of resources(prod.json["api-stack"], "aws_lambda_permission")) {
        fromStack("api-stack", permission.config.function_name, "compute-stack", /[\w-]+\/function\.function_name/);
      }
      for (const integration of resources(prod.json["api-stack"], "aws_api_gateway_integration")) {
        // API Gateway invokes each function's alias live.
        if (integration.config.type === "AWS_PROXY") fromStack("api-stack", integration.config.uri, "compute-stack", /[\w-]+\/alias\.invoke_arn/);
      }
      const consumers = JSON.stringify(prod.json["compute-stack"]) + JSON.stringify(prod.json["api-stack"]);
      expect(consumers).not.toContain("lambda-pkgs");
      expect(consumers).not.toContain(":table/");
      expect(consumers).not.toContain("arn:aws:lambda");
    });

    test("with the S3 backend, each stack has its own key, encryption and S3-native locking, and reads the producer's key", () => {
      const config = loadConfig({ environment: "prod" });
      const synth = synthStacks({
        config: { ...config, backend: { type: "s3", bucket: "acme-tf-state", keyPrefix: "serverless", region: "us-east-1" } },
      });
      try {
        for (const id of synth.stackIds) {
          expect(synth.json[id].terraform).toMatchObject({
            backend: {
              s3: { bucket: "acme-tf-state", key: `serverless/prod/${id}.tfstate`, region: "us-east-1", encrypt: true, use_lockfile: true },
            },
          });
        }
        const [dataState] = dataSources(synth.json["compute-stack"], "terraform_remote_state");
        expect(dataState.config).toMatchObject({
          backend: "s3",
          config: { bucket: "acme-tf-state", key: "serverless/prod/data-stack.tfstate", region: "us-east-1" },
        });
      } finally {
        synth.cleanup();
      }
    });
  });

  describe("naming", () => {
    test.each([
      ["prod", "prod-service-"],
      ["dev", "dev-service-"],
    ])("every named resource in %s starts with %s", (environment, prefix) => {
      const synth = environment === "prod" ? prod : dev;
      let checked = 0;
      for (const id of synth.stackIds) {
        for (const [type, attribute] of Object.entries(NAME_ATTRIBUTE)) {
          for (const r of resources(synth.json[id], type)) {
            const name = String(r.config[attribute]).replace(/^(alias\/|\/aws\/lambda\/|\/aws\/apigateway\/|aws-waf-logs-)/, "");
            if (name.startsWith("API-Gateway-Execution-Logs_")) continue; // the name AWS gives execution logs
            expect(name.startsWith(prefix) ? prefix : name).toBe(prefix);
            checked++;
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(10);
    });

    test("a resource named without the prefix stops synth", () => {
      const app = new App({ outdir: tempDir("cdktf-out-") });
      const stacks = addStacks(app, {
        config: loadConfig({ environment: "prod" }),
        artifacts: (name) => loadLambdaArtifact(name),
        stateDir: tempDir("cdktf-state-"),
        serviceVersion: "test",
      });
      new SnsTopic(stacks.compute, "rogue", { name: "alerts" });
      expect(() => app.synth()).toThrow('aws_sns_topic.name "alerts" must start with the name prefix "prod-service-"');
    });
  });

  describe("tags", () => {
    test.each(["prod", "dev"])("every stack's provider tags every resource with the %s config's tags", (environment) => {
      const synth = environment === "prod" ? prod : dev;
      for (const id of synth.stackIds) {
        const [provider] = synth.json[id].provider?.aws ?? [];
        expect(provider).toMatchObject({
          region: "us-east-1",
          default_tags: [{ tags: { ...synth.config.tags, Stack: id } }],
        });
      }
    });

    test("no taggable resource overrides the default tags", () => {
      let taggable = 0;
      for (const stack of Object.values(prod.stacks)) {
        for (const node of stack.node.findAll()) {
          if (!(node instanceof TerraformResource) || !("tagsInput" in node)) continue;
          taggable++;
          expect({ path: node.node.path, tags: (node as unknown as { tagsInput?: unknown }).tagsInput }).toEqual({
            path: node.node.path,
            tags: undefined,
          });
        }
      }
      expect(taggable).toBeGreaterThan(10);
    });
  });

  test.each(["prod", "dev"])("no IAM statement in %s allows a wildcard action", (environment) => {
    const synth = environment === "prod" ? prod : dev;
    const allowed = synth.stackIds.flatMap((id) =>
      allStatements(synth.json[id])
        .filter((s) => (s.effect ?? "Allow") === "Allow")
        .flatMap((s) => s.actions ?? []),
    );
    expect(allowed.length).toBeGreaterThan(5);
    expect(allowed.filter(isWildcardAction)).toEqual([]);
  });

  describe("per-layer redeploys", () => {
    const stateDir = tempDir("cdktf-state-");
    const stackJson = (synth: SynthResult) => Object.fromEntries(synth.stackIds.map((id) => [id, JSON.stringify(synth.json[id])]));

    test.each(listEnvironments())("%s: changing only a handler's source changes only compute-stack", async (environment) => {
      const sourceDir = tempDir("lambda-src-");
      const outDir = tempDir("lambda-dist-");
      cpSync(path.join(LAMBDA_PACKAGES_DIR, "health"), path.join(sourceDir, "health"), { recursive: true });
      cpSync(path.join(LAMBDA_PACKAGES_DIR, "shared"), path.join(sourceDir, "shared"), { recursive: true });
      const entry = path.join(sourceDir, "health", "index.ts");
      writeFileSync(entry, `${readFileSync(entry, "utf8")}\nexport const changedForTest = "a new handler";\n`);
      await buildPackage("health", { sourceDir, outDir });

      const before = synthStacks({ environment, stateDir });
      const after = synthStacks({
        environment,
        stateDir,
        artifacts: (name) => (name === "health" ? loadLambdaArtifact(name, { distDir: outDir, sourceDir }) : loadLambdaArtifact(name)),
      });
      try {
        const [a, b] = [stackJson(before), stackJson(after)];
        expect(b["data-stack"]).toBe(a["data-stack"]);
        expect(b["api-stack"]).toBe(a["api-stack"]);
        expect(b["compute-stack"]).not.toBe(a["compute-stack"]);
      } finally {
        before.cleanup();
        after.cleanup();
      }
    });

    test.each(listEnvironments())("%s: changing only API throttling changes only api-stack", (environment) => {
      const config = loadConfig({ environment });
      const before = synthStacks({ config, stateDir });
      const after = synthStacks({
        config: { ...config, api: { ...config.api, throttling: { rateLimit: 123, burstLimit: 456 } } },
        stateDir,
      });
      try {
        const [a, b] = [stackJson(before), stackJson(after)];
        expect(b["data-stack"]).toBe(a["data-stack"]);
        expect(b["compute-stack"]).toBe(a["compute-stack"]);
        expect(b["api-stack"]).not.toBe(a["api-stack"]);
      } finally {
        before.cleanup();
        after.cleanup();
      }
    });
  });
});
