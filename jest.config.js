/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: {
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  // Type errors are caught once, by the `tsc --noEmit` that `npm test` runs before jest, not per test file.
  testTimeout: 30000,
};
