// @btt/worker: the compute network's worker agent.
export { type TestOnlyFaults, WorkerAgent, type WorkerLogger, type WorkerOptions } from "./agent.ts";
export { ModelRunner } from "./model-runner.ts";
export { type OwedReveal, OwedReveals, slotKey } from "./owed-reveals.ts";
export { openResult, sealResult } from "./result-envelope.ts";
export { TxQueue } from "./tx-queue.ts";
