/** Child processes of the bench: each timed from spawn to exit, with its output captured. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

export interface ProcessResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Spawn to exit, as seen by the parent. */
  readonly wallMs: number;
  /** With `outputFile`: spawn to the moment the file appeared. */
  readonly outputFileMs?: number;
  /** With `outputFile`: the process was still running `exitGraceMs` after writing it, and was killed. */
  readonly killedAfterOutput: boolean;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the process (group) after this long. @default 10 minutes */
  readonly timeoutMs?: number;
  /**
   * A file the process writes when its work is done (jest --outputFile). If the process has not exited
   * `exitGraceMs` after the file appeared (jest kept alive by a handle a test left open), it is killed.
   */
  readonly outputFile?: string;
  /** @default 20 s */
  readonly exitGraceMs?: number;
}

/** Runs a command without a shell; resolves when it exits (never rejects on a non-zero exit code). */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const killGroup = () => {
      // The whole group: npm and jest start children of their own.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    const timer = setTimeout(killGroup, options.timeoutMs ?? 10 * 60 * 1000);
    let outputFileMs: number | undefined;
    let killedAfterOutput = false;
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    const watcher = options.outputFile
      ? setInterval(() => {
          if (outputFileMs === undefined && existsSync(options.outputFile as string)) outputFileMs = elapsed();
          if (outputFileMs !== undefined && !killedAfterOutput && elapsed() - outputFileMs > (options.exitGraceMs ?? 20_000)) {
            killedAfterOutput = true;
            killGroup();
          }
        }, 100)
      : undefined;
    child.once("error", (error) => {
      clearTimeout(timer);
      clearInterval(watcher);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      clearInterval(watcher);
      const wallMs = elapsed();
      if (outputFileMs === undefined && options.outputFile && existsSync(options.outputFile)) outputFileMs = wallMs;
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        wallMs,
        ...(outputFileMs !== undefined ? { outputFileMs } : {}),
        killedAfterOutput,
      });
    });
  });
}

/** Runs a child that prints one JSON object as its last stdout line; throws with its stderr when it fails. */
export async function runJson<T>(command: string, args: readonly string[], options: RunOptions = {}): Promise<{ result: T; wallMs: number }> {
  const outcome = await run(command, args, options);
  const lines = outcome.stdout.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  if (outcome.code !== 0 || !last.startsWith("{")) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${outcome.code ?? outcome.signal}:\n${outcome.stderr.trim().slice(-2000) || outcome.stdout.trim().slice(-2000)}`,
    );
  }
  return { result: JSON.parse(last) as T, wallMs: outcome.wallMs };
}
