/** Nibble `i` of a 32-byte key hash (0 = high half of byte 0); the tree has 64 nibble levels. */
export function nibbleAt(h: Uint8Array, i: number): number {
  const b = h[i >> 1]!;
  return i & 1 ? b & 15 : b >> 4;
}

/** True when a and b agree on their first `n` nibbles. */
export function samePrefix(a: Uint8Array, b: Uint8Array, n: number): boolean {
  const full = n >> 1;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  return !(n & 1) || a[full]! >> 4 === b[full]! >> 4;
}

export const MAX_DEPTH = 64;

/**
 * Paths up to this depth get a numeric id below 2^30, a V8 small integer: Map lookups with such
 * keys neither hash doubles nor allocate. 16^7 paths cover trees far larger than 100M keys.
 */
export const MAX_ID_DEPTH = 7;

const POW16: number[] = [];
for (let i = 0; i <= MAX_ID_DEPTH; i++) POW16.push(16 ** i);

/**
 * Numeric id of the path formed by the first `depth` nibbles of `h` (depth <= MAX_ID_DEPTH):
 * 16^depth + prefix. Ranges [16^d, 2*16^d) never overlap, so ids are unique across depths.
 */
export function pathId(h: Uint8Array, depth: number): number {
  if (depth === 0) return 1;
  const top32 = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
  return POW16[depth]! + (top32 >>> (32 - 4 * depth));
}
