/**
 * Leaf lists: the leaves of a subtree as sorted 64-byte entries `keyHash(32) | leafHash(32)`.
 *
 * A bucket (a subtree of at most `bucketLeaves` keys) is never stored as nodes; its shape and
 * hashes follow from its leaf list alone, which this module hashes and walks.
 */
import { sha256Str } from "./hash.ts";

export const ENTRY = 64;

/** Nibble `depth` of the key hash of entry `i`. */
export function entryNibble(list: Uint8Array, i: number, depth: number): number {
  const b = list[i * ENTRY + (depth >> 1)]!;
  return depth & 1 ? b & 15 : b >> 4;
}

export function copy32(src: Uint8Array, so: number, dst: Uint8Array, d: number): void {
  for (let i = 0; i < 32; i++) dst[d + i] = src[so + i]!;
}

// Per-depth buffers for assembling an internal node's hash input (tag, bitmap, up to 16 hashes),
// with a view per child count so hashing allocates nothing but the digest string.
const inputs: Buffer[] = [];
const inputViews: Buffer[][] = [];
for (let d = 0; d <= 64; d++) {
  const b = Buffer.alloc(3 + 32 * 16);
  b[0] = 0x01;
  inputs.push(b);
  const views: Buffer[] = [];
  for (let n = 0; n <= 16; n++) views.push(b.subarray(0, 3 + 32 * n));
  inputViews.push(views);
}

/**
 * Hash (latin1 string) of the subtree at `depth` holding exactly the entries [lo, hi) of `list`
 * (a leaf if there is one entry, else an internal node).
 */
export function subtreeHash(list: Buffer, lo: number, hi: number, depth: number): string {
  if (hi - lo === 1) return list.toString("latin1", lo * ENTRY + 32, lo * ENTRY + 64);
  const buf = inputs[depth]!;
  let bitmap = 0;
  let n = 0;
  for (let i = lo; i < hi; ) {
    const nib = entryNibble(list, i, depth);
    let j = i + 1;
    while (j < hi && entryNibble(list, j, depth) === nib) j++;
    bitmap |= 1 << nib;
    if (j - i === 1) copy32(list, i * ENTRY + 32, buf, 3 + 32 * n);
    else buf.write(subtreeHash(list, i, j, depth + 1), 3 + 32 * n, 32, "latin1");
    n++;
    i = j;
  }
  buf[1] = bitmap >>> 8;
  buf[2] = bitmap & 0xff;
  return sha256Str(inputViews[depth]![n]!);
}

/**
 * The internal node at `depth` over a list of >= 2 entries, as its hash input
 * `0x01 | bitmap u16 | child hashes`, written into `out` at `off`; returns its length.
 * Buckets keep this next to their list, so an update re-hashes only the children it changed.
 */
export function buildNode(list: Buffer, depth: number, out: Buffer, off: number): number {
  const n = list.length / ENTRY;
  let bitmap = 0;
  let o = off + 3;
  for (let i = 0; i < n; ) {
    const nib = entryNibble(list, i, depth);
    let j = i + 1;
    while (j < n && entryNibble(list, j, depth) === nib) j++;
    bitmap |= 1 << nib;
    if (j - i === 1) copy32(list, i * ENTRY + 32, out, o);
    else out.write(subtreeHash(list, i, j, depth + 1), o, 32, "latin1");
    o += 32;
    i = j;
  }
  out[off] = 0x01;
  out[off + 1] = bitmap >>> 8;
  out[off + 2] = bitmap & 0xff;
  return o - off;
}

/**
 * Like buildNode, starting from `old` (the node of the list before a change) and recomputing
 * only the children in `changed` (a nibble mask). Returns -1 if the set of children changed.
 */
export function patchNode(
  list: Buffer,
  depth: number,
  old: Buffer,
  changed: number,
  out: Buffer,
  off: number,
): number {
  const n = list.length / ENTRY;
  const bitmap = (old[1]! << 8) | old[2]!;
  old.copy(out, off);
  let o = off + 3;
  let seen = 0;
  for (let i = 0; i < n; ) {
    const nib = entryNibble(list, i, depth);
    let j = i + 1;
    while (j < n && entryNibble(list, j, depth) === nib) j++;
    if (!(bitmap & (1 << nib))) return -1;
    seen |= 1 << nib;
    if (changed & (1 << nib)) {
      if (j - i === 1) copy32(list, i * ENTRY + 32, out, o);
      else out.write(subtreeHash(list, i, j, depth + 1), o, 32, "latin1");
    }
    o += 32;
    i = j;
  }
  return seen === bitmap ? o - off : -1;
}

/** Subtree hash of a whole list at `depth` (list must not be empty). */
export function listHash(list: Buffer, depth: number): string {
  return subtreeHash(list, 0, list.length / ENTRY, depth);
}

const CHUNK = 1 << 20;

/**
 * Free 1 MB chunks for ListWriters. A 30k-update commit builds ~30 MB of lists; allocating that
 * afresh each time made V8 run a full GC per commit (external memory pressure).
 */
export class ChunkPool {
  private readonly free: Buffer[] = [];

  constructor(private readonly maxFree: number) {}

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(CHUNK);
  }

  give(chunks: Buffer[]): void {
    for (const c of chunks) if (c.length === CHUNK && this.free.length < this.maxFree) this.free.push(c);
  }
}

/**
 * Append-only storage for the lists (and bucket nodes) a commit builds. They are views into
 * 1 MB chunks (never moved), so building one costs no allocation beyond its view.
 */
export class ListWriter {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private used = 0;

  constructor(private readonly pool: ChunkPool) {
    this.buf = pool.take();
    this.chunks.push(this.buf);
  }

  /** Make room for `bytes` bytes; returns the buffer to write them into at `this.at`. */
  reserve(bytes: number): Buffer {
    if (this.used + bytes > this.buf.length) {
      this.buf = bytes <= CHUNK ? this.pool.take() : Buffer.allocUnsafeSlow(bytes);
      this.chunks.push(this.buf);
      this.used = 0;
    }
    return this.buf;
  }

  /** Byte offset where the reserved space starts. */
  get at(): number {
    return this.used;
  }

  /** Keep the first `bytes` bytes of the reservation; returns them. */
  take(bytes: number): Buffer {
    const start = this.used;
    this.used += bytes;
    return this.buf.subarray(start, this.used);
  }

  /** Skip `bytes` bytes of the reservation (written through the buffer reserve() returned). */
  skip(bytes: number): void {
    this.used += bytes;
  }

  /** Index of the chunk reserve() last returned, for chunk(). */
  get chunkIndex(): number {
    return this.chunks.length - 1;
  }

  chunk(index: number): Buffer {
    return this.chunks[index]!;
  }

  /** Hand the chunks back to the pool; every list this writer returned becomes invalid. */
  release(): void {
    this.pool.give(this.chunks);
    this.chunks.length = 0;
  }
}
