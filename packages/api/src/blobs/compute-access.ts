// The compute network's two ways to a blob besides the record's owner and consent: the node
// assigned a slot of a task reads that task's input, and a task's requester reads its results.
import type { ComputeKeeper, KVStore, Task } from "@btt/modules";

/**
 * Whether `accessor` is the node holding an open slot (assigned or committed) of an open task
 * whose input is record `recordId`: the requester granted it that input to compute on.
 */
export function holdsAssignment(
  kv: KVStore,
  compute: ComputeKeeper,
  accessor: string,
  recordId: string,
): boolean {
  for (const task of compute.openTasks(kv)) {
    for (const slot of task.slots) {
      if (slot.node !== accessor || (slot.state !== "assigned" && slot.state !== "committed")) continue;
      if (task.inputs[slot.shard] === recordId) return true;
    }
  }
  return false;
}

/** The task and the input record of the shard whose revealed result blob is `sha256`, if any. */
export function resultBlobOf(
  kv: KVStore,
  compute: ComputeKeeper,
  taskId: bigint,
  sha256: string,
): { task: Task; recordId: string } | undefined {
  const task = compute.task(kv, taskId);
  const slot = task?.slots.find((s) => s.resultBlob === sha256);
  return task && slot ? { task, recordId: task.inputs[slot.shard]! } : undefined;
}
