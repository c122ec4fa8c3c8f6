/**
 * The module graph of a TypeScript or JavaScript entry point, as esbuild resolves it, without writing anything:
 * every file it reads (`inputs`) with the imports of each. Packages stay external, so only repository files are
 * inputs and a package import is an external import of the file that makes it. Used to list the repository
 * modules a synthesis loads (synth-cache.test.ts) and the packages a handler loads (shared-packages.ts).
 */
import { buildSync, type Metafile } from "esbuild";

export function moduleGraph(entry: string): Metafile {
  return buildSync({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    packages: "external",
    platform: "node",
    format: "cjs",
    logLevel: "silent",
  }).metafile;
}
