/**
 * The watcher behind `npm start -- --watch` (tools/local/watch.ts, TreeWatcher) on a temp folder: one report per
 * burst of writes, only files whose content changed, new directories watched as they appear, deletions reported,
 * editors' temporary and backup files left out. Negative cases are checked by the next report: a save that must
 * not be reported is followed by one that must, and the report holds only the latter.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TreeWatcher } from "../tools/local/watch";
import { tempDirsOfThisFile } from "./support/temp-dirs";

const tempDir = tempDirsOfThisFile();

describe("TreeWatcher", () => {
  let root: string;
  let watcher: TreeWatcher;
  const reports: string[][] = [];
  const waiting: Array<() => void> = [];

  /** The next report after `write()`, as paths relative to the root. */
  async function nextReport(write: () => void): Promise<string[]> {
    const seen = reports.length;
    write();
    while (reports.length <= seen) await new Promise<void>((resolve) => waiting.push(resolve));
    return reports[seen].map((path) => path.slice(root.length + 1));
  }

  beforeEach(() => {
    root = tempDir("tree-watcher-");
    mkdirSync(join(root, "shared"));
    writeFileSync(join(root, "shared", "a.ts"), "a");
    writeFileSync(join(root, "config.json"), "{}");
    reports.length = 0;
    watcher = new TreeWatcher(
      root,
      (paths) => {
        reports.push(paths);
        for (const wake of waiting.splice(0)) wake();
      },
      30,
    );
  });

  afterEach(() => watcher.close());

  test("reports a burst of writes to one file once, and files of two directories together", async () => {
    const report = await nextReport(() => {
      for (let i = 0; i < 5; i++) writeFileSync(join(root, "shared", "a.ts"), `a${i}`);
      writeFileSync(join(root, "config.json"), '{"x":1}');
    });

    expect(report).toEqual(["config.json", "shared/a.ts"]);
  });

  test("does not report a write that leaves the content as it was, nor dotfiles and backup files", async () => {
    const report = await nextReport(() => {
      writeFileSync(join(root, "shared", "a.ts"), "a");
      writeFileSync(join(root, "shared", ".a.ts.swp"), "swap");
      writeFileSync(join(root, "shared", "a.ts~"), "backup");
      writeFileSync(join(root, "config.json"), '{"y":2}');
    });

    expect(report).toEqual(["config.json"]);
  });

  test("reports a save by rename once, and the writes after it", async () => {
    const path = join(root, "shared", "a.ts");
    const renamed = await nextReport(() => {
      writeFileSync(`${path}.tmp`, "renamed");
      renameSync(`${path}.tmp`, path);
    });
    const written = await nextReport(() => writeFileSync(path, "written"));

    expect(renamed).toEqual(["shared/a.ts"]);
    expect(written).toEqual(["shared/a.ts"]);
  });

  test("reports the files of a new directory and watches it from then on", async () => {
    const created = await nextReport(() => {
      mkdirSync(join(root, "health"));
      writeFileSync(join(root, "health", "index.ts"), "1");
    });
    const changed = await nextReport(() => writeFileSync(join(root, "health", "index.ts"), "2"));

    expect(created).toEqual(["health/index.ts"]);
    expect(changed).toEqual(["health/index.ts"]);
  });

  test("reports deleted files, those of a deleted directory included", async () => {
    const report = await nextReport(() => {
      rmSync(join(root, "shared"), { recursive: true });
      rmSync(join(root, "config.json"));
    });

    expect(report).toEqual(["config.json", "shared/a.ts"]);
  });
});
