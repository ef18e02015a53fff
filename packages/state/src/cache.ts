/**
 * Bounded cache of committed internal nodes, keyed by path id (see nibbles.pathId).
 *
 * Each path keeps one entry: the node most recently committed (or read) there. A node's content
 * is immutable for its (path, version), so a lookup only hits when the version matches. The
 * owner must only insert committed nodes (or nodes of the write transaction in progress; it
 * clears the cache if that transaction turns out to have aborted).
 *
 * Eviction is CLOCK (second chance) over a fixed ring of slots: a hit only sets a flag, and the
 * hand skips flagged entries once. Upper-level nodes are hit by nearly every update, so they stay.
 * (A Map used as a FIFO queue is not an option: V8 leaves tombstones at the front of an ordered
 * Map, so repeatedly taking its first entry gets slower and slower.)
 */
export class NodeCache {
  private readonly index = new Map<number, number>(); // path id -> slot
  private readonly ids: Int32Array;
  private readonly versions: Float64Array;
  private readonly used: Uint8Array;
  private readonly recs: (Buffer | undefined)[];
  private filled = 0;
  private hand = 0;

  constructor(private readonly capacity: number) {
    this.ids = new Int32Array(capacity);
    this.versions = new Float64Array(capacity);
    this.used = new Uint8Array(capacity);
    this.recs = new Array<Buffer | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.index.size;
  }

  get(id: number, version: number): Buffer | undefined {
    const s = this.index.get(id);
    if (s === undefined || this.versions[s] !== version) return undefined;
    this.used[s] = 1;
    return this.recs[s];
  }

  set(id: number, version: number, rec: Buffer): void {
    if (this.capacity <= 0) return;
    let s = this.index.get(id);
    if (s === undefined) {
      s = this.freeSlot();
      this.ids[s] = id;
      this.index.set(id, s);
      this.used[s] = 0;
    } else {
      this.used[s] = 1;
    }
    this.versions[s] = version;
    this.recs[s] = rec;
  }

  /** Drop the entry for `id` if it still holds `version`. */
  delete(id: number, version: number): void {
    const s = this.index.get(id);
    if (s === undefined || this.versions[s] !== version) return;
    this.index.delete(id);
    this.recs[s] = undefined; // the slot is reused first by the clock hand
    this.used[s] = 0;
  }

  clear(): void {
    this.index.clear();
    this.recs.fill(undefined);
    this.filled = 0;
    this.hand = 0;
  }

  private freeSlot(): number {
    if (this.filled < this.capacity) return this.filled++;
    for (;;) {
      const s = this.hand;
      this.hand = s + 1 === this.capacity ? 0 : s + 1;
      if (this.recs[s] === undefined) return s; // emptied by delete()
      if (this.used[s]) {
        this.used[s] = 0;
        continue;
      }
      this.index.delete(this.ids[s]!);
      this.recs[s] = undefined;
      return s;
    }
  }
}
