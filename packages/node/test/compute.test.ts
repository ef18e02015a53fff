// The compute module through signed transactions on a real ledger (LMDB): node registration and
// benchmarks, tasks with escrow, scheduling by residency, commit/reveal with a majority, missed
// deadlines and re-assignment, canary audits, epoch rewards, and what bad input gets.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, type Msg, type Signer } from "@btt/core";
import { auditSeal, COMPUTE_ESCROW, computeMsg, REWARD_POOL, resultCommitment } from "@btt/modules";
import { afterAll, describe, expect, it } from "vitest";
import { mergedResult } from "../../modules/src/compute/tasks.ts";
import { benchmarkAnswers, computeChain, GPU, hash, hex } from "./compute-harness.ts";

describe("compute module on a ledger", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-compute-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("registers nodes, benchmarks them, and refuses what is not allowed", () => {
    const { ok, block, query, register, accounts, eventsOf } = computeChain(dir);
    const { opA, opD, wA, wD, poor } = accounts;
    // No credential, impossible hardware, a bond below the minimum: refused, nothing changed.
    const refused = block(
      [poor!, [register(wD!)]],
      [opA!, [register(wA!, "CN", { ...GPU, tflopsMilli: 50_000_000n })]],
    );
    expect(refused.txs.map((t) => t.code)).toEqual([ErrorCode.UNAUTHORIZED, ErrorCode.INVALID_MESSAGE]);
    expect(refused.txs[1]!.log).toMatch(/implausible hardware/);
    expect(() => query("node", { worker: wA!.address })).toThrow(/not a registered compute node/);
    // A credential for CN does not cover a node in DE.
    expect(block([opA!, [register(wA!, "DE")]]).txs[0]!.code).toBe(ErrorCode.UNAUTHORIZED);

    ok([opA!, [register(wA!)]]);
    expect(query("node", { worker: wA!.address })).toMatchObject({
      status: "benchmarking",
      declared_tier: 2,
    });
    const bench = query("benchmark", { worker: wA!.address }) as { seeds: number[] };
    expect(bench.seeds.length).toBeGreaterThanOrEqual(2);
    // A heartbeat from an unregistered key is refused.
    expect(block([wD!, [computeMsg.heartbeat()]]).txs[0]!.code).toBe(ErrorCode.NOT_FOUND);
    // Wrong answers: a fault and a fresh benchmark.
    ok([wA!, [computeMsg.submitBenchmark(bench.seeds.map(() => hash("wrong")))]]);
    expect(eventsOf("compute/benchmark_failed")).toHaveLength(1);
    const again = query("benchmark", { worker: wA!.address }) as { seeds: number[] };
    ok([wA!, [computeMsg.submitBenchmark(benchmarkAnswers(again.seeds))]]);
    expect(query("node", { worker: wA!.address })).toMatchObject({ status: "active", tier: 2 });

    // A node that takes far longer than its declaration allows is demoted.
    ok([opD!, [register(wD!, "DE")]]);
    const slow = query("benchmark", { worker: wD!.address }) as { seeds: number[] };
    for (let i = 0; i < 30; i++) block();
    ok([wD!, [computeMsg.submitBenchmark(benchmarkAnswers(slow.seeds))]]);
    expect(eventsOf("compute/demoted")).toHaveLength(1);
    const demoted = query("node", { worker: wD!.address }) as { tier: number; measured_tflops_milli: string };
    expect(demoted.tier).toBe(0);
    expect(BigInt(demoted.measured_tflops_milli)).toBeLessThan(GPU.tflopsMilli);

    // Operator actions: only the operator; pause/resume; unbond then withdraw after the period.
    expect(block([opD!, [computeMsg.nodeAction("pause", wA!.address)]]).txs[0]!.code).toBe(
      ErrorCode.UNAUTHORIZED,
    );
    ok([opA!, [computeMsg.nodeAction("pause", wA!.address)]]);
    expect(query("node", { worker: wA!.address })).toMatchObject({ status: "paused" });
    ok([opA!, [computeMsg.nodeAction("resume", wA!.address)]]);
    ok([opA!, [computeMsg.nodeAction("unbond", wA!.address)]]);
    expect(block([opA!, [computeMsg.nodeAction("withdraw", wA!.address)]]).txs[0]!.log).toMatch(/matures at/);
  });

  it("runs tasks end to end: escrow, residency, majority, missed deadlines, canaries, rewards, conservation", () => {
    const { ok, block, query, register, accounts, eventsOf, balance, node, feesOf } = computeChain(dir);
    const { patient, auditor, opA, opB, opC, opD, wA, wB, wC, wD } = accounts;
    const workers = [wA!, wB!, wC!, wD!];
    ok(
      [opA!, [register(wA!)]],
      [opB!, [register(wB!)]],
      [opC!, [register(wC!)]],
      [opD!, [register(wD!, "DE")]],
    );
    for (const w of workers) {
      const b = query("benchmark", { worker: w.address }) as { seeds: number[] };
      ok([w, [computeMsg.submitBenchmark(benchmarkAnswers(b.seeds)), computeMsg.heartbeat()]]);
    }
    const escrowBefore = balance(COMPUTE_ESCROW);
    const patientBefore = balance(patient!.address);
    const patientFeesBefore = feesOf(patient!.address);
    const poolBefore = balance(REWARD_POOL);

    // Bad tasks: unknown model, no funds, a past deadline, another patient's record without consent.
    const task = (over: Partial<Parameters<typeof computeMsg.submitTask>[0]> = {}) =>
      computeMsg.submitTask({
        modelId: "btt.test.caries",
        inputRecordIds: ["xray-1"],
        deadlineBlocks: 6,
        maxFee: 5000n,
        replication: 3,
        seal: randomBytes(32),
        ...over,
      });
    const bad = block(
      [patient!, [task({ modelId: "btt.unknown" })]],
      [patient!, [task({ maxFee: 10n ** 15n })]],
      [patient!, [task({ deadlineBlocks: 0 })]],
      [opA!, [task()]],
    );
    expect(bad.txs.map((t) => t.code)).toEqual([
      ErrorCode.NOT_FOUND,
      ErrorCode.INSUFFICIENT_FUNDS,
      ErrorCode.DEADLINE_PASSED,
      ErrorCode.UNAUTHORIZED,
    ]);
    expect(balance(COMPUTE_ESCROW)).toBe(escrowBefore);

    // Task 1: replication 3 on CN imaging. The DE node never gets CN data.
    const submitted = ok([patient!, [task()]]);
    const taskId = eventsOf("compute/task_submitted").at(-1)!.task!;
    expect(submitted.endBlockEvents.filter((e) => e.type === "compute/assigned")).toHaveLength(3);
    const assigned = eventsOf("compute/assigned").filter((a) => a.task === taskId);
    expect(assigned.map((a) => a.node).sort()).toEqual([wA!.address, wB!.address, wC!.address].sort());
    expect(assigned.some((a) => a.node === wD!.address)).toBe(false);

    // Every replica commits; wC's answer differs.
    const salt = (w: Signer) => hash(`salt-${w.address}`);
    const answer = (w: Signer) => (w === wC ? hash("wrong") : hash("right"));
    const slotOf = (w: Signer) => assigned.find((a) => a.node === w.address)!;
    const commit = (w: Signer) => {
      const a = slotOf(w);
      return computeMsg.commitResult({
        taskId: BigInt(taskId),
        shard: Number(a.shard),
        replica: Number(a.replica),
        commitment: Buffer.from(
          resultCommitment(BigInt(taskId), Number(a.shard), Number(a.replica), w.address, answer(w), salt(w)),
          "hex",
        ),
      });
    };
    const reveal = (w: Signer, sha = answer(w)) => {
      const a = slotOf(w);
      return computeMsg.revealResult({
        taskId: BigInt(taskId),
        shard: Number(a.shard),
        replica: Number(a.replica),
        resultSha256: sha,
        salt: salt(w),
      });
    };
    ok([wA!, [commit(wA!)]]);
    // Revealing before every replica committed would let others copy: refused.
    expect(block([wA!, [reveal(wA!)]]).txs[0]!.code).toBe(ErrorCode.NOT_READY);
    ok([wB!, [commit(wB!)]], [wC!, [commit(wC!)]]);
    // A reveal that does not open its commitment is refused; another node cannot reveal a slot.
    const mismatch = block([wA!, [reveal(wA!, hash("other"))]], [wD!, [reveal(wA!)]]);
    expect(mismatch.txs.map((t) => t.code)).toEqual([ErrorCode.COMMITMENT_MISMATCH, ErrorCode.UNAUTHORIZED]);
    ok([wA!, [reveal(wA!)]], [wB!, [reveal(wB!)]], [wC!, [reveal(wC!)]]);
    const settled = query("task", { id: taskId }) as {
      state: string;
      results: string[];
      escrow: string;
      result_root: string;
    };
    expect(settled).toMatchObject({ state: "done", results: [hex(hash("right"))], escrow: "0" });
    expect(settled.result_root).toBe(mergedResult([hex(hash("right"))]));
    expect(eventsOf("compute/wrong_result")).toEqual([expect.objectContaining({ node: wC!.address })]);
    const cNode = query("node", { worker: wC!.address }) as { bond: string; record: { wrong: string } };
    expect(cNode.record.wrong).toBe("1");
    expect(BigInt(cNode.bond)).toBeLessThan(1_000_000n);
    // The honest operators got their price; the requester got the rest of the escrow back.
    expect((query("node", { worker: wA!.address }) as { record: { earned: string } }).record.earned).toBe(
      "1000",
    );

    // Task 2: a single replica whose node goes offline: missed, re-assigned, completed by another.
    ok([patient!, [task({ inputRecordIds: ["xray-2"], replication: 1, deadlineBlocks: 3 })]]);
    const t2 = eventsOf("compute/task_submitted").at(-1)!.task!;
    const first = eventsOf("compute/assigned").filter((a) => a.task === t2)[0]!;
    // The others keep sending heartbeats (availability); the first node stays silent.
    const alive = workers.filter((w) => w.address !== first.node);
    const tick = () => ok(...alive.map((w) => [w, [computeMsg.heartbeat()]] as [Signer, Msg[]]));
    for (let i = 0; i < 4; i++) tick();
    expect(eventsOf("compute/missed")).toEqual([expect.objectContaining({ task: t2, node: first.node })]);
    const second = eventsOf("compute/assigned").filter((a) => a.task === t2)[1]!;
    expect(second.node).not.toBe(first.node);
    const w2 = workers.find((w) => w.address === second.node)!;
    const c2 = resultCommitment(BigInt(t2), 0, 0, w2.address, hash("right-2"), salt(w2));
    ok([
      w2,
      [
        computeMsg.commitResult({
          taskId: BigInt(t2),
          shard: 0,
          replica: 0,
          commitment: Buffer.from(c2, "hex"),
        }),
      ],
    ]);
    ok([
      w2,
      [
        computeMsg.revealResult({
          taskId: BigInt(t2),
          shard: 0,
          replica: 0,
          resultSha256: hash("right-2"),
          salt: salt(w2),
        }),
      ],
    ]);
    expect(query("task", { id: t2 })).toMatchObject({ state: "done" });

    // Task 3: a canary sealed by the auditor; the node answers wrongly and the opening slashes it.
    const expected = [hash("canary-truth")];
    const canarySalt = randomBytes(32);
    const seal = Buffer.from(auditSeal(auditor!.address, expected, canarySalt), "hex");
    ok([patient!, [task({ inputRecordIds: ["xray-3"], replication: 1, seal })]]);
    const t3 = eventsOf("compute/task_submitted").at(-1)!.task!;
    const a3 = eventsOf("compute/assigned").filter((a) => a.task === t3)[0]!;
    const w3 = workers.find((w) => w.address === a3.node)!;
    const c3 = resultCommitment(BigInt(t3), 0, 0, w3.address, hash("lazy"), salt(w3));
    ok([
      w3,
      [
        computeMsg.commitResult({
          taskId: BigInt(t3),
          shard: 0,
          replica: 0,
          commitment: Buffer.from(c3, "hex"),
        }),
      ],
    ]);
    ok([
      w3,
      [
        computeMsg.revealResult({
          taskId: BigInt(t3),
          shard: 0,
          replica: 0,
          resultSha256: hash("lazy"),
          salt: salt(w3),
        }),
      ],
    ]);
    // Only an auditor opens, and only with the sealed answer.
    const wrongOpen = block(
      [patient!, [computeMsg.openAudit({ taskId: BigInt(t3), expectedSha256: expected, salt: canarySalt })]],
      [
        auditor!,
        [computeMsg.openAudit({ taskId: BigInt(t3), expectedSha256: [hash("x")], salt: canarySalt })],
      ],
    );
    expect(wrongOpen.txs.map((t) => t.code)).toEqual([ErrorCode.UNAUTHORIZED, ErrorCode.COMMITMENT_MISMATCH]);
    ok([
      auditor!,
      [computeMsg.openAudit({ taskId: BigInt(t3), expectedSha256: expected, salt: canarySalt })],
    ]);
    expect(eventsOf("compute/audit_failed")).toEqual([
      expect.objectContaining({ task: t3, node: w3.address }),
    ]);

    // Epoch end: the reward pool pays the nodes with verified work.
    while (BigInt(node.height) % 40n !== 0n) block();
    const rewards = eventsOf("compute/reward");
    expect(rewards.length).toBeGreaterThan(0);
    expect(rewards.every((r) => BigInt(r.amount!) > 0n)).toBe(true);
    const paidRewards = rewards.reduce((s, r) => s + BigInt(r.amount!), 0n);

    // Conservation: escrow in = payouts + refunds; slashes moved from bonds to the pool.
    const escrowIn = eventsOf("compute/task_submitted").reduce((s, e) => s + BigInt(e.escrow!), 0n);
    const tasks = (query("tasks") as { tasks: Array<{ slots: Array<{ paid: string }>; escrow: string }> })
      .tasks;
    const payouts = tasks.flatMap((t) => t.slots).reduce((s, slot) => s + BigInt(slot.paid), 0n);
    const slashed = eventsOf("compute/slashed").reduce((s, e) => s + BigInt(e.amount!), 0n);
    const refunds = escrowIn - payouts;
    expect(refunds).toBeGreaterThan(0n);
    const fees = feesOf(patient!.address) - patientFeesBefore;
    expect(balance(patient!.address)).toBe(patientBefore - escrowIn + refunds - fees);
    expect(balance(REWARD_POOL)).toBe(poolBefore + slashed - paidRewards);
    expect(balance(COMPUTE_ESCROW)).toBe(escrowBefore - slashed);
    for (const inv of node.ledger.app.compute.invariants ?? [])
      expect(inv.check(node.ledger.committed)).toBeUndefined();
  });
});
