/**
 * The cache of support/code-cache-runtime.js: V8's code of each module a jest worker compiled, by file name, used
 * again when the same file comes with the same source text.
 *
 * `compile(executor, jestCompile, source, filename)` answers what jest-runtime's ModuleExecutor.compile answers, the
 * module's function of jest's injected parameters, compiled in the test file's context: as a vm.Script of the same
 * wrapper function, whose code (`createCachedData()`, taken the next time the file is compiled, so after a test
 * file ran it and it holds the functions that ran) is handed to V8 from then on. The wrapper's first line is
 * outside the source (lineOffset -1), so stack traces give the source's own lines and columns. A source that starts
 * with a hashbang, or that does not compile, goes to `jestCompile`, which reports a syntax error as jest does; a
 * cache V8 rejects (another V8 flag set) costs a normal compile.
 */
const { Script } = require("node:vm");

class CodeCache {
  /** file name -> { source, script (until its code is taken), data (the code) } */
  entries = new Map();
  /** Compiles from source (a new file, or one whose source changed), from the cache, and rejected caches. */
  stats = { compiled: 0, fromCache: 0, rejected: 0 };

  compile(executor, jestCompile, source, filename) {
    const context = executor.environment.getVmContext();
    if (context == null || source.startsWith("#!")) return jestCompile(source, filename);
    const scriptFilename = executor.resolution.isCoreModule(filename) ? `jest-nodejs-core-${filename}` : filename;
    let entry = this.entries.get(scriptFilename);
    if (entry !== undefined && entry.source !== source) entry = undefined;
    if (entry !== undefined && entry.data === undefined) {
      entry.data = entry.script.createCachedData();
      entry.script = undefined;
    }
    let script;
    try {
      script = new Script(`(function (${executor.injectedModuleParameters.join(", ")}) {\n${source}\n})`, {
        filename: scriptFilename,
        lineOffset: -1,
        ...(entry === undefined ? {} : { cachedData: entry.data }),
        importModuleDynamically: (specifier, _script, importAttributes, ...rest) =>
          executor.dynamicImport(specifier, scriptFilename, context, importAttributes, rest[0]),
      });
    } catch {
      return jestCompile(source, filename);
    }
    if (entry === undefined) {
      this.stats.compiled++;
      this.entries.set(scriptFilename, { source, script, data: undefined });
    } else if (script.cachedDataRejected) {
      this.stats.rejected++;
    } else {
      this.stats.fromCache++;
    }
    return script.runInContext(context);
  }
}

module.exports = { CodeCache };
