// The compute network end to end with three real worker processes against one node: an honest
// worker, one that answers wrongly (outvoted on a replicated task, caught again by a canary,
// slashed and jailed), and one that goes offline after committing (its slot misses the deadline,
// is re-assigned and completes). Then the money: escrow in = payouts + refunds, slashes in the
// reward pool, and the compute-escrow account holding exactly the bonds.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeCanonical, benchmarkInput, CariesPipeline, resultSha256 } from "@btt/ai";
import { fromHex, type Signer, toHex } from "@btt/core";
import { auditSeal, COMPUTE_ESCROW, computeMsg, REWARD_POOL } from "@btt/modules";
import { encryptionKeyFromSeed, signedRequestHeaders } from "@btt/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openResult } from "../src/index.ts";
import {
  type ComputeChain,
  MODEL_ID,
  registerCpuNode,
  spawnWorkerProcess,
  startComputeChain,
  type WorkerMode,
} from "./compute-chain.ts";

const BLOCK_MS = 250;
const MAX_FEE = 5_000n;
const PRICE = 1_000n;

// biome-ignore lint/suspicious/noExplicitAny: API JSON, asserted on field by field
type Json = any;

describe("compute workers end to end", () => {
  let c: ComputeChain;
  const stateRoot = mkdtempSync(join(tmpdir(), "btt-worker-state-"));
  const procs: ChildProcess[] = [];
  const output: string[] = [];
  const expected = new Map<string, Uint8Array>();
  let granting = true;

  function spawnWorker(worker: Signer, mode: WorkerMode): ChildProcess {
    const child = spawnWorkerProcess({
      apiUrl: c.url,
      worker,
      stateDir: join(stateRoot, worker.address),
      mode,
      onOutput: (text) => output.push(text),
    });
    procs.push(child);
    return child;
  }

  /** The requester's side: one GrantInput tx per newly assigned slot. */
  async function grantLoop(): Promise<void> {
    for (const grant of await c.pendingGrants()) {
      // Re-assigned or expired meanwhile: the next round sees it.
      await c.send(c.requester, [grant]).catch(() => undefined);
    }
  }

  async function submitTask(records: string[], replication: number, deadlineBlocks: number, seal?: string) {
    const res: Json = await c.send(c.requester, [
      computeMsg.submitTask({
        modelId: MODEL_ID,
        inputRecordIds: records,
        urgency: "urgent",
        deadlineBlocks,
        maxFee: MAX_FEE,
        replication,
        seal: seal ? fromHex(seal) : randomBytes(32),
      }),
    ]);
    const ev = res.events.find((e: Json) => e.type === "compute/task_submitted");
    return ev.attributes.find((a: Json) => a.key === "task").value as string;
  }

  const task = (id: string) => c.query<Json>("task", { id });
  const node = (w: Signer) => c.query<Json>("node", { worker: w.address });
  const finished = (id: string) =>
    c.waitFor(`task ${id} to finish`, async () => {
      const t = await task(id);
      return t.state !== "open" && t;
    });

  beforeAll(async () => {
    c = await startComputeChain({
      blockIntervalMs: BLOCK_MS,
      params: { reveal_blocks: "12", jail_faults: 2, max_attempts: 3 },
    });
    // Inputs: three synthetic bitewings, and the honest answers the test knows for canaries.
    const pipeline = await CariesPipeline.open();
    for (const [i, seed] of [101, 102, 103].entries()) {
      const bytes = await benchmarkInput(seed);
      expected.set(`bw-${i + 1}`, resultSha256(await analyzeCanonical(pipeline, bytes)));
      await c.addRecord(`bw-${i + 1}`, bytes);
    }
    await pipeline.close();
    for (const [i, op] of c.operators.entries()) await c.send(op, [registerCpuNode(c.workers[i]!)]);
    void (async () => {
      while (granting) {
        await grantLoop().catch(() => undefined);
        await new Promise((r) => setTimeout(r, BLOCK_MS));
      }
    })();
  }, 60_000);

  afterAll(async () => {
    granting = false;
    for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
    await c?.close();
    rmSync(stateRoot, { recursive: true, force: true });
  });

  it("benchmarks, verifies by majority, catches the cheat by canary, re-assigns the missed slot, keeps an owed reveal across a restart", async () => {
    const started = Date.now();
    const [honest, wrong, flaky] = c.workers as [Signer, Signer, Signer];
    const [opHonest, , opFlaky] = c.operators as [Signer, Signer, Signer];
    spawnWorker(honest, "honest");
    spawnWorker(wrong, "wrong");
    let flakyProc = spawnWorker(flaky, "honest");

    // 1. Every worker answers its benchmark from the seeds alone and starts beating.
    for (const w of c.workers) {
      await c
        .waitFor(
          `${w.address} active`,
          async () => {
            const n = await node(w);
            return n.status === "active" && n.heartbeats.length > 0;
          },
          400,
        )
        .catch((e) => {
          throw new Error(`${e.message}\n${output.join("")}`);
        });
    }
    const timings: Record<string, number> = { active: Date.now() - started };

    // 2. Replication 3: the two honest answers outvote the wrong one, which is slashed.
    const replicated = await submitTask(["bw-1"], 3, 40);
    const t1 = await finished(replicated);
    timings.replicated = Date.now() - started;
    expect(t1.state).toBe("done");
    expect(t1.results).toEqual([toHex(expected.get("bw-1")!)]);
    const byNode = Object.fromEntries(t1.slots.map((s: Json) => [s.node, s.state]));
    expect(byNode).toEqual({
      [honest.address]: "verified",
      [wrong.address]: "wrong",
      [flaky.address]: "verified",
    });
    const cheat = await node(wrong);
    expect(BigInt(cheat.record.wrong)).toBe(1n);
    expect(BigInt(cheat.record.slashed)).toBeGreaterThan(0n);
    // The requester reads a verified replica's result through the gateway.
    const verified = t1.slots.find((s: Json) => s.node === honest.address);
    const resultPath = `/v1/blobs/${verified.result_blob}?task=${replicated}`;
    const res = await fetch(`${c.url}${resultPath}`, {
      headers: signedRequestHeaders(c.requester, "GET", resultPath),
    });
    expect(res.status).toBe(200);
    const canonical = openResult(
      new Uint8Array(await res.arrayBuffer()),
      encryptionKeyFromSeed(c.requester.seed),
    );
    expect(toHex(resultSha256(canonical))).toBe(toHex(expected.get("bw-1")!));
    // Anyone else is refused (and audited), even a node of the task.
    const other = await fetch(`${c.url}${resultPath}`, {
      headers: signedRequestHeaders(honest, "GET", resultPath),
    });
    expect(other.status).toBe(403);
    expect(((await other.json()) as Json).details.code).toBe("NOT_REQUESTER");

    // 3. A canary only the cheat can take (the others paused): it "wins" its own vote, but the
    // auditor's sealed answer catches it; the second fault jails it.
    await c.send(opHonest, [computeMsg.nodeAction("pause", honest.address)]);
    await c.send(opFlaky, [computeMsg.nodeAction("pause", flaky.address)]);
    const salt = randomBytes(32);
    const canary = await submitTask(
      ["bw-2"],
      1,
      40,
      auditSeal(c.auditor.address, [expected.get("bw-2")!], salt),
    );
    const t2 = await finished(canary);
    expect(t2.slots[0].node).toBe(wrong.address);
    await c.send(c.auditor, [
      computeMsg.openAudit({ taskId: BigInt(canary), expectedSha256: [expected.get("bw-2")!], salt }),
    ]);
    const caught = await node(wrong);
    expect(BigInt(caught.record.wrong)).toBe(2n);
    expect(caught.status).toBe("jailed");
    expect((await c.query<Json>("assignments", { worker: wrong.address })).assignments).toEqual([]);
    timings.canary = Date.now() - started;

    // 4. The flaky worker restarts in a mode that dies after its first commit: its slot misses the
    // reveal deadline and goes to the honest worker, which completes it.
    flakyProc.kill("SIGTERM");
    await new Promise((r) => flakyProc.once("exit", r));
    flakyProc = spawnWorker(flaky, "offline");
    await c.send(opFlaky, [computeMsg.nodeAction("resume", flaky.address)]);
    const missed = await submitTask(["bw-3"], 1, 30);
    await c.waitFor(
      "the flaky worker's commit",
      async () => (await task(missed)).slots[0].state === "committed",
    );
    await c.send(opHonest, [computeMsg.nodeAction("resume", honest.address)]);
    const t3 = await finished(missed);
    timings.reassigned = Date.now() - started;
    expect(flakyProc.exitCode).toBe(0);
    expect(t3.state).toBe("done");
    expect(t3.slots[0]).toMatchObject({
      node: honest.address,
      state: "verified",
      missed_by: [flaky.address],
    });
    expect(t3.results).toEqual([toHex(expected.get("bw-3")!)]);
    expect(BigInt((await node(flaky)).record.missed)).toBe(1n);

    // 5. A restart loses no owed reveal: the flaky worker dies right after committing, comes back
    // honest with the same state directory, and reveals from disk before the deadline.
    await c.send(opHonest, [computeMsg.nodeAction("pause", honest.address)]);
    flakyProc = spawnWorker(flaky, "offline");
    const restarted = await submitTask(["bw-1"], 1, 80);
    await c.waitFor(
      "the flaky worker's commit before its restart",
      async () => (await task(restarted)).slots[0].state === "committed",
    );
    if (flakyProc.exitCode === null) await new Promise((r) => flakyProc.once("exit", r));
    flakyProc = spawnWorker(flaky, "honest");
    const t4 = await finished(restarted);
    expect(t4.slots[0]).toMatchObject({ node: flaky.address, state: "verified", missed_by: [] });
    expect(t4.results).toEqual([toHex(expected.get("bw-1")!)]);
    await c.send(opHonest, [computeMsg.nodeAction("resume", honest.address)]);
    timings.restarted = Date.now() - started;

    // 6. Conservation. Each task's escrow went out as payouts (price per verified slot) plus refunds;
    // nothing is left in escrow, which now holds exactly the bonds; slashes are in the reward pool.
    for (const t of [t1, t2, t3, t4]) {
      const escrowIn = MAX_FEE * BigInt(t.slots.length);
      const payouts = t.slots.reduce((sum: bigint, s: Json) => sum + BigInt(s.paid), 0n);
      const verifiedSlots = t.slots.filter((s: Json) => s.state === "verified" || s.paid !== "0").length;
      expect(payouts).toBe(PRICE * BigInt(verifiedSlots));
      expect(BigInt(t.escrow)).toBe(0n);
      expect(escrowIn - payouts).toBeGreaterThanOrEqual(0n); // the refund
    }
    const nodes = await Promise.all(c.workers.map(node));
    const bonds = nodes.reduce((s, n) => s + BigInt(n.bond), 0n);
    const slashed = nodes.reduce((s, n) => s + BigInt(n.record.slashed), 0n);
    expect(bonds + slashed).toBe(3n * 1_000_000n);
    const pool = await c.query<Json>("pool");
    expect(pool.escrow_account).toBe(COMPUTE_ESCROW);
    expect(BigInt(pool.escrow_balance)).toBe(bonds);
    expect(pool.reward_pool).toBe(REWARD_POOL);
    expect(BigInt(pool.reward_pool_balance)).toBe(slashed);
    const earned = nodes.reduce((s, n) => s + BigInt(n.record.earned), 0n);
    const paid = [t1, t2, t3, t4]
      .flatMap((t) => t.slots)
      .reduce((s: bigint, x: Json) => s + BigInt(x.paid), 0n);
    expect(earned).toBe(paid);
    expect(c.node.ledger.app.compute.keeper.owed(c.node.ledger.committed)).toBe(bonds);
    console.log(`compute e2e timings (ms since workers spawned): ${JSON.stringify(timings)}`);
  }, 120_000);
});
