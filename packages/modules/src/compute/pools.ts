// The scheduler's node pools: per jurisdiction (and per set of allowed destinations), a segment
// tree over the ranked nodes that finds the best node fitting a slot in O(log n).
import { isSafeKey, rankOrder } from "./rank.ts";
import type { ScheduleInput } from "./scheduler.ts";
import type { SchedulerNode, SchedulerSlot } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// The network during one pass: ranked nodes, their remaining capacity, and pools by destination.
// A node is known by its rank (0 = best); the columns below are indexed by rank.

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

interface Search {
  readonly slot: SchedulerSlot;
  readonly level: number;
  /** The slot's fee as a number, for the pool's filter. */
  readonly fee: number;
  /** Whether the pool's filter on `fee` is exact; otherwise the bigints are compared too. */
  readonly feeExact: boolean;
  /** Nodes holding another replica of the slot's shard. */
  readonly holders: readonly string[];
}

export class Network {
  /** Rank → the node. */
  private readonly ranked: SchedulerNode[];
  /** Remaining free capacity. */
  private readonly free: Float64Array;
  /** The index of the node's tier in `tiers`. */
  private readonly tierLevel: Int32Array;
  /** Distinct tiers, ascending. */
  private readonly tiers: number[];
  /** The price as a number: exact when safe, else rounded (and checked exactly later). */
  private readonly priceKey: Float64Array;
  /** The index of the node's jurisdiction in `jurisdictions`. */
  private readonly place: Int32Array;
  /** Distinct jurisdictions, sorted. */
  private readonly jurisdictions: string[];
  /** Whether every price key is the exact price. */
  private readonly pricesExact: boolean = true;
  private readonly pools = new Map<string, RankedPool>();
  /** Per jurisdiction index, the ranks of its nodes. */
  private byPlace: Int32Array[] | undefined;
  private readonly routes = new Map<string, Route>();

  constructor(
    nodes: readonly SchedulerNode[],
    energyFirst: boolean,
    private readonly allowed: ScheduleInput["allowed"],
  ) {
    // Read the nodes in input order (sequential memory), then lay the columns out by rank.
    const count = nodes.length;
    const order = rankOrder(nodes, energyFirst);
    const tierSet = new Set<number>();
    const placeSet = new Set<string>();
    for (let i = 0; i < count; i++) {
      tierSet.add(nodes[i]!.tier);
      placeSet.add(nodes[i]!.jurisdiction);
    }
    this.tiers = [...tierSet].sort((a, b) => a - b);
    this.jurisdictions = [...placeSet].sort();
    const levelOf = new Map(this.tiers.map((t, i) => [t, i]));
    const placeOf = new Map(this.jurisdictions.map((j, i) => [j, i]));
    const tierLevel = new Int32Array(count);
    const place = new Int32Array(count);
    const priceKey = new Float64Array(count);
    const free = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const n = nodes[i]!;
      tierLevel[i] = levelOf.get(n.tier)!;
      place[i] = placeOf.get(n.jurisdiction)!;
      priceKey[i] = Number(n.price);
      free[i] = n.free;
      if (!isSafeKey(n.price)) this.pricesExact = false;
    }
    this.ranked = new Array(count);
    this.free = new Float64Array(count);
    this.tierLevel = new Int32Array(count);
    this.priceKey = new Float64Array(count);
    this.place = new Int32Array(count);
    for (let rank = 0; rank < count; rank++) {
      const i = order[rank]!;
      this.ranked[rank] = nodes[i]!;
      this.free[rank] = free[i]!;
      this.tierLevel[rank] = tierLevel[i]!;
      this.priceKey[rank] = priceKey[i]!;
      this.place[rank] = place[i]!;
    }
  }

  /** The id of the best node for `slot`, or undefined; takes one unit of its capacity. */
  pick(slot: SchedulerSlot, holders: readonly string[]): string | undefined {
    let level = 0;
    while (level < this.tiers.length && this.tiers[level]! < slot.minTier) level++;
    if (level === this.tiers.length) return undefined;
    const route = this.route(slot.dataClass, slot.jurisdiction);
    const search: Search = {
      slot,
      level,
      fee: Number(slot.maxFee),
      feeExact: this.pricesExact && isSafeKey(slot.maxFee),
      holders,
    };
    let rank = route.local ? this.best(route.local, search) : -1;
    if (rank < 0 && route.remote) rank = this.best(route.remote(), search);
    if (rank < 0) return undefined;
    this.free[rank]!--;
    return this.ranked[rank]!.id;
  }

  /** The first node of `pool` that fits the search, by rank, or −1. */
  private best(pool: RankedPool, s: Search): number {
    for (let pos = pool.first(0, s.level, s.fee); pos >= 0; pos = pool.first(pos + 1, s.level, s.fee)) {
      const rank = pool.members[pos]!;
      if (this.free[rank] === 0) {
        pool.drop(pos); // used up earlier in this pass, through another pool
        continue;
      }
      if (this.fits(rank, s)) {
        if (this.free[rank] === 1) pool.drop(pos);
        return rank;
      }
    }
    return -1;
  }

  /** What the pool's filter leaves to check: the exact fee, exclusions, other replicas. */
  private fits(rank: number, s: Search): boolean {
    if (s.feeExact && s.holders.length === 0 && s.slot.excluded.length === 0) return true;
    const node = this.ranked[rank]!;
    return node.price <= s.slot.maxFee && !s.holders.includes(node.id) && !s.slot.excluded.includes(node.id);
  }

  /** Asks `allowed` once per (data class, origin, destination) among the nodes' jurisdictions. */
  private route(dataClass: string, origin: string): Route {
    const key = `${dataClass}\u0000${origin}`;
    let route = this.routes.get(key);
    if (!route) {
      const destinations = this.jurisdictions.filter((d) => this.allowed(dataClass, origin, d));
      const local = destinations.includes(origin) ? this.pool([origin]) : undefined;
      const others = destinations.length > (local ? 1 : 0);
      route = { local, remote: others ? () => this.pool(destinations) : undefined };
      this.routes.set(key, route);
    }
    return route;
  }

  /** The ranks of one jurisdiction's nodes, ascending; all of them, computed on first use. */
  private ranksIn(jurisdiction: string): Int32Array {
    if (!this.byPlace) {
      const sizes = new Int32Array(this.jurisdictions.length);
      for (let rank = 0; rank < this.place.length; rank++) sizes[this.place[rank]!]!++;
      const lists = Array.from(sizes, (size) => new Int32Array(size));
      const filled = new Int32Array(this.jurisdictions.length);
      for (let rank = 0; rank < this.place.length; rank++) {
        const p = this.place[rank]!;
        lists[p]![filled[p]!++] = rank;
      }
      this.byPlace = lists;
    }
    return this.byPlace[this.jurisdictions.indexOf(jurisdiction)]!;
  }

  /** The ranks of the nodes in any of `jurisdictions`, ascending. */
  private ranksInAny(jurisdictions: readonly string[]): Int32Array {
    const inPool = new Uint8Array(this.jurisdictions.length);
    for (const j of jurisdictions) inPool[this.jurisdictions.indexOf(j)] = 1;
    let size = 0;
    for (let rank = 0; rank < this.place.length; rank++) size += inPool[this.place[rank]!]!;
    const members = new Int32Array(size);
    for (let rank = 0, at = 0; rank < this.place.length; rank++) {
      if (inPool[this.place[rank]!]) members[at++] = rank;
    }
    return members;
  }

  private pool(jurisdictions: readonly string[]): RankedPool {
    const key = jurisdictions.join(",");
    let pool = this.pools.get(key);
    if (!pool) {
      const members =
        jurisdictions.length === 1 ? this.ranksIn(jurisdictions[0]!) : this.ranksInAny(jurisdictions);
      pool = new RankedPool(members, this.tierLevel, this.priceKey, this.tiers.length);
      this.pools.set(key, pool);
    }
    return pool;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Nodes in rank order, as a segment tree: each tree node holds, per tier level, the lowest
 * price among its live members of that tier or higher, so that the first member meeting a slot's
 * tier and fee is found in O(log n) without walking past the ones that do not.
 */
class RankedPool {
  private readonly size: number;
  /** [tree node × levels + level] → the lowest price key; Infinity when there is none. */
  private readonly lowest: Float64Array;

  constructor(
    readonly members: Int32Array,
    tierLevel: Int32Array,
    priceKey: Float64Array,
    private readonly levels: number,
  ) {
    let size = 1;
    while (size < members.length) size *= 2;
    this.size = size;
    this.lowest = new Float64Array(2 * size * levels).fill(Number.POSITIVE_INFINITY);
    for (let pos = 0; pos < members.length; pos++) {
      const rank = members[pos]!;
      const leaf = (size + pos) * levels;
      for (let l = 0; l <= tierLevel[rank]!; l++) this.lowest[leaf + l] = priceKey[rank]!;
    }
    // Bottom-up, skipping the tree nodes past the last member (they stay Infinity).
    for (let first = size >> 1, span = 2; first >= 1; first >>= 1, span *= 2) {
      const used = Math.ceil(members.length / span);
      for (let t = first; t < first + used; t++) this.pull(t);
    }
  }

  /** The first position ≥ `from` whose member is live, of tier level ≥ `level` and price key ≤ `fee`, or −1. */
  first(from: number, level: number, fee: number): number {
    return this.find(1, 0, this.size, from, level, fee);
  }

  /** Takes the member at `pos` out of every later search. */
  drop(pos: number): void {
    const leaf = this.size + pos;
    this.lowest.fill(Number.POSITIVE_INFINITY, leaf * this.levels, (leaf + 1) * this.levels);
    for (let t = leaf >> 1; t >= 1; t >>= 1) this.pull(t);
  }

  private find(t: number, lo: number, hi: number, from: number, level: number, fee: number): number {
    if (hi <= from || !(this.lowest[t * this.levels + level]! <= fee)) return -1;
    if (t >= this.size) return lo;
    const mid = (lo + hi) >> 1;
    const left = this.find(2 * t, lo, mid, from, level, fee);
    return left >= 0 ? left : this.find(2 * t + 1, mid, hi, from, level, fee);
  }

  /** Recomputes tree node `t` from its two children. */
  private pull(t: number): void {
    const levels = this.levels;
    const lowest = this.lowest;
    for (let l = 0, self = t * levels, left = 2 * t * levels; l < levels; l++) {
      lowest[self + l] = Math.min(lowest[left + l]!, lowest[left + levels + l]!);
    }
  }
}
