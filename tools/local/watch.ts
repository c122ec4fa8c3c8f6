/**
 * `npm start -- --watch`: watches app/ and hands each edit to the local stack's reload() (reload.ts decides what
 * it affects), then prints one line: the files that changed, what was reloaded (or why nothing was, followed by
 * the error), and how long it took.
 *
 * One `fs.watch` per directory, not `fs.watch(root, { recursive: true })`: on Linux, Node 20's recursive watch
 * follows each file by its inode, so after an editor saves a file by writing a temporary one and renaming it over
 * the original (vim, JetBrains' safe write) it misses every later write to that file (measured on Node 20.20). A
 * directory's own watch sees writes and renames in it alike; directories that appear are watched as they come.
 *
 * An editor's save is a burst of events (truncate and write, or temporary file, rename, chmod). Events are
 * collected until none has come for `debounceMs`; then the files of the directories that had one are compared
 * with their content at the previous look, so a burst is one reload and an event that changed no content (a
 * touch, a save without edits, a temporary file already gone) is none.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, watch, type Dirent, type FSWatcher } from "node:fs";
import { join, relative, sep } from "node:path";
import { REPO_ROOT } from "../../app/lambda-packages/artifacts";
import { APP_DIR } from "./app-modules";
import type { LocalStack } from "./stack";

/** Quiet time that ends a burst of events: longer than an editor's save takes, short beside a reload. */
export const DEFAULT_DEBOUNCE_MS = 100;

/** Prefix of every line the watcher prints. */
export const WATCH_LOG_PREFIX = "[watch]";

/** Not sources: build output, dependencies, dotfiles (editors' swap files among them) and backup files (`~`). */
function ignored(entry: Dirent): boolean {
  return entry.name.startsWith(".") || entry.name.endsWith("~") || (entry.isDirectory() && (entry.name === "dist" || entry.name === "node_modules"));
}

function contentHash(path: string): string | undefined {
  try {
    return createHash("sha1").update(readFileSync(path)).digest("hex");
  } catch {
    return undefined; // gone (or replaced by a directory) since it was listed
  }
}

/** Watches the files of a directory tree and reports, after each burst of events, the files whose content changed. */
export class TreeWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly hashes = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private closed = false;

  /**
   * @param root the directory whose tree is watched
   * @param onChange receives the absolute paths of the files created, changed or deleted in one burst
   */
  constructor(
    root: string,
    private readonly onChange: (paths: string[]) => void,
    private readonly debounceMs: number = DEFAULT_DEBOUNCE_MS,
  ) {
    this.scan(root, undefined);
  }

  /** Stops watching. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Watches `dir` and the directories under it and reads its files; new files are reported in `changed` when given. */
  private scan(dir: string, changed: string[] | undefined): void {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (!this.watchers.has(dir)) {
      const watcher = watch(dir, () => this.touched(dir));
      watcher.on("error", () => this.touched(dir));
      this.watchers.set(dir, watcher);
    }
    for (const entry of entries) {
      if (ignored(entry)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) this.scan(path, changed);
      else if (entry.isFile()) this.look(path, changed);
    }
  }

  /** Reads one file's content; reports it when it differs from the last look. */
  private look(path: string, changed: string[] | undefined): void {
    const hash = contentHash(path);
    if (hash === this.hashes.get(path)) return;
    if (hash === undefined) this.hashes.delete(path);
    else this.hashes.set(path, hash);
    changed?.push(path);
  }

  private touched(dir: string): void {
    if (this.closed) return;
    this.dirty.add(dir);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.debounceMs);
  }

  /** After a burst: looks again at the directories that had an event, and reports what changed. */
  private flush(): void {
    const changed: string[] = [];
    for (const dir of [...this.dirty].sort()) {
      this.dirty.delete(dir);
      this.rescan(dir, changed);
    }
    if (changed.length > 0 && !this.closed) this.onChange([...new Set(changed)].sort());
  }

  private rescan(dir: string, changed: string[]): void {
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((entry) => !ignored(entry));
    } catch {
      // The directory is gone: what was known under it is gone too.
    }
    const present = new Set(entries.map((entry) => join(dir, entry.name)));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isFile()) {
        this.look(path, changed);
      } else if (entry.isDirectory()) {
        if (this.hashes.has(path)) this.look(path, changed); // a file replaced by a directory
        if (!this.watchers.has(path)) this.scan(path, changed);
      }
    }
    // Known files and watched directories under `dir` whose entry in it is gone (deleted, or renamed away).
    const under = (path: string) => path.startsWith(`${dir}${sep}`);
    const entryOf = (path: string) => join(dir, relative(dir, path).split(sep)[0]);
    for (const path of [...this.hashes.keys()]) {
      if (under(path) && !present.has(entryOf(path))) this.look(path, changed);
    }
    for (const [watched, watcher] of [...this.watchers]) {
      const gone = watched === dir ? !this.exists(dir) : under(watched) && !present.has(entryOf(watched));
      if (gone) {
        watcher.close();
        this.watchers.delete(watched);
      }
    }
  }

  private exists(dir: string): boolean {
    try {
      readdirSync(dir);
      return true;
    } catch {
      return false;
    }
  }
}

export interface WatchOptions {
  /** Where the lines go. */
  readonly log: (line: string) => void;
  /** @default DEFAULT_DEBOUNCE_MS */
  readonly debounceMs?: number;
  /** The tree to watch. @default app/ */
  readonly root?: string;
}

const shown = (path: string) => relative(REPO_ROOT, path).split(sep).join("/");

/**
 * Watches app/ and reloads `stack` after each edit, one reload at a time (edits made during one are the next).
 * Given the stack while it starts, it watches at once and reloads what was edited meanwhile once it serves.
 */
export function watchLocalStack(stack: LocalStack | Promise<LocalStack>, options: WatchOptions): { close(): void } {
  const pending = new Set<string>();
  let draining = false;
  const drain = async () => {
    draining = true;
    let running: LocalStack;
    try {
      running = await stack;
    } catch {
      return; // it did not start: its caller says why
    }
    while (pending.size > 0) {
      const changed = [...pending].sort();
      pending.clear();
      const started = performance.now();
      const outcome = await running.reload(changed);
      const took = `(${Math.round(performance.now() - started)} ms)`;
      const files = changed.map(shown).join(", ");
      if (outcome.status === "reloaded") options.log(`${WATCH_LOG_PREFIX} ${files}: ${outcome.summary} ${took}`);
      if (outcome.status === "failed") {
        // One call, so the error's lines are never apart from the line they explain.
        options.log(
          `${WATCH_LOG_PREFIX} ${files}: not reloaded, ${outcome.summary}; the previous version keeps serving ${took}\n${outcome.error.replace(/^/gm, "    ")}`,
        );
      }
    }
    draining = false;
  };
  const watcher = new TreeWatcher(
    options.root ?? APP_DIR,
    (paths) => {
      for (const path of paths) pending.add(path);
      if (!draining) void drain();
    },
    options.debounceMs,
  );
  return { close: () => watcher.close() };
}
