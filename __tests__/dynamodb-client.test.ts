/**
 * The functions' DynamoDB client (app/lambda-packages/shared/dynamodb.ts) under faults: what @aws-lite/client
 * surfaces for an unreachable, throttled, failing or hung DynamoDB becomes a ServiceUnavailableError (503
 * SERVICE_UNAVAILABLE with Retry-After through route()) carrying the original error; refused requests
 * (conditional check failures, validation errors) stay what they are.
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from "node:net";
import type * as DynamoDbModule from "../app/lambda-packages/shared/dynamodb";
import type * as HttpModule from "../app/lambda-packages/shared/http";
import { handlerEnv, loadHandler, startDynalite, startDynamoProxy, TEST_AWS_ENV, type InterceptedAnswer, type LocalDynamo } from "./support/dynalite";
import { retriesWithoutWaits } from "./support/retry-waits";

const listen = async <T extends HttpServer | NetServer>(server: T): Promise<{ server: T; endpoint: string }> => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
};
const close = (server: HttpServer | NetServer) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    if ("closeAllConnections" in server) server.closeAllConnections();
  });

/** A port that was free a moment ago and has nothing listening on it. */
async function refusedEndpoint(): Promise<string> {
  const { server, endpoint } = await listen(createNetServer());
  await close(server);
  return endpoint;
}

describe("the functions' DynamoDB client under faults", () => {
  retriesWithoutWaits();
  let db: LocalDynamo;
  let dynamodb: typeof DynamoDbModule;
  let http: typeof HttpModule;

  beforeAll(async () => {
    db = await startDynalite();
    // One module registry for both, so instanceof ServiceUnavailableError holds across them.
    ({ dynamodb, http } = loadHandler<{ dynamodb: typeof DynamoDbModule; http: typeof HttpModule }>(
      require.resolve("./support/dynamodb-and-http"),
      handlerEnv(db),
    ));
  });

  afterAll(() => db.close());

  const clientAt = (endpoint: string, extra: Record<string, string> = {}) =>
    dynamodb.createDynamoDbClient({ ...TEST_AWS_ENV, AWS_ENDPOINT_URL_DYNAMODB: endpoint, ...extra });
  const getItem = async (endpoint: string, extra?: Record<string, string>) =>
    (await clientAt(endpoint, extra)).GetItem({ TableName: db.tables.users, Key: { pk: "user#1" } });
  const failure = async (promise: Promise<unknown>): Promise<Error> => {
    const outcome = await promise.then(
      () => undefined,
      (error: Error) => error,
    );
    if (!outcome) throw new Error("the call succeeded; a failure was expected");
    return outcome;
  };

  // aws-lite retries each of these five times, with the backoff draws at 0 (support/retry-waits.ts); they run side
  // by side, each against its own proxy or server.
  it.concurrent.each([
    [400, "ProvisionedThroughputExceededException"],
    [400, "ThrottlingException"],
    [400, "RequestLimitExceeded"],
    [500, "InternalServerError"],
    [503, "ServiceUnavailable"],
  ])(
    "turns a %i %s (after aws-lite's retries) into a ServiceUnavailableError with it as the cause",
    async (status, type) => {
      const proxy = await startDynamoProxy(db, (): InterceptedAnswer => ({ status, type }));
      try {
        const error = await failure(getItem(proxy.endpoint));

        expect(error).toBeInstanceOf(http.ServiceUnavailableError);
        expect(error).toMatchObject({ statusCode: 503, code: "SERVICE_UNAVAILABLE" });
        expect((error.cause as { code?: string }).code).toBe(type);
        expect(dynamodb.awsErrorCode(error)).toBe(type);
        expect(proxy.calls.length).toBeGreaterThan(1);
      } finally {
        await proxy.close();
      }
    },
    20_000,
  );

  test.concurrent(
    "turns a refused connection into a ServiceUnavailableError (ECONNREFUSED)",
    async () => {
      const error = await failure(getItem(await refusedEndpoint()));

      expect(error).toBeInstanceOf(http.ServiceUnavailableError);
      expect(dynamodb.awsErrorCode(error)).toBe("ECONNREFUSED");
    },
    20_000,
  );

  test.concurrent(
    "turns a connection closed without an answer into a ServiceUnavailableError (ECONNRESET, socket hang up)",
    async () => {
      const { server, endpoint } = await listen(createNetServer((socket) => socket.destroy()));
      try {
        const error = await failure(getItem(endpoint));

        expect(error).toBeInstanceOf(http.ServiceUnavailableError);
        expect(dynamodb.awsErrorCode(error)).toBe("ECONNRESET");
      } finally {
        await close(server);
      }
    },
    20_000,
  );

  test("gives up on a hung DynamoDB after DYNAMODB_TIMEOUT_MS: a ServiceUnavailableError (TimeoutError)", async () => {
    // Answers only after the client has given up (and then answers, so aws-lite's request ends with the test).
    let answered!: () => void;
    const done = new Promise<void>((resolve) => (answered = resolve));
    const { server, endpoint } = await listen(
      createHttpServer((req, res) => {
        req.resume();
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end("{}");
          answered();
        }, 600);
      }),
    );
    try {
      const error = await failure(getItem(endpoint, { DYNAMODB_TIMEOUT_MS: "200" }));
      await done;

      expect(error).toBeInstanceOf(http.ServiceUnavailableError);
      expect(error.cause).toBeInstanceOf(dynamodb.DynamoDbTimeoutError);
      expect((error.cause as Error).message).toBe("DynamoDB GetItem did not complete within 200 ms");
      expect(dynamodb.awsErrorCode(error)).toBe("TimeoutError");
    } finally {
      await close(server);
    }
  });

  it.each(["ConditionalCheckFailedException", "ValidationException", "ResourceNotFoundException"])(
    "leaves a %s as it is: the request was refused, not the service unavailable",
    async (type) => {
      const proxy = await startDynamoProxy(db, (): InterceptedAnswer => ({ status: 400, type }));
      try {
        const error = await failure(getItem(proxy.endpoint));

        expect(error).not.toBeInstanceOf(http.ServiceUnavailableError);
        expect(dynamodb.awsErrorCode(error)).toBe(type);
        expect(proxy.calls).toHaveLength(1);
      } finally {
        await proxy.close();
      }
    },
  );

  test("answers normally when DynamoDB does", async () => {
    await db.request("PutItem", { TableName: db.tables.users, Item: { pk: { S: "user#1" }, name: { S: "Ada" } } });

    expect(await getItem(db.endpoint)).toEqual({ Item: { pk: "user#1", name: "Ada" } });
  });

  it.each(["0", "abc", "60001"])("refuses DYNAMODB_TIMEOUT_MS=%s, naming the variable and its range", async (value) => {
    await expect(clientAt(db.endpoint, { DYNAMODB_TIMEOUT_MS: value })).rejects.toThrow(
      `Environment variable DYNAMODB_TIMEOUT_MS must be an integer in 10..60000, received "${value}"`,
    );
  });
});
