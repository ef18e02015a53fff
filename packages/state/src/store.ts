/**
 * AuthenticatedState: the versioned Merkle tree and flat value db on top of the caller's LMDB env.
 *
 * prepare() computes a commit without writing; write() issues the puts/removes inside the
 * caller's synchronous write transaction, so state, blocks and metadata commit atomically.
 */

import type { RootDatabase } from "lmdb";
import { Batch, checkKey, MAX_STATE_KEY_LEN, OP_DELETE, OP_INSERT, OP_NONE } from "./batch.ts";
import { BucketCache } from "./bucket-cache.ts";
import { NodeCache } from "./cache.ts";
import { StateError } from "./errors.ts";
import { sha256 } from "./hash.ts";
import { ChunkPool, ENTRY, ListWriter } from "./leaf-list.ts";
import {
  decodeRootRef,
  encodeRootRef,
  ROOT_EMPTY,
  ROOT_REF_LEN,
  type RootRef,
  readU64,
  writeU64,
} from "./node-codec.ts";
import type { MerkleProof, ProofTerminal } from "./proof.ts";
import { EncodedProofSink, type ProofSink, StepsSink } from "./proof-sink.ts";
import { type Db, readCopy, readFast, TreeReader } from "./reader.ts";
import { TreeUpdater } from "./tree.ts";
import { UndoWriter, undoKey } from "./undo.ts";

export interface AuthenticatedStateOptions {
  /** Number of most recent versions kept readable (>= 1). */
  keepRecent: number;
  /** Max stored nodes, and max bucket leaf lists, kept in memory (default 250,000; 0 = none). */
  nodeCacheSize?: number;
  /**
   * Physically delete stale data every `pruneInterval` versions (default 1: in every write).
   * Versions outside the window are unreadable right away either way.
   */
  pruneInterval?: number;
  /**
   * Subtrees with at most this many keys are not stored as nodes but recomputed from the flat
   * values (default 64; 1 stores every internal node). Fixed when the store is created: an
   * existing store keeps the value it was created with.
   */
  bucketLeaves?: number;
}

export { MAX_STATE_KEY_LEN };

const DEFAULT_NODE_CACHE = 250_000;
const DEFAULT_BUCKET_LEAVES = 64;
const MAX_BUCKET_LEAVES = 1024;
/**
 * Max bytes per stale-index record. Values above ~2 KB go to LMDB overflow pages, which need
 * runs of contiguous free pages; finding those in a churned freelist makes commits very slow.
 */
const STALE_CHUNK_BYTES = 1900;

const LATEST_KEY = Buffer.from([0x00]);
const APPEND = { append: true } as const;
const ROOT_KEY_PREFIX = 0x01;
/** Storage format of this code; the latest record starts with it. */
const FORMAT = 2;
// latest record: format u8 | bucketLeaves u16 | latestVersion u64 | oldestRetained u64 | RootRef
const LATEST_LEN = 19 + ROOT_REF_LEN;

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

/** putSync with MDB_APPEND; true if written. (lmdb-js returns a boolean; its typings say void.) */
function appendSync(db: Db, key: Buffer, value: Buffer): boolean {
  return (db.putSync(key, value, APPEND) as unknown as boolean) !== false;
}

function emptyRoot(): RootRef {
  return { hash: Buffer.alloc(32), kind: ROOT_EMPTY, nodeVersion: 0 };
}

function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new StateError("BAD_OPTIONS", `${name} must be an integer in [${min}, ${max}]`);
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
  batch: Batch;
  up: TreeUpdater;
  writer: ListWriter;
  written: boolean;
  /** Its list memory went back to the pool: it can never be written. */
  recycled: boolean;
  /** prepareRestore: no version before this one exists, so no undo data and no older roots. */
  restore: boolean;
}

// Internals of PreparedCommit stay out of the public object.
const prepared = new WeakMap<PreparedCommit, PreparedData>();

/** A state entry at a version, with its proof (in one of two forms) against that version's root. */
export interface ProvenEntry<P> {
  value: Uint8Array | undefined;
  proof: P;
  root: Uint8Array;
  version: number;
}

export class AuthenticatedState {
  private readonly root: RootDatabase;
  private readonly nodes: Db;
  private readonly stale: Db;
  private readonly values: Db;
  private readonly keys: Db;
  private readonly undo: Db;
  private readonly meta: Db;
  private readonly keepRecent: number;
  private readonly pruneInterval: number;
  private readonly nodeCache: NodeCache;
  private readonly buckets: BucketCache;
  private readonly reader: TreeReader;
  private bucketLeaves: number;
  private readonly chunks = new ChunkPool(64);
  /** Prepares whose list chunks go back to the pool once they can no longer be written. */
  private pending: PreparedData[] = [];

  // In-memory copy of the committed "latest" record; re-checked against LMDB on every call so an
  // aborted caller transaction (after write()) cannot leave us ahead of the store.
  private latest = 0;
  private oldest = 0;
  private rootRef: RootRef = emptyRoot();
  private latestRec: Buffer | undefined;

  constructor(root: RootDatabase, opts: AuthenticatedStateOptions) {
    checkInt("keepRecent", opts.keepRecent, 1);
    const cacheSize = opts.nodeCacheSize ?? DEFAULT_NODE_CACHE;
    checkInt("nodeCacheSize", cacheSize, 0);
    this.pruneInterval = opts.pruneInterval ?? 1;
    checkInt("pruneInterval", this.pruneInterval, 1);
    this.bucketLeaves = opts.bucketLeaves ?? DEFAULT_BUCKET_LEAVES;
    checkInt("bucketLeaves", this.bucketLeaves, 1, MAX_BUCKET_LEAVES);
    this.root = root;
    this.keepRecent = opts.keepRecent;
    const open = (name: string) =>
      root.openDB<Buffer, Buffer>({ name, encoding: "binary", keyEncoding: "binary" });
    this.nodes = open("state.nodes");
    this.stale = open("state.stale");
    this.values = open("state.values");
    this.keys = open("state.keys");
    this.undo = open("state.undo");
    this.meta = open("state.meta");
    this.nodeCache = new NodeCache(cacheSize);
    this.buckets = new BucketCache(cacheSize);
    this.reader = new TreeReader(
      { nodes: this.nodes, values: this.values, keys: this.keys, undo: this.undo },
      this.nodeCache,
      this.buckets,
    );
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
    return readCopy(this.values, key);
  }

  /** Value at a retained version (latest value, undone by the undo log for older versions). */
  getAt(key: Uint8Array, version: number): Uint8Array | undefined {
    this.sync();
    this.rootAt(version);
    checkKey(key);
    if (version === this.latest) return readCopy(this.values, key);
    return this.reader.valueAt(sha256(key), key, version);
  }

  prove(key: Uint8Array, version?: number): ProvenEntry<MerkleProof> {
    const sink = new StepsSink();
    return this.proveInto(key, version, sink, (terminal) => ({ steps: sink.steps, terminal }));
  }

  /** As prove(), with the proof in its binary form (encodeProof's bytes), built as it is read. */
  proveEncoded(key: Uint8Array, version?: number): ProvenEntry<Uint8Array> {
    const sink = new EncodedProofSink();
    return this.proveInto(key, version, sink, (terminal) => sink.finish(terminal));
  }

  private proveInto<P>(
    key: Uint8Array,
    version: number | undefined,
    sink: ProofSink,
    finish: (terminal: ProofTerminal) => P,
  ): ProvenEntry<P> {
    this.sync();
    const v = version ?? this.latest;
    const ref = this.rootAt(v);
    checkKey(key);
    const { value, terminal } = this.reader.prove(key, ref, v, sink);
    return { value, proof: finish(terminal), root: Buffer.from(ref.hash), version: v };
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
   * delete). Writes nothing and leaves the caches valid; the result does not depend on the
   * order of `changes`. Each key may appear once.
   */
  prepare(version: number, changes: Iterable<[Uint8Array, Uint8Array | undefined]>): PreparedCommit {
    this.sync();
    if (!Number.isSafeInteger(version) || version !== this.latest + 1) {
      throw new StateError("BAD_VERSION", `expected version ${this.latest + 1}, got ${version}`);
    }
    return this.prepareAt(version, changes, false);
  }

  /**
   * The commit that fills an empty store with `entries` as version `version`, skipping the
   * versions before it (state sync: a snapshot's state at its height). The root is a function
   * of the entries only, so it equals that height's app hash when the entries are right. Write
   * it with write(); afterwards `version` is both the latest and the oldest readable version.
   */
  prepareRestore(version: number, entries: Iterable<[Uint8Array, Uint8Array]>): PreparedCommit {
    this.sync();
    if (this.latest !== 0 || this.latestRec !== undefined) {
      throw new StateError("BAD_VERSION", `a restore needs an empty store; this one is at ${this.latest}`);
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new StateError("BAD_VERSION", `bad version ${version}`);
    }
    const changes = Array.isArray(entries) ? entries : [...entries];
    for (const [, value] of changes) {
      if (!(value instanceof Uint8Array)) throw new StateError("BAD_VALUE", "a restored entry needs a value");
    }
    return this.prepareAt(version, changes, true);
  }

  private prepareAt(
    version: number,
    changes: Iterable<[Uint8Array, Uint8Array | undefined]>,
    restore: boolean,
  ): PreparedCommit {
    this.recycle();
    const batch = Batch.of(Array.isArray(changes) ? changes : [...changes]);
    this.reader.latest = this.latest;
    const writer = new ListWriter(this.chunks);
    const up = new TreeUpdater(this.reader.source, version, this.bucketLeaves, writer, batch);
    const rootRef = up.run(this.rootRef);
    const p = new PreparedCommit(version, Buffer.from(rootRef.hash));
    const data: PreparedData = {
      owner: this,
      baseVersion: this.latest,
      baseRoot: this.rootRef.hash,
      rootRef,
      batch,
      up,
      writer,
      written: false,
      recycled: false,
      restore,
    };
    prepared.set(p, data);
    // Track a few; the lists of untracked ones are simply left to the GC.
    if (this.pending.length < 8) this.pending.push(data);
    return p;
  }

  /**
   * Write a prepared commit. Must run inside the caller's `root.transactionSync(...)`: it only
   * issues putSync/removeSync, which lmdb-js performs synchronously in the open write transaction
   * (outside one, each would commit on its own, so that case is refused up front). Also prunes
   * versions that fell out of the retention window. Afterwards the in-memory state (latest
   * version, root, caches) reflects the new version.
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
    if (d.written || d.recycled || d.baseVersion !== this.latest || !d.baseRoot.equals(this.rootRef.hash)) {
      throw new StateError("STALE_PREPARE", "the state changed since prepare()");
    }
    const v = p.version;
    const up = d.up;

    // New node keys come out of the updater sorted and above every existing key: append.
    // (lmdb-js reports a refused append by returning false, not by throwing.)
    for (let i = 0; i < up.newKeys.length; i++) {
      const k = up.newKeys[i];
      if (k != null && !appendSync(this.nodes, k, up.newRecs[i]!)) {
        throw new StateError("CORRUPT", `node key ${k.toString("hex")} not above the existing ones`);
      }
    }
    // Versions before v stay readable only if keepRecent > 1; only then do they need undo data.
    this.writeValues(v, d, this.keepRecent > 1 && !d.restore);

    const oldest = d.restore ? v : Math.max(this.oldest, v - this.keepRecent + 1);
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
    latestRec[0] = FORMAT;
    latestRec.writeUInt16BE(this.bucketLeaves, 1);
    writeU64(latestRec, 3, v);
    writeU64(latestRec, 11, oldest);
    encodeRootRef(d.rootRef, latestRec, 19);
    this.meta.putSync(LATEST_KEY, latestRec);

    // In-memory state follows the (pending) transaction; sync() undoes this if it aborts.
    for (let i = 0; i < up.nodeDropIds.length; i++)
      this.nodeCache.delete(up.nodeDropIds[i]!, up.nodeDropVersions[i]!);
    for (let i = 0; i < up.nodeAddIds.length; i++)
      this.nodeCache.set(up.nodeAddIds[i]!, v, up.nodeAddRecs[i]!);
    for (const id of up.bucketDropIds) this.buckets.delete(id);
    const adds = up.bucketAdds;
    for (let i = 0; i < adds.length; i += 4) {
      const at = adds[i + 2]!;
      this.buckets.setBlock(adds[i]!, d.writer.chunk(adds[i + 1]!).subarray(at, at + adds[i + 3]!));
    }
    this.latest = v;
    this.reader.latest = v;
    this.oldest = oldest;
    this.rootRef = d.rootRef;
    this.latestRec = latestRec;
    d.written = true;
  }

  // ---- internals ----

  /**
   * Return the list chunks of tracked prepares that can never be written any more (written
   * once, or based on a version older than the committed latest) to the pool.
   */
  private recycle(): void {
    this.pending = this.pending.filter((d) => {
      if (!d.written && d.baseVersion >= this.latest) return true;
      d.recycled = true;
      d.writer.release();
      return false;
    });
  }

  /**
   * Flat values, the key index (key hash -> state key) for inserted and deleted keys, and, if
   * `undo`, the undo record of what each changed key held before version v (read just before it
   * is overwritten). (Writing the values in state-key order instead of key-hash order measured
   * no faster: the sort cost what the locality saved.)
   */
  private writeValues(v: number, d: PreparedData, undo: boolean): void {
    const b = d.batch;
    const uw = undo ? new UndoWriter(v) : null;
    for (let c = 0; c < b.n; c++) {
      const op = b.ops[c]!;
      if (op === OP_NONE) continue;
      const key = b.key(c);
      if (uw !== null) {
        const old = op === OP_INSERT ? null : readFast(this.values, key);
        if (old === undefined) throw new StateError("CORRUPT", "changed key without value");
        uw.add(b.ents, c * ENTRY, old);
      }
      if (op === OP_DELETE) {
        this.values.removeSync(key);
        this.keys.removeSync(b.keyHash(c));
      } else {
        this.values.putSync(key, b.value(c));
        if (op === OP_INSERT) this.keys.putSync(b.keyHash(c), key);
      }
    }
    if (uw === null) return;
    uw.finish();
    for (let i = 0; i < uw.keys.length; i++) {
      if (!appendSync(this.undo, uw.keys[i]!, uw.records[i]!)) {
        throw new StateError("CORRUPT", "undo record not above the existing ones");
      }
    }
  }

  /** Reload the in-memory view if LMDB's latest record differs (first call, or an aborted transaction). */
  private sync(): void {
    const rec = readCopy(this.meta, LATEST_KEY);
    if (rec === undefined) {
      if (this.latestRec !== undefined || this.latest !== 0) this.reset(0, 0, emptyRoot());
      return;
    }
    if (this.latestRec !== undefined && rec.equals(this.latestRec)) return;
    if (rec.length !== LATEST_LEN || rec[0] !== FORMAT) {
      throw new StateError("CORRUPT", "bad latest record (a store of another format?)");
    }
    this.bucketLeaves = rec.readUInt16BE(1);
    this.reset(readU64(rec, 3), readU64(rec, 11), decodeRootRef(rec, 19));
    this.latestRec = rec;
  }

  private reset(latest: number, oldest: number, root: RootRef): void {
    this.nodeCache.clear();
    this.buckets.clear();
    this.latest = latest;
    this.reader.latest = latest;
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

  /**
   * Delete what only versions < newOldest needed: stored nodes that became stale at versions
   * <= newOldest, undo records of versions <= newOldest, and root records below newOldest.
   */
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
    const undone: Buffer[] = [];
    for (const key of this.undo.getKeys({ end: undoKey(newOldest + 1, null) })) undone.push(key);
    for (const key of undone) this.undo.removeSync(key);
    const roots: Buffer[] = [];
    for (const key of this.meta.getKeys({ start: rootKey(0), end: rootKey(newOldest) })) roots.push(key);
    for (const key of roots) this.meta.removeSync(key);
  }
}
