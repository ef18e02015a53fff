import { CommittedStore, type KVStore } from "./store.ts";

/**
 * Values derived from committed state (decoded credential lists, a pair's grants), memoised by
 * two string keys until the committed store changes. Between commits the committed state is
 * fixed, so queries and access decisions need not rebuild keys and decode the same entries again;
 * any other store (a block or tx branch, a past height) computes afresh. Keys that are the
 * caller's own string objects (addresses, type names) hash once, which is why the keys are two
 * strings rather than one joined string.
 */
export class CommittedMemo<V> {
  private store: CommittedStore | undefined;
  private generation = -1;
  private size = 0;
  private readonly entries = new Map<string, Map<string, V>>();

  constructor(private readonly limit = 200_000) {}

  get(kv: KVStore, a: string, b: string, compute: () => V): V {
    if (!(kv instanceof CommittedStore)) return compute();
    if (kv !== this.store || kv.generation !== this.generation || this.size >= this.limit) {
      this.entries.clear();
      this.size = 0;
      this.store = kv;
      this.generation = kv.generation;
    }
    let inner = this.entries.get(a);
    if (!inner) {
      inner = new Map();
      this.entries.set(a, inner);
    }
    let value = inner.get(b);
    if (value === undefined && !inner.has(b)) {
      value = compute();
      inner.set(b, value);
      this.size++;
    }
    return value as V;
  }
}
