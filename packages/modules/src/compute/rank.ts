// The scheduler's node ranking: `compareNodes`, and the same order computed fast for 100,000 nodes.
import type { SchedulerNode } from "./types.ts";

export const cmpAsc = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);
export const cmpText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The ranking of nodes, best first (negative when `a` ranks before `b`). Integer only:
 * 1. when the network is lightly loaded (`energyFirst`), higher TFLOPS per watt;
 * 2. higher efficiency (E_node);
 * 3. lower price;
 * 4. more free capacity at the start of the pass;
 * 5. the node id, in string order (ids are unique; should one repeat, its jurisdiction, then tier).
 * Locality comes before all of these but depends on the slot: a node in the data's own
 * jurisdiction always ranks before a node elsewhere (see `pick`).
 */
export function compareNodes(a: SchedulerNode, b: SchedulerNode, energyFirst: boolean): number {
  return (
    (energyFirst ? cmpAsc(b.tflopsPerWattPpm, a.tflopsPerWattPpm) : 0) ||
    cmpAsc(b.efficiencyPpm, a.efficiencyPpm) ||
    cmpAsc(a.price, b.price) ||
    b.free - a.free ||
    cmpText(a.id, b.id) ||
    cmpText(a.jurisdiction, b.jurisdiction) ||
    a.tier - b.tier
  );
}

// ---------------------------------------------------------------------------------------------
// Ranking: the order of `compareNodes` without 1.7 M comparator calls for 100,000 nodes. The
// nodes are read once, into columns. When every key is a safe non-negative integer, the keys are
// packed side by side into as few integers below 2^52 as they fit (one, for realistic networks),
// those are radix sorted, and runs equal on every key are ordered by the comparator. Otherwise
// the comparator alone.

/** The fields of the nodes a pass reads, as columns: the column of node `source[k]` at index k. */
export interface NodeColumns {
  /** Column index → index in the nodes read. */
  readonly source: Int32Array;
  readonly free: Float64Array;
  /** The price as a number: exact when `pricesExact`, else rounded. */
  readonly price: Float64Array;
  readonly pricesExact: boolean;
  /** The index of the node's tier in `tiers`. */
  readonly tierLevel: Int32Array;
  /** Distinct tiers, ascending. */
  readonly tiers: readonly number[];
  /** The index of the node's jurisdiction in `jurisdictions`. */
  readonly place: Int32Array;
  /** Distinct jurisdictions, sorted. */
  readonly jurisdictions: readonly string[];
  /** The columns best first: column indices in `compareNodes` order. */
  readonly order: Int32Array;
}

/** `nodes` sorted by `compareNodes`: exactly that order, whichever path computes it. */
export function rankNodes(nodes: readonly SchedulerNode[], energyFirst: boolean): SchedulerNode[] {
  const { order, source } = readNodes(nodes, energyFirst, () => true);
  return Array.from(order, (k) => nodes[source[k]!]!);
}

/** A bigint read as a number is a key when it is a safe integer ≥ 0; rounding never makes one. */
const isKey = (v: number) => Number.isSafeInteger(v) && v >= 0;

/** A sort key: each node's value, sorted ascending as `value − base` or descending as `base − value`. */
interface Key {
  readonly values: Float64Array;
  readonly descending: boolean;
  readonly base: number;
  /** Bits of the largest transformed value. */
  readonly width: number;
}

/**
 * The columns of the nodes that `include` accepts, ranked. Each node is read once, in input
 * order (sequential memory; each bigint is a separate object), and each bigint converted once.
 */
export function readNodes(
  nodes: readonly SchedulerNode[],
  energyFirst: boolean,
  include: (node: SchedulerNode) => boolean,
): NodeColumns {
  const count = nodes.length;
  const source = new Int32Array(count);
  const price = new Float64Array(count);
  const free = new Float64Array(count);
  const efficiency = new Float64Array(count);
  const perWatt = new Float64Array(energyFirst ? count : 0);
  const tierLevel = new Int32Array(count);
  const place = new Int32Array(count);
  // Tiers and jurisdictions are numbered as met, then renumbered in sorted order below.
  const tierMet = new Numbering<number>();
  const placeMet = new Numbering<string>();
  let pricesExact = true;
  let keysSafe = true;
  let kept = 0;
  // Each key's range, for packing (meaningful only when every key is safe).
  let [freeLow, priceLow, efficiencyLow, perWattLow] = [Infinity, Infinity, Infinity, Infinity];
  let [freeHigh, priceHigh, efficiencyHigh, perWattHigh] = [0, 0, 0, 0];
  for (let i = 0; i < count; i++) {
    const n = nodes[i]!;
    if (!include(n)) continue;
    const p = Number(n.price);
    const e = Number(n.efficiencyPpm);
    source[kept] = i;
    price[kept] = p;
    free[kept] = n.free;
    efficiency[kept] = e;
    if (!Number.isSafeInteger(p)) pricesExact = false;
    if (!(isKey(p) && isKey(e) && isKey(n.free))) keysSafe = false;
    if (n.free < freeLow) freeLow = n.free;
    if (n.free > freeHigh) freeHigh = n.free;
    if (p < priceLow) priceLow = p;
    if (p > priceHigh) priceHigh = p;
    if (e < efficiencyLow) efficiencyLow = e;
    if (e > efficiencyHigh) efficiencyHigh = e;
    if (energyFirst) {
      const w = Number(n.tflopsPerWattPpm);
      perWatt[kept] = w;
      if (!isKey(w)) keysSafe = false;
      if (w < perWattLow) perWattLow = w;
      if (w > perWattHigh) perWattHigh = w;
    }
    tierLevel[kept] = tierMet.number(n.tier);
    place[kept] = placeMet.number(n.jurisdiction);
    kept++;
  }
  const tiers = [...tierMet.met].sort((a, b) => a - b);
  const jurisdictions = [...placeMet.met].sort();
  renumber(
    tierLevel.subarray(0, kept),
    Int32Array.from(tierMet.met, (t) => tiers.indexOf(t)),
  );
  renumber(
    place.subarray(0, kept),
    Int32Array.from(placeMet.met, (j) => jurisdictions.indexOf(j)),
  );
  const columns = {
    source: source.subarray(0, kept),
    free: free.subarray(0, kept),
    price: price.subarray(0, kept),
    pricesExact,
    tierLevel: tierLevel.subarray(0, kept),
    tiers,
    place: place.subarray(0, kept),
    jurisdictions,
  };
  const byComparator = (k: number, l: number) =>
    compareNodes(nodes[source[k]!]!, nodes[source[l]!]!, energyFirst);
  if (!keysSafe) {
    const order = new Int32Array(kept);
    for (let k = 0; k < kept; k++) order[k] = k;
    return { ...columns, order: order.sort(byComparator) };
  }
  // Least significant first.
  const keys = [
    sortKey(columns.free, true, freeLow, freeHigh),
    sortKey(columns.price, false, priceLow, priceHigh),
    sortKey(efficiency.subarray(0, kept), true, efficiencyLow, efficiencyHigh),
  ];
  if (energyFirst) keys.push(sortKey(perWatt.subarray(0, kept), true, perWattLow, perWattHigh));
  return { ...columns, order: radixRank(pack(keys, kept), kept, byComparator) };
}

/**
 * Numbers values in the order they are met. A node's tier and jurisdiction are among a few
 * values repeated 100,000 times: a small cache by a cheap hash answers most lookups before the map.
 */
class Numbering<T extends number | string> {
  readonly met: T[] = [];
  private readonly numbers = new Map<T, number>();
  private readonly cachedValue: (T | undefined)[] = new Array(CACHE_SIZE).fill(undefined);
  private readonly cachedNumber = new Int32Array(CACHE_SIZE);

  number(value: T): number {
    const h = cacheSlot(value);
    if (this.cachedValue[h] === value) return this.cachedNumber[h]!;
    let n = this.numbers.get(value);
    if (n === undefined) {
      n = this.met.length;
      this.numbers.set(value, n);
      this.met.push(value);
    }
    this.cachedValue[h] = value;
    this.cachedNumber[h] = n;
    return n;
  }
}

const CACHE_SIZE = 64;
const cacheSlot = (v: number | string): number =>
  typeof v === "number"
    ? v & (CACHE_SIZE - 1)
    : v.length === 0
      ? 0
      : (v.charCodeAt(0) * 31 + v.charCodeAt(v.length - 1) + v.length) & (CACHE_SIZE - 1);

function renumber(values: Int32Array, to: Int32Array): void {
  for (let i = 0; i < values.length; i++) values[i] = to[values[i]!]!;
}

/** Indices ascending by the packed keys (most significant last), runs equal on all of them by `tieBreak`. */
function radixRank(
  packed: readonly Packed[],
  count: number,
  tieBreak: (i: number, j: number) => number,
): Int32Array {
  let from = new Int32Array(count);
  for (let i = 0; i < count; i++) from[i] = i;
  let to = new Int32Array(count);
  const digits = new Uint16Array(count);
  const counts = new Int32Array(DIGIT_SPAN + 1);
  for (const { values, width } of packed) {
    const passes = Math.ceil(width / DIGIT_BITS);
    const bits = Math.ceil(width / passes);
    for (let pass = 0; pass < passes; pass++) {
      radixPass(from, to, values, 2 ** (pass * bits), 2 ** bits, digits, counts);
      [from, to] = [to, from];
    }
  }
  // Nodes equal on every numeric key: ordered by id. Such runs are short and rare.
  const sameKeys = (i: number, j: number) => {
    for (const { values } of packed) if (values[i] !== values[j]) return false;
    return true;
  };
  const top = packed[packed.length - 1]?.values;
  for (let start = 0; start < count; ) {
    let end = start + 1;
    // The most significant key first: it tells most neighbours apart.
    while (
      end < count &&
      (top === undefined || top[from[start]!] === top[from[end]!]) &&
      sameKeys(from[start]!, from[end]!)
    )
      end++;
    if (end - start > 1) from.subarray(start, end).sort(tieBreak);
    start = end;
  }
  return from;
}

function sortKey(values: Float64Array, descending: boolean, min: number, max: number): Key {
  let width = 0;
  while (2 ** width <= max - min) width++;
  return { values, descending, base: descending ? max : min, width };
}

interface Packed {
  readonly values: Float64Array;
  width: number;
}

/** Below 2^52, sums of keys shifted by powers of two are exact doubles. */
const PACK_BITS = 52;

/** The keys (least significant first) packed side by side into integers below 2^52. */
function pack(keys: readonly Key[], count: number): Packed[] {
  const packed: Packed[] = [];
  let current: Packed | undefined;
  for (const k of keys) {
    if (k.width === 0) continue; // every node has the same value: it orders nothing
    if (!current || current.width + k.width > PACK_BITS) {
      current = { values: new Float64Array(count), width: 0 };
      packed.push(current);
    }
    const scale = 2 ** current.width;
    const { values, base } = k;
    const into = current.values;
    if (k.descending) for (let i = 0; i < count; i++) into[i]! += (base - values[i]!) * scale;
    else for (let i = 0; i < count; i++) into[i]! += (values[i]! - base) * scale;
    current.width += k.width;
  }
  return packed;
}

// Radix sort over safe non-negative integers held in doubles: every division here is by a power
// of two, so it is exact and `Math.floor` yields the integer digit.
const DIGIT_BITS = 16;
const DIGIT_SPAN = 2 ** DIGIT_BITS;

/** A stable counting sort of `from` into `to` by the digit of `key` at `scale` (digits below `span`). */
function radixPass(
  from: Int32Array,
  to: Int32Array,
  key: Float64Array,
  scale: number,
  span: number,
  digits: Uint16Array,
  counts: Int32Array,
) {
  counts.fill(0, 0, span + 1);
  for (let i = 0; i < key.length; i++) {
    const high = Math.floor(key[i]! / scale);
    const d = high - Math.floor(high / span) * span; // `high % span`, without a floating remainder
    digits[i] = d;
    counts[d + 1]!++;
  }
  for (let d = 0; d < span; d++) counts[d + 1]! += counts[d]!;
  for (let k = 0; k < from.length; k++) {
    const i = from[k]!;
    to[counts[digits[i]!]!++] = i;
  }
}
