// The compute scheduler against the rules it must never break (residency under the real default
// compliance rules, tier, fee, capacity, exclusion, one replica of a shard per node) and against a
// plain reference: every slot, in serving order, scans every node and takes the best by locality
// and then `compareNodes`. The scheduler's radix ranking and segment-tree pools must agree with it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRules, DEFAULT_COMPLIANCE_PARAMS, decide } from "../src/compliance/index.ts";
import {
  compareNodes,
  compareSlots,
  rankNodes,
  type ScheduleInput,
  schedule,
} from "../src/compute/scheduler.ts";
import { type Assignment, type SchedulerNode, type SchedulerSlot, URGENCIES } from "../src/compute/types.ts";

const rules = compileRules(DEFAULT_COMPLIANCE_PARAMS);
const residency = (dataClass: string, origin: string, destination: string) =>
  decide(rules, { kind: "data", dataClass, origin, destination }).allowed;

/** `residency`, counting how often each (class, origin, destination) is asked. */
function countedResidency() {
  const calls = new Map<string, number>();
  const allowed = (dataClass: string, origin: string, destination: string) => {
    const key = `${dataClass}/${origin}/${destination}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    return residency(dataClass, origin, destination);
  };
  return { allowed, calls };
}

const HEAVY = { loadPpm: 800_000n, lightLoadPpm: 300_000n };
const LIGHT = { loadPpm: 100_000n, lightLoadPpm: 300_000n };

const node = (id: string, o: Partial<SchedulerNode> = {}): SchedulerNode => ({
  id,
  jurisdiction: "DE",
  region: "eu-central",
  tier: 2,
  memoryGb: 24,
  price: 10n,
  free: 1,
  efficiencyPpm: 500_000n,
  tflopsPerWattPpm: 2_500_000n,
  ...o,
});

const slot = (taskId: bigint, o: Partial<SchedulerSlot> = {}): SchedulerSlot => ({
  taskId,
  shard: 0,
  replica: 0,
  urgency: "routine",
  dataClass: "imaging",
  jurisdiction: "DE",
  minTier: 1,
  maxFee: 100n,
  excluded: [],
  ...o,
});

const run = (nodes: SchedulerNode[], slots: SchedulerSlot[], load = HEAVY) =>
  schedule({ nodes, slots, allowed: residency, ...load });
const nodesOf = (out: readonly Assignment[]) => out.map((a) => a.node);

/** The obvious, slow scheduler: the specification the fast one must match. */
function reference(input: ScheduleInput): Assignment[] {
  const energyFirst = input.loadPpm < input.lightLoadPpm;
  const free = new Map(input.nodes.map((n) => [n.id, n.free]));
  const held = new Map<string, string[]>();
  const key = (s: SchedulerSlot) => `${s.taskId}/${s.shard}/${s.replica}`;
  const copies = new Map<string, number>();
  for (const s of input.slots) copies.set(key(s), (copies.get(key(s)) ?? 0) + 1);
  const out: Assignment[] = [];
  for (const s of input.slots.filter((x) => copies.get(key(x)) === 1).sort(compareSlots)) {
    const shard = `${s.taskId}/${s.shard}`;
    const fits = input.nodes.filter(
      (n) =>
        n.tier >= s.minTier &&
        n.price <= s.maxFee &&
        free.get(n.id)! > 0 &&
        !s.excluded.includes(n.id) &&
        !(held.get(shard) ?? []).includes(n.id) &&
        residency(s.dataClass, s.jurisdiction, n.jurisdiction),
    );
    const local = (n: SchedulerNode) => (n.jurisdiction === s.jurisdiction ? 0 : 1);
    const best = fits.sort((a, b) => local(a) - local(b) || compareNodes(a, b, energyFirst))[0];
    if (!best) continue;
    free.set(best.id, free.get(best.id)! - 1);
    held.set(shard, [...(held.get(shard) ?? []), best.id]);
    out.push({ taskId: s.taskId, shard: s.shard, replica: s.replica, node: best.id });
  }
  return out;
}

// Generated networks: EEA, adequacy, CN, the US and "data stays home" jurisdictions, small key
// ranges so that ties (and the id tie-break) are common.
const PLACES = ["CN", "US", "DE", "FR", "GB", "JP", "SG", "BR", "AR", "LU", "IN"] as const;
const arbNode = fc.record({
  id: fc.stringMatching(/^btt1[a-z0-9]{1,6}$/),
  jurisdiction: fc.constantFrom(...PLACES.slice(0, 9)),
  region: fc.constant("r1"),
  tier: fc.integer({ min: 0, max: 4 }),
  memoryGb: fc.constant(16),
  price: fc.bigInt({ min: 0n, max: 40n }),
  free: fc.integer({ min: 0, max: 3 }),
  efficiencyPpm: fc.bigInt({ min: 0n, max: 5n }).map((e) => e * 200_000n),
  tflopsPerWattPpm: fc.bigInt({ min: 0n, max: 5n }).map((t) => t * 1_000_000n),
});
interface Sizes {
  minNodes?: number;
  maxNodes: number;
  minSlots?: number;
  maxSlots: number;
}
const arbSlots = (ids: readonly string[], size: Sizes) =>
  fc.uniqueArray(
    fc.record({
      // Few tasks, so that slots share a (task, shard) and urgencies mix within a task id range.
      taskId: fc.bigInt({ min: 1n, max: BigInt(Math.max(40, size.maxSlots >> 1)) }),
      shard: fc.integer({ min: 0, max: 1 }),
      replica: fc.integer({ min: 0, max: 2 }),
      urgency: fc.constantFrom(...URGENCIES),
      dataClass: fc.constantFrom("imaging", "diagnosis", "research", "genome"),
      jurisdiction: fc.constantFrom(...PLACES),
      minTier: fc.integer({ min: 0, max: 5 }),
      maxFee: fc.bigInt({ min: 0n, max: 50n }),
      excluded: fc.subarray([...ids], { maxLength: Math.min(3, ids.length) }),
    }),
    {
      minLength: size.minSlots ?? 0,
      maxLength: size.maxSlots,
      size: "medium",
      selector: (s) => `${s.taskId}/${s.shard}/${s.replica}`,
    },
  );
const arbNetwork = (size: Sizes) =>
  fc
    .uniqueArray(arbNode, {
      minLength: size.minNodes ?? 0,
      maxLength: size.maxNodes,
      size: "medium",
      selector: (n) => n.id,
    })
    .chain((nodes) =>
      fc.record({
        nodes: fc.constant(nodes),
        slots: arbSlots(
          nodes.map((n) => n.id),
          size,
        ),
        light: fc.boolean(),
      }),
    );

describe("compute scheduler: rules never broken", () => {
  it("residency, tier, fee, capacity, exclusion and replica distinctness hold for every assignment", () => {
    fc.assert(
      fc.property(arbNetwork({ maxNodes: 300, maxSlots: 300 }), ({ nodes, slots, light }) => {
        const { allowed, calls } = countedResidency();
        const out = schedule({ nodes, slots, allowed, ...(light ? LIGHT : HEAVY) });
        const byId = new Map(nodes.map((n) => [n.id, n]));
        const bySlot = new Map(slots.map((s) => [`${s.taskId}/${s.shard}/${s.replica}`, s]));
        const used = new Map<string, number>();
        const shardNodes = new Set<string>();
        const seen = new Set<string>();
        for (const a of out) {
          const key = `${a.taskId}/${a.shard}/${a.replica}`;
          const s = bySlot.get(key);
          const n = byId.get(a.node);
          expect(s, "assignment of an unknown slot").toBeDefined();
          expect(n, "assignment to an unknown node").toBeDefined();
          expect(seen.has(key), "slot assigned twice").toBe(false);
          seen.add(key);
          expect(residency(s!.dataClass, s!.jurisdiction, n!.jurisdiction)).toBe(true);
          expect(n!.tier).toBeGreaterThanOrEqual(s!.minTier);
          expect(n!.price <= s!.maxFee).toBe(true);
          expect(s!.excluded).not.toContain(n!.id);
          const replicaKey = `${a.taskId}/${a.shard}/${a.node}`;
          expect(shardNodes.has(replicaKey), "two replicas of a shard on one node").toBe(false);
          shardNodes.add(replicaKey);
          used.set(n!.id, (used.get(n!.id) ?? 0) + 1);
          expect(used.get(n!.id)).toBeLessThanOrEqual(n!.free);
        }
        for (const count of calls.values()) expect(count).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it("assigns exactly what the plain reference scheduler assigns", () => {
    fc.assert(
      fc.property(arbNetwork({ maxNodes: 150, maxSlots: 200 }), ({ nodes, slots, light }) => {
        const input = { nodes, slots, allowed: residency, ...(light ? LIGHT : HEAVY) };
        expect(schedule(input)).toEqual(reference(input));
      }),
      { numRuns: 300 },
    );
  });

  it("matches the reference on one larger network (thousands of nodes and slots)", () => {
    const [sample] = fc.sample(
      arbNetwork({ minNodes: 3000, maxNodes: 3000, minSlots: 3000, maxSlots: 3000 }),
      {
        numRuns: 1,
        seed: 42,
      },
    );
    const input = { nodes: sample!.nodes, slots: sample!.slots, allowed: residency, ...HEAVY };
    expect(input.nodes.length).toBeGreaterThan(1000);
    const out = schedule(input);
    expect(out.length).toBeGreaterThan(100);
    expect(out).toEqual(reference(input));
  });

  it("matches the reference when pools span many blocks and fill up through other pools", () => {
    // Few jurisdictions (FR data may also go to DE, and LU data to both), hundreds of nodes each,
    // and more slots than free capacity: the pools' blocks of 32, the nodes used up through
    // another pool and the remote pool all take part.
    const dense = fc
      .uniqueArray(
        arbNode.map((n) => ({ ...n, jurisdiction: n.id.length % 2 === 0 ? "DE" : "FR" })),
        { minLength: 100, maxLength: 400, selector: (n) => n.id },
      )
      .chain((nodes) =>
        fc.record({
          nodes: fc.constant(nodes),
          slots: arbSlots(
            nodes.map((n) => n.id),
            { maxNodes: 400, minSlots: 200, maxSlots: 600 },
          ).map((slots) => slots.map((s, i) => ({ ...s, jurisdiction: ["DE", "FR", "LU"][i % 3]! }))),
          light: fc.boolean(),
        }),
      );
    fc.assert(
      fc.property(dense, ({ nodes, slots, light }) => {
        const input = { nodes, slots, allowed: residency, ...(light ? LIGHT : HEAVY) };
        expect(schedule(input)).toEqual(reference(input));
      }),
      { numRuns: 40 },
    );
  });

  it("gives the same assignments whatever the order of nodes and slots", () => {
    fc.assert(
      fc.property(
        arbNetwork({ maxNodes: 120, maxSlots: 120 }).chain((n) =>
          fc.record({
            net: fc.constant(n),
            nodes: fc.shuffledSubarray(n.nodes, { minLength: n.nodes.length }),
            slots: fc.shuffledSubarray(n.slots, { minLength: n.slots.length }),
          }),
        ),
        ({ net, nodes, slots }) => {
          const load = net.light ? LIGHT : HEAVY;
          expect(run(nodes, slots, load)).toEqual(run(net.nodes, net.slots, load));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("ranks by the radix path exactly as by the comparator, also with keys past 2^53", () => {
    const big = fc.oneof(fc.bigInt({ min: 0n, max: 3n }), fc.bigInt({ min: 0n, max: 2n ** 70n }));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            id: fc.stringMatching(/^[a-c]{1,2}$/),
            jurisdiction: fc.constantFrom("DE", "US"),
            tier: fc.integer({ min: 0, max: 2 }),
            price: fc.bigInt({ min: 0n, max: 3n }),
            free: fc.integer({ min: 0, max: 2 }),
            efficiencyPpm: fc.bigInt({ min: 0n, max: 70_000n }),
            tflopsPerWattPpm: fc.bigInt({ min: 0n, max: 3n }),
          }),
          { maxLength: 60 },
        ),
        fc.boolean(),
        fc.option(big, { nil: undefined }),
        (raw, energyFirst, huge) => {
          const nodes = raw.map((r, i) =>
            node(r.id, { ...r, ...(huge !== undefined && i === 0 ? { price: huge } : {}) }),
          );
          const expected = [...nodes].sort((a, b) => compareNodes(a, b, energyFirst));
          expect(rankNodes(nodes, energyFirst)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("compute scheduler: ranking", () => {
  it("serves stat before urgent before routine when capacity is short, whatever the task ids", () => {
    const nodes = [node("n1", { free: 2 })];
    const slots = [
      slot(1n, { urgency: "routine" }),
      slot(2n, { urgency: "urgent" }),
      slot(3n, { urgency: "stat" }),
    ];
    expect(run(nodes, slots).map((a) => a.taskId)).toEqual([3n, 2n]);
  });

  it("prefers efficiency under load and TFLOPS per watt when the network is lightly loaded", () => {
    const efficient = node("efficient", { efficiencyPpm: 900_000n, tflopsPerWattPpm: 2_000_000n });
    const frugal = node("frugal", { efficiencyPpm: 600_000n, tflopsPerWattPpm: 6_000_000n });
    const slots = [slot(1n)];
    expect(nodesOf(run([frugal, efficient], slots, HEAVY))).toEqual(["efficient"]);
    expect(nodesOf(run([efficient, frugal], slots, LIGHT))).toEqual(["frugal"]);
    // The threshold itself counts as loaded.
    expect(nodesOf(run([frugal, efficient], slots, { loadPpm: 300_000n, lightLoadPpm: 300_000n }))).toEqual([
      "efficient",
    ]);
  });

  it("then lower price, then more free capacity, then the id", () => {
    const slots = [slot(1n)];
    expect(nodesOf(run([node("a", { price: 9n }), node("b", { price: 8n })], slots))).toEqual(["b"]);
    expect(nodesOf(run([node("a", { free: 1 }), node("b", { free: 2 })], slots))).toEqual(["b"]);
    expect(nodesOf(run([node("b"), node("a")], slots))).toEqual(["a"]);
  });

  it("prefers a node in the data's jurisdiction to a better one elsewhere", () => {
    const local = node("local", { jurisdiction: "FR", efficiencyPpm: 100_000n, price: 90n });
    const remote = node("remote", { jurisdiction: "DE", efficiencyPpm: 1_000_000n, price: 1n });
    expect(nodesOf(run([remote, local], [slot(1n, { jurisdiction: "FR" })], LIGHT))).toEqual(["local"]);
    // Once the local node is full, the next FR slot goes to an allowed node elsewhere (DE is in the EEA).
    const two = [slot(1n, { jurisdiction: "FR" }), slot(2n, { jurisdiction: "FR" })];
    expect(nodesOf(run([remote, local], two))).toEqual(["local", "remote"]);
  });
});

describe("compute scheduler: what stays unassigned", () => {
  it("keeps CN data on CN nodes and leaves out what no node can take", () => {
    const nodes = [node("us", { jurisdiction: "US", tier: 4, free: 9 }), node("cn", { jurisdiction: "CN" })];
    const slots = [
      slot(1n, { jurisdiction: "CN" }),
      slot(2n, { jurisdiction: "CN" }), // the CN node is full: US may not take CN data
      slot(3n, { jurisdiction: "US", minTier: 5 }), // no node of tier 5
      slot(4n, { jurisdiction: "US", maxFee: 9n }), // every node costs 10
      slot(5n, { jurisdiction: "US", excluded: ["us"] }), // and CN may not take US data
      slot(6n, { jurisdiction: "US", dataClass: "genome" }), // not a data class: nowhere
      slot(7n, { jurisdiction: "US" }),
    ];
    expect(run(nodes, slots).map((a) => [a.taskId, a.node])).toEqual([
      [1n, "cn"],
      [7n, "us"],
    ]);
  });

  it("compares fees exactly past 2^53", () => {
    const fee = 2n ** 60n; // 2^60 + 1 is the same double as 2^60
    const nodes = [node("dear", { price: fee + 1n }), node("fair", { price: fee, efficiencyPpm: 1n })];
    expect(nodesOf(run(nodes, [slot(1n, { maxFee: fee })]))).toEqual(["fair"]);
    expect(run(nodes.slice(0, 1), [slot(1n, { maxFee: fee })])).toEqual([]);
  });

  it("puts the replicas of one shard on distinct nodes, and leaves a replica out rather than doubling up", () => {
    const nodes = [node("a", { free: 5 }), node("b", { free: 5, efficiencyPpm: 1n })];
    const replicas = [0, 1, 2].map((replica) => slot(1n, { replica }));
    expect(run(nodes, replicas).map((a) => [a.replica, a.node])).toEqual([
      [0, "a"],
      [1, "b"],
    ]);
    // Another shard of the same task may use the same nodes again.
    const shards = [0, 1].map((shard) => slot(1n, { shard }));
    expect(nodesOf(run(nodes, shards))).toEqual(["a", "a"]);
  });

  it("ignores every copy of a slot that occurs twice and asks compliance once per triple", () => {
    const { allowed, calls } = countedResidency();
    const nodes = [
      node("de", { free: 2 }),
      node("fr", { jurisdiction: "FR" }),
      node("cn", { jurisdiction: "CN" }),
    ];
    const slots = [slot(1n), slot(1n, { minTier: 0 }), slot(2n), slot(3n), slot(4n, { jurisdiction: "FR" })];
    const out = schedule({ nodes, slots, allowed, ...HEAVY });
    expect(out.map((a) => a.taskId)).toEqual([2n, 3n, 4n]);
    expect([...calls.values()].every((c) => c === 1)).toBe(true);
    expect(calls.size).toBe(6); // imaging of DE and of FR, each to CN, DE and FR
  });
});
