/** Nibble `i` of the 32-byte key hash at h[off..] (0 = high half of its first byte); 64 levels. */
export function nibbleAt(h: Uint8Array, i: number, off = 0): number {
  const b = h[off + (i >> 1)]!;
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
 * Numeric id of the path formed by the first `depth` nibbles of the key hash at h[off..]
 * (depth <= MAX_ID_DEPTH):
 * 16^depth + prefix. Ranges [16^d, 2*16^d) never overlap, so ids are unique across depths.
 */
export function pathId(h: Uint8Array, depth: number, off = 0): number {
  if (depth === 0) return 1;
  const top32 = ((h[off]! << 24) | (h[off + 1]! << 16) | (h[off + 2]! << 8) | h[off + 3]!) >>> 0;
  return POW16[depth]! + (top32 >>> (32 - 4 * depth));
}

/**
 * Key-hash range [start, end) of the path formed by the first `depth` nibbles of `h`;
 * `end` is null when the range runs to the last key hash.
 */
export function prefixRange(h: Uint8Array, depth: number): { start: Buffer; end: Buffer | null } {
  const start = Buffer.alloc(32);
  const full = depth >> 1;
  start.set(h.subarray(0, full));
  if (depth & 1) start[full] = h[full]! & 0xf0;
  if (depth === 0) return { start, end: null };
  const end = Buffer.from(start);
  // Add one at the last nibble of the prefix, carrying into the bytes before it.
  let i = (depth - 1) >> 1;
  let add = depth & 1 ? 0x10 : 0x01;
  for (; i >= 0; i--) {
    const s = end[i]! + add;
    end[i] = s & 0xff;
    if (s <= 0xff) return { start, end };
    add = 1;
  }
  return { start, end: null };
}

/** pathId of child `nib` of the path with id `id` at `depth` (depth + 1 <= MAX_ID_DEPTH). */
export function childPathId(id: number, depth: number, nib: number): number {
  return POW16[depth + 1]! + (id - POW16[depth]!) * 16 + nib;
}
