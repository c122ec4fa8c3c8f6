import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { unzipSync } from "fflate";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { captureConsole } from "./support/console";
import { loadLambdaArtifact } from "../app/lambda-packages/artifacts";
import { API, authorizerEvent, methodArn, policyAllows } from "./support/api-events";
import { handlerEnv, loadHandler, startDynalite, startDynamoProxy, type LocalDynamo } from "./support/dynalite";

type Authorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const SOURCE = join(__dirname, "..", "app", "lambda-packages", "authorizer", "index.ts");
const STAGE_WIDE = `arn:aws:execute-api:${API.region}:${API.accountId}:${API.apiId}/${API.stage}/*/*`;

/** Computed here, independently of the code under test. */
const sha256 = (token: string): string => createHash("sha256").update(token).digest("base64url");
const newToken = (): string => randomBytes(32).toString("base64url");

interface Seeded {
  readonly token: string;
  readonly tokenHash: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

function requestFor(token: string | undefined, extraHeaders: Record<string, string> = {}): APIGatewayRequestAuthorizerEvent {
  return authorizerEvent({
    method: "GET",
    resource: "/users/me",
    headers: { ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }), ...extraHeaders },
  });
}

describe("authorizer handler", () => {
  let db: LocalDynamo;
  let authorize: Authorizer;
  const logs = captureConsole();

  async function seedSession(expiresInSeconds: number): Promise<Seeded> {
    const token = newToken();
    const createdAt = Date.now();
    const seeded = {
      token,
      tokenHash: sha256(token),
      userId: `user-${randomBytes(4).toString("hex")}`,
      createdAt,
      expiresAt: Math.floor(createdAt / 1000) + expiresInSeconds,
    };
    await db.request("PutItem", {
      TableName: db.tables.sessions,
      Item: {
        tokenHash: { S: seeded.tokenHash },
        userId: { S: seeded.userId },
        createdAt: { N: String(seeded.createdAt) },
        expiresAt: { N: String(seeded.expiresAt) },
      },
    });
    return seeded;
  }

  beforeAll(async () => {
    db = await startDynalite();
    authorize = loadHandler<{ handler: Authorizer }>(SOURCE, handlerEnv(db)).handler;
  });
  afterAll(async () => {
    await db.close();
  });

  it("allows a valid token with a stage-wide policy, the user as principal and the session in the context", async () => {
    const session = await seedSession(3600);

    const result = await authorize(requestFor(session.token));

    expect(result).toEqual({
      principalId: session.userId,
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: STAGE_WIDE }],
      },
      context: {
        userId: session.userId,
        sessionId: session.tokenHash,
        createdAt: session.createdAt,
        expiresAt: session.expiresAt,
        // The seeded item has no generation, as items from before generations: that is generation 0.
        credentialGeneration: 0,
      },
    });
    for (const value of Object.values(result.context ?? {})) expect(["string", "number"]).toContain(typeof value);
  });

  it("returns a policy that also allows the token's other routes, because API Gateway caches it per token", async () => {
    const session = await seedSession(3600);

    const result = await authorize(requestFor(session.token));

    for (const [method, path] of [
      ["GET", "/users/me"],
      ["PATCH", "/users/me"],
      ["DELETE", "/users/me"],
      ["GET", "/users/4b8f0c1e-0000-4000-8000-000000000000"],
      ["GET", "/sessions/current"],
      ["DELETE", "/sessions/current"],
    ]) {
      expect(policyAllows(result, methodArn(method, path))).toBe(true);
    }
    expect(policyAllows(result, `arn:aws:execute-api:${API.region}:${API.accountId}:${API.apiId}/other-stage/GET/users/me`)).toBe(false);
    expect(policyAllows(result, `arn:aws:execute-api:${API.region}:${API.accountId}:otherapi/${API.stage}/GET/users/me`)).toBe(false);
  });

  it("accepts the scheme in any letter case, as RFC 9110 allows", async () => {
    const session = await seedSession(3600);

    const result = await authorize(requestFor(undefined, { authorization: `bearer ${session.token}` }));

    expect(result.principalId).toBe(session.userId);
  });

  it("reads the session with one strongly consistent GetItem by the token's hash", async () => {
    const session = await seedSession(3600);
    const proxy = await startDynamoProxy(db);
    const viaProxy = loadHandler<{ handler: Authorizer }>(SOURCE, handlerEnv(db, { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint })).handler;

    await viaProxy(requestFor(session.token));
    await proxy.close();

    expect(proxy.calls).toEqual([
      {
        operation: "GetItem",
        body: { TableName: db.tables.sessions, Key: { tokenHash: { S: session.tokenHash } }, ConsistentRead: true },
      },
    ]);
  });

  describe("refuses with Unauthorized (API Gateway's 401) and without a DynamoDB call", () => {
    const token = newToken();
    it.each<[string, Record<string, string>, Record<string, string[]> | undefined]>([
      ["no Authorization header", {}, undefined],
      ["an empty Authorization header", { Authorization: "" }, undefined],
      ["the scheme without a token", { Authorization: "Bearer" }, undefined],
      ["the scheme and a space", { Authorization: "Bearer " }, undefined],
      ["another scheme", { Authorization: `Basic ${token}` }, undefined],
      ["the token without the scheme", { Authorization: token }, undefined],
      ["a token of 42 characters", { Authorization: `Bearer ${token.slice(1)}` }, undefined],
      ["a token of 44 characters", { Authorization: `Bearer ${token}A` }, undefined],
      ["a padded token", { Authorization: `Bearer ${token.slice(1)}=` }, undefined],
      ["standard base64 instead of base64url", { Authorization: `Bearer +/${token.slice(2)}` }, undefined],
      ["two spaces after the scheme", { Authorization: `Bearer  ${token}` }, undefined],
      ["a trailing space", { Authorization: `Bearer ${token} ` }, undefined],
      ["a second token", { Authorization: `Bearer ${token} ${token}` }, undefined],
      ["a NUL byte in the token", { Authorization: `Bearer ${token.slice(1)}\u0000` }, undefined],
      ["a non-ASCII character in the token", { Authorization: `Bearer ${token.slice(1)}é` }, undefined],
      ["two Authorization headers", { Authorization: `Bearer ${token}` }, { Authorization: [`Bearer ${newToken()}`, `Bearer ${token}`] }],
    ])("for %s", async (_case, headers, multiValueHeaders) => {
      const proxy = await startDynamoProxy(db);
      const viaProxy = loadHandler<{ handler: Authorizer }>(SOURCE, handlerEnv(db, { AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint })).handler;
      const event = authorizerEvent({ method: "GET", resource: "/users/me", headers, multiValueHeaders });

      await expect(viaProxy(event)).rejects.toThrow(new Error("Unauthorized"));
      await proxy.close();

      expect(proxy.calls).toEqual([]);
    });
  });

  it("refuses with Unauthorized when the headers are null", async () => {
    const event = { ...requestFor(undefined), headers: null, multiValueHeaders: null };

    await expect(authorize(event)).rejects.toThrow(new Error("Unauthorized"));
  });

  it("refuses a well-formed token that has no session", async () => {
    await expect(authorize(requestFor(newToken()))).rejects.toThrow(new Error("Unauthorized"));
  });

  it.each([
    ["expired an hour ago", -3600],
    ["expiring this very second", 0],
  ])("refuses a session %s that DynamoDB has not deleted yet", async (_case, expiresIn) => {
    const session = await seedSession(expiresIn);

    await expect(authorize(requestFor(session.token))).rejects.toThrow(new Error("Unauthorized"));
  });

  it("refuses a token that differs from a valid one in its last character", async () => {
    const session = await seedSession(3600);
    const other = session.token.slice(0, -1) + (session.token.endsWith("A") ? "B" : "A");

    await expect(authorize(requestFor(other))).rejects.toThrow(new Error("Unauthorized"));
  });

  it("refuses with Unauthorized when methodArn is not an execute-api method ARN", async () => {
    const session = await seedSession(3600);
    const event = { ...requestFor(session.token), methodArn: "arn:aws:lambda:us-east-1:123456789012:function:x" };

    await expect(authorize(event)).rejects.toThrow(new Error("Unauthorized"));
  });

  it("fails with the DynamoDB error, not Unauthorized, when the table cannot be read (API Gateway answers 500)", async () => {
    const session = await seedSession(3600);
    const broken = loadHandler<{ handler: Authorizer }>(SOURCE, handlerEnv(db, { SESSIONS_TABLE_NAME: "no-such-table" })).handler;

    const failure = broken(requestFor(session.token));

    await expect(failure).rejects.toMatchObject({ code: "ResourceNotFoundException" });
  });

  it("never logs the token or its hash, whether it allows or refuses", async () => {
    const session = await seedSession(3600);
    const expired = await seedSession(-60);
    const unknown = newToken();

    await authorize(requestFor(session.token));
    await expect(authorize(requestFor(expired.token))).rejects.toThrow("Unauthorized");
    await expect(authorize(requestFor(unknown))).rejects.toThrow("Unauthorized");
    await expect(authorize(requestFor(`${unknown}x`))).rejects.toThrow("Unauthorized");
    await loadHandler<{ handler: Authorizer }>(SOURCE, handlerEnv(db, { SESSIONS_TABLE_NAME: "no-such-table" }))
      .handler(requestFor(session.token))
      .catch(() => undefined);

    expect(logs.length).toBeGreaterThan(0);
    const output = logs.join("\n");
    for (const secret of [session.token, session.tokenHash, expired.token, expired.tokenHash, unknown, sha256(unknown)]) {
      expect(output).not.toContain(secret);
    }
  });

  it("fails the cold start when SESSIONS_TABLE_NAME is missing", () => {
    expect(() => loadHandler(SOURCE, { ...handlerEnv(db), SESSIONS_TABLE_NAME: undefined })).toThrow(
      "Missing required environment variable SESSIONS_TABLE_NAME",
    );
  });

  describe("the built ZIP (dist/authorizer.zip)", () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "authorizer-zip-"));
      for (const [name, bytes] of Object.entries(unzipSync(readFileSync(loadLambdaArtifact("authorizer").zipPath)))) {
        writeFileSync(join(dir, name), bytes);
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("allows a valid token and refuses an unknown one from its lambda-handler.js", async () => {
      const session = await seedSession(3600);
      const zipped = loadHandler<{ handler: Authorizer }>(join(dir, "lambda-handler.js"), handlerEnv(db)).handler;

      const result = await zipped(requestFor(session.token));

      expect(result.principalId).toBe(session.userId);
      expect(result.context).toMatchObject({ sessionId: session.tokenHash });
      await expect(zipped(requestFor(newToken()))).rejects.toThrow(new Error("Unauthorized"));
    });
  });
});
