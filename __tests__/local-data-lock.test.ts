/**
 * The data-folder lock of the local stack (tools/local/data-lock.ts): one holder at a time, a refusal that names the
 * folder and the holder and changes nothing, and a stale lock (its process gone, or its pid reused) taken over.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { DataFolderLockedError, LOCK_FILE_NAME, lockDataFolder, type LockHolder } from "../tools/local/data-lock";

/**
 * A pid no process has: above the largest Linux allows (PID_MAX_LIMIT, 2^22) and macOS's (99998), and odd
 * (Windows' are multiples of 4). Checked below on this machine.
 */
const DEAD_PID = 2 ** 22 + 1;

const holderFile = (folder: string): LockHolder => JSON.parse(readFileSync(join(folder, LOCK_FILE_NAME), "utf8"));

describe("lockDataFolder", () => {
  test("the pid the stale-lock tests use names no process here", () => {
    expect(() => process.kill(DEAD_PID, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });

  let folder: string;

  beforeEach(() => {
    folder = join(mkdtempSync(join(tmpdir(), "data-lock-")), "dev");
  });

  afterEach(() => rmSync(join(folder, ".."), { recursive: true, force: true }));

  test("creates the folder and a lock file naming this process, and deletes it on release", () => {
    const lock = lockDataFolder(folder);

    expect(holderFile(folder)).toMatchObject({ pid: process.pid, hostname: hostname(), token: lock.holder.token });
    expect(lock.tookOverFrom).toBeUndefined();
    lock.release();
    expect(existsSync(join(folder, LOCK_FILE_NAME))).toBe(false);
  });

  test("refuses a second lock while the first is held, naming the folder and the holding process, and changes nothing", () => {
    const first = lockDataFolder(folder);
    writeFileSync(join(folder, "data.ldb"), "kept");
    const before = readdirSync(folder).sort();
    try {
      let refusal: unknown;
      try {
        lockDataFolder(folder);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).toBeInstanceOf(DataFolderLockedError);
      expect((refusal as DataFolderLockedError).message).toContain(`The data folder ${folder} is in use by process ${process.pid} (`);
      expect((refusal as DataFolderLockedError).holder?.pid).toBe(process.pid);
      expect(readdirSync(folder).sort()).toEqual(before);
      expect(holderFile(folder).token).toBe(first.holder.token);
    } finally {
      first.release();
    }
    expect(lockDataFolder(folder).holder.pid).toBe(process.pid);
  });

  test("takes over a stale lock whose process is gone", () => {
    const stale: LockHolder = {
      pid: DEAD_PID,
      hostname: hostname(),
      command: "tools/local/start.ts",
      since: "2026-01-01T00:00:00.000Z",
      token: "old",
    };
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, LOCK_FILE_NAME), JSON.stringify(stale));

    const lock = lockDataFolder(folder);

    expect(lock.tookOverFrom).toEqual(stale);
    expect(holderFile(folder)).toMatchObject({ pid: process.pid, token: lock.holder.token });
    expect(readdirSync(folder)).toEqual([LOCK_FILE_NAME]);
    lock.release();
  });

  test("takes over a lock whose pid is alive but belongs to a newer process (the pid was reused)", () => {
    const held = lockDataFolder(folder, { processStart: () => "1000" });

    const reused = lockDataFolder(folder, { processStart: () => "2000", isAlive: () => true });

    expect(reused.tookOverFrom?.token).toBe(held.holder.token);
    expect(holderFile(folder).token).toBe(reused.holder.token);
    reused.release();
  });

  test("refuses a lock whose process is alive when its start time cannot be compared", () => {
    const held = lockDataFolder(folder, { processStart: () => undefined });
    try {
      expect(() => lockDataFolder(folder, { processStart: () => "2000", isAlive: () => true })).toThrow(DataFolderLockedError);
    } finally {
      held.release();
    }
  });

  test("treats the lock of another host as held: its process cannot be checked from here", () => {
    const remote: LockHolder = {
      pid: DEAD_PID,
      hostname: "build-host-7",
      command: "tools/local/start.ts",
      since: "2026-01-01T00:00:00.000Z",
      token: "remote",
    };
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, LOCK_FILE_NAME), JSON.stringify(remote));

    expect(() => lockDataFolder(folder)).toThrow(`The data folder ${folder} is in use by process ${remote.pid} on host build-host-7`);
    expect(holderFile(folder)).toEqual(remote);
  });

  test("release leaves a lock alone that is no longer this holder's", () => {
    const lock = lockDataFolder(folder);
    const other: LockHolder = { ...lock.holder, token: "someone-else" };
    writeFileSync(join(folder, LOCK_FILE_NAME), JSON.stringify(other));

    lock.release();

    expect(holderFile(folder).token).toBe("someone-else");
  });
});
