/**
 * Reads of the tree at any retained version: stored nodes, bucket leaf lists, values, proofs.
 *
 * A bucket's leaf list is served from the BucketCache when the cached hash matches the hash in
 * its parent (whatever the version), else rebuilt from the key index (key hash -> state key) and
 * the flat values, with the undo log applied for older versions, and checked against that hash.
 */
import type { Database } from "lmdb";
import type { BucketCache } from "./bucket-cache.ts";
import type { NodeCache } from "./cache.ts";
import { StateError } from "./errors.ts";
import { sha256, sha256Str } from "./hash.ts";
import { buildNode, ENTRY, entryNibble, subtreeHash } from "./leaf-list.ts";
import { MAX_DEPTH, MAX_ID_DEPTH, nibbleAt, pathId, prefixRange } from "./nibbles.ts";
import {
  equal32,
  KIND_BUCKET,
  KIND_EMPTY,
  KIND_LEAF,
  NodeView,
  ROOT_EMPTY,
  ROOT_LIST,
  type RootRef,
  TAG_INTERNAL,
  writeU64,
} from "./node-codec.ts";
import type { ProofTerminal } from "./proof.ts";
import type { ProofSink } from "./proof-sink.ts";
import type { TreeSource } from "./tree.ts";
import { scanUndo, undoEntry } from "./undo.ts";

export type Db = Database<Buffer, Buffer>;

/** View of lmdb-js's shared read buffer (valid until the next read); it overrides `length`. */
export function readFast(db: Db, key: Uint8Array): Uint8Array | undefined {
  const fast = db.getBinaryFast(key as Buffer);
  if (fast === undefined) return undefined;
  return new Uint8Array(fast.buffer, fast.byteOffset, fast.length);
}

/** Read a value into a fresh Buffer (lmdb-js `get` would allocate an ArrayBuffer per call). */
export function readCopy(db: Db, key: Uint8Array): Buffer | undefined {
  const fast = readFast(db, key);
  if (fast === undefined) return undefined;
  const out = Buffer.allocUnsafe(fast.length);
  out.set(fast);
  return out;
}

const leafInput = Buffer.alloc(65); // 0x00 | keyHash | valueHash

/** Leaf hash (latin1) of key hash kh[khOff..] with `value`. */
export function leafHashOf(kh: Uint8Array, khOff: number, value: Uint8Array): string {
  for (let i = 0; i < 32; i++) leafInput[1 + i] = kh[khOff + i]!;
  leafInput.write(sha256Str(value), 33, 32, "latin1");
  return sha256Str(leafInput);
}

export interface Dbs {
  nodes: Db;
  values: Db;
  keys: Db;
  undo: Db;
}

export class TreeReader {
  // One reusable key buffer per depth: lmdb-js copies keys, so reads allocate no key.
  private readonly keyBufs: Buffer[] = [];
  /** Latest committed version; set by the owner. */
  latest = 0;

  constructor(
    private readonly db: Dbs,
    private readonly nodeCache: NodeCache,
    private readonly buckets: BucketCache,
  ) {
    for (let d = 0; d <= MAX_DEPTH; d++) this.keyBufs.push(Buffer.alloc(8 + d));
    const reader = this;
    this.source = {
      stored: (version, h, hOff, depth) => this.node(version, h, hOff, depth, true),
      list: (h, hOff, depth, hash, hashOff) => this.list(h, hOff, depth, hash, hashOff, this.latest),
      get listNode() {
        return reader.listNode;
      },
    };
  }

  /** Root node (leaf-list.buildNode) of the list last returned by list(); null for one leaf. */
  listNode: Buffer | null = null;

  /** The latest tree, for the updater; misses fill the caches. */
  readonly source: TreeSource;

  /** Stored node at (version, path of length depth of h[hOff..]). */
  node(version: number, h: Uint8Array, hOff: number, depth: number, fill: boolean): Buffer {
    const id = depth <= MAX_ID_DEPTH ? pathId(h, depth, hOff) : -1;
    if (id >= 0) {
      const hit = this.nodeCache.get(id, version);
      if (hit !== undefined) return hit;
    }
    const k = this.keyBufs[depth]!;
    writeU64(k, 0, version);
    for (let i = 0; i < depth; i++) k[8 + i] = nibbleAt(h, i, hOff);
    const rec = readCopy(this.db.nodes, k);
    if (rec === undefined || rec[0] !== TAG_INTERNAL) {
      throw new StateError("CORRUPT", `missing node at depth ${depth}, version ${version}`);
    }
    if (fill && id >= 0) this.nodeCache.set(id, version, rec);
    return rec;
  }

  /**
   * Leaf list of the bucket or list root at the path of length `depth` of h[hOff..] at `version`,
   * whose hash is hash[hashOff..]. Valid until the next call.
   */
  list(
    h: Uint8Array,
    hOff: number,
    depth: number,
    hash: Uint8Array,
    hashOff: number,
    version: number,
  ): Buffer {
    const id = depth <= MAX_ID_DEPTH ? pathId(h, depth, hOff) : -1;
    if (id >= 0) {
      const hit = this.buckets.get(id, hash, hashOff);
      if (hit !== undefined) {
        this.listNode = hit.length > ENTRY ? this.buckets.node : null;
        return hit;
      }
    }
    const { start, end } = prefixRange(h.subarray(hOff, hOff + 32), depth);
    const list =
      version === this.latest ? this.rebuildLatest(start, end) : this.rebuildAt(start, end, version);
    const n = list.length / ENTRY;
    let node: Buffer | null = null;
    let got = "";
    if (n === 1) {
      got = list.toString("latin1", 32, 64);
    } else if (n > 1) {
      const buf = Buffer.allocUnsafe(3 + 32 * 16);
      node = buf.subarray(0, buildNode(list, depth, buf, 0));
      got = sha256Str(node);
    }
    if (got.length === 0 || !equal32(Buffer.from(got, "latin1"), 0, hash, hashOff)) {
      throw new StateError(
        "CORRUPT",
        `bucket at depth ${depth} does not match its hash (version ${version})`,
      );
    }
    if (id >= 0 && version === this.latest) this.buckets.set(id, got, list, node ?? Buffer.alloc(0));
    this.listNode = node;
    return list;
  }

  /** Value of the key with hash kh (state key `key` if known) at `version`. */
  valueAt(kh: Uint8Array, key: Uint8Array | null, version: number): Buffer | undefined {
    for (let r = version + 1; r <= this.latest; r++) {
      const e = undoEntry(this.db.undo, r, kh);
      if (e !== undefined) return e ?? undefined;
    }
    const k = key ?? readCopy(this.db.keys, kh);
    return k === undefined ? undefined : readCopy(this.db.values, k);
  }

  /**
   * Follow the path of `key` in the tree `ref` of `version`: its steps go to `sink`; returns the
   * value and how the path ends.
   */
  prove(
    key: Uint8Array,
    ref: RootRef,
    version: number,
    sink: ProofSink,
  ): { value: Uint8Array | undefined; terminal: ProofTerminal } {
    const kh = sha256(key);
    if (ref.kind === ROOT_EMPTY) return { value: undefined, terminal: { type: "empty" } };
    if (ref.kind === ROOT_LIST) {
      return this.proveInList(this.list(kh, 0, 0, ref.hash, 0, version), 0, key, kh, version, sink);
    }
    let ver = ref.nodeVersion;
    for (let depth = 0; ; depth++) {
      const v = new NodeView(this.node(ver, kh, 0, depth, version === this.latest));
      const nib = nibbleAt(kh, depth);
      sink.step(v.bitmap);
      for (let t = v.bitmap & ~(1 << nib); t !== 0; t &= t - 1) {
        sink.sibling(v.rec, v.hashOffset(31 - Math.clz32(t & -t)));
      }
      const kind = v.kind(nib);
      if (kind === KIND_EMPTY) return { value: undefined, terminal: { type: "empty" } };
      if (kind === KIND_LEAF) return this.leafEnd(v.rec, v.keyHashOffset(nib), key, kh, version);
      if (kind === KIND_BUCKET) {
        const list = this.list(kh, 0, depth + 1, v.rec, v.hashOffset(nib), version);
        return this.proveInList(list, depth + 1, key, kh, version, sink);
      }
      ver = v.childVersion(nib);
    }
  }

  /** Continue a proof inside the leaf list of the subtree at `depth`. */
  private proveInList(
    list: Buffer,
    depth: number,
    key: Uint8Array,
    kh: Buffer,
    version: number,
    sink: ProofSink,
  ): { value: Uint8Array | undefined; terminal: ProofTerminal } {
    let lo = 0;
    let hi = list.length / ENTRY;
    const groups: number[] = []; // [start, end) of each child's entries, in nibble order
    for (; hi - lo >= 2; depth++) {
      const mine = nibbleAt(kh, depth);
      let bitmap = 0;
      let next = -1;
      let nextHi = -1;
      groups.length = 0;
      for (let i = lo; i < hi; ) {
        const nib = entryNibble(list, i, depth);
        let j = i + 1;
        while (j < hi && entryNibble(list, j, depth) === nib) j++;
        bitmap |= 1 << nib;
        if (nib === mine) {
          next = i;
          nextHi = j;
        } else groups.push(i, j);
        i = j;
      }
      sink.step(bitmap);
      for (let g = 0; g < groups.length; g += 2) {
        sink.siblingHash(subtreeHash(list, groups[g]!, groups[g + 1]!, depth + 1));
      }
      if (next < 0) return { value: undefined, terminal: { type: "empty" } };
      lo = next;
      hi = nextHi;
    }
    return this.leafEnd(list, lo * ENTRY, key, kh, version);
  }

  /** The path ends at the leaf whose key hash is rec[khOff..]. */
  private leafEnd(
    rec: Buffer,
    khOff: number,
    key: Uint8Array,
    kh: Buffer,
    version: number,
  ): { value: Uint8Array | undefined; terminal: ProofTerminal } {
    if (equal32(rec, khOff, kh, 0)) {
      const value = this.valueAt(kh, key, version);
      if (value === undefined) throw new StateError("CORRUPT", "leaf without value");
      return { value, terminal: { type: "key" } };
    }
    const other = Buffer.from(rec.subarray(khOff, khOff + 32));
    const value = this.valueAt(other, null, version);
    if (value === undefined) throw new StateError("CORRUPT", "leaf without value");
    return { value: undefined, terminal: { type: "other", keyHash: other, valueHash: sha256(value) } };
  }

  /** Leaf list of the latest keys with hash in [start, end). */
  private rebuildLatest(start: Buffer, end: Buffer | null): Buffer {
    const parts: Buffer[] = [];
    for (const { key: kh, value: key } of this.db.keys.getRange(end === null ? { start } : { start, end })) {
      const value = readFast(this.db.values, key);
      if (value === undefined) throw new StateError("CORRUPT", "indexed key without value");
      const e = Buffer.allocUnsafe(ENTRY);
      e.set(kh, 0);
      e.write(leafHashOf(kh, 0, value), 32, 32, "latin1");
      parts.push(e);
    }
    return Buffer.concat(parts);
  }

  /** Leaf list of the keys with hash in [start, end) at an older `version`: latest state, undone. */
  private rebuildAt(start: Buffer, end: Buffer | null, version: number): Buffer {
    // State at `version` of each key: the first undo entry after it, else the latest value.
    const state = new Map<string, Buffer | null>();
    for (let r = version + 1; r <= this.latest; r++) {
      scanUndo(this.db.undo, r, start, end, (kh, value) => {
        const k = kh.toString("latin1");
        if (!state.has(k)) state.set(k, value);
      });
    }
    for (const { key: kh, value: key } of this.db.keys.getRange(end === null ? { start } : { start, end })) {
      const k = kh.toString("latin1");
      if (state.has(k)) continue;
      const value = readCopy(this.db.values, key);
      if (value === undefined) throw new StateError("CORRUPT", "indexed key without value");
      state.set(k, value);
    }
    const present = [...state].filter(([, v]) => v !== null).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const list = Buffer.allocUnsafe(present.length * ENTRY);
    present.forEach(([k, value], i) => {
      list.write(k, i * ENTRY, 32, "latin1");
      list.write(leafHashOf(list, i * ENTRY, value!), i * ENTRY + 32, 32, "latin1");
    });
    return list;
  }
}
