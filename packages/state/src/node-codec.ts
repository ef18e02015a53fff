/**
 * Byte layouts of tree nodes and node keys (see README "Storage layout").
 *
 * Leaf:     0x00 | keyHash(32) | valueHash(32) | keyLen(u16 BE) | key | value
 *           leafHash = SHA256(first 65 bytes)
 * Internal: 0x01 | bitmap(u16 BE) | childHash(32) x n | leafMask(u16 BE) | childVersion(u64 BE) x n
 *           | leafKeyHash(32) x (number of leaf children)
 *           internalHash = SHA256(first 3 + 32n bytes)
 * The hashed part of each record is a prefix of it, so hashing needs no copy. The unhashed tail
 * (leaf mask, versions, leaf key hashes) is navigation data: knowing which child is a leaf and
 * for which key lets an update of an existing key skip reading the leaf itself.
 */
import { sha256Str } from "./hash.ts";
import { nibbleAt } from "./nibbles.ts";

export const TAG_LEAF = 0x00;
export const TAG_INTERNAL = 0x01;
const LEAF_HASHED_LEN = 65;
const LEAF_HEADER_LEN = 67;

const TWO32 = 4294967296;

/** Versions are block heights stored as u64 BE; JS numbers keep them exact up to 2^53 - 1. */
export function writeU64(buf: Uint8Array, off: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  const lo = v >>> 0;
  buf[off] = hi >>> 24;
  buf[off + 1] = hi >>> 16;
  buf[off + 2] = hi >>> 8;
  buf[off + 3] = hi;
  buf[off + 4] = lo >>> 24;
  buf[off + 5] = lo >>> 16;
  buf[off + 6] = lo >>> 8;
  buf[off + 7] = lo;
}

export function readU64(buf: Uint8Array, off: number): number {
  const hi = ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
  const lo = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
  return hi * TWO32 + lo;
}

/**
 * NodeKey = version(u64 BE) | one byte per nibble of the path. Version first: the nodes of a
 * commit form one contiguous key range at the end of the B-tree, so writing them is cheap.
 */
export function nodeKey(version: number, h: Uint8Array, depth: number): Buffer {
  const k = Buffer.allocUnsafe(8 + depth);
  writeU64(k, 0, version);
  for (let i = 0; i < depth; i++) k[8 + i] = nibbleAt(h, i);
  return k;
}

export function popcount16(x: number): number {
  x = x - ((x >>> 1) & 0x5555);
  x = (x & 0x3333) + ((x >>> 2) & 0x3333);
  x = (x + (x >>> 4)) & 0x0f0f;
  return (x + (x >>> 8)) & 0x1f;
}

// ---- leaves ----

export function encodeLeaf(keyHash: Uint8Array, key: Uint8Array, value: Uint8Array): Buffer {
  const rec = Buffer.allocUnsafe(LEAF_HEADER_LEN + key.length + value.length);
  rec[0] = TAG_LEAF;
  rec.set(keyHash, 1);
  rec.write(sha256Str(value), 33, 32, "latin1");
  rec[65] = key.length >>> 8;
  rec[66] = key.length & 0xff;
  rec.set(key, LEAF_HEADER_LEN);
  rec.set(value, LEAF_HEADER_LEN + key.length);
  return rec;
}

/** Leaf hash as a latin1 string (see hash.sha256Str). */
export function leafHash(rec: Buffer): string {
  return sha256Str(rec.subarray(0, LEAF_HASHED_LEN));
}

export function leafKeyHash(rec: Buffer): Buffer {
  return rec.subarray(1, 33);
}

export function leafValueHash(rec: Buffer): Buffer {
  return rec.subarray(33, 65);
}

export function leafValue(rec: Buffer): Buffer {
  return rec.subarray(LEAF_HEADER_LEN + ((rec[65]! << 8) | rec[66]!));
}

/** Same key hash as `kh`? Compares in place, no subarray allocation. */
export function leafHasKeyHash(rec: Buffer, kh: Uint8Array): boolean {
  return equal32(rec, 1, kh, 0);
}

/** a[ao..ao+32) == b[bo..bo+32)? A JS loop beats Buffer.compare's native call for 32 bytes. */
export function equal32(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

// ---- internal nodes ----

export function bitmapOf(rec: Buffer): number {
  return (rec[1]! << 8) | rec[2]!;
}

/** Position of child `nib` among the present children. */
export function childIndex(bitmap: number, nib: number): number {
  return popcount16(bitmap & ((1 << nib) - 1));
}

export function childHashOffset(idx: number): number {
  return 3 + 32 * idx;
}

export function leafMaskOf(rec: Buffer, n: number): number {
  const o = 3 + 32 * n;
  return (rec[o]! << 8) | rec[o + 1]!;
}

export function childVersion(rec: Buffer, n: number, idx: number): number {
  return readU64(rec, 5 + 32 * n + 8 * idx);
}

export function internalLen(n: number, leaves: number): number {
  return 5 + 40 * n + 32 * leaves;
}

/** Offset of the key hash of leaf child `nib` (which must be a leaf child). */
export function leafKhOffset(n: number, leafMask: number, nib: number): number {
  return 5 + 40 * n + 32 * popcount16(leafMask & ((1 << nib) - 1));
}

/** Internal node hash as a latin1 string (see hash.sha256Str). */
export function internalHash(rec: Buffer, n: number): string {
  return sha256Str(rec.subarray(0, 3 + 32 * n));
}

/** Writes tag, bitmap and leaf mask; the caller fills child hashes, versions and leaf key hashes. */
export function allocInternal(bitmap: number, leafMask: number): Buffer {
  const n = popcount16(bitmap);
  const rec = Buffer.allocUnsafe(internalLen(n, popcount16(leafMask)));
  rec[0] = TAG_INTERNAL;
  rec[1] = bitmap >>> 8;
  rec[2] = bitmap & 0xff;
  const o = 3 + 32 * n;
  rec[o] = leafMask >>> 8;
  rec[o + 1] = leafMask & 0xff;
  return rec;
}

// ---- root pointers (kept per version in the meta db) ----

export const ROOT_EMPTY = 0;
export const ROOT_LEAF = 1;
export const ROOT_INTERNAL = 2;

/** Where the tree of one version starts: the root node's hash, kind and the version it was written at. */
export interface RootRef {
  hash: Buffer;
  kind: number;
  nodeVersion: number;
}

export const ROOT_REF_LEN = 41;

export function encodeRootRef(r: RootRef, out: Buffer, off: number): void {
  out.set(r.hash, off);
  out[off + 32] = r.kind;
  writeU64(out, off + 33, r.nodeVersion);
}

export function decodeRootRef(b: Buffer, off: number): RootRef {
  return {
    hash: Buffer.from(b.subarray(off, off + 32)),
    kind: b[off + 32]!,
    nodeVersion: readU64(b, off + 33),
  };
}
