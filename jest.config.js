const { availableParallelism } = require("node:os");

/** Packages that ship only ES modules, which jest's CommonJS runtime cannot load on Node 20. */
const ESM_PACKAGES = ["puppeteer-core", "@sparticuz/chromium", "chromium-bidi", "@puppeteer/browsers"];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
    // ES-module-only packages of the browser test, converted to CommonJS (see the file).
    [`node_modules/(${ESM_PACKAGES.join("|")})/.+\\.js$`]: "<rootDir>/__tests__/support/esm-to-cjs.js",
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join("|")})/)`],
  // Type errors are caught once, by the `tsc --noEmit` that `npm test` runs before jest, not per test file.
  testTimeout: 30000,
  // Formats cdktf's token creation stacks without jest's source maps: see the file.
  setupFiles: ["<rootDir>/__tests__/support/cdktf-stack-traces.js"],
  // One worker per core, and at least three: several suites spend most of their time waiting (timeouts under
  // test, retries with backoff, child processes), and `npm test` runs the type check, ESLint and Prettier
  // alongside jest; on 2 cores three workers keep both busy (92 s instead of 103 s for all of `npm test`).
  maxWorkers: Math.max(3, availableParallelism()),
  testSequencer: "<rootDir>/__tests__/support/longest-first-sequencer.js",
};
