/**
 * Fault injection for the local DynamoDB: an HTTP proxy between the functions and the engine that can refuse
 * connections, hang, slow every request down, or answer with a DynamoDB error (a throttle, an internal error),
 * for all operations or only some. The fault tests start the local stack with `faultInjection: true` and switch
 * faults at run time; with no fault set, requests pass through unchanged.
 *
 * - `refuse`: the proxy stops listening and drops its open connections, so new connections get ECONNREFUSED
 *   (what an unreachable endpoint gives); clearing the fault listens again on the same port.
 * - `hang`: requests are accepted and never answered (a stalled network or an overloaded endpoint); they are
 *   dropped when the fault is cleared.
 * - `slow`: each request waits `delayMs` before it is forwarded.
 * - `error`: each request is answered with `statusCode` and the AWS JSON error `type`, and not forwarded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { readBody, relay } from "./http-relay";

export type DynamoDbFault =
  | { readonly kind: "refuse" }
  | { readonly kind: "hang"; readonly operations?: readonly string[] }
  | { readonly kind: "slow"; readonly delayMs: number; readonly operations?: readonly string[] }
  | { readonly kind: "error"; readonly statusCode: number; readonly type: string; readonly operations?: readonly string[] };

export interface DynamoDbFaultInjector {
  /** http://127.0.0.1:<port>: the endpoint to give the functions. */
  readonly endpoint: string;
  /** Requests that reached the proxy, by operation (GetItem, PutItem, ...). */
  readonly requests: Readonly<Record<string, number>>;
  /** Sets the fault (replacing the one before); resolves once it is in force. */
  set(fault: DynamoDbFault): Promise<void>;
  /** Back to passing every request through. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

const listen = (server: Server, port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });

/** Starts the proxy in front of `upstream` (the engine's endpoint) on a free port. */
export async function startDynamoDbFaults(upstream: string): Promise<DynamoDbFaultInjector> {
  let fault: DynamoDbFault | undefined;
  const requests: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let closed = false;
  const upstreamUrl = new URL(upstream);

  const applies = (operation: string) =>
    fault !== undefined && (!("operations" in fault) || !fault.operations || fault.operations.includes(operation));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req);
    const operation = String(req.headers["x-amz-target"] ?? "").replace(/^DynamoDB_\d+\./, "");
    requests[operation] = (requests[operation] ?? 0) + 1;

    const current = applies(operation) ? fault : undefined;
    if (current?.kind === "hang" || current?.kind === "refuse") {
      hanging.add(res);
      res.on("close", () => hanging.delete(res));
      return;
    }
    if (current?.kind === "error") {
      res.writeHead(current.statusCode, { "content-type": "application/x-amz-json-1.0" });
      res.end(
        JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${current.type}`,
          message: `${current.type} (injected by the local fault proxy)`,
        }),
      );
      return;
    }
    if (current?.kind === "slow") await new Promise((resolve) => setTimeout(resolve, current.delayMs));

    try {
      await relay(upstreamUrl, req, body, res);
    } catch {
      res.destroy();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await listen(server, 0);
  const { port } = server.address() as AddressInfo;

  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  const dropHanging = () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
  };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    async set(next) {
      if (closed) throw new Error("The fault proxy is closed");
      fault = next;
      if (next.kind === "refuse") await stopListening();
      else if (!server.listening) await listen(server, port);
      if (next.kind !== "hang") dropHanging();
    },
    async clear() {
      if (closed) return;
      fault = undefined;
      dropHanging();
      if (!server.listening) await listen(server, port);
    },
    async close() {
      closed = true;
      dropHanging();
      await stopListening();
    },
  };
}
