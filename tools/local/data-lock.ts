/**
 * An exclusive lock on a local data folder (`<dataDir>/<environment>`), taken before the local stack touches
 * anything in it: before `--fresh` deletes the tables, before synthesis rewrites `cdktf.out`, before dynalite
 * opens its LevelDB files. Two stacks on one folder would each open the same LevelDB: the second fails with
 * "Database is closed", or, with `--fresh`, deletes the files the first one is writing to, so the first keeps
 * acknowledging writes that are lost.
 *
 * The lock is a file, `local-stack.lock`, holding the JSON of its holder (pid, host, process start time,
 * command, time taken). It is created complete and atomically: written to a temporary file, then hard-linked
 * to its name, which fails when the name exists (link(2) is atomic, like O_EXCL, and a reader never sees a
 * half-written lock). When the file exists and its process is gone (a `kill -9`, a power cut), the lock is
 * stale and is taken over: renamed away (one of two racing starters wins the rename), checked to be the same
 * stale lock, then deleted, and the creation retried. A lock whose pid is alive but belongs to a newer process
 * (the pid was reused; Linux: the start time in /proc differs) is stale too. A lock of another host (a shared
 * network folder) cannot be checked and is treated as held.
 *
 * Why not a library: proper-lockfile (MIT, well kept) locks with a directory and decides staleness by an mtime
 * it refreshes every few seconds; it records no pid, so it cannot name the process holding the folder, and a
 * busy event loop can make a live lock look stale. This file is about 150 lines and has no dependency.
 */
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";

/** The file name of the lock inside the locked folder. */
export const LOCK_FILE_NAME = "local-stack.lock";

/** Who holds a lock: what the lock file contains. */
export interface LockHolder {
  readonly pid: number;
  readonly hostname: string;
  /** Start time of the process (Linux: field 22 of /proc/<pid>/stat), to tell a reused pid from the holder. */
  readonly processStart?: string;
  readonly command: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** Random, so a holder recognises its own lock when releasing it. */
  readonly token: string;
}

/** The folder is locked by a live process; nothing was changed. */
export class DataFolderLockedError extends Error {
  constructor(
    readonly folder: string,
    readonly holder: LockHolder | undefined,
  ) {
    const who = holder
      ? `process ${holder.pid}${holder.hostname === hostname() ? "" : ` on host ${holder.hostname}`} (${holder.command}, since ${holder.since})`
      : "another process (its lock file is unreadable)";
    super(
      `The data folder ${folder} is in use by ${who}: another local stack runs on it. ` +
        `Stop that one first, or pass --data-dir <another folder>. Nothing was changed. (Lock file: ${join(folder, LOCK_FILE_NAME)})`,
    );
    this.name = "DataFolderLockedError";
  }
}

export interface DataFolderLock {
  readonly folder: string;
  readonly holder: LockHolder;
  /** Set when a stale lock was taken over: its holder. */
  readonly tookOverFrom?: LockHolder;
  /** Deletes the lock file if it is still ours; called on stop and, synchronously, on process exit. */
  release(): void;
}

/** Liveness checks, replaceable in tests. */
export interface LockProbe {
  /** True while a process with this pid exists. @default process.kill(pid, 0) */
  readonly isAlive?: (pid: number) => boolean;
  /** The start time of the process, where the platform tells it. @default /proc/<pid>/stat on Linux */
  readonly processStart?: (pid: number) => string | undefined;
}

function defaultIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function defaultProcessStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command (field 2) is in parentheses and may contain spaces; the fields after it are plain.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<LockHolder>;
    if (typeof value.pid !== "number" || typeof value.hostname !== "string" || typeof value.token !== "string") return undefined;
    return value as LockHolder;
  } catch {
    return undefined;
  }
}

const isCode = (error: unknown, code: string) => (error as NodeJS.ErrnoException).code === code;

/**
 * Takes the lock of `folder` (created if missing) or throws DataFolderLockedError naming the holder. A stale
 * lock is taken over.
 */
export function lockDataFolder(folder: string, probe: LockProbe = {}): DataFolderLock {
  const isAlive = probe.isAlive ?? defaultIsAlive;
  const processStart = probe.processStart ?? defaultProcessStart;
  mkdirSync(folder, { recursive: true });
  const path = join(folder, LOCK_FILE_NAME);
  const start = processStart(process.pid);
  const holder: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    ...(start !== undefined ? { processStart: start } : {}),
    command: process.argv.slice(1, 3).join(" ") || process.argv0,
    since: new Date().toISOString(),
    token: randomBytes(12).toString("hex"),
  };
  const isStale = (found: LockHolder): boolean => {
    if (found.hostname !== holder.hostname) return false;
    if (!isAlive(found.pid)) return true;
    const current = processStart(found.pid);
    return found.processStart !== undefined && current !== undefined && current !== found.processStart;
  };

  let tookOverFrom: LockHolder | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const temporary = `${path}.${holder.token}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
    try {
      linkSync(temporary, path);
      return lockOf(folder, path, holder, tookOverFrom);
    } catch (error) {
      if (!isCode(error, "EEXIST")) throw error;
    } finally {
      unlinkSync(temporary);
    }

    const found = readHolder(path);
    if (!found || !isStale(found)) {
      if (!found && !existsSync(path)) continue; // released in between: try again
      throw new DataFolderLockedError(folder, found);
    }
    // Stale: move it out of the way. Of two starters doing this, one renames the stale file; the other renames
    // nothing (ENOENT) or, later, the winner's fresh lock, which it then puts back.
    const moved = `${path}.stale-${holder.token}`;
    try {
      renameSync(path, moved);
    } catch (error) {
      if (isCode(error, "ENOENT")) continue;
      throw error;
    }
    const movedHolder = readHolder(moved);
    if (movedHolder?.token !== found.token) {
      try {
        linkSync(moved, path);
      } catch (error) {
        if (!isCode(error, "EEXIST")) throw error;
      }
      unlinkSync(moved);
      continue;
    }
    unlinkSync(moved);
    tookOverFrom = found;
  }
  throw new DataFolderLockedError(folder, readHolder(path));
}

function lockOf(folder: string, path: string, holder: LockHolder, tookOverFrom: LockHolder | undefined): DataFolderLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener("exit", release);
    if (readHolder(path)?.token !== holder.token) return;
    try {
      unlinkSync(path);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw error;
    }
  };
  // A stack that ends without stop() (an uncaught error, process.exit) still frees its folder; only a kill
  // -9 leaves the lock behind, and the next start takes it over.
  process.on("exit", release);
  return { folder, holder, ...(tookOverFrom ? { tookOverFrom } : {}), release };
}
