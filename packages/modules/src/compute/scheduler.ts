// The compute scheduler: a pure function, run in end-block, that gives pending slots to nodes.
//
// Slots are served in order: stat before urgent before routine, then by task id, shard and
// replica. Each slot takes the best-ranked node that fits it (tier, price, free capacity, not
// excluded, not already holding another replica of the same shard) and that the compliance
// engine allows to process the slot's data; a slot that nothing fits waits for a later block.
//
// Speed: each node is read once per pass, in input order, and ranked (a radix sort on its integer
// keys packed together); nodes are grouped into pools by jurisdiction, and each pool is a segment
// tree over blocks of 32 ranked nodes that finds the best fitting node in O(log n). Slots are
// ordered by a sort on numbers and a counting sort on urgency; replicas are tracked by number.
// Determinism: the output depends on the inputs as sets, never on their order. Nodes are ranked
// by a total order that ends with the node id (and, for the malformed case of a repeated id, its
// jurisdiction and tier); a slot key that occurs twice is malformed and every copy is ignored.

import type { Assignment, SchedulerNode, SchedulerSlot } from "./types.ts";
import { URGENCIES, urgencyRank } from "./types.ts";

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
  const network = new Network(input.nodes, energyFirst, input.allowed);
  const { serving, shardOf, shards } = orderSlots(input.slots);
  // Per shard, the nodes given a replica of it this pass. Sized up front: a sparse array is slow.
  const holders: (number[] | undefined)[] = new Array(shards).fill(undefined);
  const assignments: Assignment[] = [];
  for (const s of serving) {
    const slot = input.slots[s]!;
    const held = holders[shardOf[s]!];
    const rank = network.pick(slot, held ?? NONE);
    if (rank < 0) continue;
    if (held) held.push(rank);
    else holders[shardOf[s]!] = [rank];
    assignments.push({
      taskId: slot.taskId,
      shard: slot.shard,
      replica: slot.replica,
      node: network.idOf(rank),
    });
  }
  return assignments;
}

const NONE: readonly number[] = [];
/** Urgency ranks plus one: 0 for an unknown urgency (it sorts first, as in `compareSlots`). */
const URGENCY_SPAN = URGENCIES.length + 1;

/**
 * The indices of the slots in serving order, without any whose (task, shard, replica) occurs more
 * than once; and for each slot, a number for its (task, shard).
 */
function orderSlots(slots: readonly SchedulerSlot[]): {
  serving: Int32Array;
  shardOf: Int32Array;
  shards: number;
} {
  const count = slots.length;
  // By task, shard and replica: copies of a slot side by side, and the slots of a shard together.
  const byKey = new Int32Array(count);
  for (let i = 0; i < count; i++) byKey[i] = i;
  const task = new Float64Array(count);
  let tasksSafe = true;
  for (let i = 0; i < count; i++) {
    task[i] = Number(slots[i]!.taskId);
    if (!Number.isSafeInteger(task[i])) tasksSafe = false;
  }
  byKey.sort(
    tasksSafe
      ? (i, j) =>
          task[i]! - task[j]! || slots[i]!.shard - slots[j]!.shard || slots[i]!.replica - slots[j]!.replica
      : (i, j) =>
          cmpAsc(slots[i]!.taskId, slots[j]!.taskId) ||
          slots[i]!.shard - slots[j]!.shard ||
          slots[i]!.replica - slots[j]!.replica,
  );
  const shardOf = new Int32Array(count);
  const unique = new Int32Array(count);
  let kept = 0;
  let shards = 0;
  for (let k = 0; k < count; ) {
    const first = slots[byKey[k]!]!;
    let end = k + 1;
    while (end < count && sameSlot(first, slots[byKey[end]!]!)) end++;
    if (k > 0 && !sameShard(first, slots[byKey[k - 1]!]!)) shards++;
    for (let c = k; c < end; c++) shardOf[byKey[c]!] = shards;
    if (end - k === 1) unique[kept++] = byKey[k]!;
    k = end;
  }
  // Then by urgency, stably: a counting sort over the urgency ranks (−1 for an unknown urgency).
  const counts = new Int32Array(URGENCY_SPAN + 1);
  const urgency = new Int32Array(kept);
  for (let k = 0; k < kept; k++) {
    urgency[k] = urgencyRank(slots[unique[k]!]!.urgency) + 1;
    counts[urgency[k]! + 1]!++;
  }
  for (let u = 0; u < URGENCY_SPAN; u++) counts[u + 1]! += counts[u]!;
  const serving = new Int32Array(kept);
  for (let k = 0; k < kept; k++) serving[counts[urgency[k]!]!++] = unique[k]!;
  return { serving, shardOf, shards: shards + 1 };
}

const sameShard = (a: SchedulerSlot, b: SchedulerSlot) => a.taskId === b.taskId && a.shard === b.shard;
const sameSlot = (a: SchedulerSlot, b: SchedulerSlot) => sameShard(a, b) && a.replica === b.replica;
