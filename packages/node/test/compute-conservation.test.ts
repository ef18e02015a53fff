// Conservation under random play: tasks of random shape, honest, lying and silent nodes, missed
// deadlines and re-assignments. After every block, the requester's escrow in equals what nodes
// were paid + what came back + what is still escrowed; bonds only shrink by slashes, which land in
// the reward pool; the module's invariant holds.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Msg, Signer } from "@btt/core";
import { COMPUTE_ESCROW, computeMsg, REWARD_POOL, resultCommitment } from "@btt/modules";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { benchmarkAnswers, computeChain, hash } from "./compute-harness.ts";

type Behaviour = "honest" | "liar" | "silent";

interface Assignment {
  task_id: string;
  shard: number;
  replica: number;
  state: string;
  reveal_open: boolean;
}

interface TaskView {
  escrow: string;
  max_fee: string;
  slots: Array<{ state: string; paid: string }>;
}

describe("compute conservation", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-compute-cons-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("escrow in = payouts + refunds + still escrowed, after every block of random play", () => {
    const seen = new Map<string, number>();
    const taskShape = fc.record({
      shards: fc.integer({ min: 1, max: 2 }),
      replication: fc.integer({ min: 1, max: 3 }),
      maxFee: fc.integer({ min: 1000, max: 9000 }),
      deadline: fc.integer({ min: 2, max: 5 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Behaviour>("honest", "honest", "liar", "silent"), {
          minLength: 3,
          maxLength: 3,
        }),
        fc.array(fc.option(taskShape, { freq: 2 }), { minLength: 12, maxLength: 24 }),
        (behaviours, script) => {
          const c = computeChain(dir);
          const { patient, opA, opB, opC, wA, wB, wC } = c.accounts as Record<string, Signer>;
          const workers = [wA!, wB!, wC!];
          c.ok([opA!, [c.register(wA!)]], [opB!, [c.register(wB!)]], [opC!, [c.register(wC!)]]);
          for (const w of workers) {
            const b = c.query("benchmark", { worker: w.address }) as { seeds: number[] };
            c.ok([w, [computeMsg.submitBenchmark(benchmarkAnswers(b.seeds)), computeMsg.heartbeat()]]);
          }
          const patientStart = c.balance(patient!.address);
          const feesStart = c.feesOf(patient!.address);
          const bondsStart = c.balance(COMPUTE_ESCROW);
          const poolStart = c.balance(REWARD_POOL);
          const salt = hash("salt");
          // Pad with quiet blocks so open tasks settle or expire.
          for (const shape of [...script, ...Array(12).fill(null)]) {
            const txs: Array<[Signer, Msg[]]> = [];
            if (shape) {
              txs.push([
                patient!,
                [
                  computeMsg.submitTask({
                    modelId: "btt.test.caries",
                    inputRecordIds: ["xray-1", "xray-2"].slice(0, shape.shards),
                    deadlineBlocks: shape.deadline,
                    maxFee: BigInt(shape.maxFee),
                    replication: shape.replication,
                    seal: hash(`seal-${txs.length}`),
                  }),
                ],
              ]);
            }
            workers.forEach((w, i) => {
              if (behaviours[i] === "silent") return;
              const msgs: Msg[] = [computeMsg.heartbeat()];
              const { assignments } = c.query("assignments", { worker: w.address }) as {
                assignments: Assignment[];
              };
              for (const a of assignments) {
                const taskId = BigInt(a.task_id);
                const answer = behaviours[i] === "liar" ? hash("lie") : hash(`truth-${a.task_id}-${a.shard}`);
                if (a.state === "assigned") {
                  const commitment = resultCommitment(taskId, a.shard, a.replica, w.address, answer, salt);
                  msgs.push(
                    computeMsg.commitResult({
                      taskId,
                      shard: a.shard,
                      replica: a.replica,
                      commitment: Buffer.from(commitment, "hex"),
                    }),
                  );
                } else if (a.reveal_open) {
                  msgs.push(
                    computeMsg.revealResult({
                      taskId,
                      shard: a.shard,
                      replica: a.replica,
                      resultSha256: answer,
                      salt,
                    }),
                  );
                }
              }
              // One message per tx: a refused message (e.g. too late) must not drop the others.
              for (const m of msgs) txs.push([w, [m]]);
            });
            c.block(...txs);

            const tasks = (c.query("tasks", { limit: "1000" }) as { tasks: TaskView[] }).tasks;
            let escrowIn = 0n;
            let paid = 0n;
            let open = 0n;
            for (const t of tasks) {
              const fee = BigInt(t.max_fee);
              escrowIn += fee * BigInt(t.slots.length);
              open += BigInt(t.escrow);
              const unsettled = t.slots.filter((s) =>
                ["pending", "assigned", "committed", "revealed"].includes(s.state),
              );
              expect(BigInt(t.escrow)).toBe(fee * BigInt(unsettled.length));
              for (const s of t.slots) {
                expect(BigInt(s.paid)).toBeLessThanOrEqual(fee);
                paid += BigInt(s.paid);
              }
            }
            const refunds =
              c.balance(patient!.address) -
              (patientStart - escrowIn - (c.feesOf(patient!.address) - feesStart));
            expect(escrowIn).toBe(paid + refunds + open);
            const slashed = c.eventsOf("compute/slashed").reduce((s, e) => s + BigInt(e.amount!), 0n);
            const rewarded = c.eventsOf("compute/reward").reduce((s, e) => s + BigInt(e.amount!), 0n);
            expect(c.balance(COMPUTE_ESCROW)).toBe(bondsStart - slashed + open);
            expect(c.balance(REWARD_POOL)).toBe(poolStart + slashed - rewarded);
            for (const inv of c.node.ledger.app.compute.invariants ?? []) {
              expect(inv.check(c.node.ledger.committed)).toBeUndefined();
            }
          }
          for (const type of ["compute/shard_verified", "compute/wrong_result", "compute/missed"]) {
            seen.set(type, (seen.get(type) ?? 0) + c.eventsOf(type).length);
          }
          void c.node.close();
        },
      ),
      { numRuns: 12, seed: 20261122 },
    );
    // The play reached every path: verified shards, outvoted liars, missed deadlines.
    for (const type of ["compute/shard_verified", "compute/wrong_result", "compute/missed"]) {
      expect(seen.get(type), type).toBeGreaterThan(0);
    }
  }, 120_000);
});
