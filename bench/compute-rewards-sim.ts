// What would a month of compute rewards look like per tier? A simulated network of nodes drawn
// inside the brief's Node Classification table (hardware, tasks/day) with availability 95–99.9%,
// success 97–100% and 30–100% local work, run for 30 daily epochs through the module's own
// arithmetic (confirmTier, availabilityPpm, localityPpm, efficiencyPpm, shareRewards). Each epoch
// splits pool/30 by weight = verified tasks × E_node, as the brief proposes.
//
// The default monthly pool is what the network would pay if every node earned the middle of its
// tier's range (Tier 4's "15,000+" read as 6,500–15,000). The pool then fixes only the level; whether
// each tier lands inside its range depends on the weights alone, which is the question. Two
// reference splits run on the same draws: by verified tasks only, and by tasks × E relative to the
// tier's minimum TFLOPS/W.
//
//   npm run sim:rewards
//   npm run sim:rewards -- --nodes 40,30,20,10 --pool 500000 --seed 3 --days 30
// Offline analysis: floats are fine for the draws; the money path is bigint throughout.
import { parseArgs } from "node:util";
import {
  availabilityPpm,
  confirmTier,
  efficiencyPpm,
  isPlausibleHardware,
  localityPpm,
  PPM,
  shareRewards,
  TIER_REQUIREMENTS,
  tierOf,
} from "../packages/modules/src/compute/efficiency.ts";
import type { Hardware } from "../packages/modules/src/compute/types.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "40,30,20,10" },
    pool: { type: "string" },
    days: { type: "string", default: "30" },
    seed: { type: "string", default: "20260101" },
  },
});

const UBTT_PER_BTT = 1_000_000n;
const BLOCKS_PER_DAY = 14_400n; // 6 s blocks
const HEARTBEAT_INTERVAL = 100n; // 144 heartbeats due a day
const BENCHMARK_TOLERANCE_PPM = 50_000n;

interface TierProfile {
  tier: number;
  /** The brief's row. */
  tasksPerDay: [number, number];
  tflopsPerW: [number, number];
  monthlyBtt: [number, number];
  /** Our choices for what the brief leaves open. */
  gpus: [number, number];
  memoryGbPerGpu: number[];
  powerWPerGpu: [number, number];
}

// Tier 4's open ends ("600+", "7.0+") are closed at 1,200 tasks/day and 9.0 TFLOPS/W.
const PROFILES: TierProfile[] = [
  {
    tier: 1,
    tasksPerDay: [50, 120],
    tflopsPerW: [1.8, 2.2],
    monthlyBtt: [750, 1500],
    gpus: [1, 1],
    memoryGbPerGpu: [8, 10, 12, 16, 24],
    powerWPerGpu: [150, 450],
  },
  {
    tier: 2,
    tasksPerDay: [100, 280],
    tflopsPerW: [2.5, 3.5],
    monthlyBtt: [1400, 3200],
    gpus: [1, 1],
    memoryGbPerGpu: [16, 20, 24, 32],
    powerWPerGpu: [140, 350],
  },
  {
    tier: 3,
    tasksPerDay: [250, 700],
    tflopsPerW: [4.0, 6.5],
    monthlyBtt: [3000, 7500],
    gpus: [2, 8],
    memoryGbPerGpu: [24, 32, 48, 80],
    powerWPerGpu: [250, 700],
  },
  {
    tier: 4,
    tasksPerDay: [600, 1200],
    tflopsPerW: [7.0, 9.0],
    monthlyBtt: [6500, 15000],
    gpus: [8, 64],
    memoryGbPerGpu: [80, 141, 192],
    powerWPerGpu: [400, 1000],
  },
];

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(Number(values.seed));
const uniform = ([lo, hi]: [number, number]) => lo + (hi - lo) * random();
const integer = ([lo, hi]: [number, number]) => Math.floor(lo + (hi - lo + 1) * random());
const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
const binomial = (n: number, p: number) => {
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return k;
};

interface SimNode {
  id: string;
  profile: TierProfile;
  hardware: Hardware;
  effectiveTflopsMilli: bigint;
  tier: number;
  tasksPerDay: number;
  availability: number;
  success: number;
  localShare: number;
  paid: { workTimesE: bigint; workOnly: bigint; workTimesRelativeE: bigint };
}

function makeNode(profile: TierProfile, index: number): SimNode {
  const gpuCount = integer(profile.gpus);
  const powerW = Math.round(gpuCount * uniform(profile.powerWPerGpu));
  // Measured efficiency inside the table's range; the declaration a little above it (benchmarks read low).
  const measuredTflopsMilli = BigInt(Math.floor(uniform(profile.tflopsPerW) * 1000 * powerW));
  const declared = BigInt(Math.floor(Number(measuredTflopsMilli) / uniform([0.97, 1.0])));
  const hardware: Hardware = {
    accelerator: `sim-tier${profile.tier}`,
    gpuCount,
    memoryGb: gpuCount * pick(profile.memoryGbPerGpu),
    tflopsMilli: declared,
    powerW,
    cpuCores: 8 * gpuCount,
  };
  const implausible = isPlausibleHardware(hardware);
  if (implausible) throw new Error(`drew implausible hardware for tier ${profile.tier}: ${implausible}`);
  const confirmed = confirmTier(hardware, measuredTflopsMilli, BENCHMARK_TOLERANCE_PPM);
  if (confirmed.tier !== profile.tier || confirmed.demoted || tierOf(hardware) !== profile.tier) {
    throw new Error(`tier ${profile.tier} draw confirmed as tier ${confirmed.tier}`);
  }
  return {
    id: `t${profile.tier}-${String(index).padStart(3, "0")}`,
    profile,
    hardware,
    effectiveTflopsMilli: confirmed.effectiveTflopsMilli,
    tier: confirmed.tier,
    tasksPerDay: uniform(profile.tasksPerDay),
    availability: uniform([0.95, 0.999]),
    success: uniform([0.97, 1.0]),
    localShare: uniform([0.3, 1.0]),
    paid: { workTimesE: 0n, workOnly: 0n, workTimesRelativeE: 0n },
  };
}

const counts = values.nodes.split(",").map(Number);
if (counts.length !== 4 || counts.some((c) => !Number.isSafeInteger(c) || c < 0)) {
  throw new Error("--nodes takes four counts, tier 1 to tier 4");
}
const nodes = PROFILES.flatMap((p, t) => Array.from({ length: counts[t]! }, (_, i) => makeNode(p, i)));
const midpoint = (p: TierProfile) => (p.monthlyBtt[0] + p.monthlyBtt[1]) / 2;
const calibratedPool = nodes.reduce((sum, n) => sum + midpoint(n.profile), 0);
const monthlyPoolBtt = values.pool === undefined ? calibratedPool : Number(values.pool);
const days = Number(values.days);
const monthlyPool = BigInt(Math.round(monthlyPoolBtt)) * UBTT_PER_BTT;
type Entry = { id: string; weight: bigint };
const minTflopsMilliPerW = (tier: number) =>
  BigInt(TIER_REQUIREMENTS.find((r) => r.tier === tier)!.minTflopsMilliPerW);

for (let day = 0; day < days; day++) {
  // The last epoch also pays what integer division left over, so the month pays the pool exactly.
  const epochPool = monthlyPool / BigInt(days) + (day === days - 1 ? monthlyPool % BigInt(days) : 0n);
  const dayStart = BigInt(day) * BLOCKS_PER_DAY;
  const weights = { workTimesE: [] as Entry[], workOnly: [] as Entry[], workTimesRelativeE: [] as Entry[] };
  for (const node of nodes) {
    const heartbeats: bigint[] = [];
    for (let h = dayStart; h < dayStart + BLOCKS_PER_DAY; h += HEARTBEAT_INTERVAL) {
      if (random() < node.availability) heartbeats.push(h + BigInt(integer([0, 99])));
    }
    const total = Math.round(node.tasksPerDay * uniform([0.9, 1.1]));
    const successful = BigInt(binomial(total, node.success));
    const local = BigInt(binomial(total, node.localShare));
    const e = efficiencyPpm({
      measuredTflopsMilli: node.effectiveTflopsMilli,
      powerW: node.hardware.powerW,
      successful,
      total: BigInt(total),
      availabilityPpm: availabilityPpm(heartbeats, dayStart, dayStart + BLOCKS_PER_DAY, HEARTBEAT_INTERVAL),
      localityPpm: localityPpm(local, BigInt(total)),
    });
    weights.workTimesE.push({ id: node.id, weight: successful * e });
    weights.workOnly.push({ id: node.id, weight: successful });
    // E relative to the tier's floor (1.0 = exactly at the threshold), so tiers do not compound.
    weights.workTimesRelativeE.push({
      id: node.id,
      weight: (successful * e * PPM) / (minTflopsMilliPerW(node.tier) * 1000n),
    });
  }
  for (const rule of ["workTimesE", "workOnly", "workTimesRelativeE"] as const) {
    const paid = shareRewards(epochPool, weights[rule]);
    for (const node of nodes) node.paid[rule] += paid.get(node.id)!;
  }
}
const totalPaid = nodes.reduce((s, n) => s + n.paid.workTimesE, 0n);
for (const rule of ["workOnly", "workTimesRelativeE"] as const) {
  if (nodes.reduce((s, n) => s + n.paid[rule], 0n) !== monthlyPool)
    throw new Error(`${rule} did not pay the pool`);
}
if (totalPaid !== monthlyPool) throw new Error(`paid ${totalPaid}, pool ${monthlyPool}`);

const btt = (ubtt: bigint) => Number(ubtt) / Number(UBTT_PER_BTT);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (x: number) => Math.round(x).toLocaleString("en").padStart(7);

console.log(
  `compute rewards: ${nodes.length} nodes (${counts.join("/")} by tier), ${days} daily epochs, monthly pool ${Math.round(monthlyPoolBtt).toLocaleString("en")} BTT` +
    (values.pool === undefined ? " (Σ of each node's tier midpoint)" : ""),
);
console.log("weight = verified tasks × E_node (efficiencyPpm); monthly BTT per node");
console.log("");
console.log(
  "tier  nodes   median      min      max   in range   brief range       TFLOPS/W median   | median if by tasks only   by tasks × E/E_tier_min",
);
const summary: Record<string, unknown> = {};
for (const p of PROFILES) {
  const group = nodes.filter((n) => n.tier === p.tier);
  if (group.length === 0) continue;
  const payBy = (rule: keyof SimNode["paid"]) => group.map((n) => btt(n.paid[rule]));
  // Tier 4's range is open above ("15,000+").
  const inRangeOf = (xs: number[]) =>
    xs.filter((x) => x >= p.monthlyBtt[0] && (p.tier === 4 || x <= p.monthlyBtt[1])).length;
  const pay = payBy("workTimesE");
  const inRange = inRangeOf(pay);
  const tflopsPerW = median(
    group.map((n) => Number((n.effectiveTflopsMilli * PPM) / BigInt(n.hardware.powerW)) / 1e9),
  );
  const byTasks = median(payBy("workOnly"));
  const byTasksInRange = inRangeOf(payBy("workOnly"));
  const byRelative = median(payBy("workTimesRelativeE"));
  const byRelativeInRange = inRangeOf(payBy("workTimesRelativeE"));
  const range = `${p.monthlyBtt[0].toLocaleString("en")}–${p.monthlyBtt[1].toLocaleString("en")}${p.tier === 4 ? "+" : ""}`;
  console.log(
    `  ${p.tier}   ${String(group.length).padStart(5)}  ${fmt(median(pay))}  ${fmt(Math.min(...pay))}  ${fmt(Math.max(...pay))}   ${`${inRange}/${group.length}`.padStart(8)}   ${range.padEnd(16)}  ${tflopsPerW.toFixed(2).padStart(8)}          | ${fmt(byTasks)} (${byTasksInRange}/${group.length} in range)    ${fmt(byRelative)} (${byRelativeInRange}/${group.length})`,
  );
  summary[`tier${p.tier}`] = {
    nodes: group.length,
    median_btt: Math.round(median(pay)),
    min_btt: Math.round(Math.min(...pay)),
    max_btt: Math.round(Math.max(...pay)),
    in_range: inRange,
    brief_range: p.monthlyBtt,
    median_btt_by_tasks_only: Math.round(byTasks),
    in_range_by_tasks_only: byTasksInRange,
    median_btt_by_relative_e: Math.round(byRelative),
    in_range_by_relative_e: byRelativeInRange,
  };
}
console.log("");
console.log(`paid exactly the pool: ${btt(totalPaid).toLocaleString("en")} BTT`);
console.log(
  JSON.stringify({
    nodes: counts,
    days,
    seed: Number(values.seed),
    monthly_pool_btt: Math.round(monthlyPoolBtt),
    weight: "verified_tasks*E_node",
    ...summary,
  }),
);
