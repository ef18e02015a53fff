// What the compute module does at the end of every block: expire late slots, schedule pending
// ones, and at the end of an epoch pay the reward pool out by verified work × E_node.
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import { availabilityPpm, efficiencyPpm, localityPpm, shareRewards } from "./efficiency.ts";
import { type ComputeKeeper, REWARD_POOL } from "./keeper.ts";
import { type ComputeParams, PPM } from "./params.ts";
import { schedule } from "./scheduler.ts";
import { expireSlots } from "./tasks.ts";
import type { ComputeNode, SchedulerNode, SchedulerSlot, Task } from "./types.ts";

const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);
const minOf = (a: bigint, b: bigint) => (a < b ? a : b);

export function computeEndBlock(keeper: ComputeKeeper, ctx: Context): void {
  const p = keeper.readParams(ctx.kv);
  const open: Task[] = [];
  for (const task of keeper.openTasks(ctx.kv)) {
    if (expireSlots(keeper, ctx, task)) keeper.setTask(ctx.kv, task);
    if (task.state === "open") open.push(task);
  }
  if (open.some((t) => t.slots.some((s) => s.state === "pending"))) scheduleOpenTasks(keeper, ctx, p, open);
  if (ctx.block.height % p.epochBlocks === 0n) payEpochRewards(keeper, ctx, p);
}

/** The node's availability over the window that ends at `height` (not before it registered). */
export function nodeAvailabilityPpm(node: ComputeNode, height: bigint, p: ComputeParams): bigint {
  const windowStart = maxOf(height - p.availabilityWindowBlocks, node.registeredHeight);
  return availabilityPpm(node.heartbeats, windowStart, height, p.heartbeatIntervalBlocks);
}

/** E_node over the node's whole record (the scheduler's ranking) or one epoch's work (rewards). */
export function nodeEfficiencyPpm(
  node: ComputeNode,
  availability: bigint,
  work: { successful: bigint; total: bigint; local: bigint },
): bigint {
  return efficiencyPpm({
    measuredTflopsMilli: node.measuredTflopsMilli,
    powerW: node.hardware.powerW,
    successful: work.successful,
    total: work.total,
    availabilityPpm: availability,
    localityPpm: localityPpm(work.local, work.successful),
  });
}

/** Whether a node may take new work at `height`, and its free slots. */
export function schedulable(node: ComputeNode, height: bigint, p: ComputeParams): boolean {
  if (node.status !== "active" || node.bond < p.minBond || node.load >= node.capacity) return false;
  const last = node.heartbeats[node.heartbeats.length - 1];
  if (last === undefined || height - last > p.heartbeatTimeoutBlocks) return false;
  return nodeAvailabilityPpm(node, height, p) >= p.minAvailabilityPpm;
}

function scheduleOpenTasks(keeper: ComputeKeeper, ctx: Context, p: ComputeParams, open: Task[]): void {
  const h = ctx.block.height;
  const candidates = new Map<string, ComputeNode>();
  const nodes: SchedulerNode[] = [];
  let capacity = 0n;
  let load = 0n;
  for (const node of keeper.nodes(ctx.kv)) {
    if (!schedulable(node, h, p)) continue;
    capacity += BigInt(node.capacity);
    load += BigInt(node.load);
    candidates.set(node.id, node);
    const record = node.record;
    nodes.push({
      id: node.id,
      jurisdiction: node.jurisdiction,
      region: node.region,
      tier: node.tier,
      memoryGb: node.hardware.memoryGb,
      price: node.price,
      free: node.capacity - node.load,
      efficiencyPpm: nodeEfficiencyPpm(node, nodeAvailabilityPpm(node, h, p), {
        successful: record.successful,
        total: record.successful + record.wrong + record.missed,
        local: record.local,
      }),
      tflopsPerWattPpm: (node.measuredTflopsMilli * 1000n) / BigInt(node.hardware.powerW),
    });
  }
  if (nodes.length === 0) return;
  const slots: SchedulerSlot[] = [];
  const byId = new Map<bigint, Task>();
  for (const task of open) {
    byId.set(task.id, task);
    for (const slot of task.slots) {
      if (slot.state !== "pending") continue;
      const others = task.slots
        .filter((s) => s.shard === slot.shard && s !== slot && s.node)
        .map((s) => s.node!);
      slots.push({
        taskId: task.id,
        shard: slot.shard,
        replica: slot.replica,
        urgency: task.urgency,
        dataClass: task.dataClass,
        jurisdiction: task.jurisdiction,
        minTier: task.minTier,
        maxFee: task.maxFee,
        excluded: [...others, ...slot.missedBy],
      });
    }
  }
  const compliance = keeper.deps.compliance;
  const assignments = schedule({
    nodes,
    slots,
    allowed: (dataClass, origin, destination) =>
      compliance.decide(ctx.kv, { kind: "data", dataClass, origin, destination }).allowed,
    loadPpm: capacity === 0n ? PPM : (load * PPM) / capacity,
    lightLoadPpm: p.lightLoadPpm,
  });
  const changedTasks = new Set<Task>();
  for (const a of assignments) {
    const task = byId.get(a.taskId)!;
    const slot = task.slots.find((s) => s.shard === a.shard && s.replica === a.replica)!;
    const node = candidates.get(a.node)!;
    slot.state = "assigned";
    slot.node = node.id;
    slot.assignedHeight = h;
    slot.deadlineHeight = h + task.deadlineBlocks;
    node.load += 1;
    node.record.assigned += 1n;
    changedTasks.add(task);
    ctx.emit(
      ledgerEvent("compute/assigned", {
        task: task.id.toString(),
        shard: a.shard.toString(),
        replica: a.replica.toString(),
        node: node.id,
        requester: task.requester,
        deadline: slot.deadlineHeight.toString(),
      }),
    );
  }
  for (const id of [...new Set(assignments.map((a) => a.node))].sort())
    keeper.setNode(ctx.kv, candidates.get(id)!);
  for (const task of [...changedTasks].sort((a, b) => (a.id < b.id ? -1 : 1))) keeper.setTask(ctx.kv, task);
}

/**
 * Shares min(pool balance, params.epoch_reward) among the nodes that did verified work this epoch,
 * in proportion to verified slots × E_node, then starts a new epoch for every node.
 */
function payEpochRewards(keeper: ComputeKeeper, ctx: Context, p: ComputeParams): void {
  const h = ctx.block.height;
  const working: Array<{ node: ComputeNode; efficiency: bigint }> = [];
  const touched: ComputeNode[] = [];
  for (const node of keeper.nodes(ctx.kv)) {
    if (node.epoch.total === 0n && node.epoch.successful === 0n) continue;
    touched.push(node);
    if (node.epoch.successful === 0n) continue;
    working.push({ node, efficiency: nodeEfficiencyPpm(node, nodeAvailabilityPpm(node, h, p), node.epoch) });
  }
  const balance = keeper.deps.bank.balance(ctx.kv, REWARD_POOL, p.bondDenom);
  const pool = minOf(balance, p.epochReward);
  const shares = shareRewards(
    pool,
    working.map((w) => ({ id: w.node.id, weight: w.node.epoch.successful * w.efficiency })),
  );
  for (const { node, efficiency } of working) {
    const amount = shares.get(node.id) ?? 0n;
    if (amount === 0n) continue;
    keeper.pay(ctx, REWARD_POOL, node.operator, amount);
    node.record.rewarded += amount;
    ctx.emit(
      ledgerEvent("compute/reward", {
        node: node.id,
        operator: node.operator,
        amount: amount.toString(),
        verified: node.epoch.successful.toString(),
        efficiency_ppm: efficiency.toString(),
        epoch_end: h.toString(),
      }),
    );
  }
  for (const node of touched) {
    node.epoch = { successful: 0n, total: 0n, local: 0n };
    keeper.setNode(ctx.kv, node);
  }
}
