/**
 * Byte layouts of stored tree nodes, node keys and root pointers (see README "Storage").
 *
 * Only internal nodes whose subtree holds more than `bucketLeaves` keys are stored ("stored
 * nodes"). Their children are of four kinds: empty, a leaf, a bucket (a subtree of at most
 * `bucketLeaves` keys, recomputed from the key index and flat values) or another stored node.
 *
 * Stored node: 0x01 | bitmap u16 | childHash(32) x n                        <- hashed prefix
 *              | leafMask u16 | bucketMask u16 | leafCount u64
 *              | childVersion u64 x (stored-node children) | leafKeyHash(32) x (leaf children)
 * internalHash = SHA256(hashed prefix); leafHash = SHA256(0x00 | keyHash | SHA256(value)).
 */
import { sha256Str } from "./hash.ts";
import { nibbleAt } from "./nibbles.ts";

export const TAG_INTERNAL = 0x01;

export const KIND_EMPTY = 0;
export const KIND_LEAF = 1;
export const KIND_BUCKET = 2;
export const KIND_NODE = 3;

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
 * commit form one contiguous key range at the end of the B-tree, so writing them is an append.
 */
export function nodeKey(version: number, h: Uint8Array, depth: number, off = 0): Buffer {
  const k = Buffer.allocUnsafe(8 + depth);
  writeU64(k, 0, version);
  for (let i = 0; i < depth; i++) k[8 + i] = nibbleAt(h, i, off);
  return k;
}

export function popcount16(x: number): number {
  x = x - ((x >>> 1) & 0x5555);
  x = (x & 0x3333) + ((x >>> 2) & 0x3333);
  x = (x + (x >>> 4)) & 0x0f0f;
  return (x + (x >>> 8)) & 0x1f;
}

/** Position of child `nib` among the children in `mask`. */
function rank(mask: number, nib: number): number {
  return popcount16(mask & ((1 << nib) - 1));
}

/** a[ao..ao+32) == b[bo..bo+32)? A JS loop beats Buffer.compare's native call for 32 bytes. */
export function equal32(a: Uint8Array, ao: number, b: Uint8Array, bo: number): boolean {
  for (let i = 0; i < 32; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** Byte order of a[ao..ao+32) vs b[bo..bo+32): negative, 0 or positive. */
export function compare32(a: Uint8Array, ao: number, b: Uint8Array, bo: number): number {
  for (let i = 0; i < 32; i++) {
    const d = a[ao + i]! - b[bo + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Decoded header of a stored node record; child data is read from `rec` in place. */
export class NodeView {
  readonly bitmap: number;
  readonly n: number;
  readonly leafMask: number;
  readonly bucketMask: number;
  readonly nodeMask: number;
  readonly leafCount: number;
  private readonly versionsAt: number;
  private readonly keyHashesAt: number;

  constructor(readonly rec: Buffer) {
    this.bitmap = (rec[1]! << 8) | rec[2]!;
    this.n = popcount16(this.bitmap);
    const t = 3 + 32 * this.n;
    this.leafMask = (rec[t]! << 8) | rec[t + 1]!;
    this.bucketMask = (rec[t + 2]! << 8) | rec[t + 3]!;
    this.nodeMask = this.bitmap & ~this.leafMask & ~this.bucketMask;
    this.leafCount = readU64(rec, t + 4);
    this.versionsAt = t + 12;
    this.keyHashesAt = this.versionsAt + 8 * popcount16(this.nodeMask);
  }

  kind(nib: number): number {
    const bit = 1 << nib;
    if (!(this.bitmap & bit)) return KIND_EMPTY;
    if (this.leafMask & bit) return KIND_LEAF;
    return this.bucketMask & bit ? KIND_BUCKET : KIND_NODE;
  }

  hashOffset(nib: number): number {
    return 3 + 32 * rank(this.bitmap, nib);
  }

  /** Version of stored-node child `nib`. */
  childVersion(nib: number): number {
    return readU64(this.rec, this.versionsAt + 8 * rank(this.nodeMask, nib));
  }

  /** Offset of the key hash of leaf child `nib`. */
  keyHashOffset(nib: number): number {
    return this.keyHashesAt + 32 * rank(this.leafMask, nib);
  }

  /** Internal node hash as a latin1 string. */
  hash(): string {
    return sha256Str(this.rec.subarray(0, 3 + 32 * this.n));
  }
}

export function nodeRecordLength(bitmap: number, leafMask: number, bucketMask: number): number {
  const n = popcount16(bitmap);
  return 3 + 32 * n + 12 + 8 * popcount16(bitmap & ~leafMask & ~bucketMask) + 32 * popcount16(leafMask);
}

// ---- root pointers (kept per version in the meta db) ----

export const ROOT_EMPTY = 0;
/** 1..bucketLeaves keys: the root is a leaf or a bucket, recomputed from the flat data. */
export const ROOT_LIST = 1;
export const ROOT_NODE = 2;

/** Where the tree of one version starts: root hash, kind and (for a stored node) its version. */
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
