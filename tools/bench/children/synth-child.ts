/**
 * Child of the synth benchmark (tools/bench/synth.ts): synthesizes the three stacks once, in this fresh process, as
 * app/main.ts does (prod config, `new App()`, addStacks, synth), and prints one JSON line with its timings and its
 * peak RSS.
 *
 *   node --require <ts hook> tools/bench/children/synth-child.ts <deep|barrel> <outdir> <stateDir>
 *
 * `barrel`: every `@cdktf/provider-aws/lib/<name>` import of app/stacks/ and app/constructs/ is answered from the barrel
 * `@cdktf/provider-aws` (its `<camelName>` namespace), exactly what rewriting
 * `import { X } from "@cdktf/provider-aws/lib/x"` to `import { x } from "@cdktf/provider-aws"; x.X` does. The
 * barrel's namespaces are the deep modules themselves (`exports.x = require("./x")`), so the stacks build the
 * same objects; only the import style, and so what gets loaded, differs. Everything is required below the
 * first timestamp, so the time covers loading the code, building the constructs and writing the JSON.
 */
const t0 = process.hrtime.bigint();

import Module from "node:module";

const [mode, outdir, stateDir] = process.argv.slice(2);
if ((mode !== "deep" && mode !== "barrel") || !outdir || !stateDir) {
  console.error("usage: synth-child.ts <deep|barrel> <outdir> <stateDir>");
  process.exit(2);
}

const DEEP_IMPORT = /^@cdktf\/provider-aws\/lib\/([a-z0-9-]+)$/;
const rewritten = new Set<string>();
if (mode === "barrel") {
  const loader = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const load = loader._load;
  loader._load = function (request: string, parent: unknown, isMain: boolean): unknown {
    const match = DEEP_IMPORT.exec(request);
    if (match) {
      const barrel = load.call(this, "@cdktf/provider-aws", parent, false) as Record<string, unknown>;
      const namespace = barrel[match[1].replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())];
      if (namespace === undefined) throw new Error(`The barrel has no namespace for ${request}`);
      rewritten.add(request);
      return namespace;
    }
    return load.call(this, request, parent, isMain);
  };
}

/* eslint-disable @typescript-eslint/no-require-imports */
const { App } = require("cdktf") as typeof import("cdktf");
const { loadConfig } = require("../../../app/config/load") as typeof import("../../../app/config/load");
const { loadLambdaArtifact } = require("../../../app/lambda-packages/artifacts") as typeof import("../../../app/lambda-packages/artifacts");
const { addStacks } = require("../../../app/stacks") as typeof import("../../../app/stacks");
const { version } = require("../../../package.json") as { version: string };
/* eslint-enable @typescript-eslint/no-require-imports */
const t1 = process.hrtime.bigint();

const app = new App({ outdir });
addStacks(app, { config: loadConfig({ environment: "prod" }), artifacts: (name) => loadLambdaArtifact(name), stateDir, serviceVersion: version });
const t2 = process.hrtime.bigint();
app.synth();
const t3 = process.hrtime.bigint();

const ms = (from: bigint, to: bigint): number => Number(to - from) / 1e6;
const providerModules = Object.keys(require.cache).filter((path) => path.includes("/@cdktf/provider-aws/lib/")).length;
console.log(
  JSON.stringify({
    mode,
    loadMs: ms(t0, t1),
    constructMs: ms(t1, t2),
    synthMs: ms(t2, t3),
    totalMs: ms(t0, t3),
    // resourceUsage().maxRSS is getrusage's ru_maxrss of this process, in KiB.
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    providerModules,
    rewrittenImports: rewritten.size,
  }),
);
