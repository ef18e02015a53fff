/**
 * Bounded cache of bucket leaf lists (see leaf-list.ts), keyed by path id (nibbles.pathId).
 *
 * Entries live in a few 4 MB arena chunks, in power-of-two blocks of 64-byte units with a free
 * list per size: no JS object per entry, so the GC neither scans nor moves them (one Buffer per
 * cached node used to cost ~300 ms major GCs). A block is `hash(32) | count u32 | nodeLen u16 |
 * pad` followed by the entries and the bucket's root node (leaf-list.buildNode). A lookup only
 * hits when the stored hash equals the hash the caller expects (from the parent node), so an
 * entry left over from another version is never served. Eviction is CLOCK, as in NodeCache.
 */
import { ENTRY } from "./leaf-list.ts";
import { equal32 } from "./node-codec.ts";

const UNIT = 64;
const CHUNK_UNITS = 1 << 16;
const CHUNK_BYTES = CHUNK_UNITS * UNIT;

/** Bytes of a cache block holding `n` entries and a root node of `nodeLen` bytes. */
export function blockBytes(n: number, nodeLen: number): number {
  return UNIT * (1 + n + Math.ceil(nodeLen / UNIT));
}

/** Write a cache block (see above) into out[at..at + blockBytes). */
export function writeBlock(out: Buffer, at: number, hash: string, list: Uint8Array, node: Uint8Array): void {
  out.write(hash, at, 32, "latin1");
  out.writeUInt32LE(list.length / ENTRY, at + 32);
  out.writeUInt16LE(node.length, at + 36);
  out.set(list, at + UNIT);
  out.set(node, at + UNIT + list.length);
}

function sizeClass(units: number): number {
  return 32 - Math.clz32(units - 1);
}

export class BucketCache {
  private readonly index = new Map<number, number>(); // path id -> slot
  private readonly ids: Int32Array;
  private readonly blocks: Int32Array; // unit offset of the slot's block, -1 if free
  private readonly classes: Uint8Array;
  private readonly used: Uint8Array;
  private chunks: Buffer[] = [];
  private free: number[][] = [];
  private bump = CHUNK_UNITS;
  private filled = 0;
  private hand = 0;

  constructor(private readonly capacity: number) {
    this.ids = new Int32Array(capacity);
    this.blocks = new Int32Array(capacity).fill(-1);
    this.classes = new Uint8Array(capacity);
    this.used = new Uint8Array(capacity);
    for (let c = 0; c <= 16; c++) this.free.push([]);
  }

  get size(): number {
    return this.index.size;
  }

  /** Root node of the list last returned by get() (a view, like the list). */
  node: Buffer | null = null;

  /** The cached list for `id` if its hash equals hash[hOff..hOff+32); valid until the next set(). */
  get(id: number, hash: Uint8Array, hOff: number): Buffer | undefined {
    const s = this.index.get(id);
    if (s === undefined) return undefined;
    const b = this.blocks[s]!;
    const chunk = this.chunks[b >>> 16]!;
    const at = (b & 0xffff) * UNIT;
    if (!equal32(chunk, at, hash, hOff)) return undefined;
    this.used[s] = 1;
    const n = chunk.readUInt32LE(at + 32);
    const end = at + UNIT + n * ENTRY;
    this.node = chunk.subarray(end, end + chunk.readUInt16LE(at + 36));
    return chunk.subarray(at + UNIT, end);
  }

  /** Cache `list` and its root node (with their hash, a latin1 string) for `id`. */
  set(id: number, hash: string, list: Uint8Array, node: Uint8Array): void {
    const block = Buffer.allocUnsafe(blockBytes(list.length / ENTRY, node.length));
    writeBlock(block, 0, hash, list, node);
    this.setBlock(id, block);
  }

  /** Cache a block made by writeBlock for `id`. */
  setBlock(id: number, block: Uint8Array): void {
    const units = block.length / UNIT;
    if (this.capacity <= 0 || units > CHUNK_UNITS) return;
    let s = this.index.get(id);
    if (s === undefined) {
      s = this.freeSlot();
      this.ids[s] = id;
      this.index.set(id, s);
      this.used[s] = 0;
    } else {
      this.release(s);
      this.used[s] = 1;
    }
    const c = sizeClass(units);
    const b = this.alloc(c);
    this.blocks[s] = b;
    this.classes[s] = c;
    this.chunks[b >>> 16]!.set(block, (b & 0xffff) * UNIT);
  }

  delete(id: number): void {
    const s = this.index.get(id);
    if (s === undefined) return;
    this.index.delete(id);
    this.release(s);
    this.used[s] = 0;
  }

  clear(): void {
    this.index.clear();
    this.blocks.fill(-1);
    this.chunks = [];
    for (const f of this.free) f.length = 0;
    this.bump = CHUNK_UNITS;
    this.filled = 0;
    this.hand = 0;
  }

  private release(s: number): void {
    const b = this.blocks[s]!;
    if (b < 0) return;
    this.free[this.classes[s]!]!.push(b);
    this.blocks[s] = -1;
  }

  private alloc(c: number): number {
    const reuse = this.free[c]!.pop();
    if (reuse !== undefined) return reuse;
    const units = 1 << c;
    if (this.bump + units > CHUNK_UNITS) {
      this.chunks.push(Buffer.allocUnsafeSlow(CHUNK_BYTES));
      this.bump = 0;
    }
    const b = ((this.chunks.length - 1) << 16) | this.bump;
    this.bump += units;
    return b;
  }

  private freeSlot(): number {
    if (this.filled < this.capacity) return this.filled++;
    for (;;) {
      const s = this.hand;
      this.hand = s + 1 === this.capacity ? 0 : s + 1;
      if (this.blocks[s]! < 0) return s; // emptied by delete()
      if (this.used[s]) {
        this.used[s] = 0;
        continue;
      }
      this.index.delete(this.ids[s]!);
      this.release(s);
      return s;
    }
  }
}
