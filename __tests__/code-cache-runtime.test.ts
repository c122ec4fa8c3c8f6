/**
 * support/code-cache-runtime.js, the runtime jest.config.js gives both tiers: a module compiled again in this
 * worker gets V8's code of the first compile and still runs its module scope again, a changed source is compiled
 * anew (support/code-cache.js), and stack traces keep the source's lines and columns.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createContext } from "node:vm";
import type * as Probe from "./fixtures/code-cache-probe";
import { tempDirsOfThisFile } from "./support/temp-dirs";
import { thrownBy } from "./support/thrown";

interface CacheStats {
  readonly compiled: number;
  readonly fromCache: number;
  readonly rejected: number;
}

interface CodeCacheLike {
  readonly stats: CacheStats;
  compile(executor: object, jestCompile: (source: string) => unknown, source: string, filename: string): (...args: unknown[]) => unknown;
}

const stats = (): CacheStats => {
  const value = (globalThis as Record<symbol, unknown>)[Symbol.for("code-cache-runtime")] as CacheStats | undefined;
  if (value === undefined) throw new Error("no code-cache-runtime stats on the test's global: is jest.config.js's `runtime` set?");
  return { ...value };
};

/** `path` loaded into a registry of its own, its module scope run again. */
function loadFresh<T>(path: string): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(path) as T;
  });
  return loaded as T;
}

describe("the code-cache runtime", () => {
  const tempDir = tempDirsOfThisFile();

  test("a module loaded again gets the first compile's code, and its module scope runs again", () => {
    const first = loadFresh<typeof Probe>("./fixtures/code-cache-probe");
    const before = stats();

    const second = loadFresh<typeof Probe>("./fixtures/code-cache-probe");
    const after = stats();

    expect(after.fromCache - before.fromCache).toBe(1);
    expect(after.compiled - before.compiled).toBe(0);
    expect(after.rejected).toBe(before.rejected);
    expect(second).not.toBe(first);
    expect(first.runsOfThisScope()).toBe(1);
    expect(second.runsOfThisScope()).toBe(1);
  });

  describe("the cache (support/code-cache.js), on a context of its own", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CodeCache } = require("./support/code-cache.js") as { CodeCache: new () => CodeCacheLike };
    const context = createContext({});
    const jestCompiled: string[] = [];
    const executor = {
      environment: { getVmContext: () => context },
      resolution: { isCoreModule: () => false },
      injectedModuleParameters: ["module", "exports"],
      dynamicImport: () => Promise.reject(new Error("no dynamic import here")),
    };
    const jestCompile = (source: string) => {
      jestCompiled.push(source);
      return () => "compiled by jest";
    };
    const run = (cache: CodeCacheLike, source: string, filename = "/virtual/module.js"): unknown => {
      const module = { exports: {} as Record<string, unknown> };
      const fn = cache.compile(executor, jestCompile, source, filename);
      const returned = fn(module, module.exports);
      return returned ?? module.exports.value;
    };

    test("compiles a new file, takes the same file and source from the cache, and compiles a changed source anew", () => {
      const cache = new CodeCache();

      expect(run(cache, "exports.value = 1;")).toBe(1);
      expect(run(cache, "exports.value = 1;")).toBe(1);
      expect(run(cache, "exports.value = 2;")).toBe(2);
      expect(run(cache, "exports.value = 1;", "/virtual/other.js")).toBe(1);

      expect(cache.stats).toEqual({ compiled: 3, fromCache: 1, rejected: 0 });
      expect(jestCompiled).toEqual([]);
    });

    test("leaves a hashbang and a syntax error to jest's compile", () => {
      const cache = new CodeCache();

      expect(run(cache, "#!/usr/bin/env node\nexports.value = 1;")).toBe("compiled by jest");
      expect(run(cache, "exports.value = ;")).toBe("compiled by jest");

      expect(jestCompiled).toEqual(["#!/usr/bin/env node\nexports.value = 1;", "exports.value = ;"]);
      expect(cache.stats).toEqual({ compiled: 0, fromCache: 0, rejected: 0 });
    });
  });

  test("a stack trace names the source's line and column, on the first compile and from the cache", () => {
    const where = (probe: typeof Probe): string => {
      const frame = thrownBy(() => probe.fail())
        .stack?.split("\n")
        .find((line) => line.includes("code-cache-probe"));
      return frame?.replace(/^.*code-cache-probe\.ts/, "code-cache-probe.ts").replace(/\)$/, "") ?? "no frame of the probe";
    };

    expect(where(loadFresh("./fixtures/code-cache-probe"))).toBe("code-cache-probe.ts:8:9");
    expect(where(loadFresh("./fixtures/code-cache-probe"))).toBe("code-cache-probe.ts:8:9");
  });

  test("a JavaScript file's stack trace names its own line and column (no source map in between)", () => {
    const file = join(tempDir("code-cache-runtime-"), "thrower.js");
    writeFileSync(file, "'use strict';\nexports.fail = () => {\n  throw new Error('thrown');\n};\n");
    const frame = (): string => thrownBy(() => loadFresh<{ fail: () => void }>(file).fail()).stack?.split("\n")[1] ?? "";

    expect(frame()).toContain(`${file}:3:9`);
    expect(frame()).toContain(`${file}:3:9`);
  });
});
