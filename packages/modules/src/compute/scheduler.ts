// The compute scheduler: a pure function, run in end-block, that gives pending slots to nodes.
//
// Slots are served in order: stat before urgent before routine, then by task id, shard and
// replica. Each slot takes the best-ranked node that fits it (tier, price, free capacity, not
// excluded, not already holding another replica of the same shard) and that the compliance
// engine allows to process the slot's data; a slot that nothing fits waits for a later block.
//
// Speed: nodes are ranked once per pass (a radix sort on integer keys), grouped into pools by
// jurisdiction, and each pool is a segment tree that finds the best fitting node in O(log n).
// Determinism: the output depends on the inputs as sets, never on their order. Nodes are ranked
// by a total order that ends with the node id (and, for the malformed case of a repeated id, its
// jurisdiction and tier); a slot key that occurs twice is malformed and every copy is ignored.

import type { Assignment, SchedulerNode, SchedulerSlot } from "./types.ts";
import { urgencyRank } from "./types.ts";

export interface ScheduleInput {
  /** Any order. */
  nodes: readonly SchedulerNode[];
  /** Pending slots, any order. */
  slots: readonly SchedulerSlot[];
  /** Compliance: may data of `dataClass` originating in `origin` be processed in `destination`? */
  allowed: (dataClass: string, origin: string, destination: string) => boolean;
  /** 0..1_000_000: network load (used capacity / total capacity, ppm) at the start of the pass. */
  loadPpm: bigint;
  /** Below this load the pass prefers higher TFLOPS/W (energy optimisation). */
  lightLoadPpm: bigint;
}

import { Network } from "./pools.ts";
import { cmpAsc } from "./rank.ts";

export { compareNodes, rankNodes } from "./rank.ts";

/** The order slots are served in: urgency, task id, shard, replica. */
export function compareSlots(a: SchedulerSlot, b: SchedulerSlot): number {
  return (
    urgencyRank(a.urgency) - urgencyRank(b.urgency) ||
    cmpAsc(a.taskId, b.taskId) ||
    a.shard - b.shard ||
    a.replica - b.replica
  );
}

export function schedule(input: ScheduleInput): Assignment[] {
  const energyFirst = input.loadPpm < input.lightLoadPpm;
  const available = input.nodes.filter((n) => Number.isSafeInteger(n.free) && n.free > 0);
  const network = new Network(available, energyFirst, input.allowed);
  const holders = new Map<string, string[]>(); // "taskId/shard" → nodes given a replica of it this pass
  const assignments: Assignment[] = [];
  for (const slot of orderSlots(input.slots)) {
    const shardKey = `${slot.taskId}/${slot.shard}`;
    const held = holders.get(shardKey) ?? [];
    const node = network.pick(slot, held);
    if (node === undefined) continue;
    if (held.length === 0) holders.set(shardKey, held);
    held.push(node);
    assignments.push({ taskId: slot.taskId, shard: slot.shard, replica: slot.replica, node });
  }
  return assignments;
}

/** Slots in serving order, without any whose (task, shard, replica) occurs more than once. */
function orderSlots(slots: readonly SchedulerSlot[]): SchedulerSlot[] {
  const seen = new Map<string, number>();
  const keys = slots.map((s) => `${s.taskId}/${s.shard}/${s.replica}`);
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  return slots.filter((_, i) => seen.get(keys[i]!) === 1).sort(compareSlots);
}
