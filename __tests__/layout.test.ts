/**
 * The two trees: app/ is what a user deploys and grows, tools/ (and the tests) check or run it without AWS. The
 * product never imports the tooling; ESLint enforces it (eslint.config.mjs, tested by
 * processes/eslint-boundaries.test.ts), and `npm test` runs ESLint.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const ROOT = join(__dirname, "..");

describe("the layout: app/ and tools/", () => {
  test("cdktf.json runs an entry point in app/", () => {
    const { app } = JSON.parse(readFileSync(join(ROOT, "cdktf.json"), "utf8")) as { app: string };
    expect(app).toMatch(/ app\/[\w-]+\.ts$/);
  });

  test("docs/add-a-feature.md names files that exist: every declaration, and the folders the example's new files go in", () => {
    const recipe = readFileSync(join(ROOT, "docs", "add-a-feature.md"), "utf8");
    const paths = [...new Set([...recipe.matchAll(/`((?:app|tools|__tests__|docs)\/[\w./<>-]+)`/g)].map((m) => m[1]))];
    // The example feature's own files (notes) and placeholders (<name>) do not exist yet: their folder does.
    const missing = paths.filter((path) => {
      const generic = /notes|<[a-z]+>/.test(path);
      return !existsSync(join(ROOT, generic ? dirname(path.replace(/\/?[^/]*(notes|<[a-z]+>)[^/]*(\/.*)?$/, "/x")) : path));
    });
    expect(paths.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
