/**
 * Batch update of the 16-ary sparse Merkle tree (the computing half of a commit).
 *
 * Shape rules, which make the root a function of the (key, value) set only:
 * - an internal node exists at path p iff at least two keys have p as prefix of their key hash;
 * - a key that is alone below such a node is a leaf right under it;
 * - the root is empty (no keys), a leaf (one key) or an internal node.
 *
 * Storage rule (also a function of the key set, so storage is history independent too): an
 * internal node is stored iff more than `bucketLeaves` keys lie below it. A child of a stored
 * node with 2..bucketLeaves keys is a "bucket": its hash is kept in the parent, and its inner
 * nodes are recomputed from its leaf list (leaf-list.ts) whenever needed. Most updates thus
 * rewrite no record below the lowest stored level.
 *
 * The updater walks the stored nodes once along the changes (sorted by key hash), merges the
 * changes into the leaf lists of the buckets they land in, and emits the new stored nodes
 * (written at `version`, output slots reserved in pre-order so their keys come out sorted and
 * can be appended), the keys of the stored nodes they replace, and the new bucket lists.
 */
import { type Batch, OP_DELETE, OP_INSERT, OP_UPDATE } from "./batch.ts";
import { blockBytes, writeBlock } from "./bucket-cache.ts";
import { StateError } from "./errors.ts";
import { sha256Str } from "./hash.ts";
import { buildNode, copy32, ENTRY, entryNibble, type ListWriter, patchNode } from "./leaf-list.ts";
import { childPathId, MAX_DEPTH, MAX_ID_DEPTH, nibbleAt, pathId } from "./nibbles.ts";
import {
  compare32,
  equal32,
  KIND_BUCKET,
  KIND_EMPTY,
  KIND_LEAF,
  KIND_NODE,
  NodeView,
  nodeKey,
  nodeRecordLength,
  popcount16,
  ROOT_EMPTY,
  ROOT_LIST,
  ROOT_NODE,
  type RootRef,
  TAG_INTERNAL,
  writeU64,
} from "./node-codec.ts";

/** Reads the committed latest tree. */
export interface TreeSource {
  stored(version: number, h: Uint8Array, hOff: number, depth: number): Buffer;
  /**
   * Leaf list of the bucket (or list root) at the path of length `depth` of h[hOff..], whose
   * hash is hash[hashOff..hashOff+32). Valid until the next call: copy it out at once.
   */
  list(h: Uint8Array, hOff: number, depth: number, hash: Uint8Array, hashOff: number): Buffer;
  /** Root node (leaf-list.buildNode) of the list last returned; null for a single leaf. */
  readonly listNode: Buffer | null;
}

/** A rebuilt subtree. */
class Sub {
  /** Leaves of the subtree this one replaces (set for stored-node results). */
  prevCount = 0;

  constructor(
    readonly kind: number,
    /** latin1 hash; "" when empty */
    readonly hash: string,
    readonly count: number,
    /** Stored node: version it is written at. */
    readonly version: number,
    /** Leaf or bucket: its leaf list (one entry for a leaf). */
    readonly list: Buffer | null,
    /** Bucket: its root node (leaf-list.buildNode). */
    readonly node: Buffer | null = null,
  ) {}
}

const EMPTY_SUB = new Sub(KIND_EMPTY, "", 0, 0, null);
const NO_NODE = Buffer.alloc(0);
/** Largest bucket root node: tag, bitmap, 16 hashes. */
const MAX_NODE = 3 + 32 * 16;

function nodeHashOf(rec: Buffer): string {
  return new NodeView(rec).hash();
}

export class TreeUpdater {
  /** New stored nodes in key order; null entries are unused reservations. */
  readonly newKeys: (Buffer | null)[] = [];
  readonly newRecs: (Buffer | null)[] = [];
  /** Keys of stored nodes replaced by this version. */
  readonly staleKeys: Buffer[] = [];
  /** Node-cache and bucket-cache updates to apply once written. */
  readonly nodeAddIds: number[] = [];
  readonly nodeAddRecs: Buffer[] = [];
  readonly nodeDropIds: number[] = [];
  readonly nodeDropVersions: number[] = [];
  /**
   * New buckets as cache blocks (bucket-cache.writeBlock) in the writer's chunks: path id,
   * chunk index, offset, length. Numbers only: no object per bucket lives until write().
   */
  readonly bucketAdds: number[] = [];
  readonly bucketDropIds: number[] = [];

  // Per-depth scratch: child results of the node being rebuilt, a one-entry list for a leaf
  // child, and a path buffer for children no change leads to.
  private readonly subs: (Sub | null)[][] = [];
  private readonly leafScratch: Buffer[] = [];
  private readonly pathScratch: Buffer[] = [];
  private readonly ents: Buffer;

  constructor(
    private readonly src: TreeSource,
    private readonly version: number,
    private readonly bucketLeaves: number,
    private readonly writer: ListWriter,
    /** The changes, sorted by key hash; the updater records each one's effect in batch.ops. */
    private readonly batch: Batch,
  ) {
    this.ents = batch.ents;
    for (let d = 0; d <= MAX_DEPTH; d++) {
      this.subs.push(new Array<Sub | null>(16).fill(null));
      this.leafScratch.push(Buffer.alloc(ENTRY));
      this.pathScratch.push(Buffer.alloc(32));
    }
  }

  run(root: RootRef): RootRef {
    const n = this.batch.n;
    if (n === 0) return root;
    let res: Sub | null;
    if (root.kind === ROOT_EMPTY) {
      res = this.merge(null, null, 0, n, 0);
    } else if (root.kind === ROOT_LIST) {
      const list = this.src.list(this.ents, 0, 0, root.hash, 0);
      res = this.merge(list, this.src.listNode, 0, n, 0);
    } else {
      res = this.updateNode(0, 0, n, root.nodeVersion);
    }
    if (res === null) return root;
    const isList = res.kind === KIND_LEAF || res.kind === KIND_BUCKET;
    if (root.kind === ROOT_LIST && !isList) this.bucketDropIds.push(1);
    if (res.kind === KIND_EMPTY) return { hash: Buffer.alloc(32), kind: ROOT_EMPTY, nodeVersion: 0 };
    const hash = Buffer.from(res.hash, "latin1");
    if (isList) {
      this.addBucket(1, res);
      return { hash, kind: ROOT_LIST, nodeVersion: 0 };
    }
    return { hash, kind: ROOT_NODE, nodeVersion: res.version };
  }

  private reserve(): number {
    this.newKeys.push(null);
    return this.newRecs.push(null) - 1;
  }

  private fillNode(slot: number, h: Uint8Array, hOff: number, depth: number, rec: Buffer): void {
    this.newKeys[slot] = nodeKey(this.version, h, depth, hOff);
    this.newRecs[slot] = rec;
    if (depth <= MAX_ID_DEPTH) {
      this.nodeAddIds.push(pathId(h, depth, hOff));
      this.nodeAddRecs.push(rec);
    }
  }

  private staleNode(version: number, h: Uint8Array, hOff: number, depth: number): void {
    this.staleKeys.push(nodeKey(version, h, depth, hOff));
    if (depth <= MAX_ID_DEPTH) {
      this.nodeDropIds.push(pathId(h, depth, hOff));
      this.nodeDropVersions.push(version);
    }
  }

  private addBucket(id: number, s: Sub): void {
    if (id < 0) return;
    const node = s.node ?? NO_NODE;
    const bytes = blockBytes(s.count, node.length);
    const buf = this.writer.reserve(bytes);
    const at = this.writer.at;
    writeBlock(buf, at, s.hash, s.list!, node);
    this.writer.skip(bytes);
    this.bucketAdds.push(id, this.writer.chunkIndex, at, bytes);
  }

  /**
   * Merge changes [lo, hi) into the leaf list `old` (with root node `oldNode`) of the subtree at
   * `depth` (null: no keys) and rebuild that subtree; null if no change alters it.
   */
  private merge(
    old: Buffer | null,
    oldNode: Buffer | null,
    lo: number,
    hi: number,
    depth: number,
  ): Sub | null {
    const ents = this.ents;
    const del = this.batch.del;
    const ops = this.batch.ops;
    const oldN = old === null ? 0 : old.length / ENTRY;
    const out = this.writer.reserve((oldN + hi - lo) * ENTRY);
    const start = this.writer.at;
    let o = start;
    let i = 0;
    let changed = false;
    let changedNibs = 0; // children of the subtree's root node that the changes alter
    for (let c = lo; c < hi; c++) {
      const at = c * ENTRY;
      // Copy the run of old entries below this change in one go.
      let j = i;
      let cmp = 1;
      for (; j < oldN; j++) {
        cmp = compare32(old!, j * ENTRY, ents, at);
        if (cmp >= 0) break;
      }
      if (j === oldN) cmp = 1;
      if (j > i) {
        old!.copy(out, o, i * ENTRY, j * ENTRY);
        o += (j - i) * ENTRY;
        i = j;
      }
      if (cmp === 0) {
        i++;
        if (del[c]) {
          ops[c] = OP_DELETE;
          changed = true;
          changedNibs |= 1 << nibbleAt(ents, depth, at);
          continue;
        }
        if (equal32(old!, i * ENTRY - 32, ents, at + 32)) {
          old!.copy(out, o, i * ENTRY - ENTRY, i * ENTRY); // same value: nothing to do
          o += ENTRY;
          continue;
        }
        ops[c] = OP_UPDATE;
      } else if (del[c]) {
        continue; // delete of an absent key
      } else {
        ops[c] = OP_INSERT;
      }
      changed = true;
      changedNibs |= 1 << nibbleAt(ents, depth, at);
      ents.copy(out, o, at, at + ENTRY);
      o += ENTRY;
    }
    if (i < oldN) {
      old!.copy(out, o, i * ENTRY, oldN * ENTRY);
      o += (oldN - i) * ENTRY;
    }
    if (!changed) return null;
    const list = this.writer.take(o - start);
    const n = list.length / ENTRY;
    if (oldNode !== null && oldNode.length > 0 && n >= 2 && n <= this.bucketLeaves) {
      // Still a bucket: re-hash only the children the changes touched, if its shape held.
      const buf = this.writer.reserve(MAX_NODE);
      const len = patchNode(list, depth, oldNode, changedNibs, buf, this.writer.at);
      if (len > 0) {
        const node = this.writer.take(len);
        return new Sub(KIND_BUCKET, sha256Str(node), n, 0, list, node);
      }
    }
    return this.fromList(list, depth);
  }

  /** The subtree at `depth` holding exactly the leaves of `list`. */
  private fromList(list: Buffer, depth: number): Sub {
    const n = list.length / ENTRY;
    if (n === 0) return EMPTY_SUB;
    if (n === 1) return new Sub(KIND_LEAF, list.toString("latin1", 32, 64), 1, 0, list);
    if (n <= this.bucketLeaves) {
      const buf = this.writer.reserve(MAX_NODE);
      const node = this.writer.take(buildNode(list, depth, buf, this.writer.at));
      return new Sub(KIND_BUCKET, sha256Str(node), n, 0, list, node);
    }
    if (depth >= MAX_DEPTH) throw new StateError("CORRUPT", "two distinct keys with the same key hash");
    const slot = this.reserve();
    const subs = this.subs[depth]!;
    let touched = 0;
    for (let i = 0; i < n; ) {
      const nib = entryNibble(list, i, depth);
      let j = i + 1;
      while (j < n && entryNibble(list, j, depth) === nib) j++;
      subs[nib] = this.fromList(list.subarray(i * ENTRY, j * ENTRY), depth + 1);
      touched |= 1 << nib;
      i = j;
    }
    const rec = this.encode(null, touched, depth, n, list, 0);
    this.fillNode(slot, list, 0, depth, rec);
    return new Sub(KIND_NODE, nodeHashOf(rec), n, this.version, null);
  }

  /** Changes [lo, hi) go below the stored node at (`version`, path of length `depth`). */
  private updateNode(depth: number, lo: number, hi: number, version: number): Sub | null {
    const ents = this.ents;
    const hOff = lo * ENTRY;
    const v = new NodeView(this.src.stored(version, ents, hOff, depth));
    const rec = v.rec;
    const slot = this.reserve();
    const subs = this.subs[depth]!;
    const cd = depth + 1;
    let touched = 0;
    let delta = 0;
    for (let i = lo; i < hi; ) {
      const nib = nibbleAt(ents, depth, i * ENTRY);
      let j = i + 1;
      while (j < hi && nibbleAt(ents, depth, j * ENTRY) === nib) j++;
      const kind = v.kind(nib);
      let res: Sub | null;
      let prev: number;
      if (kind === KIND_EMPTY) {
        prev = 0;
        res = this.merge(null, null, i, j, cd);
      } else if (kind === KIND_LEAF) {
        prev = 1;
        const one = this.leafScratch[depth]!;
        copy32(rec, v.keyHashOffset(nib), one, 0);
        copy32(rec, v.hashOffset(nib), one, 32);
        res = this.merge(one, null, i, j, cd);
      } else if (kind === KIND_BUCKET) {
        const old = this.src.list(ents, i * ENTRY, cd, rec, v.hashOffset(nib));
        prev = old.length / ENTRY;
        res = this.merge(old, this.src.listNode, i, j, cd);
      } else {
        res = this.updateNode(cd, i, j, v.childVersion(nib));
        prev = res === null ? 0 : res.prevCount;
      }
      if (res !== null) {
        subs[nib] = res;
        touched |= 1 << nib;
        delta += res.count - prev;
      }
      i = j;
    }
    if (touched === 0) return null;
    this.staleNode(version, ents, hOff, depth);
    const count = v.leafCount + delta;
    let out: Sub;
    if (count <= this.bucketLeaves) {
      out = this.collapse(v, touched, depth, count, hOff);
    } else {
      const newRec = this.encode(v, touched, depth, count, ents, hOff);
      this.fillNode(slot, ents, hOff, depth, newRec);
      out = new Sub(KIND_NODE, nodeHashOf(newRec), count, this.version, null);
    }
    out.prevCount = v.leafCount;
    return out;
  }

  /**
   * The stored node `v` now has at most bucketLeaves keys (`count`): gather its leaves (new
   * lists of the touched children, old ones of the others) and rebuild it as a bucket or leaf.
   */
  private collapse(v: NodeView, touched: number, depth: number, count: number, hOff: number): Sub {
    const subs = this.subs[depth]!;
    const rec = v.rec;
    const id = depth + 1 <= MAX_ID_DEPTH ? pathId(this.ents, depth, hOff) : -1;
    const path = this.pathScratch[depth]!;
    copy32(this.ents, hOff, path, 0);
    const out = this.writer.reserve(count * ENTRY);
    const start = this.writer.at;
    const limit = start + count * ENTRY;
    let o = start;
    const put = (src: Buffer) => {
      if (o + src.length > limit) throw new StateError("CORRUPT", "leaf count mismatch");
      src.copy(out, o);
      o += src.length;
    };
    for (let nib = 0; nib < 16; nib++) {
      const bit = 1 << nib;
      if (touched & bit) {
        const s = subs[nib]!;
        subs[nib] = null;
        if (s.kind === KIND_NODE) throw new StateError("CORRUPT", "leaf count mismatch");
        if (s.list !== null) put(s.list);
      } else if (v.leafMask & bit) {
        if (o + ENTRY > limit) throw new StateError("CORRUPT", "leaf count mismatch");
        copy32(rec, v.keyHashOffset(nib), out, o);
        copy32(rec, v.hashOffset(nib), out, o + 32);
        o += ENTRY;
      } else if (v.bucketMask & bit) {
        // No change leads here: build the child's path from this node's path and the nibble.
        const b = depth >> 1;
        path[b] = depth & 1 ? (path[b]! & 0xf0) | nib : (path[b]! & 0x0f) | (nib << 4);
        put(this.src.list(path, 0, depth + 1, rec, v.hashOffset(nib)));
      } else if (v.bitmap & bit) {
        throw new StateError("CORRUPT", "leaf count mismatch");
      }
      if (v.bucketMask & bit && id >= 0) this.bucketDropIds.push(childPathId(id, depth, nib));
    }
    if (o !== limit) throw new StateError("CORRUPT", "leaf count mismatch");
    return this.fromList(this.writer.take(count * ENTRY), depth);
  }

  /**
   * Record of the stored node at `depth` (path of h[hOff..]) with `count` leaves: the children
   * of `old` (if any) outside `touched`, and the results in this.subs[depth] for `touched`.
   */
  private encode(
    old: NodeView | null,
    touched: number,
    depth: number,
    count: number,
    h: Uint8Array,
    hOff: number,
  ): Buffer {
    const subs = this.subs[depth]!;
    let bitmap = old === null ? 0 : old.bitmap & ~touched;
    let leafMask = old === null ? 0 : old.leafMask & ~touched;
    let bucketMask = old === null ? 0 : old.bucketMask & ~touched;
    for (let t = touched; t !== 0; t &= t - 1) {
      const nib = 31 - Math.clz32(t & -t);
      const kind = subs[nib]!.kind;
      if (kind === KIND_EMPTY) continue;
      bitmap |= 1 << nib;
      if (kind === KIND_LEAF) leafMask |= 1 << nib;
      else if (kind === KIND_BUCKET) bucketMask |= 1 << nib;
    }
    const n = popcount16(bitmap);
    const rec = Buffer.allocUnsafe(nodeRecordLength(bitmap, leafMask, bucketMask));
    rec[0] = TAG_INTERNAL;
    rec[1] = bitmap >>> 8;
    rec[2] = bitmap & 0xff;
    const t = 3 + 32 * n;
    rec[t] = leafMask >>> 8;
    rec[t + 1] = leafMask & 0xff;
    rec[t + 2] = bucketMask >>> 8;
    rec[t + 3] = bucketMask & 0xff;
    writeU64(rec, t + 4, count);
    const id = depth + 1 <= MAX_ID_DEPTH ? pathId(h, depth, hOff) : -1;
    let ho = 3;
    let vo = t + 12;
    let ko = vo + 8 * popcount16(bitmap & ~leafMask & ~bucketMask);
    for (let nib = 0; nib < 16; nib++) {
      const bit = 1 << nib;
      const childId = id >= 0 ? childPathId(id, depth, nib) : -1;
      if (touched & bit) {
        const s = subs[nib]!;
        subs[nib] = null;
        if (old !== null && old.bucketMask & bit && s.kind !== KIND_BUCKET && childId >= 0) {
          this.bucketDropIds.push(childId);
        }
        if (s.kind === KIND_EMPTY) continue;
        rec.write(s.hash, ho, 32, "latin1");
        if (s.kind === KIND_NODE) {
          writeU64(rec, vo, s.version);
          vo += 8;
        } else if (s.kind === KIND_LEAF) {
          copy32(s.list!, 0, rec, ko);
          ko += 32;
        } else {
          this.addBucket(childId, s);
        }
      } else if (bitmap & bit) {
        const o = old!;
        copy32(o.rec, o.hashOffset(nib), rec, ho);
        if (o.leafMask & bit) {
          copy32(o.rec, o.keyHashOffset(nib), rec, ko);
          ko += 32;
        } else if (!(o.bucketMask & bit)) {
          writeU64(rec, vo, o.childVersion(nib));
          vo += 8;
        }
      } else {
        continue;
      }
      ho += 32;
    }
    return rec;
  }
}
