/**
 * Serves the web client (app/web/) for `npm start` and the browser test: the static files as they are, except
 * `config.js`, which is written on each request with the local API's URL, so the page talks to the running
 * stack. Listens on the loopback addresses only (127.0.0.1 and, when the machine has it, ::1), so that
 * `http://localhost:<port>`, the origin the dev config allows, reaches it whichever one a browser tries.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, resolve } from "node:path";

export const WEB_DIR = resolve(__dirname, "..", "..", "app", "web");
/** The dev config's allowed front-end origin is http://localhost:3000. */
export const DEFAULT_WEB_PORT = 3000;

const FILES: Readonly<Record<string, string>> = { "/": "index.html", "/index.html": "index.html", "/app.js": "app.js", "/style.css": "style.css" };
const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

export interface WebServerOptions {
  /** 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** The API's stage URL for config.js, read on each request (it may be known only after the server starts). */
  readonly apiUrl: () => string;
}

export interface WebServer {
  /** `http://localhost:<port>`: the origin to allow in `api.corsOrigins`. */
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The config.js of the local run: the same shape as app/web/config.js. */
export function configScript(apiUrl: string): string {
  return `window.APP_CONFIG = ${JSON.stringify({ apiUrl })};\n`;
}

function handle(options: WebServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  const headers = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { ...headers, Allow: "GET, HEAD" }).end();
    return;
  }
  if (path === "/config.js") {
    res.writeHead(200, { ...headers, "Content-Type": TYPES[".js"] }).end(configScript(options.apiUrl()));
    return;
  }
  const file = Object.prototype.hasOwnProperty.call(FILES, path) ? FILES[path] : undefined;
  if (!file) {
    res.writeHead(404, { ...headers, "Content-Type": "text/plain; charset=utf-8" }).end("Not found\n");
    return;
  }
  res.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] }).end(readFileSync(join(WEB_DIR, file)));
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolvePromise((server.address() as AddressInfo).port);
    });
  });
}

/** Starts serving app/web/; `close()` stops it. */
export async function serveWebClient(options: WebServerOptions): Promise<WebServer> {
  const servers = [createServer((req, res) => handle(options, req, res))];
  const port = await listen(servers[0], options.port ?? DEFAULT_WEB_PORT, "127.0.0.1");
  const ipv6 = createServer((req, res) => handle(options, req, res));
  try {
    await listen(ipv6, port, "::1");
    servers.push(ipv6);
  } catch {
    // No IPv6 loopback here (or the port is taken on it): browsers fall back to 127.0.0.1.
  }
  return {
    origin: `http://localhost:${port}`,
    port,
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolvePromise) => {
              server.close(() => resolvePromise());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
