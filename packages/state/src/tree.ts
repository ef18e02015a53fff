/**
 * Batch update of the versioned 16-ary sparse Merkle tree (the computing half of a commit).
 *
 * Shape rules, which make the root a function of the (key, value) set only:
 * - an internal node exists at path p iff at least two keys have p as prefix of their key hash
 *   (or p is the root and there are two keys or more);
 * - a key that is alone below such a node sits as a leaf right under it;
 * - the root is empty (no keys), a leaf (one key) or an internal node.
 * Inserts push leaves down until they are alone; deletes pull a lone remaining leaf up again.
 *
 * The updater walks the old tree once along the changes (sorted by key hash), reads only the
 * internal nodes on changed paths, and emits the new nodes (written at `version`) plus the keys
 * of the nodes they replace. Output slots are reserved in pre-order, so the new node keys come
 * out sorted and can be appended to LMDB.
 */
import { StateError } from "./errors.ts";
import { MAX_DEPTH, MAX_ID_DEPTH, nibbleAt, pathId } from "./nibbles.ts";
import {
  allocInternal,
  bitmapOf,
  childHashOffset,
  childIndex,
  childVersion,
  equal32,
  internalHash,
  leafHash,
  leafKeyHash,
  leafKhOffset,
  leafMaskOf,
  nodeKey,
  popcount16,
  ROOT_EMPTY,
  ROOT_INTERNAL,
  ROOT_LEAF,
  type RootRef,
  writeU64,
} from "./node-codec.ts";

/** Reads committed nodes. `internal` may serve from the node cache. */
export interface NodeReader {
  internal(version: number, h: Uint8Array, depth: number): Buffer;
  leaf(key: Buffer): Buffer;
}

/**
 * A child being (re)computed. Leaves are placed lazily: where a leaf ends up is known only once
 * its parent's final child count is.
 */
export class Ptr {
  constructor(
    /** Node hash as a latin1 string. */
    public hash: string,
    public version: number,
    public readonly leaf: boolean,
    /** Leaf record, if in memory. */
    public rec: Buffer | null,
    /** Leaf key hash (null for internal nodes). */
    public keyHash: Buffer | null,
    /** Leaf: depth of its stored copy, -1 if not stored yet. */
    public storedDepth: number,
    /** Leaf: node key of its stored copy (read it from there if `rec` is null; stale once moved). */
    public storedKey: Buffer | null,
  ) {}
}

/** One requested change; `leaf` is null for a delete. */
export class Change {
  /** First 4 bytes of the key hash, for cheap sorting. */
  readonly k0: number;

  constructor(
    readonly keyHash: Buffer,
    readonly key: Buffer,
    readonly value: Buffer | undefined,
    readonly leaf: Ptr | null,
  ) {
    this.k0 = keyHash.readUInt32BE(0);
  }
}

/** Result marker: the subtree at this slot is untouched. */
const UNCHANGED = Symbol("unchanged");
type Result = Ptr | null | typeof UNCHANGED;

export class TreeUpdater {
  /** New nodes in key order; null entries are unused reservations. */
  readonly newKeys: (Buffer | null)[] = [];
  readonly newRecs: (Buffer | null)[] = [];
  /** Keys of nodes replaced by this version. */
  readonly staleKeys: Buffer[] = [];
  /** Internal nodes to add to / drop from the node cache once written. */
  readonly cacheAddIds: number[] = [];
  readonly cacheAddRecs: Buffer[] = [];
  readonly cacheDropIds: number[] = [];
  readonly cacheDropVersions: number[] = [];

  // Per-depth scratch for the 16 child slots of the node being rebuilt at that depth:
  // the child result and the output slot reserved for it.
  private readonly slots: Result[][] = [];
  private readonly outSlot: Int32Array[] = [];

  constructor(
    private readonly reader: NodeReader,
    private readonly version: number,
    /** Sorted by key hash, no duplicates. */
    private readonly changes: Change[],
  ) {
    for (let d = 0; d <= MAX_DEPTH; d++) {
      this.slots.push(new Array<Result>(16).fill(null));
      this.outSlot.push(new Int32Array(16));
    }
  }

  run(root: RootRef): RootRef {
    const n = this.changes.length;
    if (n === 0) return root;
    const s = this.reserve();
    let res: Result;
    if (root.kind === ROOT_EMPTY) {
      res = this.insertIntoEmpty(0, 0, n, s);
    } else if (root.kind === ROOT_LEAF) {
      const rec = this.reader.leaf(nodeKey(root.nodeVersion, this.changes[0]!.keyHash, 0));
      res = this.mergeLeaf(
        0,
        0,
        n,
        root.nodeVersion,
        root.hash.toString("latin1"),
        Buffer.from(leafKeyHash(rec)),
        s,
      );
    } else {
      res = this.updateInternal(0, 0, n, root.nodeVersion, s);
    }
    if (res === UNCHANGED) return root;
    if (res === null) return { hash: Buffer.alloc(32), kind: ROOT_EMPTY, nodeVersion: 0 };
    const hash = Buffer.from(res.hash, "latin1");
    if (res.leaf) {
      this.place(res, 0, s);
      return { hash, kind: ROOT_LEAF, nodeVersion: res.version };
    }
    return { hash, kind: ROOT_INTERNAL, nodeVersion: res.version };
  }

  private reserve(): number {
    this.newKeys.push(null);
    return this.newRecs.push(null) - 1;
  }

  private fillInternal(slot: number, h: Uint8Array, depth: number, rec: Buffer): void {
    this.newKeys[slot] = nodeKey(this.version, h, depth);
    this.newRecs[slot] = rec;
    if (depth <= MAX_ID_DEPTH) {
      this.cacheAddIds.push(pathId(h, depth));
      this.cacheAddRecs.push(rec);
    }
  }

  private staleInternal(version: number, h: Uint8Array, depth: number): void {
    this.staleKeys.push(nodeKey(version, h, depth));
    if (depth <= MAX_ID_DEPTH) {
      this.cacheDropIds.push(pathId(h, depth));
      this.cacheDropVersions.push(version);
    }
  }

  /** Write a pending leaf at `depth` into output slot `slot` (unless it is already stored there). */
  private place(p: Ptr, depth: number, slot: number): void {
    if (p.storedDepth === depth) return;
    const rec = p.rec ?? this.reader.leaf(p.storedKey!);
    const kh = p.keyHash!;
    this.newKeys[slot] = nodeKey(this.version, kh, depth);
    this.newRecs[slot] = rec;
    if (p.storedKey !== null) this.staleKeys.push(p.storedKey);
    p.rec = rec;
    p.version = this.version;
    p.storedDepth = depth;
    p.storedKey = null;
  }

  /** Changes [lo, hi) land in an empty slot at `depth`: build a fresh subtree of the inserts. */
  private insertIntoEmpty(depth: number, lo: number, hi: number, slot: number): Result {
    const items: Ptr[] = [];
    for (let i = lo; i < hi; i++) {
      const leaf = this.changes[i]!.leaf;
      if (leaf !== null) items.push(leaf);
    }
    return items.length === 0 ? UNCHANGED : this.build(items, 0, items.length, depth, slot);
  }

  /**
   * Changes [lo, hi) land on the stored leaf (hash `sHash`, key hash `sKh`) at
   * (`version`, path of length `depth`).
   */
  private mergeLeaf(
    depth: number,
    lo: number,
    hi: number,
    version: number,
    sHash: string,
    sKh: Buffer,
    slot: number,
  ): Result {
    const ch = this.changes;
    if (hi - lo === 1) {
      // Fast path: one change, usually an update of this very key; the leaf need not be read.
      const c = ch[lo]!;
      if (equal32(sKh, 0, c.keyHash, 0)) {
        if (c.leaf !== null && c.leaf.hash === sHash) return UNCHANGED;
        this.staleKeys.push(nodeKey(version, sKh, depth));
        return c.leaf;
      }
      if (c.leaf === null) return UNCHANGED;
    }
    const storedKey = nodeKey(version, sKh, depth);
    const stored = new Ptr(sHash, version, true, null, sKh, depth, storedKey);
    const items: Ptr[] = [];
    let storedDone = false;
    let touched = false;
    for (let i = lo; i < hi; i++) {
      const c = ch[i]!;
      if (!storedDone) {
        const cmp = sKh.compare(c.keyHash);
        if (cmp === 0) {
          storedDone = true;
          if (c.leaf !== null && c.leaf.hash === sHash) {
            items.push(stored);
          } else {
            // Replaced or deleted: the stored leaf is gone from this version on.
            this.staleKeys.push(storedKey);
            touched = true;
            if (c.leaf !== null) items.push(c.leaf);
          }
          continue;
        }
        if (cmp < 0) {
          storedDone = true;
          items.push(stored);
        }
      }
      if (c.leaf !== null) {
        items.push(c.leaf);
        touched = true;
      }
    }
    if (!storedDone) items.push(stored);
    if (!touched) return UNCHANGED;
    return items.length === 0 ? null : this.build(items, 0, items.length, depth, slot);
  }

  /** Changes [lo, hi) go below the stored internal node at (`version`, path of length `depth`). */
  private updateInternal(depth: number, lo: number, hi: number, version: number, mySlot: number): Result {
    const ch = this.changes;
    const h0 = ch[lo]!.keyHash;
    const rec = this.reader.internal(version, h0, depth);
    const bitmap = bitmapOf(rec);
    const n = popcount16(bitmap);
    const leafMask = leafMaskOf(rec, n);
    const slot = this.slots[depth]!;
    const outSlot = this.outSlot[depth]!;
    const cd = depth + 1;

    let touched = 0;
    for (let i = lo; i < hi; ) {
      const nib = nibbleAt(ch[i]!.keyHash, depth);
      let j = i + 1;
      while (j < hi && nibbleAt(ch[j]!.keyHash, depth) === nib) j++;
      const bit = 1 << nib;
      const s = this.reserve();
      let res: Result;
      if (!(bitmap & bit)) {
        res = this.insertIntoEmpty(cd, i, j, s);
      } else {
        const idx = childIndex(bitmap, nib);
        const cv = childVersion(rec, n, idx);
        if (leafMask & bit) {
          const ho = childHashOffset(idx);
          const ko = leafKhOffset(n, leafMask, nib);
          res = this.mergeLeaf(
            cd,
            i,
            j,
            cv,
            rec.toString("latin1", ho, ho + 32),
            rec.subarray(ko, ko + 32),
            s,
          );
        } else {
          res = this.updateInternal(cd, i, j, cv, s);
        }
      }
      if (res !== UNCHANGED) {
        slot[nib] = res;
        outSlot[nib] = s;
        touched |= bit;
      }
      i = j;
    }
    if (touched === 0) return UNCHANGED;

    // New child set: untouched slots keep their old child.
    let newBitmap = bitmap & ~touched;
    let newLeafMask = leafMask & ~touched;
    for (let t = touched; t !== 0; t &= t - 1) {
      const nib = 31 - Math.clz32(t & -t);
      const res = slot[nib] as Ptr | null;
      if (res !== null) {
        newBitmap |= 1 << nib;
        if (res.leaf) newLeafMask |= 1 << nib;
      }
    }
    const newN = popcount16(newBitmap);
    if (newN === 0) {
      this.staleInternal(version, h0, depth);
      return null;
    }
    if (newN === 1 && newLeafMask === newBitmap) {
      // A lone leaf remains: it moves up to (at least) this node's place.
      this.staleInternal(version, h0, depth);
      const nib = 31 - Math.clz32(newBitmap);
      if (touched & newBitmap) return slot[nib] as Ptr;
      const idx = childIndex(bitmap, nib);
      const ho = childHashOffset(idx);
      const ko = leafKhOffset(n, leafMask, nib);
      const kh = Buffer.from(rec.subarray(ko, ko + 32));
      const cv = childVersion(rec, n, idx);
      return new Ptr(rec.toString("latin1", ho, ho + 32), cv, true, null, kh, cd, nodeKey(cv, kh, cd));
    }

    // Place pending leaves one level down, then assemble the new record.
    for (let t = touched & newBitmap; t !== 0; t &= t - 1) {
      const nib = 31 - Math.clz32(t & -t);
      const p = slot[nib] as Ptr;
      if (p.leaf) this.place(p, cd, outSlot[nib]!);
    }
    let out: Buffer;
    if (newBitmap === bitmap && newLeafMask === leafMask) {
      // Same shape: patch a copy of the old record.
      out = Buffer.allocUnsafe(rec.length);
      rec.copy(out);
      for (let t = touched; t !== 0; t &= t - 1) {
        const nib = 31 - Math.clz32(t & -t);
        const p = slot[nib] as Ptr;
        const idx = childIndex(bitmap, nib);
        out.write(p.hash, childHashOffset(idx), 32, "latin1");
        writeU64(out, 5 + 32 * n + 8 * idx, p.version);
        if (p.leaf) out.set(p.keyHash!, leafKhOffset(n, leafMask, nib));
      }
    } else {
      out = allocInternal(newBitmap, newLeafMask);
      const vBase = 5 + 32 * newN;
      let idx = 0;
      let kOff = 5 + 40 * newN;
      for (let nib = 0; nib < 16; nib++) {
        const bit = 1 << nib;
        if (!(newBitmap & bit)) continue;
        if (touched & bit) {
          const p = slot[nib] as Ptr;
          out.write(p.hash, childHashOffset(idx), 32, "latin1");
          writeU64(out, vBase + 8 * idx, p.version);
          if (p.leaf) {
            out.set(p.keyHash!, kOff);
            kOff += 32;
          }
        } else {
          const oi = childIndex(bitmap, nib);
          const so = childHashOffset(oi);
          rec.copy(out, childHashOffset(idx), so, so + 32);
          const sv = 5 + 32 * n + 8 * oi;
          rec.copy(out, vBase + 8 * idx, sv, sv + 8);
          if (leafMask & bit) {
            const ko = leafKhOffset(n, leafMask, nib);
            rec.copy(out, kOff, ko, ko + 32);
            kOff += 32;
          }
        }
        idx++;
      }
    }
    for (let t = touched; t !== 0; t &= t - 1) slot[31 - Math.clz32(t & -t)] = null;
    this.staleInternal(version, h0, depth);
    this.fillInternal(mySlot, h0, depth, out);
    return new Ptr(internalHash(out, newN), this.version, false, null, null, -1, null);
  }

  /** Subtree at `depth` holding exactly the leaves items[lo, hi) (sorted, >= 1, none stored at this path). */
  private build(items: Ptr[], lo: number, hi: number, depth: number, mySlot: number): Ptr {
    if (hi - lo === 1) return items[lo]!;
    if (depth >= MAX_DEPTH) throw new StateError("CORRUPT", "two distinct keys with the same key hash");
    const slot = this.slots[depth]!;
    const cd = depth + 1;
    let bitmap = 0;
    let leafMask = 0;
    for (let i = lo; i < hi; ) {
      const nib = nibbleAt(items[i]!.keyHash!, depth);
      let j = i + 1;
      while (j < hi && nibbleAt(items[j]!.keyHash!, depth) === nib) j++;
      const s = this.reserve();
      const p = this.build(items, i, j, cd, s);
      if (p.leaf) {
        this.place(p, cd, s);
        leafMask |= 1 << nib;
      }
      slot[nib] = p;
      bitmap |= 1 << nib;
      i = j;
    }
    const n = popcount16(bitmap);
    const out = allocInternal(bitmap, leafMask);
    const vBase = 5 + 32 * n;
    let idx = 0;
    let kOff = 5 + 40 * n;
    for (let nib = 0; nib < 16; nib++) {
      if (!(bitmap & (1 << nib))) continue;
      const p = slot[nib] as Ptr;
      slot[nib] = null;
      out.write(p.hash, childHashOffset(idx), 32, "latin1");
      writeU64(out, vBase + 8 * idx, p.version);
      if (p.leaf) {
        out.set(p.keyHash!, kOff);
        kOff += 32;
      }
      idx++;
    }
    const h0 = items[lo]!.keyHash!;
    this.fillInternal(mySlot, h0, depth, out);
    return new Ptr(internalHash(out, n), this.version, false, null, null, -1, null);
  }
}

/** New leaf pointer for a set change (not stored yet). */
export function newLeafPtr(rec: Buffer, keyHash: Buffer, version: number): Ptr {
  return new Ptr(leafHash(rec), version, true, rec, keyHash, -1, null);
}
