/**
 * Section 5, password hashing: the scrypt parameters the handlers use (app/lambda-packages/shared/passwords.ts,
 * read back from a hash it produces), the time one hash takes here, and the memory it needs against the
 * memory size of the functions that hash (users: sign-up and password change; sessions: log-in), as the
 * compute stack configures them from app/config/prod.json. Baseline: SHA-256 of the same input (what hashing costs
 * without a work factor), measured alongside.
 */
import { createHash } from "node:crypto";
import { loadConfig } from "../../app/config/load";
import { functionSettings } from "../../app/stacks/compute-stack";
import { hashPassword, SCRYPT_PARAMS } from "../../app/lambda-packages/shared/passwords";
import type { SectionResult } from "./lib/report";
import { fmt, fmtSpread, ratio, summarize } from "./lib/stats";

export interface PasswordsOptions {
  readonly samples: number;
}

const PASSWORD = "correct horse battery staple";
const MIB = 2 ** 20;

export async function benchPasswords(options: PasswordsOptions): Promise<SectionResult> {
  // The parameters as stored, parsed from a real hash: what the code does, not what a comment says.
  const sample = await hashPassword(PASSWORD);
  const match = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$/.exec(sample);
  if (!match) throw new Error(`hashPassword() returned an unexpected format: ${sample.slice(0, 40)}...`);
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (N !== SCRYPT_PARAMS.N || r !== SCRYPT_PARAMS.r || p !== SCRYPT_PARAMS.p) {
    throw new Error(`The stored parameters N=${N},r=${r},p=${p} differ from SCRYPT_PARAMS ${JSON.stringify(SCRYPT_PARAMS)}`);
  }

  const scryptMs: number[] = [];
  const sha256Ms: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    let started = performance.now();
    await hashPassword(PASSWORD);
    scryptMs.push(performance.now() - started);
    started = performance.now();
    createHash("sha256").update(PASSWORD.normalize("NFKC")).update("salt-of-16-bytes").digest();
    sha256Ms.push(performance.now() - started);
  }
  const scrypt = summarize(scryptMs);
  const sha256 = summarize(sha256Ms);

  // 128 * N * r bytes: the scrypt working array V (OpenSSL allocates 128 * r * (N + p + 2) in all).
  const memoryBytes = 128 * N * r;
  const opensslBytes = 128 * r * (N + p + 2);
  const config = loadConfig({ environment: "prod" });
  const memorySizes = {
    users: functionSettings(config.lambda, "users").memorySize,
    sessions: functionSettings(config.lambda, "sessions").memorySize,
  };
  const share = (mb: number) => (memoryBytes / (mb * MIB)) * 100;

  return {
    name: "passwords",
    targets: [],
    data: {
      params: { N, r, p, saltBytes: 16, keyBytes: 32, format: sample.replace(/\$[^$]+\$[^$]+$/, "$<salt>$<hash>") },
      hashMs: scrypt,
      sha256BaselineMs: sha256,
      scryptOverSha256: ratio(scrypt.median, sha256.median),
      memoryBytes,
      opensslAllocationBytes: opensslBytes,
      functionMemoryMB: memorySizes,
    },
    tables: [
      {
        title: `Password hashing: scrypt N=${N}, r=${r}, p=${p} (median (min-max) of ${options.samples})`,
        headers: ["figure", "value", "baseline / limit", "ratio"],
        rows: [
          [
            "time per hash (one core, libuv pool), ms",
            fmtSpread(scrypt, 1),
            `SHA-256 of the same input: ${fmt(sha256.median, 3)} ms`,
            `${fmt(ratio(scrypt.median, sha256.median), 0)}x`,
          ],
          [
            "memory per hash, 128 * N * r",
            `${fmt(memoryBytes / MIB, 1)} MiB`,
            `users function ${memorySizes.users} MB, sessions function ${memorySizes.sessions} MB (prod)`,
            `${fmt(share(memorySizes.users), 1)} % / ${fmt(share(memorySizes.sessions), 1)} %`,
          ],
        ],
        notes: [
          `Parameters read from a hash made by hashPassword(): \`scrypt$N=${N},r=${r},p=${p}$<salt>$<hash>\`; OpenSSL allocates 128 * r * (N + p + 2) = ${fmt(opensslBytes / MIB, 2)} MiB per hash.`,
          "Lambda gives a function CPU in proportion to its memory (a full vCPU at 1769 MB), so a hash takes longer there than on a core here.",
        ],
      },
    ],
  };
}
