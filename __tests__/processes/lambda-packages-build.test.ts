/**
 * `npm run package` (app/lambda-packages/build.ts) run as a process, as npm runs it: the ZIP of a function is the
 * same bytes whatever the machine's time zone. lambda-packages.test.ts tests buildPackage() in-process.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DIST_DIR, REPO_ROOT } from "../../app/lambda-packages/artifacts";
import { listFunctions } from "../../app/lambda-packages/build";
import { tempDirsOfThisFile } from "../support/temp-dirs";

const tempDir = tempDirsOfThisFile();

describe("npm run package", () => {
  it.each(["UTC", "Asia/Tokyo", "America/St_Johns"])("builds the same bytes with TZ=%s", (tz) => {
    const outDir = tempDir("build-tz-");
    // The other functions' packages, up to date, so that the command bundles health alone.
    for (const name of listFunctions().filter((fn) => fn !== "health")) {
      for (const file of [`${name}.zip`, `${name}.manifest.json`]) cpSync(join(DIST_DIR, file), join(outDir, file));
    }
    // As `npm run package` runs it.
    const run = spawnSync(process.execPath, ["--require", "tsx/cjs", join("app", "lambda-packages", "build.ts"), "--out-dir", outDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, TZ: tz },
      encoding: "utf8",
    });

    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`1 of ${listFunctions().length} package(s) bundled`);
    expect(readFileSync(join(outDir, "health.zip")).equals(readFileSync(join(DIST_DIR, "health.zip")))).toBe(true);
  });
});
