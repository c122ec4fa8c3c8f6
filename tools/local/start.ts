/**
 * `npm start`: runs the app locally, without AWS, from its synthesized stacks (see stack.ts).
 *
 *   npm start -- [--env <name>] [--port <n>] [--host <address>] [--data-dir <dir>] [--fresh] [--max-concurrency <n>] [--web-port <n>] [--no-web] [--watch]
 *
 * The environment is --env, else APP_ENV, else `dev`: dev is the config made for development (its CORS origin is
 * a local front-end on http://localhost:3000, its authorizer cache is off so a log-out takes effect at once, its
 * logs are at DEBUG), and honouring APP_ENV keeps one switch for the whole repository, so `APP_ENV=prod npm
 * start` runs what prod would deploy. The default port is 4000, since 3000 is that front-end's origin: the web
 * client (app/web/) is served there, on http://localhost:3000 (--web-port to move it, --no-web to leave it out).
 * With --watch, an edit under app/ is applied while it serves (watch.ts, reload.ts), one log line per reload.
 */
import { isAbsolute, relative } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../../app/config/load";
import { DataFolderLockedError } from "./data-lock";
import { DEFAULT_MAX_CONCURRENCY } from "./functions";
import { localDataDirs } from "./package-and-synthesize";
import { watchLocalStack } from "./watch";
import { DEFAULT_WEB_PORT, serveWebClient, type WebServer } from "./web-server";
import { DEFAULT_DATA_DIR, DEFAULT_LOCAL_ENVIRONMENT, LOCAL_METRICS_PATH, startLocalStack, type LocalStack } from "./stack";

const USAGE =
  "Usage: npm start -- [--env <name>] [--port <n>] [--host <address>] [--data-dir <dir>] [--fresh] [--max-concurrency <n>] [--web-port <n>] [--no-web] [--watch]\n" +
  "  --watch  reload on every edit under app/: a handler or shared module rebuilds the functions that bundle it, config,\n" +
  "           stacks or constructs re-synthesize and restart what changed; tables and their data are kept";
export const DEFAULT_PORT = 4000;

function table(rows: readonly string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
}

function webLines(stack: LocalStack, web: WebServer | undefined): string[] {
  if (!web) return [];
  const lines = [`  Web       ${web.origin}  (the web client, app/web/, calling ${stack.baseUrl})`];
  if (!stack.corsOrigins.includes(web.origin)) {
    lines.push(`  warning: api.corsOrigins of "${stack.environment}" does not allow ${web.origin}: the browser will refuse the page's requests`);
  }
  return lines;
}

function banner(stack: LocalStack, dataDir: string, maxConcurrency: number, web: WebServer | undefined, watching: boolean): string[] {
  const dirs = localDataDirs(dataDir, stack.environment);
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  };
  const routes = table([["METHOD", "PATH", "AUTH", "FUNCTION"], ...stack.routes.map((r) => [r.method, r.path, r.auth, r.target])]);
  return [
    `Local stack "${stack.environment}", started from the synthesized stacks in ${shown(dirs.synth)}`,
    `  API       ${stack.baseUrl}`,
    `  DynamoDB  ${stack.dynamoDbEndpoint}  (tables ${Object.values(stack.tables).join(", ")}; data in ${shown(dirs.dynamodb)})`,
    `  Outputs   ${shown(dirs.outputs)}`,
    `  Workers   up to ${maxConcurrency} per function (--max-concurrency); more concurrent requests wait in a queue`,
    ...webLines(stack, web),
    "",
    ...routes.map((line) => `  ${line}`),
    "",
    `Try: curl ${stack.baseUrl}/health`,
    `Metrics the functions wrote (EMF): curl ${new URL(stack.baseUrl).origin}${LOCAL_METRICS_PATH}`,
    ...(watching ? ["Watching app/ (--watch): each edit is applied while the stack serves, one [watch] line per reload."] : []),
    "Ctrl-C stops.",
    "",
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      env: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      fresh: { type: "boolean", default: false },
      "max-concurrency": { type: "string" },
      "web-port": { type: "string" },
      "no-web": { type: "boolean", default: false },
      watch: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number (0-65535), received "${values.port}"\n${USAGE}`);
    return 2;
  }
  const maxConcurrency = values["max-concurrency"] === undefined ? DEFAULT_MAX_CONCURRENCY : Number(values["max-concurrency"]);
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 1000) {
    console.error(`--max-concurrency must be a whole number from 1 to 1000, received "${values["max-concurrency"]}"\n${USAGE}`);
    return 2;
  }
  const webPort = values["web-port"] === undefined ? DEFAULT_WEB_PORT : Number(values["web-port"]);
  if (!Number.isInteger(webPort) || webPort < 0 || webPort > 65535) {
    console.error(`--web-port must be a port number (0-65535), received "${values["web-port"]}"\n${USAGE}`);
    return 2;
  }
  const environment = values.env ?? process.env.APP_ENV ?? DEFAULT_LOCAL_ENVIRONMENT;
  const dataDir = values["data-dir"] ?? DEFAULT_DATA_DIR;

  console.log(`Packaging the functions and synthesizing "${environment}"...`);
  const starting = startLocalStack({
    environment,
    port,
    host: values.host,
    dataDir,
    fresh: values.fresh,
    maxConcurrency,
    log: (line) => console.log(line),
  });
  // Watching from before the packaging and the synthesis: an edit saved while the stack starts is reloaded once it serves.
  const watcher = values.watch ? watchLocalStack(starting, { log: (line) => console.log(line) }) : undefined;
  let stack: LocalStack;
  try {
    stack = await starting;
  } catch (error) {
    watcher?.close();
    throw error;
  }
  let web: WebServer | undefined;
  if (!values["no-web"]) {
    try {
      web = await serveWebClient({ port: webPort, apiUrl: () => stack.baseUrl });
    } catch (error) {
      watcher?.close();
      await stack.stop();
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        console.error(
          `Port ${webPort} of the web client is in use: pass --web-port <n> (and allow http://localhost:<n> in api.corsOrigins) or --no-web`,
        );
        return 1;
      }
      throw error;
    }
  }
  console.log(banner(stack, dataDir, maxConcurrency, web, values.watch).join("\n"));

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      console.log(`\n${signal}: stopping the local stack...`);
      watcher?.close();
      console.log(["Metrics the functions wrote (EMF):", ...stack.metricLines()].join("\n"));
      process.once(signal as NodeJS.Signals, () => process.exit(130));
      void Promise.all([web?.close(), stack.stop()]).then(() => resolve());
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });
  console.log("Stopped.");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof DataFolderLockedError) console.error(error.message);
    else if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      console.error(`${(error as Error).message}: the port is in use; pass --port <n> (0 picks a free one)`);
    else if ((error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") console.error(`${(error as Error).message}\n${USAGE}`);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
