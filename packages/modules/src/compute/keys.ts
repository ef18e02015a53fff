// Keys inside "compute/": n ‖ worker(20) → node; o ‖ operator(20) ‖ worker(20) → ∅ (nodes of an
// operator); t ‖ task id(u64) → task; q ‖ task id → ∅ (open tasks); r ‖ requester(20) ‖ task id → ∅;
// b ‖ worker(20) → the benchmark issued to it; s → next task id; e → current epoch's start height.
import { addressBytes } from "@btt/core";
import { join, u64 } from "../staking/keys.ts";

export { readU64 } from "../identity/keys.ts";

const byte = (c: string) => Uint8Array.of(c.charCodeAt(0));
export const NODE = byte("n");
export const OPERATOR = byte("o");
export const TASK = byte("t");
export const OPEN = byte("q");
export const REQUESTER = byte("r");
export const BENCHMARK = byte("b");
export const NEXT_TASK_KEY = byte("s");

export const nodeKey = (worker: string) => join(NODE, addressBytes(worker));
export const operatorKey = (operator: string, worker: string) =>
  join(OPERATOR, addressBytes(operator), addressBytes(worker));
export const operatorPrefix = (operator: string) => join(OPERATOR, addressBytes(operator));
export const taskKey = (id: bigint) => join(TASK, u64(id));
export const openKey = (id: bigint) => join(OPEN, u64(id));
export const requesterKey = (requester: string, id: bigint) =>
  join(REQUESTER, addressBytes(requester), u64(id));
export const requesterPrefix = (requester: string) => join(REQUESTER, addressBytes(requester));
export const benchmarkKey = (worker: string) => join(BENCHMARK, addressBytes(worker));
