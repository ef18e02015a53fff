// The compute scheduler's end-block pass at network scale: 100,000 nodes in 30 jurisdictions,
// 10,000 pending slots, the default compliance rules through the real `decide`. Times one
// `schedule` call (warm-up on a shuffled copy, then the median of several runs), checks that the
// shuffled copy gave the same assignments and that none breaks residency.
// Prints the sorted run times (wall and process CPU) to stderr, and one JSON line last:
// {"nodes","tasks" (pending slots),"assigned","assign_ms"}.
import { parseArgs } from "node:util";
import { compileRules, DEFAULT_COMPLIANCE_PARAMS, decide } from "@btt/modules";
import { schedule } from "../packages/modules/src/compute/scheduler.ts";
import type { SchedulerNode, SchedulerSlot, Urgency } from "../packages/modules/src/compute/types.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "100000" },
    slots: { type: "string", default: "10000" },
    runs: { type: "string", default: "7" },
    // Share of nodes with no free capacity at the start of the pass (a busy network).
    busy: { type: "string", default: "0.7" },
  },
});
const NODES = Number(values.nodes);
const SLOTS = Number(values.slots);
const RUNS = Number(values.runs);
const BUSY = Number(values.busy);

// A seeded generator (xorshift32), so every run schedules the same network.
let seed = 0x2545f491;
const next = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
};
const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
const pick = <T>(weighted: readonly (readonly [T, number])[]): T => {
  let r = next() * weighted.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of weighted) {
    r -= w;
    if (r < 0) return v;
  }
  return weighted[weighted.length - 1]![0];
};

// Share of the network by jurisdiction (nodes and data alike): big markets, the EEA, adequacy
// countries, and places whose data stays at home.
const JURISDICTIONS = [
  ["US", 18],
  ["CN", 14],
  ["DE", 7],
  ["JP", 6],
  ["GB", 6],
  ["FR", 5],
  ["IN", 5],
  ["KR", 4],
  ["SG", 3],
  ["CA", 3],
  ["BR", 3],
  ["NL", 3],
  ["IT", 2],
  ["ES", 2],
  ["AU", 2],
  ["CH", 2],
  ["SE", 2],
  ["PL", 2],
  ["IL", 1],
  ["AE", 1],
  ["MX", 1],
  ["ZA", 1],
  ["IE", 1],
  ["NO", 1],
  ["FI", 1],
  ["DK", 1],
  ["BE", 1],
  ["AT", 1],
  ["NZ", 1],
  ["TW", 1],
] as const;

// Demand does not follow supply: more data from the large markets, and some from places without
// nodes (LU data may go to any EEA or adequacy node; AR data must stay in AR, so it waits).
const DEMAND = [
  ...JURISDICTIONS.map(([j, w]) => [j, j === "US" || j === "CN" || j === "DE" ? 2 * w : w] as const),
  ["LU", 1],
  ["AR", 1],
] as const;

const TIERS = [
  [0, 10],
  [1, 40],
  [2, 30],
  [3, 15],
  [4, 5],
] as const;

function makeNode(i: number): SchedulerNode {
  const tier = pick(TIERS);
  // TFLOPS/W grows with the tier (the tier table's floors: 1.8, 2.5, 4.0, 7.0).
  const perWatt = [500_000, 1_800_000, 2_500_000, 4_000_000, 7_000_000][tier]! + int(0, 1_500_000);
  return {
    id: `btt1node${(i * 2_654_435_761) % 4_294_967_296}x${i}`,
    jurisdiction: pick(JURISDICTIONS),
    region: `r${int(1, 4)}`,
    tier,
    memoryGb: [0, 8, 16, 48, 320][tier]!,
    price: BigInt(int(20, 200) * (tier + 1)),
    free: next() < BUSY ? 0 : int(1, 4),
    efficiencyPpm: BigInt(int(300_000, 1_000_000)),
    tflopsPerWattPpm: BigInt(perWatt),
  };
}

function makeSlots(count: number): SchedulerSlot[] {
  const slots: SchedulerSlot[] = [];
  for (let task = 1n; slots.length < count; task++) {
    const urgency: Urgency = pick([
      ["stat", 10],
      ["urgent", 30],
      ["routine", 60],
    ] as const);
    const minTier = pick([
      [0, 20],
      [1, 40],
      [2, 25],
      [3, 12],
      [4, 3],
    ] as const);
    const jurisdiction = pick(DEMAND);
    const dataClass = next() < 0.7 ? "imaging" : "diagnosis";
    const maxFee = BigInt(int(100, 1_200));
    const shards = int(1, 2);
    const replication = int(1, 3);
    for (let shard = 0; shard < shards && slots.length < count; shard++) {
      for (let replica = 0; replica < replication && slots.length < count; replica++) {
        // A slot re-queued after a missed deadline excludes the node that missed it.
        const excluded = next() < 0.05 ? [nodes[int(0, NODES - 1)]!.id] : [];
        slots.push({
          taskId: task,
          shard,
          replica,
          urgency,
          dataClass,
          jurisdiction,
          minTier,
          maxFee,
          excluded,
        });
      }
    }
  }
  return slots;
}

function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

const nodes = Array.from({ length: NODES }, (_, i) => makeNode(i));
const slots = makeSlots(SLOTS);
const rules = compileRules(DEFAULT_COMPLIANCE_PARAMS);
let decisions = 0;
const allowed = (dataClass: string, origin: string, destination: string) => {
  decisions++;
  return decide(rules, { kind: "data", dataClass, origin, destination }).allowed;
};
const input = { nodes, slots, allowed, loadPpm: 400_000n, lightLoadPpm: 300_000n };

const warm = schedule({ ...input, nodes: shuffled(nodes), slots: shuffled(slots) });
const times: number[] = [];
// CPU time of the process per run: on a shared, loaded machine it varies far less than wall time.
const cpuTimes: number[] = [];
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
let result = warm;
let decisionsPerPass = 0;
for (let run = 0; run < RUNS; run++) {
  decisions = 0;
  const start = performance.now();
  const cpuStart = cpuMs();
  result = schedule(input);
  times.push(performance.now() - start);
  cpuTimes.push(cpuMs() - cpuStart);
  decisionsPerPass = decisions;
}
times.sort((a, b) => a - b);
cpuTimes.sort((a, b) => a - b);

if (
  JSON.stringify(result, (_, v) => (typeof v === "bigint" ? `${v}` : v)) !==
  JSON.stringify(warm, (_, v) => (typeof v === "bigint" ? `${v}` : v))
) {
  throw new Error("schedule depends on the order of its input");
}
const byId = new Map(nodes.map((n) => [n.id, n]));
const slotOf = new Map(slots.map((s) => [`${s.taskId}/${s.shard}/${s.replica}`, s]));
for (const a of result) {
  const slot = slotOf.get(`${a.taskId}/${a.shard}/${a.replica}`)!;
  const node = byId.get(a.node)!;
  if (!allowed(slot.dataClass, slot.jurisdiction, node.jurisdiction)) {
    throw new Error(`residency broken: ${slot.jurisdiction} data on a ${node.jurisdiction} node`);
  }
}
const local = result.filter(
  (a) => byId.get(a.node)!.jurisdiction === slotOf.get(`${a.taskId}/${a.shard}/${a.replica}`)!.jurisdiction,
).length;
console.error(
  `runs (ms): ${times.map((t) => t.toFixed(1)).join(" ")}; cpu (ms): ${cpuTimes.map((t) => t.toFixed(1)).join(" ")}; ` +
    `${decisionsPerPass} compliance decisions a pass; ` +
    `${local} of ${result.length} assignments local`,
);
console.log(
  JSON.stringify({
    nodes: NODES,
    tasks: SLOTS,
    assigned: result.length,
    assign_ms: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10,
  }),
);
