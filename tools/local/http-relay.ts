/**
 * The two proxies in front of the local DynamoDB (the IAM check, iam/dynamodb-proxy.ts, and the fault layer of
 * the fault tests, dynamodb-faults.ts) read a request whole, then relay it to the next hop unchanged.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";

/** The whole body of a request. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Sends `req` (with its already-read `body`) to `target` and streams the answer back into `res`. Rejects when
 * the next hop cannot be reached or fails mid-answer; the caller decides what the client sees then.
 */
export function relay(target: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, "content-length": String(body.length) },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => resolve());
        answer.on("error", reject);
      },
    );
    upstream.on("error", reject);
    upstream.end(body);
  });
}
