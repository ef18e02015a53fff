import { rememberKeyId, sharedKeyId } from "./shared-keys.ts";

/**
 * Key-value views of the state. Execution reads and writes through layers:
 * committed state ← block branch ← transaction branch, so a failed transaction's
 * writes are dropped without touching the block, and the block's writes reach the
 * authenticated tree only at commit.
 */
export interface KVStore {
  get(key: Uint8Array): Uint8Array | undefined;
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Entries whose key starts with `prefix`, in ascending byte order. */
  iterate(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
}

/** The read side of the committed state (implemented by @btt/state's AuthenticatedState). */
export interface CommittedReader {
  get(key: Uint8Array): Uint8Array | undefined;
  iteratePrefix(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
}

// Map keys are byte strings: latin1 maps each byte to one char, so order and identity are preserved.
// A shared (memoised) key keeps its id, so the same string is reused by every lookup.
function keyId(key: Uint8Array): string {
  const known = sharedKeyId(key);
  if (known) return known;
  const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
  if (known === null) rememberKeyId(key, id);
  return id;
}
const keyOf = (id: string): Uint8Array => Buffer.from(id, "latin1");

/**
 * Stores that index by key id take the id from the layer above, so a read through a transaction
 * branch, the block branch and the committed cache converts the key to an id once, not three
 * times, and writes pass down with their key bytes instead of being rebuilt from the id.
 */
interface KeyedStore extends KVStore {
  getKeyed(id: string, key: Uint8Array): Uint8Array | undefined;
  setKeyed(id: string, key: Uint8Array, value: Uint8Array | undefined): void;
}

function isKeyed(store: KVStore): store is KeyedStore {
  return typeof (store as Partial<KeyedStore>).getKeyed === "function";
}

/**
 * A read-only store over committed state; writes are a programming error. Reads are cached:
 * mempool checks and block execution read the same keys (the sender's key, nonce and balance,
 * parameters) again and again. After each commit the node hands the block's writes to
 * `committedChanges`, which keeps the cache true (and warm: the accounts a block touched are the
 * ones the next txs read); anything else that changes the state calls `invalidate()`.
 */
export class CommittedStore implements KeyedStore {
  private readonly cache = new Map<string, Uint8Array | undefined>();

  constructor(
    private readonly reader: CommittedReader,
    private readonly cacheLimit = 500_000,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getKeyed(keyId(key), key);
  }

  getKeyed(id: string, key: Uint8Array): Uint8Array | undefined {
    const cached = this.cache.get(id);
    if (cached !== undefined || this.cache.has(id)) return cached;
    const value = this.reader.get(key);
    if (this.cache.size >= this.cacheLimit) this.cache.clear();
    this.cache.set(id, value);
    return value;
  }

  private changes = 0;

  /** Forgets cached reads: call after every commit (and after anything else that changes the state). */
  invalidate(): void {
    this.cache.clear();
    this.changes++;
  }

  /** Brings the cache up to date with a commit's writes (undefined = deleted). */
  committedChanges(changes: Iterable<readonly [Uint8Array, Uint8Array | undefined]>): void {
    const cache = this.cache;
    for (const [key, value] of changes) {
      if (cache.size >= this.cacheLimit) cache.clear();
      cache.set(keyId(key), value);
    }
    this.changes++;
  }

  /** Counts changes: values derived from this store stay good while it is unchanged. */
  get generation(): number {
    return this.changes;
  }

  set(): void {
    throw new Error("committed state is read-only; write through a branch");
  }
  setKeyed(): void {
    throw new Error("committed state is read-only; write through a branch");
  }
  delete(): void {
    throw new Error("committed state is read-only; write through a branch");
  }
  iterate(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    return this.reader.iteratePrefix(prefix);
  }
}

/** A branch's write: the key bytes and the value, undefined marking a deletion. */
interface BranchWrite {
  key: Uint8Array;
  value: Uint8Array | undefined;
}

/**
 * A write-back cache over a parent store: reads fall through, writes stay until `writeToParent`.
 * A savepoint lets a part of the writes be taken back (a tx's messages, when one fails) without a
 * branch of its own, whose every read would go through one more layer.
 */
export class BranchStore implements KeyedStore {
  // By key id.
  private readonly writes = new Map<string, BranchWrite>();
  private readonly keyedParent: KeyedStore | undefined;
  /** While a savepoint is open: per write since, its key id and the write it replaced (if any). */
  private undo: Array<string | BranchWrite | undefined> | undefined;

  constructor(private readonly parent: KVStore) {
    this.keyedParent = isKeyed(parent) ? parent : undefined;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getKeyed(keyId(key), key);
  }

  getKeyed(id: string, key: Uint8Array): Uint8Array | undefined {
    const written = this.writes.get(id);
    if (written) return written.value;
    return this.keyedParent ? this.keyedParent.getKeyed(id, key) : this.parent.get(key);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.setKeyed(keyId(key), key, value);
  }

  delete(key: Uint8Array): void {
    this.setKeyed(keyId(key), key, undefined);
  }

  setKeyed(id: string, key: Uint8Array, value: Uint8Array | undefined): void {
    if (this.undo) this.undo.push(id, this.writes.get(id));
    this.writes.set(id, { key, value });
  }

  /** Opens a savepoint: the writes from now on can be taken back with `rollback` (one at a time). */
  savepoint(): void {
    if (this.undo) throw new Error("a savepoint is already open");
    this.undo = [];
  }

  /** Keeps the writes made since the savepoint, and closes it. */
  release(): void {
    if (!this.undo) throw new Error("no savepoint is open");
    this.undo = undefined;
  }

  /** Takes back every write made since the savepoint, and closes it. */
  rollback(): void {
    const undo = this.undo;
    if (!undo) throw new Error("no savepoint is open");
    this.undo = undefined;
    for (let i = undo.length - 2; i >= 0; i -= 2) {
      const id = undo[i] as string;
      const replaced = undo[i + 1] as BranchWrite | undefined;
      if (replaced) this.writes.set(id, replaced);
      else this.writes.delete(id);
    }
  }

  *iterate(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    const prefixId = keyId(prefix);
    const merged = new Map<string, Uint8Array | undefined>();
    for (const [key, value] of this.parent.iterate(prefix)) merged.set(keyId(key), value);
    for (const [id, { value }] of this.writes) if (id.startsWith(prefixId)) merged.set(id, value);
    const ids = [...merged.keys()].sort(compareByteStrings);
    for (const id of ids) {
      const value = merged.get(id);
      if (value !== undefined) yield [keyOf(id), value];
    }
  }

  /** Applies this branch's writes to its parent, in the order they were made. */
  writeToParent(): void {
    const keyed = this.keyedParent;
    for (const [id, { key, value }] of this.writes) {
      if (keyed) keyed.setKeyed(id, key, value);
      else if (value === undefined) this.parent.delete(key);
      else this.parent.set(key, value);
    }
    this.writes.clear();
  }

  /** The writes of this branch: what the block commits to the authenticated state. */
  changes(): Array<[Uint8Array, Uint8Array | undefined]> {
    return Array.from(this.writes.values(), ({ key, value }) => [key, value]);
  }

  get size(): number {
    return this.writes.size;
  }
}

function compareByteStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A module's view of the state: every key is prefixed with `<module>/`. */
export class PrefixStore implements KVStore {
  private readonly prefix: Uint8Array;

  constructor(
    private readonly inner: KVStore,
    moduleName: string,
  ) {
    this.prefix = Buffer.from(`${moduleName}/`, "utf8");
  }

  private full(key: Uint8Array): Uint8Array {
    const out = Buffer.allocUnsafe(this.prefix.length + key.length);
    out.set(this.prefix, 0);
    out.set(key, this.prefix.length);
    return out;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.inner.get(this.full(key));
  }
  set(key: Uint8Array, value: Uint8Array): void {
    this.inner.set(this.full(key), value);
  }
  delete(key: Uint8Array): void {
    this.inner.delete(this.full(key));
  }
  *iterate(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    for (const [key, value] of this.inner.iterate(this.full(prefix))) {
      yield [key.subarray(this.prefix.length), value];
    }
  }
}

/** The full state key of a module's key, as stored in the authenticated tree. */
export function moduleKey(moduleName: string, key: Uint8Array): Uint8Array {
  return Buffer.concat([Buffer.from(`${moduleName}/`, "utf8"), key]);
}
