/**
 * The local DynamoDB endpoint: an HTTP proxy in front of dynalite that authorizes every request as DynamoDB does
 * before passing it on. The caller is the function whose role session the SigV4 access key id and the session
 * token belong to (local-iam.ts; the signature is not verified); each authorization of the call
 * (dynamodb-requests.ts) is evaluated against that role's synthesized policies, plus `kms:Decrypt` through
 * DynamoDB on a table's customer managed key. Refusals are DynamoDB's HTTP 400 JSON errors with AWS's messages:
 * `AccessDeniedException` (for the key, the message reported in aws/aws-cdk#10010) and
 * `UnrecognizedClientException` for credentials of no function. The local admin key id passes unevaluated; a
 * request without an Authorization header goes on to dynalite, which refuses it. What AWS does, with sources, and
 * what is not modelled: docs/local-run.md, "How the local run enforces IAM".
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody, relay } from "../http-relay";
import { LOCAL_ARNS } from "../synthesized";
import { dynamoDbAuthorizations, type DynamoDbAuthorization } from "./dynamodb-requests";
import { accessDeniedMessage, type LocalIam } from "./local-iam";
import type { FunctionRole } from "./principals";

export interface DynamoDbProxy {
  /** http://127.0.0.1:<port>: the DynamoDB endpoint of the functions, tests and tools. */
  readonly endpoint: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

interface Refusal {
  readonly type: string;
  readonly message: string;
  /** Whether the message goes under `Message` (AWS's coral exceptions) or `message`. */
  readonly capitalMessage: boolean;
}

/** The KMS message DynamoDB returns when the caller may not use the table's key (see the file comment). */
export const KMS_ACCESS_DENIED_MESSAGE =
  "KMS key access denied error: com.amazonaws.services.kms.model.AWSKMSException: The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";

/** Starts the proxy on a free port of 127.0.0.1, forwarding to the dynalite at `target`. */
export async function startDynamoDbProxy(target: string, iam: LocalIam): Promise<DynamoDbProxy> {
  const targetUrl = new URL(target);
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/x-amz-json-1.0" });
        res.end(
          JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: String((error as Error).message ?? error) }),
        );
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const refusal = authorizeRequest(iam, req, body);
    if (refusal) {
      const payload = JSON.stringify({
        __type: `com.amazon.coral.service#${refusal.type}`,
        [refusal.capitalMessage ? "Message" : "message"]: refusal.message,
      });
      res.writeHead(400, {
        "Content-Type": "application/x-amz-json-1.0",
        "x-amzn-RequestId": randomUUID(),
        "Content-Length": Buffer.byteLength(payload),
      });
      res.end(payload);
      return;
    }
    await relay(targetUrl, req, body, res);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The refusal DynamoDB would answer for this request, or undefined to pass it on. */
function authorizeRequest(iam: LocalIam, req: IncomingMessage, body: Buffer): Refusal | undefined {
  const authorization = req.headers.authorization;
  if (authorization === undefined) return undefined;
  const accessKeyId = /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? "";
  const token = req.headers["x-amz-security-token"];
  const principal = iam.principalOf(accessKeyId, typeof token === "string" ? token : undefined);
  if (principal === "admin") return undefined;
  if (!principal)
    return { type: "UnrecognizedClientException", message: "The security token included in the request is invalid.", capitalMessage: false };

  const operation = String(req.headers["x-amz-target"] ?? "").replace(/^DynamoDB_\d+\./, "");
  let parsed: Json;
  try {
    parsed = JSON.parse(body.toString("utf8") || "{}") as Json;
  } catch {
    return undefined; // dynalite answers SerializationException; nothing is read or written
  }
  const tableOf = (name: string) => {
    const info = iam.table(name);
    return { info, arn: info?.arn ?? LOCAL_ARNS.tableArn(principal.region, name) };
  };
  const call = dynamoDbAuthorizations(operation, parsed, tableOf);
  if (!call.ok) {
    const resource = tableOf(String(parsed.TableName ?? "*")).arn;
    iam.refuse({
      function: principal.functionName,
      action: `dynamodb:${operation}`,
      resource,
      reason: `${call.reason} (denied: fail closed)`,
      kind: "explicit",
    });
    return {
      type: "AccessDeniedException",
      message: accessDeniedMessage(principal, `dynamodb:${operation}`, resource, "explicit"),
      capitalMessage: true,
    };
  }
  for (const authorization of call.authorizations) {
    const decision = iam.authorize(principal.functionName, dynamoDbRequest(authorization));
    if (!decision.allowed) {
      return {
        type: "AccessDeniedException",
        message: accessDeniedMessage(principal, authorization.action, authorization.resource, decision.kind),
        capitalMessage: true,
      };
    }
  }
  const keys = new Map<string, string>();
  for (const a of call.authorizations) if (a.touchesItems && a.table?.kmsKeyArn) keys.set(a.table.name, a.table.kmsKeyArn);
  for (const [tableName, keyArn] of keys) {
    const decision = iam.authorize(principal.functionName, kmsRequest(principal, tableName, keyArn));
    if (!decision.allowed) {
      return {
        type: "AccessDeniedException",
        message: `${KMS_ACCESS_DENIED_MESSAGE} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`,
        capitalMessage: true,
      };
    }
  }
  return undefined;
}

/** The request context of one DynamoDB authorization. */
function dynamoDbRequest(a: DynamoDbAuthorization) {
  const leading = a.leadingKeys;
  const context: Record<string, readonly string[]> = Array.isArray(leading) ? { "dynamodb:leadingkeys": leading } : {};
  return {
    action: a.action,
    resource: a.resource,
    context,
    // Known to be absent (Scan, DescribeTable) is modelled; keys that could not be read are not (fail closed).
    modelledKeys: new Set(leading === "unknown" ? [] : ["dynamodb:leadingkeys"]),
  };
}

/** The kms:Decrypt DynamoDB makes on the caller's behalf for a table encrypted with `keyArn`. */
function kmsRequest(principal: FunctionRole, tableName: string, keyArn: string) {
  return {
    action: "kms:Decrypt",
    resource: keyArn,
    context: {
      "kms:viaservice": [`dynamodb.${principal.region}.amazonaws.com`],
      "kms:calleraccount": [LOCAL_ARNS.account],
      "kms:encryptioncontext:aws:dynamodb:tablename": [tableName],
      "kms:encryptioncontext:aws:dynamodb:subscriberid": [LOCAL_ARNS.account],
      "kms:encryptioncontextkeys": ["aws:dynamodb:tableName", "aws:dynamodb:subscriberId"],
      "kms:encryptionalgorithm": ["SYMMETRIC_DEFAULT"],
    },
  };
}
