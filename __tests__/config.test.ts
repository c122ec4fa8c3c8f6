import { configKeys, renderConfigReference, undocumentedKeys } from "../tools/config-reference";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CONFIG_DIR, ConfigError, listEnvironments, loadConfig } from "../app/config/load";
import { FUNCTION_NAMES, LOG_RETENTION_DAYS } from "../app/config/schema";
import { tempDirsOfThisFile } from "./support/temp-dirs";

const prod = JSON.parse(readFileSync(path.join(CONFIG_DIR, "prod.json"), "utf8"));

const tempDir = tempDirsOfThisFile();

/** Writes `config` as `<name>.json` into a fresh folder and loads it. */
function loadVariant(mutate: (config: any) => void, name = "variant"): () => unknown {
  const dir = tempDir("config-");
  const config = structuredClone(prod);
  mutate(config);
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(config, null, 2));
  return () => loadConfig({ environment: name, configDir: dir });
}

function problemsOf(load: () => unknown): ConfigError["problems"] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the config to be rejected, but it loaded");
}

describe("config files", () => {
  test.each(["prod", "dev"])("app/config/%s.json is valid", (environment) => {
    expect(loadConfig({ environment }).environment).toBe(environment);
  });

  test("prod uses us-east-1 and the prod-service- prefix", () => {
    const config = loadConfig({ environment: "prod" });
    expect(config.region).toBe("us-east-1");
    expect(config.namePrefix).toBe("prod-service-");
  });

  test("dev has its own prefix", () => {
    expect(loadConfig({ environment: "dev" }).namePrefix).not.toBe("prod-service-");
  });

  test("APP_ENV picks the file and prod is the default", () => {
    const saved = process.env.APP_ENV;
    try {
      delete process.env.APP_ENV;
      expect(loadConfig().environment).toBe("prod");
      process.env.APP_ENV = "dev";
      expect(loadConfig().environment).toBe("dev");
    } finally {
      if (saved === undefined) delete process.env.APP_ENV;
      else process.env.APP_ENV = saved;
    }
  });

  test("lists the environments that have a file", () => {
    expect(listEnvironments()).toEqual(expect.arrayContaining(["dev", "prod"]));
  });
});

describe("config validation", () => {
  test.each([
    {
      kind: "wrong type",
      mutate: (c: any) => (c.lambda.memorySize = "512"),
      path: "lambda.memorySize",
      expected: "number",
      found: 'string "512"',
    },
    {
      kind: "unknown key (a typo)",
      mutate: (c: any) => (c.lambda.memorySzie = 256),
      path: "lambda.memorySzie",
      expected: "no such key (allowed here: runtime, architecture, memorySize",
      found: 'unknown key "memorySzie"',
    },
    {
      kind: "number out of range",
      mutate: (c: any) => (c.lambda.memorySize = 64),
      path: "lambda.memorySize",
      expected: ">= 128",
      found: "number 64",
    },
    {
      kind: "bad prefix",
      mutate: (c: any) => (c.namePrefix = "Prod_Service"),
      path: "namePrefix",
      expected: "2-24 characters of a-z, 0-9 and '-'",
      found: 'string "Prod_Service"',
    },
    {
      kind: "unsupported region",
      mutate: (c: any) => (c.region = "mars-north-1"),
      path: "region",
      expected: 'one of "us-east-1"',
      found: 'string "mars-north-1"',
    },
    {
      kind: "prod outside us-east-1",
      mutate: (c: any) => (c.region = "eu-west-1"),
      path: "region",
      expected: '"us-east-1" (prod is pinned to it)',
      found: 'string "eu-west-1"',
    },
    {
      kind: "unsupported retention value",
      mutate: (c: any) => (c.lambda.logRetentionDays = 45),
      path: "lambda.logRetentionDays",
      expected: `one of ${LOG_RETENTION_DAYS.join(", ")}`,
      found: "number 45",
    },
    {
      kind: "missing key",
      mutate: (c: any) => delete c.api.stageName,
      path: "api.stageName",
      expected: "string",
      found: "nothing (the key is missing)",
    },
    {
      kind: "unknown function override",
      mutate: (c: any) => (c.lambda.functions.helth = { memorySize: 256 }),
      path: "lambda.functions.helth",
      expected: `no such key (allowed here: ${FUNCTION_NAMES.join(", ")})`,
      found: 'unknown key "helth"',
    },
    {
      kind: "a package version id that is not one",
      mutate: (c: any) => (c.lambda.functions.users = { packageVersionId: "users/lambda.zip?versionId=abc" }),
      path: "lambda.functions.users.packageVersionId",
      expected: "an S3 object version id, as `aws s3api list-object-versions` prints it (VersionId)",
      found: '"users/lambda.zip?versionId=abc"',
    },
    {
      kind: "unknown key in the S3 backend",
      mutate: (c: any) => (c.backend = { type: "s3", bucket: "my-state", keyPrefix: "app", region: "us-east-1", lock: true }),
      path: "backend.lock",
      expected: "no such key (allowed here: type, bucket, keyPrefix, region)",
      found: 'unknown key "lock"',
    },
  ])("$kind: names the file, the path, what was expected and what was found", ({ mutate, path: at, expected, found }) => {
    const load = loadVariant(mutate);
    const problems = problemsOf(load);
    const problem = problems.find((p) => p.path === at);
    expect(problem).toBeDefined();
    expect(problem!.file).toMatch(/variant\.json$/);
    expect(problem!.expected).toContain(expected);
    expect(problem!.found).toContain(found);
    expect(load).toThrow(`${at}: expected ${problem!.expected}, found ${problem!.found}`);
  });

  test("a function may be pinned to an S3 version id of its package (a rollback); the other functions are not", () => {
    const versionId = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
    const config = loadVariant((c) => (c.lambda.functions.users = { packageVersionId: versionId }))() as ReturnType<typeof loadConfig>;
    expect(config.lambda.functions.users?.packageVersionId).toBe(versionId);
    expect(config.lambda.functions.health?.packageVersionId).toBeUndefined();
  });

  test("reports every problem at once", () => {
    const problems = problemsOf(
      loadVariant((c) => {
        c.lambda.memorySize = 99999;
        c.api.throttling.burstLimit = "lots";
        c.tags = "none";
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(["api.throttling.burstLimit", "lambda.memorySize", "tags"]);
  });

  test("a missing file names the file and the environments that exist", () => {
    expect(() => loadConfig({ environment: "staging" })).toThrow(
      /config\/staging\.json[\s\S]*expected an existing file \(APP_ENV=staging; available: .*dev.*prod.*\), found no such file/,
    );
  });

  test("invalid JSON names the file and the line", () => {
    const dir = tempDir("config-");
    writeFileSync(path.join(dir, "broken.json"), '{\n  "projectName": "x",\n  oops\n}\n');
    expect(() => loadConfig({ environment: "broken", configDir: dir })).toThrow(
      /broken\.json[\s\S]*expected valid JSON, found .*\(line 3, column 3\)/,
    );
  });

  test("an environment name that is not a file name is rejected before any file is read", () => {
    expect(() => loadConfig({ environment: "../package" })).toThrow(/APP_ENV: expected an environment name/);
  });
});

describe("the config reference (docs/config.md)", () => {
  test("every key of the schema has a description, so the generated reference explains it", () => {
    expect(undocumentedKeys()).toEqual([]);
  });

  test("lists every key a config file sets, with its type and limits", () => {
    const keys = new Map(configKeys().map((k) => [k.path, k]));
    expect(keys.get("lambda.memorySize")).toMatchObject({ type: "integer 128..10240", required: true });
    expect(keys.get("api.waf.rateLimitPer5Minutes")?.description).toContain("rate-based rule");
    expect(keys.get("pipeline")?.required).toBe(false);
    expect(keys.get('backend (type `"s3"`).bucket')?.description).toBe("The state bucket (globally unique).");
  });

  test("a key without a description stops the generator, naming the key and the schema's file", () => {
    const keys = [{ path: "lambda.newSetting", type: "boolean", required: true, description: undefined }];
    expect(undocumentedKeys(keys)).toEqual(["lambda.newSetting"]);
    expect(() => renderConfigReference(keys)).toThrow('app/config/schema.ts: describe these config keys with .describe("..."): lambda.newSetting');
  });
});
