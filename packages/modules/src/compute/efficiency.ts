// The compute network's arithmetic: node tiers, plausibility of a declaration, and the product
// brief's efficiency score
//   E_node = (P_compute / P_energy) × (T_successful / T_total) × R_availability × D_factor
// with the pro-rata split of a reward pool by verified work × E_node.
// Pure and integer only: TFLOPS in milli-TFLOPS, shares in parts per million (ppm), floor division.
// Arguments outside their domain throw RangeError: the keeper validates inputs before it calls here,
// so a throw is a bug, never a state a transaction can reach.

import type { Hardware } from "./types.ts";

/** One whole, in parts per million. */
export const PPM = 1_000_000n;

/** What a tier looks at in a declaration. */
export type TierHardware = Pick<Hardware, "gpuCount" | "memoryGb" | "tflopsMilli" | "powerW">;

export interface TierRequirement {
  readonly tier: number;
  /** Accelerator memory, all accelerators together, GB. */
  readonly minMemoryGb: number;
  /** Scale: at least this many accelerators, or else at least `orMinMemoryGb` of memory. */
  readonly minAccelerators: number;
  readonly orMinMemoryGb: number;
  /** Power efficiency: milli-TFLOPS per watt (1800 = 1.8 TFLOPS/W). */
  readonly minTflopsMilliPerW: number;
}

/**
 * The brief's "Node Classification" table. Tier 1: consumer GPU, 8 GB+, 1.8+ TFLOPS/W. Tier 2: pro GPU,
 * 16 GB+, 2.5+. Tier 3: multiple GPUs or AI accelerators (≥ 2, or one with ≥ 48 GB), 4.0+. Tier 4:
 * server clusters (≥ 8 accelerators, or ≥ 320 GB), 7.0+. Tiers 3 and 4 keep Tier 2's 16 GB floor so
 * that each tier's hardware includes the one below it. A CPU-only node (no accelerator) is tier 0.
 * Ascending; a constant here so that the module can move it into its parameters.
 */
export const TIER_REQUIREMENTS: readonly TierRequirement[] = [
  { tier: 1, minMemoryGb: 8, minAccelerators: 1, orMinMemoryGb: 8, minTflopsMilliPerW: 1800 },
  { tier: 2, minMemoryGb: 16, minAccelerators: 1, orMinMemoryGb: 16, minTflopsMilliPerW: 2500 },
  { tier: 3, minMemoryGb: 16, minAccelerators: 2, orMinMemoryGb: 48, minTflopsMilliPerW: 4000 },
  { tier: 4, minMemoryGb: 16, minAccelerators: 8, orMinMemoryGb: 320, minTflopsMilliPerW: 7000 },
];

function meets(h: TierHardware, r: TierRequirement): boolean {
  if (h.gpuCount < 1 || h.powerW <= 0) return false;
  if (h.memoryGb < r.minMemoryGb) return false;
  if (h.gpuCount < r.minAccelerators && h.memoryGb < r.orMinMemoryGb) return false;
  // tflops / powerW ≥ min, compared without dividing.
  return h.tflopsMilli >= BigInt(r.minTflopsMilliPerW) * BigInt(h.powerW);
}

/** The highest tier whose every requirement the hardware meets; 0 for CPU nodes and anything below Tier 1. */
export function tierOf(h: TierHardware, table: readonly TierRequirement[] = TIER_REQUIREMENTS): number {
  let tier = 0;
  for (const r of table) if (r.tier > tier && meets(h, r)) tier = r.tier;
  return tier;
}

export interface TierConfirmation {
  /** The tier the measured throughput earns (never above the declared hardware's). */
  tier: number;
  /** The measurement fell short of the declaration by more than the tolerance: the declaration was false. */
  demoted: boolean;
  /** P_compute from here on: the lesser of declared and measured. */
  effectiveTflopsMilli: bigint;
}

/**
 * Checks a declaration against the benchmark. A node never gets credit for more than it declared,
 * nor for more than it showed; the tolerance only decides whether the shortfall counts as a false
 * declaration (`demoted`), since benchmarks vary by a few percent between runs.
 */
export function confirmTier(
  declared: TierHardware,
  measuredTflopsMilli: bigint,
  tolerancePpm: bigint,
  table: readonly TierRequirement[] = TIER_REQUIREMENTS,
): TierConfirmation {
  if (measuredTflopsMilli < 0n) throw new RangeError("measured throughput must not be negative");
  if (tolerancePpm < 0n || tolerancePpm > PPM)
    throw new RangeError("tolerance must be within 0..1,000,000 ppm");
  const effectiveTflopsMilli =
    measuredTflopsMilli < declared.tflopsMilli ? measuredTflopsMilli : declared.tflopsMilli;
  // measured < declared × (1 − tolerance), scaled by PPM to stay exact.
  const demoted = measuredTflopsMilli * PPM < declared.tflopsMilli * (PPM - tolerancePpm);
  return {
    tier: tierOf({ ...declared, tflopsMilli: effectiveTflopsMilli }, table),
    demoted,
    effectiveTflopsMilli,
  };
}

/**
 * Bounds of a believable declaration. Generous on purpose: they reject what no real machine is, not
 * what is merely unusual. The largest shipping accelerators carry 288 GB (B300, MI355X); the most
 * efficient run about 6 TFLOPS/W at low precision; a CPU socket stays far below 20 TFLOPS.
 */
export interface HardwareBounds {
  readonly maxAccelerators: number;
  /** Per accelerator; a CPU-only node may declare up to one accelerator's worth (it should declare 0). */
  readonly maxMemoryGbPerAccelerator: number;
  /** milli-TFLOPS per watt. */
  readonly maxTflopsMilliPerW: number;
  readonly minPowerW: number;
  readonly maxPowerW: number;
  readonly minCpuCores: number;
  readonly maxCpuCores: number;
  /** A CPU-only node's ceiling, milli-TFLOPS. */
  readonly maxCpuTflopsMilli: bigint;
  readonly maxAcceleratorNameLength: number;
}

export const HARDWARE_BOUNDS: HardwareBounds = {
  maxAccelerators: 64,
  maxMemoryGbPerAccelerator: 320,
  maxTflopsMilliPerW: 20_000,
  minPowerW: 1,
  maxPowerW: 100_000,
  minCpuCores: 1,
  maxCpuCores: 1024,
  maxCpuTflopsMilli: 20_000n,
  maxAcceleratorNameLength: 64,
};

const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/** Undefined when the declaration is believable, else the first reason it is not. */
export function isPlausibleHardware(
  h: Hardware,
  bounds: HardwareBounds = HARDWARE_BOUNDS,
): string | undefined {
  if (h.accelerator.length === 0 || h.accelerator.length > bounds.maxAcceleratorNameLength) {
    return `accelerator name must be 1..${bounds.maxAcceleratorNameLength} characters`;
  }
  if (!isCount(h.gpuCount) || !isCount(h.memoryGb) || !isCount(h.powerW) || !isCount(h.cpuCores)) {
    return "gpuCount, memoryGb, powerW and cpuCores must be non-negative integers";
  }
  if (h.gpuCount > bounds.maxAccelerators) return `more than ${bounds.maxAccelerators} accelerators`;
  if (h.memoryGb > bounds.maxMemoryGbPerAccelerator * Math.max(1, h.gpuCount)) {
    return `more than ${bounds.maxMemoryGbPerAccelerator} GB of memory per accelerator`;
  }
  if (h.gpuCount > 0 && h.memoryGb === 0) return "an accelerator node must declare its memory";
  if (h.powerW < bounds.minPowerW || h.powerW > bounds.maxPowerW) {
    return `power must be ${bounds.minPowerW}..${bounds.maxPowerW} W`;
  }
  if (h.cpuCores < bounds.minCpuCores || h.cpuCores > bounds.maxCpuCores) {
    return `cpuCores must be ${bounds.minCpuCores}..${bounds.maxCpuCores}`;
  }
  if (h.tflopsMilli <= 0n) return "throughput must be positive";
  if (h.tflopsMilli > BigInt(bounds.maxTflopsMilliPerW) * BigInt(h.powerW)) {
    return `more than ${bounds.maxTflopsMilliPerW / 1000} TFLOPS per watt`;
  }
  if (h.gpuCount === 0 && h.tflopsMilli > bounds.maxCpuTflopsMilli) {
    return `a CPU-only node above ${bounds.maxCpuTflopsMilli / 1000n} TFLOPS`;
  }
  return undefined;
}

/**
 * R_availability: the share of the window's heartbeat intervals in which the node beat at least once.
 * The window is the heights [windowStart, windowEnd), cut into intervals of `intervalBlocks` from
 * windowStart. Its trailing interval may still be open: it counts only once the node has beaten in it,
 * so a node is never marked down for a beat not yet due. An empty window counts as fully available.
 * Heartbeats outside the window, duplicates and order do not matter.
 */
export function availabilityPpm(
  heartbeatHeights: readonly bigint[],
  windowStart: bigint,
  windowEnd: bigint,
  intervalBlocks: bigint,
): bigint {
  if (intervalBlocks <= 0n) throw new RangeError("intervalBlocks must be positive");
  if (windowEnd < windowStart) throw new RangeError("windowEnd must not precede windowStart");
  const completeIntervals = (windowEnd - windowStart) / intervalBlocks;
  let beatComplete = 0n;
  let beatTrailing = 0n;
  const seen = new Set<bigint>();
  for (const h of heartbeatHeights) {
    if (h < windowStart || h >= windowEnd) continue;
    const interval = (h - windowStart) / intervalBlocks;
    if (seen.has(interval)) continue;
    seen.add(interval);
    if (interval < completeIntervals) beatComplete++;
    else beatTrailing = 1n;
  }
  const expected = completeIntervals + beatTrailing;
  if (expected === 0n) return PPM;
  const share = ((beatComplete + beatTrailing) * PPM) / expected;
  return share > PPM ? PPM : share;
}

/** D_factor: 0.8 for work done entirely away from its data, rising linearly to 1.0 when all of it was local. */
export function localityPpm(local: bigint, total: bigint): bigint {
  if (local < 0n || total < 0n || local > total) throw new RangeError("need 0 ≤ local ≤ total");
  if (total === 0n) return PPM;
  return 800_000n + (200_000n * local) / total;
}

export interface EfficiencyInputs {
  /** P_compute: the effective (benchmarked) throughput, milli-TFLOPS. */
  measuredTflopsMilli: bigint;
  /** P_energy: power draw at load, watts. */
  powerW: number;
  /** T_successful and T_total: verified slots and all settled slots. */
  successful: bigint;
  total: bigint;
  /** R_availability, ppm. */
  availabilityPpm: bigint;
  /** D_factor, ppm. */
  localityPpm: bigint;
}

/**
 * E_node in ppm of 1 TFLOPS/W (a node at 2 TFLOPS/W with a perfect record scores 2,000,000).
 * Fixed order, each step floored: TFLOPS/W, then × success ratio, × availability, × locality. Every
 * step is monotone, so E never falls when any factor rises. A node with no settled work yet has a
 * success ratio of 1: it is not punished for being new.
 */
export function efficiencyPpm(x: EfficiencyInputs): bigint {
  if (!Number.isSafeInteger(x.powerW) || x.powerW <= 0)
    throw new RangeError("powerW must be a positive integer");
  if (x.measuredTflopsMilli < 0n) throw new RangeError("throughput must not be negative");
  if (x.successful < 0n || x.successful > x.total) throw new RangeError("need 0 ≤ successful ≤ total");
  for (const share of [x.availabilityPpm, x.localityPpm]) {
    if (share < 0n || share > PPM) throw new RangeError("shares must be within 0..1,000,000 ppm");
  }
  const successPpm = x.total === 0n ? PPM : (x.successful * PPM) / x.total;
  // milli-TFLOPS per W × 1000 = ppm of 1 TFLOPS/W.
  let e = (x.measuredTflopsMilli * 1000n) / BigInt(x.powerW);
  e = (e * successPpm) / PPM;
  e = (e * x.availabilityPpm) / PPM;
  e = (e * x.localityPpm) / PPM;
  return e;
}

export interface RewardEntry {
  id: string;
  /** Verified work × E_node. */
  weight: bigint;
}

/**
 * Splits `pool` pro rata by weight. Each entry first gets floor(pool × weight / Σweight); the few units
 * left over (fewer than the entries) go one each to the largest remainders, ties to the smaller id. So
 * the sum paid is exactly `pool` whenever some weight is positive, and nothing is paid when none is.
 * The result does not depend on the entries' order; its keys come in ascending id order.
 */
export function shareRewards(pool: bigint, entries: readonly RewardEntry[]): Map<string, bigint> {
  if (pool < 0n) throw new RangeError("pool must not be negative");
  const sorted = [...entries].sort((a, b) => compareIds(a.id, b.id));
  let totalWeight = 0n;
  for (let i = 0; i < sorted.length; i++) {
    const entry = sorted[i]!;
    if (entry.weight < 0n) throw new RangeError(`weight of ${entry.id} is negative`);
    if (i > 0 && sorted[i - 1]!.id === entry.id) throw new RangeError(`entry ${entry.id} appears twice`);
    totalWeight += entry.weight;
  }
  const paid = new Map<string, bigint>();
  if (totalWeight === 0n) {
    for (const e of sorted) paid.set(e.id, 0n);
    return paid;
  }
  let dust = pool;
  const remainders: { id: string; remainder: bigint }[] = [];
  for (const e of sorted) {
    const share = (pool * e.weight) / totalWeight;
    paid.set(e.id, share);
    dust -= share;
    remainders.push({ id: e.id, remainder: (pool * e.weight) % totalWeight });
  }
  remainders.sort((a, b) =>
    a.remainder === b.remainder ? compareIds(a.id, b.id) : a.remainder > b.remainder ? -1 : 1,
  );
  // Σ remainders = dust × Σweight and each remainder < Σweight, so more than `dust` entries have one.
  for (let i = 0; dust > 0n; i++, dust--) {
    const id = remainders[i]!.id;
    paid.set(id, paid.get(id)! + 1n);
  }
  return paid;
}

/** Code-unit order, the same on every machine (localeCompare is not). */
const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
