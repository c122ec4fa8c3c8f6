/**
 * Section 6, the breached-password filter of the users function (app/lambda-packages/shared/breached-passwords.ts):
 * - its false-positive rate, measured on random strings that are not on the list (each a 16-character password
 *   that passes every other rule), against the 2^-16 its fingerprints promise;
 * - its size, against the kept entries themselves (as text and gzipped: what shipping the list would cost);
 * - the cost of one check, against a JavaScript Set of the kept entries (the list held in memory), measured
 *   alongside in batches;
 * - what it adds to a cold start: loading the rule's module and its first check (which decodes the filter) in a
 *   fresh process, and the users function's ZIP and cold init, each against the same code with an empty filter
 *   (the generator's module for no entries, in a copy of the sources), cold starts interleaved like section 3's.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { LAMBDA_PACKAGES_DIR, loadLambdaArtifact, REPO_ROOT } from "../../app/lambda-packages/artifacts";
import { BREACHED_PASSWORDS } from "../../app/lambda-packages/shared/breached-passwords-filter";
import { isBreachedPassword } from "../../app/lambda-packages/shared/breached-passwords";
import { fold } from "../../app/lambda-packages/shared/validation";
import { decodeXorFilter, FINGERPRINT_BITS } from "../../app/lambda-packages/shared/xor-filter";
import { buildPackage } from "../../app/lambda-packages/build";
import { BREACHED_PASSWORDS_MODULE, breachedPasswordList, renderBreachedPasswordsModule } from "../breached-passwords";
import { extract, INIT_CHILD, INIT_LIMIT_MS, initEnvironment, ZIP_LIMIT_BYTES, type InitSample } from "./lambda";
import { runJson } from "./lib/proc";
import type { SectionResult, TargetResult } from "./lib/report";
import { fmt, fmtSpread, ratio, summarize } from "./lib/stats";

export interface BreachedPasswordsOptions {
  readonly tmp: string;
  /** Cold starts per variant. */
  readonly samples: number;
  /** Random strings checked for false positives. */
  readonly randomStrings: number;
}

/** The target of the false-positive rate: well above 2^-16, well below what a user would notice. */
const FALSE_POSITIVE_LIMIT = 1e-4;
const LOOKUP_BATCH = 2000;

type Variant = "filter" | "empty";

/**
 * Runs in the child: `node -e FIRST_CHECK_CHILD <bundle>`; prints {loadMs, firstMs}: the require of a bundle of
 * shared/breached-passwords.ts and its first check (which decodes the filter).
 */
const FIRST_CHECK_CHILD = `
const now = () => Number(process.hrtime.bigint()) / 1e6;
const t0 = now();
const { isBreachedPassword } = require(process.argv[1]);
const t1 = now();
isBreachedPassword("a first password, on no list");
const t2 = now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, firstMs: t2 - t1 }) + "\\n");
`;

interface FirstCheckSample {
  readonly loadMs: number;
  readonly firstMs: number;
}

/** shared/breached-passwords.ts of sourceDir bundled alone (CommonJS, as the functions are), into outFile. */
async function bundleRule(sourceDir: string, outFile: string): Promise<string> {
  const { build } = await import("esbuild");
  await build({
    entryPoints: [join(sourceDir, "shared", "breached-passwords.ts")],
    outfile: outFile,
    // A copy of the sources outside the repository still resolves the repository's dependencies.
    nodePaths: [join(REPO_ROOT, "node_modules")],
    platform: "node",
    target: "node22",
    format: "cjs",
    bundle: true,
    minifySyntax: true,
    logLevel: "silent",
  });
  return outFile;
}

/** A copy of the users function and shared/ whose filter module holds no entries; returns the source folder. */
function emptyFilterSources(root: string): string {
  const dir = join(root, "empty-src");
  for (const folder of ["users", "shared"]) {
    mkdirSync(join(dir, folder), { recursive: true });
    for (const file of readdirSync(join(LAMBDA_PACKAGES_DIR, folder))) {
      if (statSync(join(LAMBDA_PACKAGES_DIR, folder, file)).isFile()) copyFileSync(join(LAMBDA_PACKAGES_DIR, folder, file), join(dir, folder, file));
    }
  }
  const empty = renderBreachedPasswordsModule({ source: "an empty list", entries: 0, keys: [] });
  writeFileSync(join(dir, "shared", BREACHED_PASSWORDS_MODULE.split("/").pop()!), empty);
  return dir;
}

/** Microseconds per call of check over strings, in batches: one figure per batch. */
function timePerCall(strings: readonly string[], check: (s: string) => boolean): number[] {
  const perCall: number[] = [];
  let sink = 0;
  for (let i = 0; i + LOOKUP_BATCH <= strings.length; i += LOOKUP_BATCH) {
    const started = performance.now();
    for (let j = i; j < i + LOOKUP_BATCH; j++) if (check(strings[j])) sink++;
    perCall.push(((performance.now() - started) * 1000) / LOOKUP_BATCH);
  }
  if (sink < 0) throw new Error("unreachable: keeps the checks from being optimized away");
  return perCall;
}

export async function benchBreachedPasswords(options: BreachedPasswordsOptions): Promise<SectionResult> {
  const list = breachedPasswordList();
  const keys = new Set(list.keys);
  const filterBytes = decodeXorFilter(BREACHED_PASSWORDS).fingerprints.length;
  const listText = Buffer.from(list.keys.join("\n"), "utf8");
  const listGzipBytes = gzipSync(listText, { level: 9 }).length;

  // 12 random bytes are 16 base64url characters: a password of the allowed length that no list holds.
  const strings: string[] = [];
  while (strings.length < options.randomStrings) {
    const candidate = randomBytes(12).toString("base64url");
    if (!keys.has(fold(candidate))) strings.push(candidate);
  }
  isBreachedPassword(strings[0]); // decodes the filter, as a function's first check does
  const falsePositives = strings.filter((s) => isBreachedPassword(s)).length;
  const falsePositiveRate = falsePositives / strings.length;

  const lookupStrings = strings.slice(0, Math.min(strings.length, 100 * LOOKUP_BATCH));
  const filterUs: number[] = [];
  const setUs: number[] = [];
  // Alternating rounds, so a noisy moment hits both alike.
  for (let round = 0; round < 3; round++) {
    filterUs.push(...timePerCall(lookupStrings, isBreachedPassword));
    setUs.push(...timePerCall(lookupStrings, (s) => keys.has(fold(s))));
  }
  const lookup = summarize(filterUs);
  const setLookup = summarize(setUs);

  const root = mkdtempSync(join(options.tmp, "breached-"));
  const emptySources = emptyFilterSources(root);
  const shipped = loadLambdaArtifact("users");
  const empty = await buildPackage("users", { sourceDir: emptySources, outDir: join(root, "empty-dist") });
  const zipBytes: Record<Variant, number> = { filter: shipped.sizeBytes, empty: empty.sizeBytes };
  const entry: Record<Variant, string> = {
    filter: extract(shipped.zipPath, join(root, "filter")),
    empty: extract(empty.zipPath, join(root, "empty")),
  };
  const rule: Record<Variant, string> = {
    filter: await bundleRule(LAMBDA_PACKAGES_DIR, join(root, "rule-filter.js")),
    empty: await bundleRule(emptySources, join(root, "rule-empty.js")),
  };
  const home = join(root, "home");
  mkdirSync(home);
  const initMs: Record<Variant, number[]> = { filter: [], empty: [] };
  const checks: Record<Variant, FirstCheckSample[]> = { filter: [], empty: [] };
  for (let i = -1; i < options.samples; i++) {
    for (const variant of ["filter", "empty"] as const) {
      const env = initEnvironment("users", home);
      const { result } = await runJson<InitSample>(process.execPath, ["-e", INIT_CHILD, entry[variant]], { env, cwd: root });
      const { result: check } = await runJson<FirstCheckSample>(process.execPath, ["-e", FIRST_CHECK_CHILD, rule[variant]], { env, cwd: root });
      if (i < 0) continue; // round -1 warms the file cache
      initMs[variant].push(result.ms);
      checks[variant].push(check);
    }
  }
  const init = { filter: summarize(initMs.filter), empty: summarize(initMs.empty) };
  const of = (variant: Variant, key: keyof FirstCheckSample) => summarize(checks[variant].map((c) => c[key]));
  const load = { filter: of("filter", "loadMs"), empty: of("empty", "loadMs") };
  const firstCheck = { filter: of("filter", "firstMs"), empty: of("empty", "firstMs") };

  const kb = (bytes: number) => `${fmt(bytes / 1024, 1)} KB`;
  const count = (n: number) => n.toLocaleString("en-US");
  const signed = (ms: number, digits = 1) => `${ms < 0 ? "-" : "+"}${fmt(Math.abs(ms), digits)}`;
  const percent = (rate: number) => `${fmt(rate * 100, 4)} %`;
  const expectedRate = 2 ** -FINGERPRINT_BITS;
  const targets: TargetResult[] = [
    {
      target: "users ZIP with the breached-password filter < 100 KB",
      figure: `${kb(zipBytes.filter)} (with an empty filter ${kb(zipBytes.empty)}; the filter ${kb(filterBytes)})`,
      met: zipBytes.filter < ZIP_LIMIT_BYTES,
    },
    {
      target: "users cold init with the breached-password filter, median < 30 ms",
      figure: `${fmt(init.filter.median, 1)} ms (with an empty filter ${fmt(init.empty.median, 1)} ms in the same run)`,
      met: init.filter.median < INIT_LIMIT_MS,
      ...(init.filter.median >= INIT_LIMIT_MS ? { why: "over the limit on this run" } : {}),
    },
    {
      target: "breached-password filter: false-positive rate < 0.01 % (random strong passwords refused)",
      figure: `${count(falsePositives)} of ${count(strings.length)} random strings (${percent(falsePositiveRate)}; 2^-${FINGERPRINT_BITS} = ${percent(expectedRate)})`,
      met: falsePositiveRate < FALSE_POSITIVE_LIMIT,
    },
  ];

  return {
    name: "breached",
    targets,
    data: {
      source: list.source,
      sourceEntries: list.entries,
      keptEntries: list.keys.length,
      filterBytes,
      bitsPerEntry: (filterBytes * 8) / list.keys.length,
      keptListBytes: listText.length,
      keptListGzipBytes: listGzipBytes,
      randomStrings: strings.length,
      falsePositives,
      falsePositiveRate,
      expectedFalsePositiveRate: expectedRate,
      lookupUs: lookup,
      setLookupUs: setLookup,
      ruleLoadMs: load,
      firstCheckMs: firstCheck,
      usersZipBytes: zipBytes,
      usersInitMs: init,
    },
    tables: [
      {
        title: `Breached-password filter: ${count(list.keys.length)} entries of ${list.source} (median (min-max))`,
        headers: ["figure", "the filter", "baseline", "ratio"],
        rows: [
          [
            "size",
            `${kb(filterBytes)} (${fmt((filterBytes * 8) / list.keys.length, 1)} bits per entry)`,
            `the kept entries as text ${kb(listText.length)}, gzipped ${kb(listGzipBytes)}`,
            `${fmt(ratio(filterBytes, listGzipBytes), 2)}x of gzipped`,
          ],
          [
            "false positives on random 16-character strings not on the list",
            `${count(falsePositives)} of ${count(strings.length)} (${percent(falsePositiveRate)})`,
            `2^-${FINGERPRINT_BITS} = ${percent(expectedRate)} expected`,
            `${fmt(ratio(falsePositiveRate, expectedRate), 2)}x`,
          ],
          [
            "one check (fold + SHA-256 + 3 reads), µs",
            fmtSpread(lookup, 2),
            `a Set of the kept entries (fold + has): ${fmtSpread(setLookup, 2)} µs`,
            `${fmt(ratio(lookup.median, setLookup.median), 1)}x`,
          ],
          [
            "loading the rule's module in a fresh process, ms",
            fmtSpread(load.filter, 2),
            `with an empty filter: ${fmtSpread(load.empty, 2)}`,
            `${signed(load.filter.median - load.empty.median, 2)} ms`,
          ],
          [
            "its first check (decodes the filter), ms",
            fmtSpread(firstCheck.filter, 2),
            `with an empty filter: ${fmtSpread(firstCheck.empty, 2)}`,
            `${signed(firstCheck.filter.median - firstCheck.empty.median, 2)} ms`,
          ],
          ["users ZIP", kb(zipBytes.filter), `the same code with an empty filter: ${kb(zipBytes.empty)}`, `+${kb(zipBytes.filter - zipBytes.empty)}`],
          [
            `users cold init, ms (${options.samples} each, interleaved)`,
            fmtSpread(init.filter, 1),
            `with an empty filter: ${fmtSpread(init.empty, 1)}`,
            `${signed(init.filter.median - init.empty.median)} ms`,
          ],
        ],
        notes: [
          `Kept: the ${count(list.keys.length)} of ${count(list.entries)} entries that newPasswordField accepts (NFKC, 12 to 256 characters), lower-cased and each once (tools/breached-passwords.ts); the rest could never be a new password.`,
          `Check timings: ${count(lookupStrings.length)} random strings in batches of ${count(LOOKUP_BATCH)}, three rounds alternating with the baseline; one figure per batch.`,
          "Fresh processes, the two variants interleaved, one warm-up round first: the rule's module is shared/breached-passwords.ts bundled alone by esbuild; cold init is require() of lambda-handler.js (section 3's child and environment). The empty filter is the generator's module for no entries in a copy of the sources, the users ZIP built from it by the app's buildPackage().",
        ],
      },
    ],
  };
}
