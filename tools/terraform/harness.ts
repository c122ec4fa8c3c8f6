/**
 * Runs the real Terraform CLI against synthesized stacks without touching AWS or the Terraform registry:
 * - the AWS provider comes from a filesystem mirror named by TF_PROVIDER_MIRROR (no `direct` fallback);
 * - a `zz_offline_override.tf.json` next to each `cdk.tf.json` adds the provider's skip flags, and
 *   AWS_ENDPOINT_URL points every service of the AWS SDK at a local fake AWS that answers only STS
 *   GetCallerIdentity and records everything else;
 * - downstream stacks read stub state files (outputs only) written into the synth's temp state folder;
 * - child processes get fake credentials, no proxy and no AWS profile; the test process's env is untouched;
 * - the stacks of one run share one AWS provider process, which every plan attaches to (TF_REATTACH_PROVIDERS)
 *   instead of starting the ~700 MB provider two or three times itself (see startSharedProvider).
 */
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { FAKE_ACCOUNT_ID, FakeArns } from "../lib/fake-arns";
import { TerraformApp, type TerraformJson } from "../lib/terraform-json";

/** Names an offline provider mirror: `<dir>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/...`. */
export const PROVIDER_MIRROR_ENV = "TF_PROVIDER_MIRROR";
/** File name of the override the harness writes next to each stack's `cdk.tf.json`. */
export const OFFLINE_OVERRIDE_FILE = "zz_offline_override.tf.json";

const INSTALL_HINT = [
  "Terraform (>= 1.10) must be on PATH to run this test. Install it with one of:",
  "  - HashiCorp's apt repository (Debian/Ubuntu):",
  "      wget -O- https://apt.releases.hashicorp.com/gpg | sudo gpg --dearmor -o /usr/share/keyrings/hashicorp-archive-keyring.gpg",
  '      echo "deb [signed-by=/usr/share/keyrings/hashicorp-archive-keyring.gpg] https://apt.releases.hashicorp.com $(lsb_release -cs) main" | sudo tee /etc/apt/sources.list.d/hashicorp.list',
  "      sudo apt-get update && sudo apt-get install terraform",
  "  - the release zip: https://releases.hashicorp.com/terraform/1.11.4/terraform_1.11.4_linux_amd64.zip, unzipped into a folder on PATH",
].join("\n");

const MIRROR_HINT =
  `${PROVIDER_MIRROR_ENV} is not set, so terraform init tried to install the providers from the Terraform registry. ` +
  `On a machine without access to registry.terraform.io, set ${PROVIDER_MIRROR_ENV}=<dir> to use an offline mirror: ` +
  "a folder laid out as <dir>/registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/terraform-provider-aws_v<version>_x5 " +
  "(e.g. made with `terraform providers mirror <dir>` on a connected machine).";

/** What the harness found and prepared; pass it to every other function here. */
export interface TerraformContext {
  /** `terraform version -json` of the binary on PATH, e.g. "1.11.4". */
  readonly version: string;
  /** Absolute mirror folder, or undefined when TF_PROVIDER_MIRROR is unset (registry install). */
  readonly mirror?: string;
  /** The CLI config written for the mirror, or undefined without one. */
  readonly cliConfigFile?: string;
  /** Environment of every terraform child process. */
  readonly env: NodeJS.ProcessEnv;
  /** Deletes the harness's temp folder. */
  cleanup(): void;
}

/** Outcome of one terraform command. `code` is null when it was killed (timeout) and -1 when it did not start. */
export interface CommandResult {
  readonly command: string;
  readonly cwd: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** Extra advice appended to the failure report (e.g. how to use an offline mirror). */
  readonly hint?: string;
}

/**
 * Checks that `terraform` is on PATH and returns its version; throws with install instructions when it is not.
 * Synchronous so a test file can call it from `beforeAll` before starting anything else.
 */
export function requireTerraform(env: NodeJS.ProcessEnv = process.env): string {
  const probe = spawnSync("terraform", ["version", "-json"], { env: { ...env, CHECKPOINT_DISABLE: "1" }, encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    const code = (probe.error as NodeJS.ErrnoException | undefined)?.code;
    const why =
      code === "ENOENT"
        ? "terraform was not found on PATH"
        : `terraform could not be run (${probe.error ? probe.error.message : `exit ${probe.status}: ${probe.stderr.trim()}`})`;
    throw new Error(`${why}.\n${INSTALL_HINT}`);
  }
  return (JSON.parse(probe.stdout) as { terraform_version: string }).terraform_version;
}

/**
 * Prepares the terraform child environment: finds the binary, validates the mirror (from `mirror` or
 * TF_PROVIDER_MIRROR) and writes a CLI config that installs hashicorp/aws from it only.
 */
export function prepareTerraform(options: { mirror?: string } = {}): TerraformContext {
  const version = requireTerraform();
  const mirrorSetting = options.mirror ?? process.env[PROVIDER_MIRROR_ENV];
  const mirror = mirrorSetting ? resolve(mirrorSetting) : undefined;
  if (mirror) {
    const awsDir = join(mirror, "registry.terraform.io", "hashicorp", "aws");
    if (!existsSync(awsDir) || !statSync(awsDir).isDirectory() || readdirSync(awsDir).length === 0) {
      throw new Error(
        `${PROVIDER_MIRROR_ENV}=${mirrorSetting} holds no hashicorp/aws provider: expected ${awsDir}/<version>/<os>_<arch>/terraform-provider-aws_*`,
      );
    }
  }

  const workDir = mkdtempSync(join(tmpdir(), "tf-harness-"));
  let cliConfigFile: string | undefined;
  if (mirror) {
    cliConfigFile = join(workDir, "terraform.rc");
    // Unpacked mirror layout: init symlinks the provider into .terraform instead of copying ~700 MB per stack.
    writeFileSync(
      cliConfigFile,
      [
        "provider_installation {",
        "  filesystem_mirror {",
        `    path    = ${JSON.stringify(mirror)}`,
        '    include = ["registry.terraform.io/hashicorp/aws"]',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  }

  const env = childEnv(process.env, { cliConfigFile, workDir });
  return {
    version,
    mirror,
    cliConfigFile,
    env,
    cleanup: () => rmSync(workDir, { recursive: true, force: true }),
  };
}

/**
 * TF_* variables kept for the child; every other TF_* is dropped. The plugin cache ones let a CI runner without a
 * mirror (GitHub Actions, .github/workflows/test.yml) install the provider once and reuse it across runs.
 */
const KEPT_TF_VARIABLES = new Set([
  "TF_LOG",
  "TF_LOG_CORE",
  "TF_LOG_PROVIDER",
  "TF_LOG_PATH",
  "TF_PLUGIN_CACHE_DIR",
  "TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE",
]);
const PROXY_VARIABLES = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"];

function childEnv(parent: NodeJS.ProcessEnv, opts: { cliConfigFile?: string; workDir: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(parent)) {
    if (key.startsWith("AWS_") || PROXY_VARIABLES.includes(key)) continue;
    if (key.startsWith("TF_") && !KEPT_TF_VARIABLES.has(key) && !(key === "TF_CLI_CONFIG_FILE" && !opts.cliConfigFile)) continue;
    env[key] = value;
  }
  if (opts.cliConfigFile) env.TF_CLI_CONFIG_FILE = opts.cliConfigFile;
  // Terraform and the provider (which gets this environment too) spend a good part of each plan in Go's garbage
  // collector, decoding and building the provider's large schema. GOGC=400 (collect at 5x the live heap instead
  // of 2x) cut the CPU of planning the three prod stacks through the shared provider by a quarter (7.7 to 5.8
  // CPU-s, Terraform and provider together), for a provider of ~670 instead of ~380 MB; GOGC=off saved no more
  // and grew a plan to 2.4 GB. A GOGC of the caller's wins.
  env.GOGC ??= "400";
  Object.assign(env, {
    // Terraform's and the providers' temp files (plugin sockets) go into the harness folder, deleted by cleanup().
    TMPDIR: opts.workDir,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
    AWS_ACCESS_KEY_ID: "AKIAFAKEFAKEFAKEFAKE",
    AWS_SECRET_ACCESS_KEY: "fake",
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
    // No ~/.aws profile, SSO cache or credential_process can leak in.
    AWS_CONFIG_FILE: join(opts.workDir, "no-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(opts.workDir, "no-aws-credentials"),
  });
  return env;
}

/** Runs `terraform <args>` in `cwd` with the harness environment; never rejects, the result says what happened. */
export function runTerraform(
  ctx: TerraformContext,
  args: readonly string[],
  cwd: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  const command = `terraform ${args.join(" ")}`;
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn("terraform", args, { cwd, env: { ...ctx.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 5 * 60_000);
    const finish = (code: number | null, extra = "") => {
      clearTimeout(timer);
      resolvePromise({
        command,
        cwd,
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8") + extra,
        durationMs: Date.now() - started,
      });
    };
    child.on("error", (error) => finish(-1, `\n${error.message}\n${INSTALL_HINT}`));
    child.on("close", (code, signal) => finish(code, signal ? `\nkilled by ${signal} (timeout?)` : ""));
  });
}

/** "exit 0" for success, otherwise the command, its exit and its output: made to be the `received` of a toBe. */
export function outcome(result: CommandResult | undefined, skippedBecause = "an earlier step failed"): string {
  if (!result) return `not run: ${skippedBecause}`;
  if (result.code === 0) return "exit 0";
  return [
    `${result.command} (in ${result.cwd}) exited ${result.code} after ${result.durationMs} ms`,
    result.hint ?? "",
    result.stderr.trim(),
    readableOutput(result.stdout).trim(),
  ]
    .filter(Boolean)
    .join("\n");
}

/** A command's stdout, with the JSON UI messages of `-json` commands reduced to their human-readable `@message`. */
function readableOutput(stdout: string): string {
  return stdout
    .split("\n")
    .map((line) => {
      if (!line.startsWith("{")) return line;
      try {
        const message = JSON.parse(line) as { "@message"?: string; diagnostic?: { detail?: string } };
        return [message["@message"], message.diagnostic?.detail].filter(Boolean).join("\n");
      } catch {
        return line;
      }
    })
    .join("\n");
}

// ---------------------------------------------------------------------------------------------- fake AWS

/** One request the fake AWS received. */
export interface FakeAwsCall {
  readonly method: string;
  readonly path: string;
  /** Query-protocol `Action` (STS, IAM) or the JSON-protocol `X-Amz-Target` header; "" when neither. */
  readonly action: string;
  readonly host: string;
}

/** A local HTTP server standing in for every AWS endpoint of one terraform run. */
export interface FakeAws {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly calls: readonly FakeAwsCall[];
  /** Calls other than STS GetCallerIdentity: each was answered with an error. */
  unexpectedCalls(): FakeAwsCall[];
  close(): Promise<void>;
}

/**
 * Starts the fake AWS on 127.0.0.1 and a random port. It answers STS GetCallerIdentity for FAKE_ACCOUNT_ID and
 * fails every other request with HTTP 400 `UnexpectedCall`, so a plan that needs any other AWS call fails and
 * the call is on record.
 */
export async function startFakeAws(): Promise<FakeAws> {
  const calls: FakeAwsCall[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const action = new URLSearchParams(body).get("Action") ?? url.searchParams.get("Action") ?? String(req.headers["x-amz-target"] ?? "");
      calls.push({ method: req.method ?? "", path: url.pathname, action, host: String(req.headers.host ?? "") });
      if (req.method === "POST" && action === "GetCallerIdentity") {
        res.writeHead(200, { "Content-Type": "text/xml" });
        res.end(getCallerIdentityXml());
        return;
      }
      res.writeHead(400, { "Content-Type": "text/xml" });
      res.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>UnexpectedCall</Code>` +
          `<Message>the offline test's fake AWS only answers sts:GetCallerIdentity; received ${escapeXml(action || `${req.method} ${req.url}`)}</Message>` +
          `</Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      );
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    unexpectedCalls: () => calls.filter((c) => !(c.method === "POST" && c.action === "GetCallerIdentity")),
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

function getCallerIdentityXml(): string {
  return [
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">',
    "  <GetCallerIdentityResult>",
    `    <Arn>arn:aws:iam::${FAKE_ACCOUNT_ID}:user/offline-test</Arn>`,
    "    <UserId>AIDAOFFLINETESTFAKE00</UserId>",
    `    <Account>${FAKE_ACCOUNT_ID}</Account>`,
    "  </GetCallerIdentityResult>",
    `  <ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>`,
    "</GetCallerIdentityResponse>",
  ].join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Writes `zz_offline_override.tf.json` into `stackDir`: the provider's skip flags. Terraform merges
 * `*_override.tf.json` into the stack's `provider "aws"` block, so the synthesized `cdk.tf.json` stays exactly
 * what cdktf produced. The endpoints are not set here but with AWS_ENDPOINT_URL (offlineAwsEnv), which sends
 * every service to the fake: an `endpoints` block costs the provider ~2 CPU-s per plan to process (measured:
 * 2.5 CPU-s per plan with eleven endpoints in it, 0.45 with the variable) and covers only the services it names.
 */
export function writeOfflineOverride(stackDir: string): string {
  const file = join(stackDir, OFFLINE_OVERRIDE_FILE);
  const provider = {
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
  };
  writeFileSync(file, `${JSON.stringify({ provider: { aws: [provider] } }, null, 2)}\n`);
  return file;
}

// ------------------------------------------------------------------------------------------- stub state

/** One `data.terraform_remote_state` of a consumer stack and the producer whose state it reads. */
export interface RemoteStateRead {
  readonly consumer: string;
  readonly dataSource: string;
  readonly backend: string;
  readonly path: string;
  /** The stack whose state it reads; "" when it names none of the app's stacks. */
  readonly producer: string;
}

/** Every `terraform_remote_state` read of every stack, with the producer it reads (as TerraformApp.producerOf names it). */
export function remoteStateReads(json: Readonly<Record<string, TerraformJson>>): RemoteStateRead[] {
  const app = new TerraformApp(json, Object.keys(json));
  return app.stackIds.flatMap((consumer) =>
    app
      .blocksOf(consumer, "data")
      .filter((block) => block.type === "terraform_remote_state")
      .map((block) => {
        const path = String((block.config.config as { path?: unknown } | undefined)?.path ?? "");
        return { consumer, dataSource: block.name, backend: String(block.config.backend), path, producer: app.producerOf(block) ?? "" };
      }),
  );
}

/** True when `path` is strictly inside `dir` (both resolved). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

/**
 * Writes, for every producer a consumer reads, a version-4 state file holding only `outputs`: every output the
 * producer declares, with a plausible fake value and cdktf's sensitivity. Refuses (throws) a path outside
 * `stateDir`, so a test can never overwrite real state. Returns the files written.
 */
export function writeStubStates(json: Readonly<Record<string, TerraformJson>>, stateDir: string, terraformVersion: string): string[] {
  const app = new TerraformApp(json, Object.keys(json));
  const written = new Map<string, string>();
  for (const read of remoteStateReads(json)) {
    if (read.backend !== "local")
      throw new Error(`${read.consumer}: ${read.dataSource} uses the ${read.backend} backend; only local state can be stubbed`);
    if (!isInside(stateDir, read.path)) {
      throw new Error(
        `${read.consumer}: ${read.dataSource} reads ${read.path}, outside the test's state folder ${stateDir}; refusing to write there`,
      );
    }
    if (!json[read.producer]) {
      const stacks = Object.keys(json).join(", ");
      throw new Error(`${read.consumer}: ${read.dataSource} reads ${read.path}, the state of none of the synthesized stacks (${stacks})`);
    }
    if (written.has(read.path)) continue;
    mkdirSync(dirname(read.path), { recursive: true });
    writeFileSync(read.path, `${JSON.stringify(stubState(app, read.producer, terraformVersion), null, 2)}\n`);
    written.set(read.path, read.producer);
  }
  return [...written.keys()];
}

/** The stub state's made-up values: of the shape the AWS provider accepts, never an error. */
const STUB_ARNS = new FakeArns("plausible");

/**
 * A state with no resources and the producer's outputs, as Terraform writes one (format version 4). Each output's
 * value is evaluated by TerraformApp.evaluate with plausible made-up values: a literal stays, a name is the
 * producer's name for the resource, an ARN has the resource's ARN format in FAKE_ACCOUNT_ID.
 */
export function stubState(app: TerraformApp, producer: string, terraformVersion: string): object {
  const outputs = Object.fromEntries(
    Object.entries(app.json[producer].output ?? {}).map(([name, output]) => {
      const value = app.evaluate(producer, output.value, { arns: STUB_ARNS });
      return [name, { value, type: ctyType(value), ...(output.sensitive ? { sensitive: true } : {}) }];
    }),
  );
  return {
    version: 4,
    terraform_version: terraformVersion,
    serial: 1,
    lineage: randomUUID(),
    outputs,
    resources: [],
    check_results: null,
  };
}

/** Terraform's JSON encoding of a value's type, as a state file's `outputs.<name>.type` holds it. */
export function ctyType(value: unknown): unknown {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  if (Array.isArray(value)) return ["tuple", value.map(ctyType)];
  if (value && typeof value === "object") {
    return ["object", Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ctyType(v)]))];
  }
  return "dynamic";
}

// ------------------------------------------------------------------------------------------------ a stack

/** The commands run for one stack, in order; a step after a failed one is left undefined. */
export interface StackCheck {
  readonly stackId: string;
  readonly dir: string;
  readonly init?: CommandResult;
  /** `terraform plan -json`: Terraform validates the configuration first (as `terraform validate` does), then plans. */
  readonly plan?: CommandResult;
  /** The plan's machine-readable output, when it ran; `diagnostics` holds validation's findings too. */
  readonly planJson?: PlanJson;
  /** Every request the plan's fake AWS received. */
  readonly awsCalls: readonly FakeAwsCall[];
}

/** One warning or error Terraform reported, from validation or planning. */
export interface PlanDiagnostic {
  readonly severity: "error" | "warning";
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
}

/** What the tests read of a plan: its resource changes (the shape `terraform show -json` gives them) and diagnostics. */
export interface PlanJson {
  readonly resource_changes?: ReadonlyArray<{
    readonly address: string;
    readonly mode: "managed" | "data";
    readonly type: string;
    readonly change: { readonly actions: readonly string[] };
  }>;
  readonly diagnostics?: readonly PlanDiagnostic[];
}

/** The JSON UI's one-word change actions as the plan format's action lists; a replacement is a delete and a create. */
const JSON_UI_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  noop: ["no-op"],
  create: ["create"],
  read: ["read"],
  update: ["update"],
  replace: ["delete", "create"],
  delete: ["delete"],
  remove: ["forget"],
  move: ["no-op"],
  import: ["no-op"],
};

/**
 * Reads `terraform plan -json`'s output, Terraform's machine-readable UI (one JSON message per line,
 * https://developer.hashicorp.com/terraform/internals/machine-readable-ui): `planned_change` messages become
 * resource changes, `diagnostic` messages diagnostics. Throws on an action it does not know, so a new one is noticed.
 */
export function planFromJsonUi(stdout: string): PlanJson {
  const changes: Array<NonNullable<PlanJson["resource_changes"]>[number]> = [];
  const diagnostics: PlanDiagnostic[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line) as {
      type?: string;
      change?: { resource: { addr: string; resource: string; resource_type: string }; action: string };
      diagnostic?: PlanDiagnostic;
    };
    if (message.type === "planned_change" && message.change) {
      const { resource, action } = message.change;
      const actions = JSON_UI_ACTIONS[action];
      if (!actions) throw new Error(`terraform plan -json: unknown action "${action}" for ${resource.addr}`);
      // `resource` is the address within its module: `data.<type>.<name>` for a data source.
      const mode = resource.resource.startsWith("data.") ? "data" : "managed";
      changes.push({ address: resource.addr, mode, type: resource.resource_type, change: { actions } });
    }
    if (message.type === "diagnostic" && message.diagnostic) {
      const { severity, summary, detail, address } = message.diagnostic;
      diagnostics.push({ severity, summary, ...(detail ? { detail } : {}), ...(address ? { address } : {}) });
    }
  }
  return { resource_changes: changes, diagnostics };
}

/** An AWS provider process that terraform commands attach to instead of starting their own. */
export interface SharedProvider {
  /** The TF_REATTACH_PROVIDERS value naming it. */
  readonly reattach: string;
  /** Runs `fn` once nothing else uses the provider: a provider holds one configuration, the last plan's. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The AWS provider binary `terraform init` installed (linked from the mirror, or unpacked) into a stack folder. */
export function installedAwsProvider(stackDir: string): string {
  const root = join(stackDir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws");
  for (const version of existsSync(root) ? readdirSync(root) : []) {
    for (const platform of readdirSync(join(root, version))) {
      const binary = readdirSync(join(root, version, platform)).find((f) => f.startsWith("terraform-provider-aws"));
      if (binary) return join(root, version, platform, binary);
    }
  }
  throw new Error(`no AWS provider under ${root}: run terraform init first`);
}

/**
 * Starts the AWS provider in its debug mode, which serves until it is stopped and prints the
 * TF_REATTACH_PROVIDERS value that makes Terraform use it (Terraform's documented way to attach to a running
 * provider). Each terraform command otherwise starts the provider two or three times, and each start-up
 * builds and sends its schema again (~1 CPU-s a plan). The provider gets the harness environment plus `env`, as
 * a provider Terraform starts would get Terraform's; each plan configures it anew, so commands must not overlap
 * (`exclusive`).
 */
export async function startSharedProvider(
  ctx: TerraformContext,
  binary: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<SharedProvider> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(binary, ["-debug"], { env: { ...ctx.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
  const stop = () => child.kill("SIGKILL");
  process.once("exit", stop);
  let output = "";
  const exited = new Promise<void>((resolvePromise) => child.once("close", () => resolvePromise()));
  const reattach = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => fail("it printed no TF_REATTACH_PROVIDERS in time"), timeoutMs);
    function fail(why: string) {
      clearTimeout(timer);
      stop();
      reject(new Error(`the AWS provider (${binary} -debug) did not start: ${why}\n${output.slice(-4000)}`));
    }
    const read = (chunk: Buffer) => {
      if (output.length < 64_000) output += chunk.toString("utf8");
      const found = /TF_REATTACH_PROVIDERS='(\{.*\})'/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolvePromise(found[1]);
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    child.once("error", (error) => fail(error.message));
    child.once("close", (code, signal) => fail(`it exited (${signal ?? code})`));
  });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    reattach,
    exclusive<T>(fn: () => Promise<T>): Promise<T> {
      const run = queue.then(fn, fn);
      queue = run.catch(() => undefined);
      return run;
    },
    close: async () => {
      process.removeListener("exit", stop);
      // SIGINT: the provider's debug mode then removes its socket; on SIGTERM it leaves it behind.
      child.kill("SIGINT");
      const killer = setTimeout(stop, 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** A stack to check: its id and the folder of its `cdk.tf.json`. */
export interface StackToCheck {
  readonly stackId: string;
  readonly dir: string;
}

/**
 * The environment that sends every AWS call of a provider (or of Terraform's own S3 backend) to `aws`: the AWS
 * SDKs' global endpoint variable, which the provider honours for every service it has no `endpoints` entry for.
 */
export function offlineAwsEnv(aws: FakeAws): NodeJS.ProcessEnv {
  return { AWS_ENDPOINT_URL: aws.endpoint };
}

/**
 * init and `plan -json` of each stack. The inits run in parallel; then one shared provider, started from the
 * first stack's install, serves the plans one after another, and one fake AWS answers them: a call is the
 * stack's whose plan was running when it came. Stub states must already be written. Returns the checks in the
 * order given.
 */
export async function checkStacks(ctx: TerraformContext, stacks: readonly StackToCheck[]): Promise<StackCheck[]> {
  const aws = await startFakeAws();
  const env = offlineAwsEnv(aws);
  let provider: SharedProvider | undefined;
  try {
    const inits = await Promise.all(
      stacks.map(async ({ dir }) => {
        writeOfflineOverride(dir);
        const init = await runTerraform(ctx, ["init", "-input=false", "-no-color"], dir);
        return init.code !== 0 && !ctx.mirror ? { ...init, hint: MIRROR_HINT } : init;
      }),
    );
    const firstInstalled = stacks.find((_, index) => inits[index].code === 0);
    if (firstInstalled) provider = await startSharedProvider(ctx, installedAwsProvider(firstInstalled.dir), { env });
    const checks: StackCheck[] = [];
    for (const [index, { stackId, dir }] of stacks.entries()) {
      const init = inits[index];
      if (init.code !== 0 || !provider) {
        checks.push({ stackId, dir, init, awsCalls: [] });
        continue;
      }
      const shared = provider;
      const { plan, awsCalls } = await shared.exclusive(async () => {
        const before = aws.calls.length;
        const result = await runTerraform(ctx, ["plan", "-json", "-input=false", "-no-color", "-lock-timeout=60s"], dir, {
          env: { ...env, TF_REATTACH_PROVIDERS: shared.reattach },
        });
        return { plan: result, awsCalls: aws.calls.slice(before) };
      });
      checks.push({ stackId, dir, init, plan, planJson: planFromJsonUi(plan.stdout), awsCalls });
    }
    return checks;
  } finally {
    await provider?.close();
    await aws.close();
  }
}

/** checkStacks() for a single stack. */
export async function checkStack(ctx: TerraformContext, stackId: string, dir: string): Promise<StackCheck> {
  const [check] = await checkStacks(ctx, [{ stackId, dir }]);
  return check;
}

/** A plan's errors and warnings as one line each, e.g. `warning: Argument is deprecated (aws_s3_bucket.x)`. */
export function diagnosticLines(check: StackCheck | undefined): string[] {
  return (check?.planJson?.diagnostics ?? []).map((d) => `${d.severity}: ${d.summary}${d.address ? ` (${d.address})` : ""}`);
}
/** What a plan does to managed resources: counts of creates by type, and every address it would touch otherwise. */
export interface PlanSummary {
  readonly creates: Readonly<Record<string, number>>;
  readonly createdAddresses: readonly string[];
  /** Deletes, including the delete half of a replacement. */
  readonly deletes: readonly string[];
  readonly updates: readonly string[];
}

export function summarizePlan(plan: PlanJson): PlanSummary {
  const creates: Record<string, number> = {};
  const createdAddresses: string[] = [];
  const deletes: string[] = [];
  const updates: string[] = [];
  for (const change of plan.resource_changes ?? []) {
    if (change.mode !== "managed") continue;
    const actions = change.change.actions;
    if (actions.includes("delete")) deletes.push(change.address);
    if (actions.includes("update")) updates.push(change.address);
    if (actions.length === 1 && actions[0] === "create") {
      creates[change.type] = (creates[change.type] ?? 0) + 1;
      createdAddresses.push(change.address);
    }
  }
  return { creates, createdAddresses: createdAddresses.sort(), deletes, updates };
}

/**
 * For a stack planned into an empty account: the plan creates exactly the resources the synthesized JSON
 * declares, deletes nothing, and calls no AWS API but `allowedAwsActions` (e.g. STS's GetCallerIdentity).
 */
export function expectPlanCreatesExactlyTheDeclared(
  check: StackCheck | undefined,
  json: TerraformJson,
  allowedAwsActions: readonly string[] = [],
): void {
  const declared = Object.entries(json.resource ?? {}).flatMap(([type, blocks]) => Object.keys(blocks).map((id) => `${type}.${id}`));
  expect(outcome(check?.plan)).toBe("exit 0");
  const plan = summarizePlan(check!.planJson!);
  expect(plan.createdAddresses).toEqual(declared.sort());
  expect(plan.deletes).toEqual([]);
  expect(check?.awsCalls.filter((c) => !allowedAwsActions.includes(c.action))).toEqual([]);
}
