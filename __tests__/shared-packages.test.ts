/**
 * loadHandler() (support/dynalite.ts) gives each load a cold start of the app's code, with its own environment
 * and module state, and the same third-party module objects (support/shared-packages.ts), which hold no state of
 * a handler: the DynamoDB clients, with their endpoint, region and credentials, are created by the app's code,
 * once per load.
 */
import { unzipSync } from "fflate";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import type * as DynamoDbModule from "../app/lambda-packages/shared/dynamodb";
import type * as RequestSchemasModule from "../app/lambda-packages/shared/request-schemas";
import { apiEvent, lambdaContext, parseResponse, type ProxyHandler } from "./support/api-events";
import { captureConsole } from "./support/console";
import { loadHandler, TEST_AWS_ENV } from "./support/dynalite";
import { functionTestEnv } from "./support/function-env";
import { packageImports, sharedPackage } from "./support/shared-packages";
import { tempDirsOfThisFile } from "./support/temp-dirs";
import type * as Probe from "./fixtures/package-probe";

const PROBE = require.resolve("./fixtures/package-probe");
const SHARED = join(__dirname, "..", "app", "lambda-packages", "shared");
const tempDir = tempDirsOfThisFile();

/** What the probe's `import x from` (an ES module's default) or `import * as x from` (a namespace) gives for a module object. */
const imported = (module: unknown): unknown =>
  (module as { __esModule?: boolean }).__esModule && "default" in (module as object) ? (module as { default: unknown }).default : module;

describe("loadHandler and the packages it shares", () => {
  captureConsole();

  test("finds the packages a module graph imports at run time, without type-only imports and node built-ins", () => {
    expect(packageImports(PROBE)).toEqual(["@aws-lite/client", "@aws-lite/dynamodb", "zod/mini"]);
  });

  test("finds none in a built function's lambda-handler.js, which bundles its packages: its loads stay as they were", () => {
    const bundle = join(tempDir("shared-packages-"), "lambda-handler.js");
    writeFileSync(bundle, unzipSync(readFileSync(loadLambdaArtifact("users").zipPath))["lambda-handler.js"]);

    expect(packageImports(bundle)).toEqual([]);
  });

  test("hands every load the same package objects, those of the test file, and runs the module scope again", () => {
    const first = loadHandler<typeof Probe>(PROBE, { PROBE_SETTING: "first" });
    const second = loadHandler<typeof Probe>(PROBE, { PROBE_SETTING: "second" });

    expect(second).not.toBe(first);
    expect([first.setting, second.setting]).toEqual(["first", "second"]);
    expect(second.coldStart).not.toBe(first.coldStart);
    for (const name of packageImports(PROBE) as Array<keyof typeof Probe.packages>) {
      expect({ name, shared: second.packages[name] === first.packages[name] }).toEqual({ name, shared: true });
      expect(first.packages[name]).toBe(imported(sharedPackage(name)));
    }
    expect(sharedPackage("zod/mini")).toBe(jest.requireActual("zod/mini"));
    expect(process.env.PROBE_SETTING).toBeUndefined();
  });

  test("builds the app's zod schemas again on each load, from the one zod/mini", () => {
    const first = loadHandler<typeof RequestSchemasModule>(join(SHARED, "request-schemas.ts"), {});
    const second = loadHandler<typeof RequestSchemasModule>(join(SHARED, "request-schemas.ts"), {});

    expect(second.LogInSchema).not.toBe(first.LogInSchema);
    expect(second.LogInSchema.constructor).toBe(first.LogInSchema.constructor);
    expect(first.LogInSchema.constructor).toBe((sharedPackage("zod/mini") as typeof import("zod/mini")).ZodMiniObject);
  });

  test("reads each handler's settings at its own cold start (ALLOWED_ORIGINS of the users function)", async () => {
    const users = join(__dirname, "..", "app", "lambda-packages", "users", "index.ts");
    const load = (origins: string) =>
      loadHandler<{ handler: ProxyHandler }>(users, { ...functionTestEnv("users"), ALLOWED_ORIGINS: origins }).handler;
    const [a, b] = [load("https://a.example.com"), load("https://b.example.com")];
    const allowedOrigin = async (handler: ProxyHandler, origin: string) =>
      parseResponse(await handler(apiEvent({ method: "GET", resource: "/users", headers: { Origin: origin } }), lambdaContext())).headers[
        "Access-Control-Allow-Origin"
      ];

    expect(await allowedOrigin(a, "https://a.example.com")).toBe("https://a.example.com");
    expect(await allowedOrigin(a, "https://b.example.com")).toBeUndefined();
    expect(await allowedOrigin(b, "https://b.example.com")).toBe("https://b.example.com");
    expect(await allowedOrigin(b, "https://a.example.com")).toBeUndefined();
  });

  test("gives each load its own DynamoDB client: its endpoint, region and credentials, though @aws-lite/client is shared", async () => {
    const seen: Array<{ server: string; headers: IncomingHttpHeaders }> = [];
    const servers = await Promise.all(
      ["a", "b"].map(async (name) => {
        const server = createServer((req, res) => {
          seen.push({ server: name, headers: req.headers });
          req.resume().on("end", () => res.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}"));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        return server;
      }),
    );
    const endpoint = (i: number) => `http://127.0.0.1:${(servers[i].address() as AddressInfo).port}`;
    try {
      const load = (i: number, region: string, key: string) =>
        loadHandler<typeof DynamoDbModule>(join(SHARED, "dynamodb.ts"), {
          ...TEST_AWS_ENV,
          AWS_REGION: region,
          AWS_ACCESS_KEY_ID: key,
          AWS_ENDPOINT_URL_DYNAMODB: endpoint(i),
        });
      const a = load(0, "eu-west-1", "AKIDLOADA");
      const b = load(1, "ap-south-1", "AKIDLOADB");
      expect(b.dynamoDb).not.toBe(a.dynamoDb);

      // The first load's client is used after the second was created, and the other way round.
      await (await b.dynamoDb).GetItem({ TableName: "probe", Key: { pk: "b" } });
      await (await a.dynamoDb).GetItem({ TableName: "probe", Key: { pk: "a" } });

      expect(seen.map(({ server, headers }) => [server, /Credential=(\w+)\/\d+\/([\w-]+)\//.exec(String(headers.authorization))?.slice(1)])).toEqual([
        ["b", ["AKIDLOADB", "ap-south-1"]],
        ["a", ["AKIDLOADA", "eu-west-1"]],
      ]);
    } finally {
      for (const server of servers) {
        server.closeAllConnections();
        server.close();
      }
    }
  });
});
