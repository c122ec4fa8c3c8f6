// ESLint: typescript-eslint's recommended rules plus the type-aware ones that catch real bugs (unhandled
// promises, awaiting non-promises, misused promises). Formatting is Prettier's job (npm run format:check).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["node_modules/", "cdktf.out/", ".gen/", "lambda-packages/dist/", "bench/results/", ".local-data/", "coverage/", "**/*.js", "**/*.mjs"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // A closure may read a variable that is assigned once, later (the local stack's invoke URL).
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The tests walk synthesized Terraform JSON, API responses and browser objects, which have no types: `any`
    // is allowed there, and only there.
    files: ["__tests__/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
