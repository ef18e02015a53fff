// The scheduler's node pools: per jurisdiction (and per set of allowed destinations), the ranked
// nodes in blocks of 32 under a segment tree that finds the best node fitting a slot in O(log n).
import { readNodes } from "./rank.ts";
import type { ScheduleInput } from "./scheduler.ts";
import type { SchedulerNode, SchedulerSlot } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// The network during one pass: ranked nodes, their remaining capacity, and pools by destination.
// A node is known by its rank (0 = best); pools list their members by rank, ascending.

/**
 * What a pass reads of the node at each rank, side by side and in rank order, so that one memory
 * access fetches it all and a pool's members (ranks, ascending) are read front to back:
 * `cells[rank × CELL + FREE]` its remaining free capacity (taken down as the pass assigns),
 * `+ TIER` its tier level, `+ PRICE` its price key (exact when safe, else rounded), `+ PLACE` its
 * jurisdiction's index.
 */
const CELL = 4;
const FREE = 0;
const TIER = 1;
const PRICE = 2;
const PLACE = 3;

/** Where a (data class, origin) may go: the origin's own nodes, then the other allowed ones. */
interface Route {
  readonly local: RankedPool | undefined;
  /**
   * Every allowed jurisdiction's nodes, built on first use. The origin's are among them (so that
   * origins under one rule share a pool), but none of them fits when this is searched: the local
   * search has just found none.
   */
  readonly remote: (() => RankedPool) | undefined;
}

export class Network {
  /** Rank → column index. */
  private readonly order: Int32Array;
  /** Column index → index in `nodes`. */
  private readonly source: Int32Array;
  private readonly cells: Float64Array;
  /** Distinct tiers, ascending. */
  private readonly tiers: readonly number[];
  /** Distinct jurisdictions, sorted. */
  private readonly jurisdictions: readonly string[];
  /** Whether every price key is the exact price. */
  private readonly pricesExact: boolean;
  private readonly pools = new Map<string, RankedPool>();
  /** Per jurisdiction index, the ranks of its nodes (see `byPlace`). */
  private lists: Int32Array[] | undefined;
  /** Data class → origin → route. */
  private readonly routes = new Map<string, Map<string, Route>>();

  /** The nodes with free capacity, ranked. */
  constructor(
    private readonly nodes: readonly SchedulerNode[],
    energyFirst: boolean,
    private readonly allowed: ScheduleInput["allowed"],
  ) {
    const read = readNodes(nodes, energyFirst, (n) => Number.isSafeInteger(n.free) && n.free > 0);
    const { order, free, tierLevel, price, place } = read;
    this.tiers = read.tiers;
    this.jurisdictions = read.jurisdictions;
    this.pricesExact = read.pricesExact;
    const count = order.length;
    const rankOf = new Int32Array(count);
    for (let rank = 0; rank < count; rank++) rankOf[order[rank]!] = rank;
    // Read the columns front to back and write each node's cell where its rank puts it.
    const cells = new Float64Array(count * CELL);
    for (let k = 0; k < count; k++) {
      const at = rankOf[k]! * CELL;
      cells[at + FREE] = free[k]!;
      cells[at + TIER] = tierLevel[k]!;
      cells[at + PRICE] = price[k]!;
      cells[at + PLACE] = place[k]!;
    }
    this.order = order;
    this.source = read.source;
    this.cells = cells;
  }

  /** The id of the node at `rank`. */
  idOf(rank: number): string {
    return this.nodeAt(rank).id;
  }

  private nodeAt(rank: number): SchedulerNode {
    return this.nodes[this.source[this.order[rank]!]!]!;
  }

  /**
   * The rank of the best node for `slot`, or −1; takes one unit of its capacity. `holders` are
   * the ranks of the nodes holding another replica of the slot's shard.
   */
  pick(slot: SchedulerSlot, holders: readonly number[]): number {
    const tiers = this.tiers;
    let level = 0;
    while (level < tiers.length && tiers[level]! < slot.minTier) level++;
    if (level === tiers.length) return -1;
    const route = this.route(slot.dataClass, slot.jurisdiction);
    const fee = Number(slot.maxFee);
    // What the pools' filter (tier, price key) leaves to check: the exact fee, exclusions, replicas.
    const exact = this.pricesExact && Number.isSafeInteger(fee);
    const fits =
      exact && holders.length === 0 && slot.excluded.length === 0
        ? undefined
        : (rank: number) =>
            !holders.includes(rank) &&
            (exact || this.nodeAt(rank).price <= slot.maxFee) &&
            (slot.excluded.length === 0 || !slot.excluded.includes(this.idOf(rank)));
    let pool = route.local;
    let pos = pool ? pool.first(level, fee, fits) : -1;
    if (pos < 0 && route.remote) {
      pool = route.remote();
      pos = pool.first(level, fee, fits);
    }
    if (pos < 0) return -1;
    const rank = pool!.members[pos]!;
    if (--this.cells[rank * CELL + FREE]! === 0) pool!.drop(pos); // other pools drop it when they meet it
    return rank;
  }

  /** Asks `allowed` once per (data class, origin, destination) among the nodes' jurisdictions. */
  private route(dataClass: string, origin: string): Route {
    let byOrigin = this.routes.get(dataClass);
    if (!byOrigin) {
      byOrigin = new Map();
      this.routes.set(dataClass, byOrigin);
    }
    let route = byOrigin.get(origin);
    if (!route) {
      const destinations = this.jurisdictions.filter((d) => this.allowed(dataClass, origin, d));
      const local = destinations.includes(origin) ? this.pool([origin]) : undefined;
      const others = destinations.length > (local ? 1 : 0);
      let remote: RankedPool | undefined;
      route = { local, remote: others ? () => (remote ??= this.pool(destinations)) : undefined };
      byOrigin.set(origin, route);
    }
    return route;
  }

  /** Per jurisdiction index, the ranks of its nodes, ascending; all of them, computed on first use. */
  private byPlace(): Int32Array[] {
    if (!this.lists) {
      const cells = this.cells;
      const count = cells.length / CELL;
      const sizes = new Int32Array(this.jurisdictions.length);
      for (let rank = 0; rank < count; rank++) sizes[cells[rank * CELL + PLACE]!]!++;
      const lists = Array.from(sizes, (size) => new Int32Array(size));
      const filled = new Int32Array(this.jurisdictions.length);
      for (let rank = 0; rank < count; rank++) {
        const p = cells[rank * CELL + PLACE]!;
        lists[p]![filled[p]!++] = rank;
      }
      this.lists = lists;
    }
    return this.lists;
  }

  /** The ranks of the nodes in any of `jurisdictions`, ascending. */
  private ranksInAny(jurisdictions: readonly string[]): Int32Array {
    const lists = this.byPlace();
    const cells = this.cells;
    const inPool = new Uint8Array(this.jurisdictions.length);
    let size = 0;
    for (const j of jurisdictions) {
      const p = this.jurisdictions.indexOf(j);
      inPool[p] = 1;
      size += lists[p]!.length;
    }
    const members = new Int32Array(size);
    for (let rank = 0, at = 0; at < size; rank++) {
      if (inPool[cells[rank * CELL + PLACE]!]) members[at++] = rank;
    }
    return members;
  }

  private pool(jurisdictions: readonly string[]): RankedPool {
    const key = jurisdictions.join(",");
    let pool = this.pools.get(key);
    if (!pool) {
      const members =
        jurisdictions.length === 1
          ? this.byPlace()[this.jurisdictions.indexOf(jurisdictions[0]!)]!
          : this.ranksInAny(jurisdictions);
      pool = new RankedPool(members, this.cells, this.tiers.length);
      this.pools.set(key, pool);
    }
    return pool;
  }
}

// ---------------------------------------------------------------------------------------------

/** Members a tree leaf holds: one bit each in a 32-bit mask of the ones still live. */
const BLOCK_BITS = 5;
const BLOCK = 1 << BLOCK_BITS;

/**
 * Nodes in rank order, in blocks of 32 under a segment tree: each tree node holds, per tier
 * level, the lowest price among its live members of that tier or higher, so that the first block
 * holding a member that meets a slot's tier and fee is found in O(log n), and scanned. A block's
 * figures may still count a member used up through another pool (a lower bound stays safe): the
 * scan that meets it drops it.
 */
class RankedPool {
  /** Leaves in the tree: the blocks, rounded up to a power of two. */
  private readonly size: number;
  /** Per block, bit i set while member `block × 32 + i` is live. */
  private readonly live: Int32Array;
  /** [tree node × levels + level] → the lowest price key; Infinity when there is none. */
  private readonly lowest: Float64Array;

  constructor(
    readonly members: Int32Array,
    private readonly cells: Float64Array,
    private readonly levels: number,
  ) {
    const blocks = (members.length + BLOCK - 1) >> BLOCK_BITS;
    let size = 1;
    while (size < blocks) size *= 2;
    this.size = size;
    this.live = new Int32Array(size);
    this.lowest = new Float64Array(2 * size * levels).fill(Number.POSITIVE_INFINITY);
    for (let block = 0; block < blocks; block++) {
      const base = block << BLOCK_BITS;
      const end = Math.min(base + BLOCK, members.length);
      let bits = 0;
      for (let pos = base; pos < end; pos++) {
        if (cells[members[pos]! * CELL + FREE]! > 0) bits |= 1 << (pos - base);
      }
      this.live[block] = bits;
      this.summarise(block);
    }
    for (let t = size - 1; t >= 1; t--) this.pull(t);
  }

  /**
   * The position of the first live member of tier level ≥ `level` and price key ≤ `fee` that
   * `fits` accepts (all do when it is undefined), or −1.
   */
  first(level: number, fee: number, fits: ((rank: number) => boolean) | undefined): number {
    const cells = this.cells;
    for (
      let block = this.firstBlock(0, level, fee);
      block >= 0;
      block = this.firstBlock(block + 1, level, fee)
    ) {
      const base = block << BLOCK_BITS;
      let bits = this.live[block]!;
      let stale = false;
      let found = -1;
      while (bits !== 0) {
        const bit = bits & -bits;
        bits ^= bit;
        const pos = base + 31 - Math.clz32(bit);
        const rank = this.members[pos]!;
        const at = rank * CELL;
        if (cells[at + FREE] === 0) {
          this.live[block]! &= ~bit; // used up earlier in this pass, through another pool
          stale = true;
        } else if (
          cells[at + TIER]! >= level &&
          cells[at + PRICE]! <= fee &&
          (fits === undefined || fits(rank))
        ) {
          found = pos;
          break;
        }
      }
      if (stale) this.refresh(block);
      if (found >= 0) return found;
    }
    return -1;
  }

  /** Takes the member at `pos` out of every later search. */
  drop(pos: number): void {
    const block = pos >> BLOCK_BITS;
    this.live[block]! &= ~(1 << (pos & (BLOCK - 1)));
    this.refresh(block);
  }

  /** The first block ≥ `from` whose figures admit `level` and `fee`, or −1. */
  private firstBlock(from: number, level: number, fee: number): number {
    const { lowest, levels, size } = this;
    if (from >= size) return -1;
    let t = from === 0 ? 1 : size + from;
    for (;;) {
      if (lowest[t * levels + level]! <= fee) {
        while (t < size) {
          t *= 2;
          if (!(lowest[t * levels + level]! <= fee)) t++;
        }
        return t - size;
      }
      // On to the subtree just right of `t`'s: up while `t` is a right child, then across.
      while (t & 1) t >>= 1;
      if (t === 0) return -1;
      t++;
    }
  }

  private refresh(block: number): void {
    this.summarise(block);
    for (let t = (this.size + block) >> 1; t >= 1 && this.pull(t); t >>= 1);
  }

  /** Recomputes the leaf of `block` from its live members. */
  private summarise(block: number): void {
    const { lowest, levels } = this;
    const cells = this.cells;
    const at = (this.size + block) * levels;
    lowest.fill(Number.POSITIVE_INFINITY, at, at + levels);
    for (let bits = this.live[block]!; bits !== 0; ) {
      const bit = bits & -bits;
      bits ^= bit;
      const rank = this.members[(block << BLOCK_BITS) + 31 - Math.clz32(bit)]! * CELL;
      const price = cells[rank + PRICE]!;
      // Lower levels admit more members, so their lowest price is never higher: stop at the first that is.
      for (let l = cells[rank + TIER]!; l >= 0 && price < lowest[at + l]!; l--) lowest[at + l] = price;
    }
  }

  /** Recomputes tree node `t` from its two children; whether that changed it. */
  private pull(t: number): boolean {
    const levels = this.levels;
    const lowest = this.lowest;
    let changed = false;
    for (let l = 0, self = t * levels, left = 2 * t * levels; l < levels; l++) {
      const value = Math.min(lowest[left + l]!, lowest[left + levels + l]!);
      if (value !== lowest[self + l]) {
        lowest[self + l] = value;
        changed = true;
      }
    }
    return changed;
  }
}
