/**
 * Jest transform for the ES-module-only packages of the browser test (puppeteer-core, @sparticuz/chromium and
 * their ESM dependencies): jest's CommonJS runtime cannot load ES modules on Node 20 (it supports require(esm)
 * from Node 24.9), so esbuild converts each file to CommonJS, as the repo already does for @aws-lite/dynamodb.
 * `import.meta.url` (which @sparticuz/chromium uses to find its browser archive) becomes the file's own URL.
 */
const { transformSync } = require("esbuild");

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: "cjs",
      loader: "js",
      target: "node20",
      sourcefile: filename,
      sourcemap: "inline",
      define: { "import.meta.url": "__esmToCjsImportMetaUrl" },
      banner: 'const __esmToCjsImportMetaUrl = require("node:url").pathToFileURL(__filename).href;',
    });
    return { code, map };
  },
};
