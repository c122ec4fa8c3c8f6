import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { createHash } from "node:crypto";
import { appendFileSync, cpSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unzipSync } from "fflate";
import {
  computeSourceHash,
  LAMBDA_PACKAGES_DIR,
  LambdaArtifactError,
  loadLambdaArtifact,
  readLambdaManifest,
  REPO_ROOT,
} from "../app/lambda-packages/artifacts";
import { buildPackage, HANDLER_FILE, listFunctions } from "../app/lambda-packages/build";
import {
  ConflictError,
  corsHeaders,
  errorBody,
  ForbiddenError,
  HttpError,
  json,
  NotFoundError,
  parseAllowedOrigins,
  parseJsonBody,
  PayloadTooLargeError,
  route,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ServiceUnavailableError,
  ValidationError,
} from "../app/lambda-packages/shared/http";
import { ERROR_CODES, type ErrorCode } from "../app/lambda-packages/shared/error-codes";
import { log, maskEmail, redact } from "../app/lambda-packages/shared/log";
import { FUNCTION_NAMES, type FunctionName } from "../app/config/schema";
import { handlerEnv, loadHandler, startDynalite, type LocalDynamo } from "./support/dynalite";
import { functionTestEnv, withTableAccessHint } from "./support/function-env";
import { tempDirsOfThisFile } from "./support/temp-dirs";

const MAX_ZIP_BYTES = 100 * 1024;
const context = { awsRequestId: "req-123" } as Context;

afterEach(() => {
  jest.restoreAllMocks();
});

const tempDir = tempDirsOfThisFile();

interface CentralEntry {
  readonly name: string;
  readonly os: number;
  readonly method: number;
  readonly dosDate: number;
  readonly dosTime: number;
  readonly externalAttrs: number;
}

/** The central directory of a ZIP without comment: what unzip tools read for names, modes and dates. */
function centralDirectory(zip: Uint8Array): CentralEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  expect(view.getUint32(eocd, true)).toBe(0x06054b50);
  const count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  const entries: CentralEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(view.getUint32(offset, true)).toBe(0x02014b50);
    const nameLength = view.getUint16(offset + 28, true);
    entries.push({
      name: Buffer.from(zip.subarray(offset + 46, offset + 46 + nameLength)).toString("utf8"),
      os: view.getUint8(offset + 5),
      method: view.getUint16(offset + 10, true),
      dosTime: view.getUint16(offset + 12, true),
      dosDate: view.getUint16(offset + 14, true),
      externalAttrs: view.getUint32(offset + 38, true),
    });
    offset += 46 + nameLength + view.getUint16(offset + 30, true) + view.getUint16(offset + 32, true);
  }
  return entries;
}

function extract(zip: Uint8Array): string {
  const dir = tempDir("lambda-zip-");
  for (const [name, bytes] of Object.entries(unzipSync(zip))) writeFileSync(join(dir, name), bytes);
  return dir;
}

function copySources(name: string): string {
  const sourceDir = tempDir("lambda-src-");
  cpSync(join(LAMBDA_PACKAGES_DIR, name), join(sourceDir, name), { recursive: true });
  cpSync(join(LAMBDA_PACKAGES_DIR, "shared"), join(sourceDir, "shared"), { recursive: true });
  return sourceDir;
}

describe("lambda packages in dist", () => {
  const functions = listFunctions();

  it("finds the functions: folders with an index.ts, without shared/ and dist/", () => {
    expect(functions).toContain("health");
    expect(functions).not.toContain("shared");
    expect(functions).not.toContain("dist");
  });

  it("finds exactly the functions declared in app/stacks/functions.ts (a declared function needs app/lambda-packages/<name>/index.ts)", () => {
    expect(functions).toEqual([...FUNCTION_NAMES].sort());
  });

  describe.each(functions)("%s.zip", (name) => {
    const artifact = loadLambdaArtifact(name);
    const zip = readFileSync(artifact.zipPath);

    it("holds exactly lambda-handler.js, at the root", () => {
      expect(Object.keys(unzipSync(zip))).toEqual([HANDLER_FILE]);
    });

    it("stores every entry as a 0644 Unix file dated 1980-01-01 00:00:00, deflated, in name order", () => {
      const entries = centralDirectory(zip);

      expect(entries.map((e) => e.name)).toEqual([HANDLER_FILE]);
      for (const entry of entries) {
        expect(entry).toEqual({
          name: entry.name,
          os: 3,
          method: 8,
          dosDate: (0 << 9) | (1 << 5) | 1,
          dosTime: 0,
          externalAttrs: (0o100644 << 16) >>> 0,
        });
      }
    });

    it("has a lambda-handler.js exporting a handler function", () => {
      const dir = extract(zip);

      // The environment compute-stack gives this function: a variable it does not get fails the cold start here.
      const module = withTableAccessHint(name as FunctionName, () =>
        loadHandler<{ handler?: unknown }>(join(dir, HANDLER_FILE), functionTestEnv(name as FunctionName)),
      );

      expect(typeof module.handler).toBe("function");
    });

    it("is readable: keeps function names, names each bundled module by its repository path, leaks no absolute path", () => {
      const code = Buffer.from(unzipSync(zip)[HANDLER_FILE]).toString("utf8");
      const modules = [...code.matchAll(/^\/\/ (\S+\.(?:ts|js|mjs|cjs|json))$/gm)].map((m) => m[1]);

      expect(modules).toContain(`app/lambda-packages/${name}/index.ts`);
      expect(modules).toContain("app/lambda-packages/shared/log.ts");
      for (const module of modules) expect(module).not.toMatch(/^(\/|\.\.\/|[A-Za-z]:)/);
      expect(code).toMatch(/\bfunction requireEnv\(/);
      expect(code).not.toContain("sourceMappingURL");
      expect(code).not.toContain(REPO_ROOT);
      expect(code).not.toContain(tmpdir());
    });

    it("is under 100 KB", () => {
      expect(artifact.sizeBytes).toBe(zip.length);
      expect(artifact.sizeBytes).toBeLessThan(MAX_ZIP_BYTES);
    });

    it("has the hashes of its bytes and one s3Key per function, the same for every build (a new build is a new object version)", () => {
      const digest = createHash("sha256").update(zip).digest();

      expect(artifact.sha256Hex).toBe(digest.toString("hex"));
      expect(artifact.sha256Base64).toBe(digest.toString("base64"));
      expect(artifact.s3Key).toBe(`${name}/lambda.zip`);
    });
  });
});

describe("buildPackage", () => {
  it("builds byte-identical ZIPs on every run, identical to dist", async () => {
    const first = await buildPackage("health", { outDir: tempDir("build-a-") });
    const second = await buildPackage("health", { outDir: tempDir("build-b-") });

    expect(readFileSync(first.zipPath).equals(readFileSync(second.zipPath))).toBe(true);
    expect(first.sha256Hex).toBe(loadLambdaArtifact("health").sha256Hex);
  });

  it("does not bundle again while the ZIP is up to date with its sources", async () => {
    const outDir = tempDir("build-same-");
    const first = await buildPackage("health", { outDir });
    const mtime = statSync(first.zipPath).mtimeMs;

    const second = await buildPackage("health", { outDir });

    expect([first.bundled, first.written]).toEqual([true, true]);
    expect([second.bundled, second.written]).toEqual([false, false]);
    expect(second.sha256Hex).toBe(first.sha256Hex);
    expect(statSync(second.zipPath).mtimeMs).toBe(mtime);
  });

  it("with force, bundles again and leaves the files untouched when the bytes are the same", async () => {
    const outDir = tempDir("build-force-");
    const first = await buildPackage("health", { outDir });
    const mtime = statSync(first.zipPath).mtimeMs;

    const forced = await buildPackage("health", { outDir, force: true });

    expect([forced.bundled, forced.written]).toEqual([true, false]);
    expect(statSync(forced.zipPath).mtimeMs).toBe(mtime);
  });

  it.each([
    ["its source changed", (sourceDir: string) => appendFileSync(join(sourceDir, "health", "index.ts"), "\n// edited\n")],
    ["its manifest is gone", (_sourceDir: string, outDir: string) => rmSync(join(outDir, "health.manifest.json"))],
    ["its ZIP was altered", (_sourceDir: string, outDir: string) => appendFileSync(join(outDir, "health.zip"), "x")],
  ])("bundles again when %s", async (_case, change) => {
    const sourceDir = copySources("health");
    const outDir = tempDir("build-stale-");
    await buildPackage("health", { outDir, sourceDir });
    change(sourceDir, outDir);

    const rebuilt = await buildPackage("health", { outDir, sourceDir });

    expect(rebuilt.bundled).toBe(true);
    expect(loadLambdaArtifact("health", { distDir: outDir, sourceDir }).sha256Hex).toBe(rebuilt.sha256Hex);
  });

  it("writes a manifest with the function, its source hash, the ZIP hash and the source files the bundle holds", async () => {
    const outDir = tempDir("build-manifest-");

    const built = await buildPackage("health", { outDir });

    const manifest = JSON.parse(readFileSync(join(outDir, "health.manifest.json"), "utf8"));
    expect(manifest).toEqual({
      function: "health",
      sourceHash: computeSourceHash("health"),
      zipSha256: built.sha256Hex,
      inputs: built.inputs,
    });
    // Its own entry point and the shared modules it imports; not those of other functions, nor dependencies.
    expect(manifest.inputs).toContain("health/index.ts");
    expect(manifest.inputs).toContain("shared/tables.ts");
    expect(manifest.inputs).not.toContain("shared/passwords.ts");
    expect(manifest.inputs.every((input: string) => /^(health|shared)\/[\w.-]+\.ts$/.test(input))).toBe(true);
    expect(manifest.inputs).toEqual([...manifest.inputs].sort());
  });

  it("records the inputs relative to a sources folder outside the repository, and reuses them when the package is up to date", async () => {
    const sourceDir = copySources("health");
    const outDir = tempDir("build-inputs-");

    const built = await buildPackage("health", { outDir, sourceDir });
    const again = await buildPackage("health", { outDir, sourceDir });

    expect(built.inputs).toContain("health/index.ts");
    expect(again.bundled).toBe(false);
    expect(again.inputs).toEqual(built.inputs);
    expect(readLambdaManifest("health", { distDir: outDir })?.inputs).toEqual(built.inputs);
  });

  it("refuses a function without sources", async () => {
    await expect(buildPackage("no-such-function", { outDir: tempDir("build-none-") })).rejects.toThrow(
      'Lambda function "no-such-function" has no source: app/lambda-packages/no-such-function/index.ts does not exist.',
    );
  });
});

describe("loadLambdaArtifact", () => {
  it("says the ZIP is missing and what to run, as a LambdaArtifactError (a user error, printed without a stack)", () => {
    expect(() => loadLambdaArtifact("no-such-function")).toThrow(LambdaArtifactError);
    expect(() => loadLambdaArtifact("no-such-function")).toThrow(
      "Lambda package app/lambda-packages/dist/no-such-function.zip is missing. Run `npm run package` to build it.",
    );
  });

  it("says the manifest is missing and what to run", async () => {
    const outDir = tempDir("load-nomanifest-");
    const built = await buildPackage("health", { outDir });
    rmSync(built.manifestPath);

    expect(() => loadLambdaArtifact("health", { distDir: outDir })).toThrow(
      `Lambda package manifest ${built.manifestPath} is missing. Run \`npm run package\` to build it.`,
    );
  });

  it("describes a fresh package built from a copy of the sources", async () => {
    const sourceDir = copySources("health");
    const outDir = tempDir("load-fresh-");
    const built = await buildPackage("health", { outDir, sourceDir });

    expect(loadLambdaArtifact("health", { distDir: outDir, sourceDir })).toEqual({
      name: "health",
      zipPath: join(outDir, "health.zip"),
      sha256Hex: built.sha256Hex,
      sha256Base64: built.sha256Base64,
      s3Key: "health/lambda.zip",
      sizeBytes: built.sizeBytes,
    });
  });

  it.each([
    ["the function's own source changes", "health/index.ts"],
    ["a shared module changes", "shared/http.ts"],
    ["a file is added to shared/", "shared/new-helper.ts"],
  ])("says the ZIP is stale when %s", async (_case, file) => {
    const sourceDir = copySources("health");
    const outDir = tempDir("load-stale-");
    await buildPackage("health", { outDir, sourceDir });

    appendFileSync(join(sourceDir, file), "\n// edited\n");

    expect(() => loadLambdaArtifact("health", { distDir: outDir, sourceDir })).toThrow(
      `Lambda package ${join(outDir, "health.zip")} is stale: its sources changed since it was built. Run \`npm run package\`.`,
    );
  });

  it("says the ZIP does not match its manifest when its bytes changed after the build", async () => {
    const outDir = tempDir("load-tampered-");
    const built = await buildPackage("health", { outDir });
    appendFileSync(built.zipPath, "x");

    expect(() => loadLambdaArtifact("health", { distDir: outDir })).toThrow(`Lambda package ${built.zipPath} does not match its manifest`);
  });

  it("hashes a copy of the sources like the original, wherever it lives", () => {
    expect(computeSourceHash("health", { sourceDir: copySources("health") })).toBe(computeSourceHash("health"));
  });
});

describe("shared/http", () => {
  type Event = Pick<APIGatewayProxyEvent, "headers" | "body" | "isBase64Encoded">;
  const jsonEvent = (body: string | null, headers: Record<string, string> = { "Content-Type": "application/json" }) =>
    ({ headers, body, isBase64Encoded: false }) as Event;
  const parseRoute = route(async (event) => json(200, parseJsonBody(event, 16 * 1024)), { allowedOrigins: [] });
  const call = (handler: typeof parseRoute, event: Partial<APIGatewayProxyEvent>): Promise<APIGatewayProxyResult> =>
    handler(event as APIGatewayProxyEvent, context);

  describe("parseJsonBody", () => {
    it.each([
      ["a missing body", 400, "VALIDATION_ERROR", "Request body is missing: send a JSON object", jsonEvent(null)],
      ["an empty body", 400, "VALIDATION_ERROR", "Request body is missing: send a JSON object", jsonEvent("")],
      ["malformed JSON", 400, "VALIDATION_ERROR", "Request body is not valid JSON", jsonEvent('{"email": ')],
      ["an array", 400, "VALIDATION_ERROR", "Request body must be a JSON object, received an array", jsonEvent("[1, 2]")],
      ["null", 400, "VALIDATION_ERROR", "Request body must be a JSON object, received null", jsonEvent("null")],
      ["a string", 400, "VALIDATION_ERROR", "Request body must be a JSON object, received a string", jsonEvent('"hi"')],
      [
        "a wrong content type",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type must be application/json, received text/plain",
        jsonEvent("{}", { "Content-Type": "text/plain" }),
      ],
      ["a missing content type", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type header is missing: send application/json", jsonEvent("{}", {})],
      [
        "a charset other than utf-8",
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Content-Type charset must be utf-8, received iso-8859-1",
        jsonEvent("{}", { "Content-Type": "application/json; charset=iso-8859-1" }),
      ],
      [
        "a body over the limit",
        413,
        "PAYLOAD_TOO_LARGE",
        "Request body is 20008 bytes; the limit is 16384 bytes",
        jsonEvent(JSON.stringify({ a: "x".repeat(20000) })),
      ],
      [
        "a base64 body over the limit once decoded",
        413,
        "PAYLOAD_TOO_LARGE",
        "Request body is 18008 bytes; the limit is 16384 bytes",
        { ...jsonEvent(Buffer.from(JSON.stringify({ a: "é".repeat(9000) })).toString("base64")), isBase64Encoded: true },
      ],
      [
        "a base64 body that is not UTF-8",
        400,
        "VALIDATION_ERROR",
        "Request body is not valid UTF-8",
        { ...jsonEvent(Buffer.from([0x7b, 0xff, 0x7d]).toString("base64")), isBase64Encoded: true },
      ],
    ])("answers %s with %i and says what was wrong", async (_case, status, code, message, event) => {
      const response = await call(parseRoute, event);

      expect(response.statusCode).toBe(status);
      expect(JSON.parse(response.body)).toEqual({ error: { code, message } });
    });

    it.each([
      ["a JSON object", jsonEvent('{"email":"a@example.com"}')],
      ["a base64-encoded body", { ...jsonEvent(Buffer.from('{"email":"a@example.com"}').toString("base64")), isBase64Encoded: true }],
      [
        "a charset parameter and a lower-case header name",
        jsonEvent('{"email":"a@example.com"}', { "content-type": "application/json; charset=UTF-8" }),
      ],
    ])("returns the object for %s", (_case, event) => {
      expect(parseJsonBody(event, 1024)).toEqual({ email: "a@example.com" });
    });

    it.each([
      [
        "a key given twice",
        'Request body has the key "email" more than once: send each key once',
        jsonEvent('{"email":"nobody@example.com","password":"x","email":"ada@example.com"}'),
      ],
      [
        "a key given twice, once escaped",
        'Request body has the key "email" more than once: send each key once',
        jsonEvent('{"em\\u0061il":"nobody@example.com","email":"ada@example.com"}'),
      ],
      [
        "a key given twice in a nested object",
        'Request body has the key "profile.name" more than once: send each key once',
        jsonEvent('{"profile":{"name":"a","tags":[{"name":1}],"name":"b"}}'),
      ],
    ])("answers %s with 400 VALIDATION_ERROR naming the key", async (_case, message, event) => {
      const response = await call(parseRoute, event);

      expect(response.statusCode).toBe(400);
      const key = /"(.+)"/.exec(message)![1];
      expect(JSON.parse(response.body)).toEqual({
        error: { code: "VALIDATION_ERROR", message, details: [{ field: key, message: `${key} is given more than once` }] },
      });
    });

    it("accepts the same key in sibling objects and a string that looks like a key", () => {
      expect(parseJsonBody(jsonEvent('{"email":"a@example.com","x":[{"k":1},{"k":"\\"k\\":"}]}'))).toEqual({
        email: "a@example.com",
        x: [{ k: 1 }, { k: '"k":' }],
      });
    });

    it("throws the typed errors the route maps", () => {
      expect(() => parseJsonBody(jsonEvent("[]"))).toThrow(ValidationError);
      expect(() => parseJsonBody(jsonEvent("{}", { "Content-Type": "text/html" }))).toThrow(UnsupportedMediaTypeError);
      expect(() => parseJsonBody(jsonEvent('{"a":"xxxx"}'), 4)).toThrow(PayloadTooLargeError);
    });
  });

  describe("route", () => {
    it.each([
      [new ValidationError("email is required", [{ path: "email", message: "Required" }]), 400, "VALIDATION_ERROR"],
      [new UnauthorizedError(), 401, "UNAUTHORIZED"],
      [new ForbiddenError(), 403, "FORBIDDEN"],
      [new NotFoundError(), 404, "NOT_FOUND"],
      [new ConflictError("email already registered"), 409, "CONFLICT"],
      [new PayloadTooLargeError("too big"), 413, "PAYLOAD_TOO_LARGE"],
      [new UnsupportedMediaTypeError("not json"), 415, "UNSUPPORTED_MEDIA_TYPE"],
      [new ServiceUnavailableError(), 503, "SERVICE_UNAVAILABLE"],
    ] as Array<[HttpError, number, ErrorCode]>)("maps %p to %i with the error body", async (error, status, code) => {
      const response = await call(
        route(async () => {
          throw error;
        }),
        { headers: {} },
      );

      expect(response.statusCode).toBe(status);
      expect(ERROR_CODES[code].status).toBe(status);
      expect(JSON.parse(response.body)).toEqual(errorBody(code, error.message, error.details));
      expect(response.headers).toMatchObject({ "Content-Type": "application/json", "Cache-Control": "no-store" });
    });

    it("tells the client when to retry a retryable error, and only then", async () => {
      const unavailable = await call(
        route(async () => {
          throw new ServiceUnavailableError();
        }),
        { headers: {} },
      );
      const conflict = await call(
        route(async () => {
          throw new ConflictError("taken");
        }),
        { headers: {} },
      );

      expect(unavailable.headers).toMatchObject({ "Retry-After": "1" });
      expect(conflict.headers?.["Retry-After"]).toBeUndefined();
    });

    it("asks for a bearer token on 401", async () => {
      const response = await call(
        route(async () => {
          throw new UnauthorizedError();
        }),
        { headers: {} },
      );

      expect(response.headers).toMatchObject({ "WWW-Authenticate": "Bearer" });
    });

    it("answers anything else with 500 internal_error and the request id, logging the error but not returning it", async () => {
      const consoleError = jest.spyOn(console, "error").mockImplementation(() => undefined);
      const failing = route(async () => {
        throw new TypeError("cannot read properties of undefined (alice@example.com)");
      });

      const response = await call(failing, { headers: {}, httpMethod: "POST", resource: "/users" });

      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toEqual({
        error: { code: "INTERNAL_ERROR", message: "Internal server error", details: { requestId: "req-123" } },
      });
      expect(response.body).not.toContain("TypeError");
      expect(response.body).not.toMatch(/\bat .+\(/);
      expect(consoleError).toHaveBeenCalledTimes(1);
      const [logged] = consoleError.mock.calls[0];
      expect(logged).toMatchObject({
        msg: "unhandled error",
        requestId: "req-123",
        method: "POST",
        error: { name: "TypeError", message: "cannot read properties of undefined (a***@example.com)" },
      });
      expect((logged as { error: { stack: string } }).error.stack).toContain("TypeError");
    });

    it("keeps the handler's own response and headers", async () => {
      const ok = route(async () => json(201, { id: "u1" }, { Location: "/users/u1" }));

      const response = await call(ok, { headers: {} });

      expect(response).toEqual({
        statusCode: 201,
        headers: {
          "Content-Type": "application/json",
          "Cache-Control": "no-store",
          "X-Content-Type-Options": "nosniff",
          "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
          "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
          Location: "/users/u1",
        },
        body: '{"id":"u1"}',
      });
    });
  });

  describe("CORS", () => {
    const allowed = ["https://app.example.com", "http://localhost:5173"];
    const ok = route(async () => json(200, {}), { allowedOrigins: allowed });

    it.each(allowed)("allows the listed origin %s, by name and with Vary: Origin, exposing ETag for If-Match", async (origin) => {
      const response = await call(ok, { headers: { origin } });

      expect(response.headers).toMatchObject({
        "Access-Control-Allow-Origin": origin,
        Vary: "Origin",
        "Access-Control-Expose-Headers": "ETag,Location,Retry-After,WWW-Authenticate",
      });
    });

    it.each([
      ["an unlisted origin", { Origin: "https://evil.example.com" }],
      ["a listed origin with another scheme", { Origin: "http://app.example.com" }],
      ["no Origin header", {}],
    ])("adds no CORS headers for %s", async (_case, headers) => {
      const response = await call(ok, { headers });

      expect(response.headers).not.toHaveProperty("Access-Control-Allow-Origin");
      expect(response.headers).not.toHaveProperty("Vary");
    });

    it("adds CORS headers to error responses too", async () => {
      const failing = route(
        async () => {
          throw new NotFoundError();
        },
        { allowedOrigins: allowed },
      );

      const response = await call(failing, { headers: { Origin: "https://app.example.com" } });

      expect(response.statusCode).toBe(404);
      expect(response.headers).toMatchObject({ "Access-Control-Allow-Origin": "https://app.example.com" });
    });

    it("adds no CORS headers when ALLOWED_ORIGINS is empty", () => {
      expect(corsHeaders({ headers: { Origin: "https://app.example.com" } }, [])).toEqual({});
    });

    it("reads ALLOWED_ORIGINS at cold start", async () => {
      const http = loadHandler<typeof import("../app/lambda-packages/shared/http")>(join(LAMBDA_PACKAGES_DIR, "shared", "http.ts"), {
        ALLOWED_ORIGINS: " https://app.example.com , https://admin.example.com",
      });

      const response = await call(
        http.route(async () => http.json(200, {})),
        {
          headers: { Origin: "https://admin.example.com" },
        },
      );

      expect(response.headers).toMatchObject({ "Access-Control-Allow-Origin": "https://admin.example.com" });
    });

    it.each([
      ["*", 'ALLOWED_ORIGINS entry "*" is not an origin: expected scheme://host[:port] without path or trailing slash ("*" is never allowed)'],
      [
        "https://app.example.com/",
        'ALLOWED_ORIGINS entry "https://app.example.com/" is not an origin: expected scheme://host[:port] without path or trailing slash',
      ],
      ["app.example.com", 'ALLOWED_ORIGINS entry "app.example.com" is not an origin: expected scheme://host[:port] without path or trailing slash'],
    ])("refuses the ALLOWED_ORIGINS entry %s", (raw, message) => {
      expect(() => parseAllowedOrigins(raw)).toThrow(message);
    });

    it("reads an empty ALLOWED_ORIGINS as no origin", () => {
      expect(parseAllowedOrigins("")).toEqual([]);
      expect(parseAllowedOrigins(undefined)).toEqual([]);
    });
  });

  it("is the base of every domain error", () => {
    expect(new ConflictError("taken")).toBeInstanceOf(HttpError);
    expect(new ConflictError("taken").name).toBe("ConflictError");
  });
});

describe("shared/log", () => {
  it.each([
    ["alice@example.com", "a***@example.com"],
    ["Bob.Smith+tag@mail.example.org", "B***@mail.example.org"],
    ["not-an-email", "***"],
    ["@example.com", "***"],
  ])("masks %s as %s", (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it("redacts passwords, tokens and hashes, masks e-mail addresses and keeps the rest", () => {
    expect(
      redact({
        userId: "u1",
        email: "alice@example.com",
        password: "hunter2",
        passwordHash: "$argon2id$...",
        tokenHash: "abc",
        headers: { Authorization: "Bearer t0ken", "Content-Type": "application/json" },
        note: "contact carol@example.net",
        attempts: 3,
      }),
    ).toEqual({
      userId: "u1",
      email: "a***@example.com",
      password: "[redacted]",
      passwordHash: "[redacted]",
      tokenHash: "[redacted]",
      headers: { Authorization: "[redacted]", "Content-Type": "application/json" },
      note: "contact c***@example.net",
      attempts: 3,
    });
  });

  it("writes one object per call, so Lambda's JSON log format keeps it structured", () => {
    const info = jest.spyOn(console, "info").mockImplementation(() => undefined);

    log.info("user created", { userId: "u1", email: "alice@example.com" });

    expect(info).toHaveBeenCalledWith({ msg: "user created", userId: "u1", email: "a***@example.com" });
  });
});

describe("shared/dynamodb against dynalite", () => {
  type DynamoModule = typeof import("../app/lambda-packages/shared/dynamodb");
  let local: LocalDynamo;
  let dynamodb: DynamoModule;
  let db: Awaited<DynamoModule["dynamoDb"]>;

  beforeAll(async () => {
    local = await startDynalite();
    dynamodb = loadHandler<DynamoModule>(join(LAMBDA_PACKAGES_DIR, "shared", "dynamodb.ts"), handlerEnv(local));
    db = await dynamodb.dynamoDb;
  });
  afterAll(async () => {
    await local.close();
  });

  it("marshals plain values on write and unmarshals them on read", async () => {
    await db.PutItem({ TableName: local.tables.users, Item: { pk: "user#1", name: "Alice", logins: 3, admin: false } });

    const raw = await local.request<{ Item: unknown }>("GetItem", {
      TableName: local.tables.users,
      Key: { pk: { S: "user#1" } },
    });
    const { Item } = await db.GetItem({ TableName: local.tables.users, Key: { pk: "user#1" }, ConsistentRead: true });

    expect(raw.Item).toEqual({ pk: { S: "user#1" }, name: { S: "Alice" }, logins: { N: "3" }, admin: { BOOL: false } });
    expect(Item).toEqual({ pk: "user#1", name: "Alice", logins: 3, admin: false });
  });

  it("recognizes a failed conditional put with isConditionalCheckFailed", async () => {
    const claim = {
      TableName: local.tables.users,
      Item: { pk: "email#bob@example.com", userId: "u2" },
      ConditionExpression: "attribute_not_exists(pk)",
    };
    await db.PutItem(claim);

    const error = await db.PutItem(claim).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(dynamodb.isConditionalCheckFailed(error)).toBe(true);
    expect(error).toMatchObject({ name: "ConditionalCheckFailedException", statusCode: 400 });
  });

  it("recognizes a failed conditional update with isConditionalCheckFailed", async () => {
    const error = await db
      .UpdateItem({
        TableName: local.tables.users,
        Key: { pk: "user#missing" },
        UpdateExpression: "SET #n = :n",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeNames: { "#n": "name" },
        ExpressionAttributeValues: { ":n": "Nobody" },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(dynamodb.isConditionalCheckFailed(error)).toBe(true);
  });

  it("does not mistake other errors for a failed condition, and names them", async () => {
    const error = await db.GetItem({ TableName: "no-such-table", Key: { pk: "x" } }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(dynamodb.isConditionalCheckFailed(error)).toBe(false);
    expect(dynamodb.awsErrorCode(error)).toBe("ResourceNotFoundException");
  });

  it("queries the byUserId index, newest first", async () => {
    for (const [tokenHash, createdAt] of [
      ["h1", 100],
      ["h2", 300],
      ["h3", 200],
    ] as const) {
      await db.PutItem({ TableName: local.tables.sessions, Item: { tokenHash, userId: "u9", createdAt, expiresAt: 999 } });
    }

    const { Items } = await db.Query({
      TableName: local.tables.sessions,
      IndexName: "byUserId",
      KeyConditionExpression: "userId = :u",
      ExpressionAttributeValues: { ":u": "u9" },
      ScanIndexForward: false,
    });

    expect(Items).toEqual([
      { tokenHash: "h2", userId: "u9", createdAt: 300 },
      { tokenHash: "h3", userId: "u9", createdAt: 200 },
      { tokenHash: "h1", userId: "u9", createdAt: 100 },
    ]);
  });

  it("deletes in batches", async () => {
    const { UnprocessedItems } = await db.BatchWriteItem({
      RequestItems: { [local.tables.sessions]: [{ DeleteRequest: { Key: { tokenHash: "h1" } } }, { DeleteRequest: { Key: { tokenHash: "h2" } } }] },
    });
    const { Item } = await db.GetItem({ TableName: local.tables.sessions, Key: { tokenHash: "h1" }, ConsistentRead: true });

    expect(UnprocessedItems).toEqual({});
    expect(Item).toBeUndefined();
  });
});
