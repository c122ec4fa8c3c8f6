/**
 * jest's runtime (jest-runtime, jest.config.js's `runtime`) with V8's code of each module kept per worker.
 *
 * Every test file gets a fresh module registry, so a worker compiles cdktf, the AWS provider's classes, zod and the
 * app again for every file that loads them, and V8 cannot reuse the earlier compile by itself: jest 30 compiles
 * each module with vm.compileFunction and a new importModuleDynamically callback. Here the same wrapper function is
 * compiled as a vm.Script instead, and the next time the worker compiles the same file with the same source, V8
 * gets the code of the first compile, with the functions that ran by then (see code-cache.js). Measured on the unit tier: 33 to 29 CPU-s, 17.9 to
 * 15.8 s (`npm run bench -- --only tests` measures both tiers).
 *
 * It wraps the compile of jest-runtime's ModuleExecutor (jest-runtime 30.5: `runtime.executor.compile`); the cache
 * is code-cache.js. A jest whose runtime is built otherwise fails at once, naming this file;
 * __tests__/code-cache-runtime.test.ts checks that modules come from the cache and that stack traces keep their lines.
 */
const Runtime = require("jest-runtime").default;
const { CodeCache } = require("./code-cache");

/** One per worker process, shared by the runtimes of its test files. */
const cache = new CodeCache();

class CodeCacheRuntime extends Runtime {
  constructor(config, environment, ...rest) {
    super(config, environment, ...rest);
    const executor = this.executor;
    if (
      typeof executor?.compile !== "function" ||
      !Array.isArray(executor.injectedModuleParameters) ||
      typeof executor.dynamicImport !== "function"
    ) {
      throw new Error(
        "__tests__/support/code-cache-runtime.js: this jest-runtime has no executor.compile(source, filename) to wrap; " +
          "adapt the file to it or remove `runtime` from jest.config.js",
      );
    }
    const jestCompile = executor.compile.bind(executor);
    executor.compile = (source, filename) => cache.compile(executor, jestCompile, source, filename);
    // What the cache did in this worker, for the test of this file.
    Object.defineProperty(environment.global, Symbol.for("code-cache-runtime"), { value: cache.stats });
  }
}

module.exports = CodeCacheRuntime;
