/**
 * What the running local stack does with an edit of the sources (`npm start -- --watch`, watch.ts), decided from
 * what each part was built from, never from a list of paths:
 * - a file a package bundles (the `inputs` its manifest records from esbuild's metafile) rebuilds those packages
 *   only, and the functions whose ZIP changed get the new code (LocalFunction.update: an invocation in flight
 *   finishes on the old code);
 * - a file the synthesis read (the app modules it loaded, app-modules.ts, and the environment's config file)
 *   re-synthesizes the app in this process, then applies what differs: new tables are created, the IAM policies
 *   reloaded, the gateway serves the new API (throttle buckets and authorizer caches of unchanged settings kept),
 *   and each function whose code, environment or settings changed restarts; the tables and their data stay;
 * - any other file changes nothing the local stack runs.
 * A build that fails, a config that does not validate, a synthesis that throws, or a change the running stack
 * cannot take (another set of functions, the stage name, a table's keys) leaves the stack as it was and says why.
 */
import { createHash } from "node:crypto";
import { readFileSync, renameSync, rmSync } from "node:fs";
import { join, sep } from "node:path";
import type { AppConfig } from "../../app/config/schema";
import { CONFIG_DIR } from "../../app/config/load";
import { DIST_DIR, LAMBDA_PACKAGES_DIR, readLambdaManifest, REPO_ROOT } from "../../app/lambda-packages/artifacts";
import { buildPackage, listFunctions } from "../../app/lambda-packages/build";
import type { ApiGateway } from "./api-gateway";
import { freshAppModules, loadedAppModules, type FreshAppModules } from "./app-modules";
import { ensureTables, tableDefinitions } from "./dynamodb";
import { checkTimeoutsFit, functionDefinitions, type FunctionDefinition, type LocalFunction } from "./functions";
import type { LocalIam } from "./iam/local-iam";
import type { localDataDirs } from "./package-and-synthesize";
import { checkRouteTargets, restApiChanges, restApiModel } from "./rest-api";
import type { LocalStackOptions } from "./stack";
import { SynthesizedApp } from "./synthesized";

/** The parts of a started local stack that a reload reads and replaces (stack.ts builds it). */
export interface RunningStack {
  readonly environment: string;
  readonly dirs: ReturnType<typeof localDataDirs>;
  readonly options: LocalStackOptions;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly gateway: ApiGateway;
  readonly iam: LocalIam;
  /** dynalite itself, for creating tables (the functions' endpoint is the IAM proxy in front of it). */
  readonly engineEndpoint: string;
  readonly invokeUrl: string;
  app: SynthesizedApp;
  config: AppConfig;
  outputs: Record<string, Record<string, unknown>>;
  /** Resolves the outputs of `app` and writes them to the outputs file. */
  writeOutputs(): void;
}

/** What a reload did: nothing (no part is built from the files), the parts it reloaded, or why it reloaded nothing. */
export type ReloadOutcome =
  | { readonly status: "unused" }
  | { readonly status: "reloaded"; readonly summary: string }
  | { readonly status: "failed"; readonly summary: string; readonly error: string };

/** A failure that leaves the stack as it was: `summary` says which step, `message` what is wrong. */
class ReloadRefused extends Error {
  constructor(
    readonly summary: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The fields of a definition a restart is named by ("environment", "memorySize", ...). The ZIP's path is left out:
 * each synthesis copies the package to a new asset path, so the code is compared by content ("code").
 */
function changedFields(before: FunctionDefinition, after: FunctionDefinition): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])] as Array<keyof FunctionDefinition>;
  return keys.filter((key) => key !== "zipPath" && JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

const sha256Of = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const list = (names: readonly string[]) => names.join(", ");

/** Message of an error for the developer: the message, and for an unexpected error the first line of the repository's own code. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const userError = ["ConfigError", "LambdaArtifactError"].includes(error.name) || /^(Build failed|Transform failed)/.test(error.message);
  const frame = (error.stack ?? "").split("\n").find((line) => line.includes(`${REPO_ROOT}${sep}`) && !line.includes(`${sep}node_modules${sep}`));
  return userError || !frame ? error.message : `${error.message}\n${frame.trim().replace(`${REPO_ROOT}${sep}`, "")}`;
}

/** Applies edits to one running stack, one at a time. */
export class StackReloader {
  /** Files the last successful synthesis read: the app modules it loaded and the config file. */
  private synthInputs: Set<string>;
  /** Packages whose last build failed: any edit under app/lambda-packages/ builds them again. */
  private readonly failedBuilds = new Set<string>();
  /** The package each function runs, by function name. */
  private packageOf: ReadonlyMap<string, string>;
  /** The package build of the last synthesis (the modules loaded at start, until a re-synthesis loads them anew). */
  private build: FreshAppModules["build"] = { buildPackage, listFunctions };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly stack: RunningStack) {
    this.synthInputs = new Set([...loadedAppModules(), this.configFile()]);
    this.packageOf = this.packagesRun();
  }

  /**
   * Which package each function runs, by content: right after a synthesis, the asset a function deploys is a copy
   * of its package's ZIP, the one its manifest names. A function that runs no package of app/lambda-packages/
   * is left out (an edit never swaps its code).
   */
  private packagesRun(): Map<string, string> {
    const bySha = new Map(
      this.build.listFunctions().flatMap((name) => {
        const manifest = readLambdaManifest(name);
        return manifest ? [[manifest.zipSha256, name] as const] : [];
      }),
    );
    return new Map(
      [...this.stack.functions].flatMap(([functionName, fn]) => {
        const name = bySha.get(fn.codeSha256);
        return name ? [[functionName, name] as const] : [];
      }),
    );
  }

  /** Reloads what `changed` (absolute paths) affects; see the file comment. */
  reload(changed: readonly string[]): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.reloadNow(changed));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private configFile(): string {
    return join(CONFIG_DIR, `${this.stack.environment}.json`);
  }

  private async reloadNow(changed: readonly string[]): Promise<ReloadOutcome> {
    try {
      if (changed.some((path) => this.synthInputs.has(path))) return { status: "reloaded", summary: await this.resynthesize() };
      const packages = this.packagesBundling(changed);
      if (packages.length > 0) return { status: "reloaded", summary: await this.rebuild(packages) };
      return { status: "unused" };
    } catch (error) {
      if (error instanceof ReloadRefused) return { status: "failed", summary: error.summary, error: error.message };
      return { status: "failed", summary: "the reload failed", error: describeError(error) };
    }
  }

  /** Packages whose bundle holds one of the files (from their manifests), and those whose last build failed. */
  private packagesBundling(changed: readonly string[]): string[] {
    const underPackages = changed.some((path) => path.startsWith(`${LAMBDA_PACKAGES_DIR}${sep}`));
    return this.build.listFunctions().filter((name) => {
      const manifest = readLambdaManifest(name);
      if (!manifest || this.failedBuilds.has(name)) return underPackages;
      const inputs = new Set(manifest.inputs.map((input) => join(LAMBDA_PACKAGES_DIR, input)));
      return changed.some((path) => inputs.has(path));
    });
  }

  /** Builds `packages`; if they all build, every function whose ZIP differs from the code it runs gets the new one. */
  private async rebuild(packages: readonly string[]): Promise<string> {
    const results = await Promise.allSettled(packages.map((name) => this.build.buildPackage(name)));
    const failed = packages.filter((_, i) => results[i].status === "rejected");
    for (const name of packages) {
      if (failed.includes(name)) this.failedBuilds.add(name);
      else this.failedBuilds.delete(name);
    }
    if (failed.length > 0) {
      const errors = results.flatMap((r) => (r.status === "rejected" ? [describeError(r.reason)] : []));
      throw new ReloadRefused(`the build of ${list(failed)} failed`, errors.join("\n"));
    }
    const others = this.build.listFunctions().filter((name) => !packages.includes(name));
    const swapped = await this.swapChangedCode();
    return [
      `rebuilt ${list(packages)}${others.length > 0 ? ` (not ${list(others)}: ${others.length === 1 ? "it does" : "they do"} not bundle it)` : ""}`,
      swapped.length > 0 ? `new code in ${list(swapped)}` : "same code, nothing restarted",
    ].join("; ");
  }

  /** Gives every function whose package's ZIP differs from the code it runs the new ZIP; their names. */
  private async swapChangedCode(): Promise<string[]> {
    const swapped: string[] = [];
    await Promise.all(
      [...this.packageOf].map(async ([functionName, name]) => {
        const fn = this.stack.functions.get(functionName)!;
        const zipPath = join(DIST_DIR, `${name}.zip`);
        if (sha256Of(zipPath) === fn.codeSha256) return;
        await fn.update({ ...fn.definition, zipPath });
        swapped.push(functionName);
      }),
    );
    return swapped.sort();
  }

  /** Re-synthesizes with fresh modules and applies what differs from the running stack. */
  private async resynthesize(): Promise<string> {
    const { stack } = this;
    const staging = `${stack.dirs.synth}.next`;
    let config: AppConfig;
    let fresh: FreshAppModules;
    try {
      fresh = freshAppModules();
      config = await fresh.packageAndSynthesize({
        environment: stack.environment,
        configOverride: stack.options.configOverride,
        outdir: staging,
        stateDir: stack.dirs.state,
        buildPackages: true,
      });
    } catch (error) {
      // A module that failed to load still counts, so that the edit fixing it re-synthesizes.
      for (const path of loadedAppModules()) this.synthInputs.add(path);
      rmSync(staging, { recursive: true, force: true });
      const name = error instanceof Error ? error.name : "";
      const summary =
        name === "ConfigError"
          ? "the config does not validate"
          : /^Build failed/.test(String((error as Error)?.message))
            ? "a package failed to build"
            : "the synthesis failed";
      throw new ReloadRefused(summary, describeError(error));
    }
    this.synthInputs = new Set([...loadedAppModules(), this.configFile()]);
    this.failedBuilds.clear();
    this.build = fresh.build;

    let createdTables: string[];
    try {
      const next = this.check(new SynthesizedApp(staging, { invokeUrl: () => stack.invokeUrl }));
      createdTables = await ensureTables(stack.engineEndpoint, tableDefinitions(next), stack.dirs.dynamodb).catch((error: unknown) => {
        throw new ReloadRefused("a table cannot change in place", describeError(error));
      });
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw error;
    }

    rmSync(stack.dirs.synth, { recursive: true, force: true });
    renameSync(staging, stack.dirs.synth);
    const app = new SynthesizedApp(stack.dirs.synth, { invokeUrl: () => stack.invokeUrl });
    const api = restApiModel(app);
    const applied = [
      ...createdTables.map((table) => `table ${table} created`),
      ...(stack.iam.usePolicies(app) ? ["IAM policies"] : []),
      ...restApiChanges(stack.gateway.api, api).applied,
    ];
    stack.gateway.useApi(api);
    const restarted: string[] = [];
    await Promise.all(
      functionDefinitions(app).map(async (definition) => {
        const fn = stack.functions.get(definition.name)!;
        const fields = changedFields(fn.definition, definition);
        if (sha256Of(definition.zipPath) !== fn.codeSha256) fields.push("code");
        if (fields.length === 0) return;
        await fn.update(definition);
        restarted.push(`${definition.name} (${list(fields)})`);
      }),
    );
    stack.app = app;
    stack.config = config;
    stack.writeOutputs();
    this.packageOf = this.packagesRun();
    return [
      "re-synthesized",
      ...(applied.length > 0 ? [`applied ${list(applied)}`] : []),
      ...(restarted.length > 0 ? [`restarted ${list(restarted.sort())}`] : []),
      ...(applied.length + restarted.length === 0 ? ["nothing the local stack runs changed"] : []),
    ].join("; ");
  }

  /** Refuses a synthesized app the running stack cannot take in place; returns it when it can. */
  private check(next: SynthesizedApp): SynthesizedApp {
    const { stack } = this;
    try {
      const definitions = functionDefinitions(next);
      const names = new Set(definitions.map((d) => d.name));
      const added = [...names].filter((name) => !stack.functions.has(name));
      const removed = [...stack.functions.keys()].filter((name) => !names.has(name));
      if (added.length + removed.length > 0) {
        const what = [added.length > 0 ? `added ${list(added)}` : "", removed.length > 0 ? `removed ${list(removed)}` : ""].filter(Boolean);
        throw new ReloadRefused("the set of functions changed", `The app's functions changed (${what.join("; ")}): restart npm start to run them.`);
      }
      checkTimeoutsFit(definitions, stack.options.integrationTimeoutMs);
      const api = restApiModel(next);
      checkRouteTargets(api, names);
      const { needRestart } = restApiChanges(stack.gateway.api, api);
      if (needRestart.length > 0) {
        throw new ReloadRefused("the API's URL would change", `Changed: ${list(needRestart)}. Restart npm start to serve it.`);
      }
      return next;
    } catch (error) {
      if (error instanceof ReloadRefused) throw error;
      throw new ReloadRefused("the local stack cannot run the synthesized app", describeError(error));
    }
  }
}
