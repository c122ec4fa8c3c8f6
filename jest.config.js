const { availableParallelism } = require("node:os");

// The two tiers, one jest project each: see the file.
const { INTEGRATION_SUITES } = require("./__tests__/support/test-tiers");

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const integrationPaths = Object.keys(INTEGRATION_SUITES).map((suite) => `<rootDir>/__tests__/${suite}`);

/** What both tiers share. */
const project = {
  rootDir: __dirname,
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  transform: { "^.+\\.ts$": ["ts-jest", { diagnostics: false }] },
  // Type errors are caught once, by the type check that `npm test` and `npm run test:unit` run before jest, not per test file.
  // Formats cdktf's token creation stacks without jest's source maps: see the file.
  setupFiles: ["<rootDir>/__tests__/support/cdktf-stack-traces.js"],
  // Disables the AsyncLocalStorage instances a test enabled (each handler load makes one): see the file.
  setupFilesAfterEnv: ["<rootDir>/__tests__/support/async-local-storage.js"],
  // jest's runtime with V8's code of each module kept per worker, so a module is compiled once per worker and not
  // once per test file that loads it: see the file.
  runtime: "<rootDir>/__tests__/support/code-cache-runtime.js",
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...project,
      displayName: "unit",
      testMatch: ["<rootDir>/__tests__/**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", ...Object.keys(INTEGRATION_SUITES).map((suite) => `/__tests__/${escape(suite)}$`)],
    },
    { ...project, displayName: "integration", testMatch: integrationPaths },
  ],
  testTimeout: 30000,
  // One worker per core, and at least two. A third worker on 2 cores once kept both busy while suites waited out
  // retries and sleeps (92 s instead of 103 s for `npm test`); with those waits gone (support/retry-waits.ts) and
  // each worker compiling every module once (support/code-cache-runtime.js, so each worker more costs its own
  // compiles), two workers take 8 CPU-s less of `npm test` (125 instead of 133) for 1 s more wall time, and
  // `npm run test:unit` 16.3 instead of 15.9 s.
  maxWorkers: Math.max(2, availableParallelism()),
  testSequencer: "<rootDir>/__tests__/support/longest-first-sequencer.js",
};
