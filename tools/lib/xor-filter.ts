/**
 * Builds the xor filters that app/lambda-packages/shared/xor-filter.ts looks up, with its slots and fingerprints:
 * peel the keys' 3-slot hypergraph (a slot used by one key only gives that key its slot), then assign the
 * fingerprints in reverse order so each key's three slots xor to its fingerprint. Peeling fails with a small
 * probability for a given seed; the next seed is tried. Deterministic: the same keys give the same bytes.
 */
import { FINGERPRINT_BITS, xorFilterContains, xorFilterSlots, type XorFilter } from "../../app/lambda-packages/shared/xor-filter";

/** 1.23 slots per key plus 32 (Graf and Lemire): below that, peeling mostly fails. */
export function blockLengthFor(keys: number): number {
  return Math.ceil((32 + Math.ceil(1.23 * keys)) / 3);
}

/** Seeds tried before giving up; each succeeds with probability above 0.8 at 1.23 slots per key. */
const MAX_SEEDS = 64;

/** The filter of keys (distinct strings), from seed 1 up; throws on duplicates, or if no seed peels. */
export function buildXorFilter(keys: readonly string[]): XorFilter {
  if (new Set(keys).size !== keys.length) throw new Error("buildXorFilter: the keys must be distinct");
  const blockLength = blockLengthFor(keys.length);
  const size = 3 * blockLength;
  for (let seed = 1; seed <= MAX_SEEDS; seed++) {
    const hashed = keys.map((key) => xorFilterSlots(key, seed, blockLength));
    const order = peel(hashed, size);
    if (!order) continue;
    const fingerprints = new Uint16Array(size);
    for (let i = order.length - 1; i >= 0; i--) {
      const { key, slot } = order[i];
      const { slots, fingerprint } = hashed[key];
      // fingerprints[slot] is still 0 here: each slot is assigned once, after the slots peeled later.
      fingerprints[slot] = fingerprint ^ fingerprints[slots[0]] ^ fingerprints[slots[1]] ^ fingerprints[slots[2]];
    }
    const bytes = Buffer.alloc(size * (FINGERPRINT_BITS / 8));
    fingerprints.forEach((value, slot) => bytes.writeUInt16LE(value, 2 * slot));
    return { seed, blockLength, fingerprints: bytes };
  }
  throw new Error(`buildXorFilter: no seed from 1 to ${MAX_SEEDS} peels ${keys.length} keys`);
}

/** The peeling order (each key with the slot it owns), or undefined when some keys cannot be peeled. */
function peel(hashed: ReadonlyArray<{ readonly slots: readonly number[] }>, size: number): Array<{ key: number; slot: number }> | undefined {
  const count = new Uint32Array(size);
  // The xor of the indexes of the keys in each slot: the one key left when the count is 1.
  const keyXor = new Uint32Array(size);
  hashed.forEach(({ slots }, key) => {
    for (const slot of slots) {
      count[slot]++;
      keyXor[slot] ^= key;
    }
  });
  const single: number[] = [];
  count.forEach((n, slot) => {
    if (n === 1) single.push(slot);
  });
  const order: Array<{ key: number; slot: number }> = [];
  while (single.length > 0) {
    const slot = single.pop()!;
    if (count[slot] !== 1) continue;
    const key = keyXor[slot];
    order.push({ key, slot });
    for (const other of hashed[key].slots) {
      count[other]--;
      keyXor[other] ^= key;
      if (count[other] === 1) single.push(other);
    }
  }
  return order.length === hashed.length ? order : undefined;
}

/** The keys a filter does not find: none, for a filter built from them. */
export function missingKeys(filter: XorFilter, keys: readonly string[]): string[] {
  return keys.filter((key) => !xorFilterContains(filter, key));
}
