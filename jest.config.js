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
  // jest's default (cores - 1) is a single worker on 2 cores, which runs every suite one after another; the
  // slow suites mostly wait on Terraform, servers or child processes, so two workers finish sooner even there.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testSequencer: "<rootDir>/__tests__/support/terraform-first-sequencer.js",
};
