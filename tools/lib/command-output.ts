/**
 * What a running command prints, for the tools and tests that drive a long-running command and wait for its
 * lines (the watch mode's test and bench drive `npm start -- --watch`): both streams in arrival order, a wait for
 * a line or value to appear, and a clean stop.
 */
import type { ChildProcess } from "node:child_process";

export class CommandOutput {
  private output = "";
  private readonly listeners = new Set<() => void>();

  constructor(private readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on("data", (chunk: Buffer) => {
        this.output += chunk.toString();
        for (const listener of [...this.listeners]) listener();
      });
    }
  }

  /** Everything printed so far. */
  get text(): string {
    return this.output;
  }

  /** The complete lines printed so far. */
  lines(): string[] {
    return this.output.split("\n").slice(0, -1);
  }

  /**
   * Resolves with `probe()`'s first value that is not undefined, tried now and on every output; rejects after
   * `timeoutMs`, or when the command exits first, with what it printed.
   */
  waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const done = () => {
        this.listeners.delete(check);
        clearTimeout(timer);
        this.child.off("exit", exited);
      };
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        done();
        resolve(value);
      };
      const fail = (why: string) => {
        done();
        reject(new Error(`No ${what}: ${why}. Output so far:\n${this.output}`));
      };
      const exited = (code: number | null, signal: NodeJS.Signals | null) => fail(`the command exited (${signal ?? code})`);
      const timer = setTimeout(() => fail(`nothing within ${timeoutMs} ms`), timeoutMs);
      this.listeners.add(check);
      this.child.once("exit", exited);
      check();
    });
  }

  /** Sends SIGINT (Ctrl-C) and waits for the command to exit; kills it when it has not after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
