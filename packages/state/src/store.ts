/**
 * AuthenticatedState: the versioned Merkle tree and flat value db on top of the caller's LMDB env.
 *
 * prepare() computes a commit without writing; write() issues the puts/removes inside the
 * caller's synchronous write transaction, so state, blocks and metadata commit atomically.
 */
import type { Database, RootDatabase } from "lmdb";
import { NodeCache } from "./cache.ts";
import { StateError } from "./errors.ts";
import { sha256, sha256Str } from "./hash.ts";
import { MAX_DEPTH, MAX_ID_DEPTH, nibbleAt, pathId } from "./nibbles.ts";
import {
  bitmapOf,
  childHashOffset,
  childIndex,
  childVersion,
  decodeRootRef,
  encodeLeaf,
  encodeRootRef,
  equal32,
  leafHasKeyHash,
  leafKeyHash,
  leafKhOffset,
  leafMaskOf,
  leafValue,
  leafValueHash,
  nodeKey,
  popcount16,
  ROOT_EMPTY,
  ROOT_LEAF,
  ROOT_REF_LEN,
  type RootRef,
  readU64,
  TAG_INTERNAL,
  TAG_LEAF,
  writeU64,
} from "./node-codec.ts";
import type { MerkleProof, ProofStep, ProofTerminal } from "./proof.ts";
import { Change, type NodeReader, newLeafPtr, TreeUpdater } from "./tree.ts";

export interface AuthenticatedStateOptions {
  /** Number of most recent versions kept readable (>= 1). */
  keepRecent: number;
  /** Max internal nodes kept in memory (default 250,000; 0 disables the cache). */
  nodeCacheSize?: number;
  /**
   * Physically delete stale nodes every `pruneInterval` versions (default 1: in every write).
   * Versions outside the window are unreadable right away either way; a larger interval only
   * lets garbage wait, so that one LMDB transaction deletes many nodes per page touched.
   */
  pruneInterval?: number;
}

/** LMDB's key size limit (lmdb-js default build). */
export const MAX_STATE_KEY_LEN = 1978;
const DEFAULT_NODE_CACHE = 250_000;
/**
 * Max bytes per stale-index record. Values above ~2 KB go to LMDB overflow pages, which need
 * runs of contiguous free pages; finding those in a churned freelist makes commits very slow.
 */
const STALE_CHUNK_BYTES = 1900;

const LATEST_KEY = Buffer.from([0x00]);
const APPEND = { append: true } as const;
const ROOT_KEY_PREFIX = 0x01;
// latest record: latestVersion u64 | oldestRetained u64 | RootRef of latest
const LATEST_LEN = 16 + ROOT_REF_LEN;

function rootKey(version: number): Buffer {
  const k = Buffer.allocUnsafe(9);
  k[0] = ROOT_KEY_PREFIX;
  writeU64(k, 1, version);
  return k;
}

function staleKey(version: number, chunk: number): Buffer {
  const k = Buffer.allocUnsafe(12);
  writeU64(k, 0, version);
  k.writeUInt32BE(chunk, 8);
  return k;
}

/**
 * Read a value into a fresh pooled Buffer. lmdb-js `get` on a binary db copies into a new
 * ArrayBuffer per call, which costs microseconds at 1M-key scale; getBinaryFast returns a
 * reused buffer (valid until the next read) that we copy into Node's buffer pool instead.
 */
function readCopy(db: Database<Buffer, Buffer>, key: Buffer): Buffer | undefined {
  const fast = db.getBinaryFast(key);
  if (fast === undefined) return undefined;
  // lmdb-js overrides `length` of its shared buffer with the value size; the underlying view
  // is larger, so copy through an explicit view.
  const len = fast.length;
  const out = Buffer.allocUnsafe(len);
  out.set(new Uint8Array(fast.buffer, fast.byteOffset, len));
  return out;
}

/** putSync with MDB_APPEND; true if written. (lmdb-js returns a boolean; its typings say void.) */
function appendSync(db: Database<Buffer, Buffer>, key: Buffer, value: Buffer): boolean {
  return (db.putSync(key, value, APPEND) as unknown as boolean) !== false;
}

function emptyRoot(): RootRef {
  return { hash: Buffer.alloc(32), kind: ROOT_EMPTY, nodeVersion: 0 };
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_STATE_KEY_LEN) {
    throw new StateError("BAD_KEY", `state keys must be 1..${MAX_STATE_KEY_LEN} bytes`);
  }
}

/** Result of prepare(): the new root, to be written with AuthenticatedState.write(). */
export class PreparedCommit {
  /** @internal use AuthenticatedState.prepare */
  constructor(
    readonly version: number,
    readonly root: Uint8Array,
  ) {}
}

interface PreparedData {
  owner: AuthenticatedState;
  baseVersion: number;
  baseRoot: Buffer;
  rootRef: RootRef;
  changes: Change[];
  up: TreeUpdater;
  written: boolean;
}

// Internals of PreparedCommit stay out of the public object.
const prepared = new WeakMap<PreparedCommit, PreparedData>();

class Reader implements NodeReader {
  // One reusable key buffer per depth: lmdb-js copies keys, so reads allocate no key.
  private readonly keyBufs: Buffer[] = [];

  constructor(
    private readonly nodes: Database<Buffer, Buffer>,
    private readonly cache: NodeCache,
    /** Insert misses into the cache (only for reads of the latest tree). */
    private readonly fill: boolean,
  ) {
    for (let d = 0; d <= MAX_DEPTH; d++) this.keyBufs.push(Buffer.alloc(8 + d));
  }

  internal(version: number, h: Uint8Array, depth: number): Buffer {
    const id = depth <= MAX_ID_DEPTH ? pathId(h, depth) : -1;
    if (id >= 0) {
      const hit = this.cache.get(id, version);
      if (hit !== undefined) return hit;
    }
    const k = this.keyBufs[depth]!;
    writeU64(k, 0, version);
    for (let i = 0; i < depth; i++) k[8 + i] = nibbleAt(h, i);
    const rec = readCopy(this.nodes, k);
    if (rec === undefined || rec[0] !== TAG_INTERNAL) {
      throw new StateError("CORRUPT", `missing internal node at depth ${depth}, version ${version}`);
    }
    if (this.fill && id >= 0) this.cache.set(id, version, rec);
    return rec;
  }

  leaf(key: Buffer): Buffer {
    const rec = readCopy(this.nodes, key);
    if (rec === undefined || rec[0] !== TAG_LEAF) throw new StateError("CORRUPT", "missing leaf node");
    return rec;
  }
}

export class AuthenticatedState {
  private readonly root: RootDatabase;
  private readonly nodes: Database<Buffer, Buffer>;
  private readonly stale: Database<Buffer, Buffer>;
  private readonly values: Database<Buffer, Buffer>;
  private readonly meta: Database<Buffer, Buffer>;
  private readonly keepRecent: number;
  private readonly pruneInterval: number;
  private readonly cache: NodeCache;
  private readonly latestReader: Reader;
  private readonly histReader: Reader;

  // In-memory copy of the committed "latest" record; re-checked against LMDB on every call so an
  // aborted caller transaction (after write()) cannot leave us ahead of the store.
  private latest = 0;
  private oldest = 0;
  private rootRef: RootRef = emptyRoot();
  private latestRec: Buffer | undefined;

  constructor(root: RootDatabase, opts: AuthenticatedStateOptions) {
    if (!Number.isSafeInteger(opts.keepRecent) || opts.keepRecent < 1) {
      throw new StateError("BAD_OPTIONS", "keepRecent must be an integer >= 1");
    }
    const cacheSize = opts.nodeCacheSize ?? DEFAULT_NODE_CACHE;
    if (!Number.isSafeInteger(cacheSize) || cacheSize < 0) {
      throw new StateError("BAD_OPTIONS", "nodeCacheSize must be an integer >= 0");
    }
    this.root = root;
    this.keepRecent = opts.keepRecent;
    this.pruneInterval = opts.pruneInterval ?? 1;
    if (!Number.isSafeInteger(this.pruneInterval) || this.pruneInterval < 1) {
      throw new StateError("BAD_OPTIONS", "pruneInterval must be an integer >= 1");
    }
    const open = (name: string) =>
      root.openDB<Buffer, Buffer>({ name, encoding: "binary", keyEncoding: "binary" });
    this.nodes = open("state.nodes");
    this.stale = open("state.stale");
    this.values = open("state.values");
    this.meta = open("state.meta");
    this.cache = new NodeCache(cacheSize);
    this.latestReader = new Reader(this.nodes, this.cache, true);
    this.histReader = new Reader(this.nodes, this.cache, false);
    this.sync();
  }

  /** Last committed version, 0 for an empty store. */
  get latestVersion(): number {
    this.sync();
    return this.latest;
  }

  /** Oldest version still readable. */
  get oldestVersion(): number {
    this.sync();
    return this.oldest;
  }

  rootHash(version?: number): Uint8Array {
    this.sync();
    return Buffer.from(this.rootAt(version ?? this.latest).hash);
  }

  /** Latest committed value (flat db; no tree access). */
  get(key: Uint8Array): Uint8Array | undefined {
    if (key.length === 0 || key.length > MAX_STATE_KEY_LEN) return undefined;
    return readCopy(this.values, Buffer.from(key.buffer, key.byteOffset, key.length));
  }

  /** Value at a retained version, read through the tree. */
  getAt(key: Uint8Array, version: number): Uint8Array | undefined {
    this.sync();
    return this.walk(key, version, null);
  }

  prove(
    key: Uint8Array,
    version?: number,
  ): { value: Uint8Array | undefined; proof: MerkleProof; root: Uint8Array; version: number } {
    this.sync();
    const v = version ?? this.latest;
    const steps: ProofStep[] = [];
    const end: { terminal: ProofTerminal } = { terminal: { type: "empty" } };
    const value = this.walk(key, v, { steps, end });
    return {
      value,
      proof: { steps, terminal: end.terminal },
      root: Buffer.from(this.rootAt(v).hash),
      version: v,
    };
  }

  /** Latest committed entries whose key starts with `prefix`, in key byte order. */
  *iteratePrefix(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    const p = Buffer.from(prefix);
    const range = this.values.getRange(p.length > 0 ? { start: p } : {});
    for (const { key, value } of range) {
      if (key.length < p.length || key.compare(p, 0, p.length, 0, p.length) !== 0) break;
      yield [key, value];
    }
  }

  /**
   * Compute the commit of `version` (= latestVersion + 1) from `changes` (value undefined =
   * delete). Writes nothing and leaves the caches as they are; the result does not depend on the
   * order of `changes`. Each key may appear once.
   */
  prepare(version: number, changes: Iterable<[Uint8Array, Uint8Array | undefined]>): PreparedCommit {
    this.sync();
    if (!Number.isSafeInteger(version) || version !== this.latest + 1) {
      throw new StateError("BAD_VERSION", `expected version ${this.latest + 1}, got ${version}`);
    }
    const entries = Array.isArray(changes) ? changes : [...changes];
    const list: Change[] = new Array(entries.length);
    // All key hashes of the batch share one buffer (one allocation instead of one per key).
    const khs = Buffer.allocUnsafe(32 * entries.length);
    for (let i = 0; i < entries.length; i++) {
      const [k, v] = entries[i]!;
      checkKey(k);
      const key = Buffer.from(k);
      khs.write(sha256Str(key), 32 * i, 32, "latin1");
      const kh = khs.subarray(32 * i, 32 * i + 32);
      if (v === undefined) {
        list[i] = new Change(kh, key, undefined, null);
      } else {
        if (!(v instanceof Uint8Array)) throw new StateError("BAD_VALUE", "values must be Uint8Arrays");
        const rec = encodeLeaf(kh, key, v);
        list[i] = new Change(kh, key, leafValue(rec), newLeafPtr(rec, kh, version));
      }
    }
    list.sort(compareChanges);
    for (let i = 1; i < list.length; i++) {
      if (compareChanges(list[i - 1]!, list[i]!) === 0) {
        throw new StateError("DUPLICATE_KEY", `key ${list[i]!.key.toString("hex")} appears twice`);
      }
    }
    const up = new TreeUpdater(this.latestReader, version, list);
    const rootRef = up.run(this.rootRef);
    const p = new PreparedCommit(version, Buffer.from(rootRef.hash));
    prepared.set(p, {
      owner: this,
      baseVersion: this.latest,
      baseRoot: this.rootRef.hash,
      rootRef,
      changes: list,
      up,
      written: false,
    });
    return p;
  }

  /**
   * Write a prepared commit. Must run inside the caller's `root.transactionSync(...)`: it only
   * issues putSync/removeSync, which lmdb-js performs synchronously in the open write transaction
   * (outside one, each would commit on its own, so that case is refused up front). Also prunes
   * versions that fell out of the retention window. Afterwards the in-memory state (latest
   * version, root, node cache) reflects the new version.
   */
  write(p: PreparedCommit): void {
    const d = prepared.get(p);
    if (d === undefined || d.owner !== this)
      throw new StateError("STALE_PREPARE", "not prepared by this state");
    try {
      this.root.getWriteTxnId();
    } catch {
      throw new StateError("NOT_IN_TRANSACTION", "write() must be called inside root.transactionSync()");
    }
    this.sync();
    if (d.written || d.baseVersion !== this.latest || !d.baseRoot.equals(this.rootRef.hash)) {
      throw new StateError("STALE_PREPARE", "the state changed since prepare()");
    }
    const v = p.version;
    const up = d.up;

    // New node keys come out of the updater sorted and above every existing key: append.
    // (lmdb-js reports a refused append by returning false, not by throwing.)
    const keys = up.newKeys;
    const recs = up.newRecs;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k != null && !appendSync(this.nodes, k, recs[i]!)) {
        throw new StateError("CORRUPT", `node key ${k.toString("hex")} not above the existing ones`);
      }
    }
    for (const c of d.changes) {
      if (c.value !== undefined) this.values.putSync(c.key, c.value);
      else this.values.removeSync(c.key);
    }

    const oldest = Math.max(this.oldest, v - this.keepRecent + 1);
    if (v <= oldest && this.pruneInterval === 1) {
      // keepRecent = 1: what this version replaced is unreachable right away.
      for (const k of up.staleKeys) this.nodes.removeSync(k);
    } else {
      this.writeStale(v, up.staleKeys);
    }
    if (v % this.pruneInterval === 0) this.prune(oldest);

    const rootRec = Buffer.allocUnsafe(ROOT_REF_LEN);
    encodeRootRef(d.rootRef, rootRec, 0);
    this.meta.putSync(rootKey(v), rootRec);
    const latestRec = Buffer.allocUnsafe(LATEST_LEN);
    writeU64(latestRec, 0, v);
    writeU64(latestRec, 8, oldest);
    encodeRootRef(d.rootRef, latestRec, 16);
    this.meta.putSync(LATEST_KEY, latestRec);

    // In-memory state follows the (pending) transaction; sync() undoes this if it aborts.
    for (let i = 0; i < up.cacheDropIds.length; i++)
      this.cache.delete(up.cacheDropIds[i]!, up.cacheDropVersions[i]!);
    for (let i = 0; i < up.cacheAddIds.length; i++)
      this.cache.set(up.cacheAddIds[i]!, v, up.cacheAddRecs[i]!);
    this.latest = v;
    this.oldest = oldest;
    this.rootRef = d.rootRef;
    this.latestRec = latestRec;
    d.written = true;
  }

  // ---- internals ----

  /** Reload the in-memory view if LMDB's latest record differs (first call, or an aborted transaction). */
  private sync(): void {
    const rec = readCopy(this.meta, LATEST_KEY);
    if (rec === undefined) {
      if (this.latestRec !== undefined || this.latest !== 0) this.reset(0, 0, emptyRoot());
      return;
    }
    if (this.latestRec !== undefined && rec.equals(this.latestRec)) return;
    if (rec.length !== LATEST_LEN) throw new StateError("CORRUPT", "bad latest record");
    this.reset(readU64(rec, 0), readU64(rec, 8), decodeRootRef(rec, 16));
    this.latestRec = rec;
  }

  private reset(latest: number, oldest: number, root: RootRef): void {
    this.cache.clear();
    this.latest = latest;
    this.oldest = oldest;
    this.rootRef = root;
    this.latestRec = undefined;
  }

  private rootAt(version: number): RootRef {
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new StateError("BAD_VERSION", `bad version ${version}`);
    }
    if (version > this.latest)
      throw new StateError("VERSION_UNKNOWN", `version ${version} > latest ${this.latest}`);
    if (version < this.oldest)
      throw new StateError("VERSION_PRUNED", `version ${version} < oldest ${this.oldest}`);
    if (version === this.latest) return this.rootRef;
    if (version === 0) return emptyRoot();
    const rec = readCopy(this.meta, rootKey(version));
    if (rec === undefined) throw new StateError("CORRUPT", `no root record for version ${version}`);
    return decodeRootRef(rec, 0);
  }

  /** Follow `key`'s path at `version`; returns its value and, if asked, collects the proof. */
  private walk(
    key: Uint8Array,
    version: number,
    proof: { steps: ProofStep[]; end: { terminal: ProofTerminal } } | null,
  ): Uint8Array | undefined {
    const ref = this.rootAt(version);
    checkKey(key);
    const kh = sha256(key);
    const reader = version === this.latest ? this.latestReader : this.histReader;
    if (ref.kind === ROOT_EMPTY) return undefined;
    let isLeaf = ref.kind === ROOT_LEAF;
    let ver = ref.nodeVersion;
    let leafKhOff = -1;
    let parent: Buffer | null = null;
    for (let depth = 0; ; depth++) {
      if (isLeaf) {
        // The parent knows the leaf's key hash: a plain read of another key needs no leaf read.
        if (proof === null && parent !== null && !equal32(parent, leafKhOff, kh, 0)) return undefined;
        const rec = reader.leaf(nodeKey(ver, kh, depth));
        if (leafHasKeyHash(rec, kh)) {
          if (proof) proof.end.terminal = { type: "key" };
          return Buffer.from(leafValue(rec));
        }
        if (proof) {
          proof.end.terminal = {
            type: "other",
            keyHash: Buffer.from(leafKeyHash(rec)),
            valueHash: Buffer.from(leafValueHash(rec)),
          };
        }
        return undefined;
      }
      const rec = reader.internal(ver, kh, depth);
      const bitmap = bitmapOf(rec);
      const n = popcount16(bitmap);
      const nib = nibbleAt(kh, depth);
      const present = (bitmap & (1 << nib)) !== 0;
      const idx = childIndex(bitmap, nib);
      if (proof) {
        const siblings: Uint8Array[] = [];
        for (let i = 0; i < n; i++) {
          if (present && i === idx) continue;
          const o = childHashOffset(i);
          siblings.push(Buffer.from(rec.subarray(o, o + 32)));
        }
        proof.steps.push({ bitmap, siblings });
      }
      if (!present) {
        if (proof) proof.end.terminal = { type: "empty" };
        return undefined;
      }
      const leafMask = leafMaskOf(rec, n);
      isLeaf = (leafMask & (1 << nib)) !== 0;
      if (isLeaf) leafKhOff = leafKhOffset(n, leafMask, nib);
      parent = rec;
      ver = childVersion(rec, n, idx);
    }
  }

  private writeStale(version: number, keys: Buffer[]): void {
    let chunk = 0;
    for (let i = 0; i < keys.length; ) {
      let len = 0;
      let end = i;
      while (end < keys.length && len + 1 + keys[end]!.length <= STALE_CHUNK_BYTES)
        len += 1 + keys[end++]!.length;
      const blob = Buffer.allocUnsafe(len);
      let off = 0;
      for (; i < end; i++) {
        const k = keys[i]!;
        blob[off] = k.length;
        blob.set(k, off + 1);
        off += 1 + k.length;
      }
      this.stale.putSync(staleKey(version, chunk++), blob);
    }
  }

  /** Delete nodes that became stale at versions <= newOldest, and root records below newOldest. */
  private prune(newOldest: number): void {
    // Collect first: deleting while a range cursor is open is not something to rely on.
    const entries: [Buffer, Buffer][] = [];
    for (const { key, value } of this.stale.getRange({ end: staleKey(newOldest + 1, 0) })) {
      entries.push([key, value]);
    }
    for (const [key, blob] of entries) {
      for (let off = 0; off < blob.length; ) {
        const len = blob[off]!;
        this.nodes.removeSync(blob.subarray(off + 1, off + 1 + len));
        off += 1 + len;
      }
      this.stale.removeSync(key);
    }
    const roots: Buffer[] = [];
    for (const key of this.meta.getKeys({ start: rootKey(0), end: rootKey(newOldest) })) roots.push(key);
    for (const key of roots) this.meta.removeSync(key);
  }
}

function compareChanges(a: Change, b: Change): number {
  return a.k0 - b.k0 || a.keyHash.compare(b.keyHash);
}
