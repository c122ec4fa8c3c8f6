const { availableParallelism } = require("node:os");

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  // Type errors are caught once by `npm run build` (tsc), not per test file.
  testTimeout: 30000,
  // jest's default (cores - 1) is a single worker on 2 cores, which runs every suite one after another; the
  // slow suites mostly wait on Terraform, servers or child processes, so two workers finish sooner even there.
  maxWorkers: Math.max(2, availableParallelism() - 1),
  testSequencer: "<rootDir>/__tests__/support/terraform-first-sequencer.js",
};
