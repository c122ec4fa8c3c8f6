// ESLint: typescript-eslint's recommended rules plus the type-aware ones that catch real bugs (unhandled
// promises, awaiting non-promises, misused promises). Formatting is Prettier's job (npm run format:check).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "cdktf.out/",
      ".gen/",
      "app/lambda-packages/dist/",
      "tools/bench/results/",
      ".local-data/",
      "coverage/",
      "**/*.js",
      "**/*.mjs",
    ],
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
    // The product never depends on the tooling: app/ is what a user deploys and grows, tools/ and __tests__/
    // check or run it without AWS. An import across that line fails `npm test` (npm run check runs ESLint).
    files: ["app/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^(\\.\\./)+(tools|__tests__)(/|$)",
              message: "app/ never imports the tooling (tools/, __tests__/): move what both need into app/.",
            },
          ],
        },
      ],
    },
  },
  {
    // The tests walk synthesized Terraform JSON, API responses and browser objects, which have no types: `any`
    // is allowed there, and only there.
    files: ["__tests__/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
