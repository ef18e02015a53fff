// The compute network end to end on this machine: a node and its API in this process (solo driver,
// `btt start`'s 1-second blocks by default), real worker processes (honest, capacity 2 each) and a
// requester that submits caries-model tasks (replication 1, one distinct synthetic bitewing each)
// and grants each assigned node its input key. A task's latency is the wall time from the block
// that committed its SubmitTask to the block whose reveal verified it (compute/task_finished).
// Tasks go in one per block (a steady rate), or with --burst all at once: one SubmitTask tx each,
// signed with consecutive nonces and posted back to back, so they commit in the same block.
// Throughput is tasks over the time from the first submission's block to the last task's.
// Prints a short summary, then one JSON line last.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { benchmarkInput } from "@btt/ai";
import type { Msg } from "@btt/core";
import { computeMsg } from "@btt/modules";
import {
  type ComputeChain,
  MODEL_ID,
  registerCpuNode,
  spawnWorkerProcess,
  startComputeChain,
} from "../packages/worker/test/compute-chain.ts";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "24" },
    "block-ms": { type: "string", default: "1000" },
    workers: { type: "string", default: "2" },
    burst: { type: "boolean", default: false },
  },
});
const TASKS = Number(values.tasks);
const BLOCK_MS = Number(values["block-ms"]);
const WORKERS = Number(values.workers);
const BURST = values.burst;
if (!(TASKS >= 1 && TASKS <= 1000 && BLOCK_MS >= 10 && WORKERS >= 1 && WORKERS <= 3)) {
  throw new Error(
    "--tasks from 1 to 1000 (the requester's grants see its first 1,000 tasks), --block-ms ≥ 10 and --workers from 1 to 3 (the chain has three operators)",
  );
}
const MAX_FEE = 5_000n;
/** Blocks a node has from assignment to reveal: ample, so a slow slot shows as latency, not a miss. */
const DEADLINE_BLOCKS = 100;
/** Gives up when the tasks have not settled in this many blocks after the last submission. */
const SETTLE_BLOCKS = 60 + 10 * TASKS;

const progress = (msg: string) => console.error(`[bench:compute] ${msg}`);

/** What the bench learns from each committed block, in this process: no polling, no API. */
class TaskClock {
  readonly submitted = new Map<string, { height: number; at: number }>();
  readonly finished = new Map<string, { height: number; at: number; state: string }>();
  missed = 0;
  height = 0;
  private waiters: Array<() => void> = [];

  constructor(c: ComputeChain) {
    c.node.onBlock(({ block, results }) => {
      const at = performance.now();
      const height = Number(block.header!.height);
      this.height = height;
      const events = [...results.txResults.flatMap((r) => r.events), ...results.endBlockEvents];
      for (const e of events) {
        const attr = (key: string) => e.attributes.find((a) => a.key === key)?.value ?? "";
        if (e.type === "compute/task_submitted") this.submitted.set(attr("task"), { height, at });
        else if (e.type === "compute/task_finished")
          this.finished.set(attr("task"), { height, at, state: attr("state") });
        else if (e.type === "compute/missed") this.missed++;
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  nextBlock(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

progress(`starting the node (${BLOCK_MS} ms blocks) and its API`);
const c = await startComputeChain({ blockIntervalMs: BLOCK_MS });
const clock = new TaskClock(c);
const stateRoot = mkdtempSync(join(tmpdir(), "btt-bench-compute-"));
const procs: ChildProcess[] = [];
const workerLog: string[] = [];

try {
  progress(`adding ${TASKS} encrypted bitewings as the requester's records`);
  const recordIds: string[] = [];
  for (let i = 0; i < TASKS; i++) {
    recordIds.push(`bench-bw-${i + 1}`);
    await c.addRecord(recordIds[i]!, await benchmarkInput(10_000 + i));
  }
  const workers = c.workers.slice(0, WORKERS);
  for (const [i, worker] of workers.entries()) await c.send(c.operators[i]!, [registerCpuNode(worker, 2)]);

  progress(`spawning ${WORKERS} worker processes; waiting for their benchmarks`);
  for (const worker of workers) {
    const child = spawnWorkerProcess({
      apiUrl: c.url,
      worker,
      stateDir: join(stateRoot, worker.address),
      onOutput: (text) => workerLog.push(text),
    });
    procs.push(child);
  }
  for (const worker of workers) {
    await c
      .waitFor(
        `${worker.address} active`,
        async () => {
          const node = await c.query<{ status: string; heartbeats: string[] }>("node", {
            worker: worker.address,
          });
          return node.status === "active" && node.heartbeats.length > 0;
        },
        Math.max(60, Math.ceil(120_000 / BLOCK_MS)),
      )
      .catch((err) => {
        throw new Error(`${(err as Error).message}\n${workerLog.join("")}`);
      });
  }

  const task = (recordId: string): Msg =>
    computeMsg.submitTask({
      modelId: MODEL_ID,
      inputRecordIds: [recordId],
      urgency: "urgent",
      deadlineBlocks: DEADLINE_BLOCKS,
      maxFee: MAX_FEE,
      replication: 1,
      seal: randomBytes(32),
    });

  progress(`submitting ${TASKS} tasks ${BURST ? "at once" : "one per block"}`);
  let next = 0;
  if (BURST) {
    const { nonce } = await c.client.account(c.requester.address);
    for (; next < TASKS; next++) {
      await c.client.signAndSubmit(c.requester, [task(recordIds[next]!)], {
        nonce: BigInt(nonce) + BigInt(next),
        wait: false,
      });
    }
    while (clock.submitted.size < TASKS) await clock.nextBlock();
  }
  // The requester's loop: one tx a block with its grants for newly assigned slots and, at the
  // steady rate, the next task. Each send waits for its block, which paces the loop.
  let lastSubmitHeight = clock.height;
  while (clock.finished.size < TASKS) {
    const messages = await c.pendingGrants();
    const submitting = next < TASKS;
    if (submitting) messages.push(task(recordIds[next]!));
    if (messages.length === 0) await clock.nextBlock();
    else {
      try {
        await c.send(c.requester, messages);
        if (submitting) {
          next++;
          lastSubmitHeight = clock.height;
        }
      } catch (err) {
        progress(`requester tx refused, retrying next block: ${(err as Error).message}`);
        await clock.nextBlock();
      }
    }
    if (clock.height > lastSubmitHeight + SETTLE_BLOCKS) {
      throw new Error(
        `${TASKS - clock.finished.size} tasks unsettled ${SETTLE_BLOCKS} blocks after the last submission\n${workerLog.join("")}`,
      );
    }
  }

  const ids = [...clock.submitted.keys()];
  const latencies: number[] = [];
  const blocks: number[] = [];
  let failed = 0;
  for (const id of ids) {
    const s = clock.submitted.get(id)!;
    const f = clock.finished.get(id)!;
    if (f.state !== "done") failed++;
    latencies.push(f.at - s.at);
    blocks.push(f.height - s.height);
  }
  latencies.sort((a, b) => a - b);
  blocks.sort((a, b) => a - b);
  const firstAt = Math.min(...ids.map((id) => clock.submitted.get(id)!.at));
  const lastAt = Math.max(...ids.map((id) => clock.finished.get(id)!.at));
  const tasksPerS = ids.length / ((lastAt - firstAt) / 1000);
  const computeMs = workerLog
    .join("")
    .split("\n")
    .flatMap((line) => {
      try {
        const entry = JSON.parse(line) as { msg?: string; ms?: number };
        return entry.msg === "computed" && typeof entry.ms === "number" ? [entry.ms] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a - b);

  console.log(
    `${ids.length} caries tasks (replication 1) on ${WORKERS} workers × capacity 2, ${BLOCK_MS} ms blocks, ` +
      `${BURST ? "submitted at once" : "one submitted per block"}: ${ids.length - failed} done, ${failed} failed, ` +
      `${clock.missed} missed deadlines`,
  );
  console.log(
    `submission → verified: p50 ${Math.round(percentile(latencies, 50))} ms (${percentile(blocks, 50)} blocks), ` +
      `p99 ${Math.round(percentile(latencies, 99))} ms (${percentile(blocks, 99)} blocks); ` +
      `model run in the worker: p50 ${Math.round(percentile(computeMs, 50))} ms over ${computeMs.length} slots`,
  );
  console.log(
    JSON.stringify({
      tasks: ids.length,
      workers: WORKERS,
      block_ms: BLOCK_MS,
      burst: BURST,
      tasks_per_s: Math.round(tasksPerS * 100) / 100,
      p50_ms: Math.round(percentile(latencies, 50)),
      p99_ms: Math.round(percentile(latencies, 99)),
    }),
  );
  if (failed > 0) process.exitCode = 1;
} finally {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null || p.signalCode !== null) return resolve();
          const kill = setTimeout(() => p.kill("SIGKILL"), 5_000);
          p.once("exit", () => {
            clearTimeout(kill);
            resolve();
          });
          p.kill("SIGTERM");
        }),
    ),
  );
  await c.close();
  rmSync(stateRoot, { recursive: true, force: true });
}
