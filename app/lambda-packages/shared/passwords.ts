/**
 * Password hashing with scrypt from node:crypto (no dependency, nothing to load at cold start).
 *
 * Stored format, self-describing so the parameters can be raised without a migration:
 *   scrypt$N=32768,r=8,p=1$<salt, base64>$<derived key, base64>
 * verifyPassword() reads the parameters from the stored string, so old hashes keep verifying after
 * SCRYPT_PARAMS changes, and reports `needsRehash` when they differ from the current ones: the log-in handler
 * then re-hashes the password it has just verified and stores the new hash (a conditional update on the old
 * hash, so a concurrent password change wins).
 *
 * Passwords are NFKC-normalized before hashing (NIST SP 800-63B 5.1.1.2), so the same password typed on two
 * keyboards that produce different Unicode forms still matches.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  /** Block size. */
  readonly r: number;
  /** Parallelization. */
  readonly p: number;
}

/**
 * N=2^15, r=8, p=1: scrypt needs 128*N*r = 32 MiB per hash, comfortable in a 512 MB function that handles one
 * request at a time (and 2^15 is the upper bound of Node's default 32 MiB maxmem, hence the explicit maxmem).
 * Measured at ~62 ms per hash on one core of the development machine; Lambda gives a 512 MB function about
 * 0.3 vCPU, so expect ~200 ms per hash there, paid once per log-in, sign-up or password change. Each doubling of
 * N doubles both time and memory (2^16: ~400 ms and 64 MiB at 512 MB); raise N together with the memory size.
 */
export const SCRYPT_PARAMS: ScryptParams = { N: 32768, r: 8, p: 1 };

/**
 * The parameters of new hashes: SCRYPT_PARAMS, except in a jest test that is not about hashing and asks for a
 * cheaper N with TEST_SCRYPT_N (as Django and Devise lower their hashers' cost in tests). Honoured only inside
 * jest (JEST_WORKER_ID and NODE_ENV=test), there also in the local run's sandboxes when a test passes these
 * variables to its functions, and never on Lambda, whose runtime sets AWS_LAMBDA_RUNTIME_API and
 * LAMBDA_RUNTIME_DIR, reserved variables that no function configuration can set or remove (and that the local
 * run does not set); ignored everywhere else.
 */
export function currentScryptParams(env: NodeJS.ProcessEnv = process.env): ScryptParams {
  const n = env.TEST_SCRYPT_N;
  const onLambda = env.AWS_LAMBDA_RUNTIME_API !== undefined || env.LAMBDA_RUNTIME_DIR !== undefined;
  if (n === undefined || env.JEST_WORKER_ID === undefined || env.NODE_ENV !== "test" || onLambda) return SCRYPT_PARAMS;
  const N = Number(n);
  if (!Number.isInteger(N) || N < 2 || N > SCRYPT_PARAMS.N || (N & (N - 1)) !== 0) {
    throw new Error(`TEST_SCRYPT_N must be a power of two from 2 to ${SCRYPT_PARAMS.N}, received ${JSON.stringify(n)}`);
  }
  return { ...SCRYPT_PARAMS, N };
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Most memory a stored hash may ask for: bounds what a corrupt item could make a verification allocate. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function memoryBytes({ N, r, p }: ScryptParams): number {
  return 128 * r * (N + p + 2);
}

function deriveKey(password: string, salt: Buffer, keyLength: number, params: ScryptParams): Promise<Buffer> {
  // OpenSSL needs 128*r*(N+p+2) bytes; maxmem is only the ceiling it checks against, so leave a margin.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 2 * memoryBytes(params) };
  return new Promise((resolve, reject) => {
    // The async scrypt runs on the libuv thread pool and leaves the event loop free.
    scrypt(password.normalize("NFKC"), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function format(params: ScryptParams, salt: Buffer, key: Buffer): string {
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parse(stored: string): ParsedHash | undefined {
  const match = FORMAT.exec(stored);
  if (!match) return undefined;
  const [N, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const powerOfTwo = N > 1 && N <= 2 ** 30 && (N & (N - 1)) === 0;
  if (!powerOfTwo || r < 1 || r > 64 || p < 1 || p > 16 || memoryBytes({ N, r, p }) > MAX_MEMORY_BYTES) return undefined;
  const salt = Buffer.from(match[4], "base64");
  const key = Buffer.from(match[5], "base64");
  if (salt.length < 8 || key.length < 16) return undefined;
  return { params: { N, r, p }, salt, key };
}

/** A new hash of password with a fresh random salt; `params` other than the current ones are for tests. */
export async function hashPassword(password: string, params: ScryptParams = currentScryptParams()): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return format(params, salt, await deriveKey(password, salt, KEY_BYTES, params));
}

export interface Verification {
  readonly ok: boolean;
  /** The hash verified but was made with other parameters than SCRYPT_PARAMS: store a new one. */
  readonly needsRehash: boolean;
}

/**
 * Compares password with a stored hash in constant time (timingSafeEqual over the derived keys). A stored value
 * that is not in the format above never verifies; the caller logs it.
 */
export async function verifyPassword(password: string, stored: string): Promise<Verification> {
  const parsed = parse(stored);
  if (!parsed) return { ok: false, needsRehash: false };
  const candidate = await deriveKey(password, parsed.salt, parsed.key.length, parsed.params);
  const ok = timingSafeEqual(candidate, parsed.key);
  const { N, r, p } = parsed.params;
  const params = currentScryptParams();
  const current = N === params.N && r === params.r && p === params.p;
  return { ok, needsRehash: ok && !current };
}

/** True when stored is a hash this module can verify. */
export function isPasswordHash(stored: unknown): stored is string {
  return typeof stored === "string" && parse(stored) !== undefined;
}

/**
 * A well-formed hash at the current parameters that no password matches (its key is random, fixed per cold
 * start). Verifying against it costs exactly what a real verification costs; built from random bytes, not
 * derived, so creating it costs nothing at init.
 */
const DUMMY_SALT = randomBytes(SALT_BYTES);
const DUMMY_KEY = randomBytes(KEY_BYTES);

/**
 * The work of a password verification against nothing, for log-ins whose e-mail address has no account: the
 * answer then takes as long as a wrong password does. Always false.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  await verifyPassword(password, format(currentScryptParams(), DUMMY_SALT, DUMMY_KEY));
  return false;
}
