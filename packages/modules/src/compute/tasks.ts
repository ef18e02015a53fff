// A task's life: submission with escrow, input keys for the assigned nodes, commit and reveal,
// settlement of each shard by majority, deadlines, and the auditors' canary openings.
import { BttError, fromHex, sha256, toHex, utf8 } from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import { join } from "../staking/keys.ts";
import { auditSeal, resultCommitment } from "./commitment.ts";
import { COMPUTE_ESCROW, type ComputeKeeper } from "./keeper.ts";
import type { ComputeNode, Slot, Task, Urgency } from "./types.ts";

export interface TaskDraft {
  modelId: string;
  modelVersion: string;
  inputs: string[];
  urgency: Urgency;
  deadlineBlocks: bigint;
  maxFee: bigint;
  replication: number;
  minTier: number;
  seal: string;
}

const slotName = (t: Task, s: Slot) => `task ${t.id} shard ${s.shard} replica ${s.replica}`;

export function submitTask(keeper: ComputeKeeper, ctx: Context, requester: string, d: TaskDraft): Task {
  const { kv, block } = ctx;
  const p = keeper.readParams(kv);
  if (d.replication > p.maxReplication) {
    throw new BttError("INVALID_MESSAGE", `replication is above the maximum ${p.maxReplication}`);
  }
  if (d.inputs.length > p.maxShards) {
    throw new BttError("INVALID_MESSAGE", `a task has at most ${p.maxShards} inputs`);
  }
  if (d.deadlineBlocks > BigInt(p.maxDeadlineBlocks)) {
    throw new BttError("INVALID_MESSAGE", `deadline_blocks is above the maximum ${p.maxDeadlineBlocks}`);
  }
  const version = keeper.deps.ai.resolve(kv, d.modelId, d.modelVersion || undefined);
  if (version.status !== "active") {
    throw new BttError("CONFLICT", `model ${d.modelId} ${version.version} is deprecated`, {
      model_id: d.modelId,
      reason: "model_deprecated",
    });
  }
  let dataClass = "";
  let jurisdiction = "";
  for (const id of d.inputs) {
    const record = keeper.deps.records.record(kv, id);
    if (!record) throw new BttError("NOT_FOUND", `no record ${id}`, { record: id });
    if (dataClass === "") {
      dataClass = record.dataClass;
      jurisdiction = record.jurisdiction;
    } else if (record.dataClass !== dataClass || record.jurisdiction !== jurisdiction) {
      throw new BttError(
        "INVALID_MESSAGE",
        "every input of a task must share one data class and jurisdiction",
        {
          record: id,
        },
      );
    }
    if (record.owner !== requester) {
      const decision = keeper.deps.consent.accessDecision(kv, {
        grantee: requester,
        patient: record.owner,
        dataClass: record.dataClass,
        purpose: "treatment",
        recordId: id,
        atMs: block.timeMs,
      });
      if (!decision.allowed) {
        throw new BttError("UNAUTHORIZED", `no consent to process record ${id}: ${decision.reason.detail}`, {
          record: id,
          code: decision.reason.code,
          rule: decision.reason.rule,
        });
      }
    }
  }
  const slotCount = BigInt(d.inputs.length * d.replication);
  const escrow = d.maxFee * slotCount;
  keeper.pay(ctx, requester, COMPUTE_ESCROW, escrow);
  const slots: Slot[] = [];
  for (let shard = 0; shard < d.inputs.length; shard++) {
    for (let replica = 0; replica < d.replication; replica++) {
      slots.push({ shard, replica, state: "pending", missedBy: [], paid: 0n });
    }
  }
  const task: Task = {
    id: keeper.takeTaskId(kv),
    requester,
    modelId: d.modelId,
    modelVersion: version.version,
    inputs: d.inputs,
    dataClass,
    jurisdiction,
    urgency: d.urgency,
    deadlineBlocks: d.deadlineBlocks,
    maxFee: d.maxFee,
    replication: d.replication,
    minTier: d.minTier,
    seal: d.seal,
    submittedHeight: block.height,
    state: "open",
    slots,
    results: d.inputs.map(() => ""),
    escrow,
    audited: false,
  };
  keeper.setTask(kv, task);
  ctx.emit(
    ledgerEvent("compute/task_submitted", {
      task: task.id.toString(),
      requester,
      model_id: task.modelId,
      model_version: task.modelVersion,
      urgency: task.urgency,
      shards: d.inputs.length.toString(),
      replication: d.replication.toString(),
      escrow: escrow.toString(),
    }),
  );
  return task;
}

function requireSlot(task: Task, shard: number, replica: number): Slot {
  const slot = task.slots.find((s) => s.shard === shard && s.replica === replica);
  if (!slot) {
    throw new BttError("NOT_FOUND", `task ${task.id} has no shard ${shard} replica ${replica}`, {
      task_id: task.id.toString(),
    });
  }
  return slot;
}

function heldBy(task: Task, slot: Slot, worker: string): void {
  if (slot.node !== worker) {
    throw new BttError("UNAUTHORIZED", `${slotName(task, slot)} is not assigned to ${worker}`, {
      task_id: task.id.toString(),
    });
  }
}

export function grantInput(
  keeper: ComputeKeeper,
  ctx: Context,
  sender: string,
  taskId: bigint,
  shard: number,
  replica: number,
  key: { ephemeralPublicKey: string; wrappedKey: string; nonce: string },
): void {
  const task = keeper.requireTask(ctx.kv, taskId);
  if (task.requester !== sender) {
    throw new BttError("UNAUTHORIZED", `only task ${taskId}'s requester grants its inputs`, {
      requester: task.requester,
    });
  }
  const slot = requireSlot(task, shard, replica);
  if (slot.state !== "assigned" && slot.state !== "committed") {
    throw new BttError("CONFLICT", `${slotName(task, slot)} is ${slot.state}, not assigned`);
  }
  slot.inputKey = key;
  keeper.setTask(ctx.kv, task);
  ctx.emit(
    ledgerEvent("compute/input_granted", {
      task: taskId.toString(),
      shard: shard.toString(),
      replica: replica.toString(),
      node: slot.node!,
    }),
  );
}

export function commitResult(
  keeper: ComputeKeeper,
  ctx: Context,
  worker: string,
  taskId: bigint,
  shard: number,
  replica: number,
  commitment: string,
): void {
  const { kv, block } = ctx;
  const task = keeper.requireTask(kv, taskId);
  const slot = requireSlot(task, shard, replica);
  heldBy(task, slot, worker);
  if (slot.state !== "assigned") throw new BttError("CONFLICT", `${slotName(task, slot)} is ${slot.state}`);
  if (block.height > slot.deadlineHeight!) {
    throw new BttError("DEADLINE_PASSED", `${slotName(task, slot)} was due by height ${slot.deadlineHeight}`);
  }
  slot.state = "committed";
  slot.commitment = commitment;
  ctx.emit(
    ledgerEvent("compute/committed", {
      task: taskId.toString(),
      shard: shard.toString(),
      replica: replica.toString(),
      node: worker,
    }),
  );
  // Once every replica has committed, reveals open: each committed replica gets reveal_blocks.
  const shardSlots = task.slots.filter((s) => s.shard === shard);
  if (shardSlots.every((s) => s.state === "committed" || s.state === "failed")) {
    const p = keeper.readParams(kv);
    const until = block.height + p.revealBlocks;
    for (const s of shardSlots) {
      if (s.state === "committed" && s.deadlineHeight! < until) s.deadlineHeight = until;
    }
    ctx.emit(ledgerEvent("compute/reveal_open", { task: taskId.toString(), shard: shard.toString() }));
  }
  keeper.setTask(kv, task);
}

export function revealResult(
  keeper: ComputeKeeper,
  ctx: Context,
  worker: string,
  taskId: bigint,
  shard: number,
  replica: number,
  result: { resultSha256: Uint8Array; salt: Uint8Array; resultBlob: string },
): void {
  const { kv, block } = ctx;
  const task = keeper.requireTask(kv, taskId);
  const slot = requireSlot(task, shard, replica);
  heldBy(task, slot, worker);
  if (slot.state !== "committed") {
    throw new BttError("CONFLICT", `${slotName(task, slot)} is ${slot.state}; commit before revealing`);
  }
  if (block.height > slot.deadlineHeight!) {
    throw new BttError("DEADLINE_PASSED", `${slotName(task, slot)} was due by height ${slot.deadlineHeight}`);
  }
  const waiting = task.slots.filter(
    (s) => s.shard === shard && (s.state === "pending" || s.state === "assigned"),
  );
  if (waiting.length > 0) {
    throw new BttError(
      "NOT_READY",
      `shard ${shard} of task ${taskId} waits for ${waiting.length} replica(s) to commit`,
    );
  }
  const opened = resultCommitment(taskId, shard, replica, worker, result.resultSha256, result.salt);
  if (opened !== slot.commitment) {
    throw new BttError(
      "COMMITMENT_MISMATCH",
      `the reveal does not match the commitment of ${slotName(task, slot)}`,
    );
  }
  slot.state = "revealed";
  slot.resultSha256 = Buffer.from(result.resultSha256).toString("hex");
  slot.resultBlob = result.resultBlob;
  ctx.emit(
    ledgerEvent("compute/revealed", {
      task: taskId.toString(),
      shard: shard.toString(),
      replica: replica.toString(),
      node: worker,
    }),
  );
  settleShard(keeper, ctx, task, shard);
  keeper.setTask(kv, task);
}

/** Releases a slot's escrow: `price` to the node's operator, the rest back to the requester. */
function release(keeper: ComputeKeeper, ctx: Context, task: Task, slot: Slot, node?: ComputeNode): void {
  const price = node ? node.price : 0n;
  if (node) {
    keeper.pay(ctx, COMPUTE_ESCROW, node.operator, price);
    node.record.earned += price;
    slot.paid = price;
  }
  keeper.pay(ctx, COMPUTE_ESCROW, task.requester, task.maxFee - price);
  task.escrow -= task.maxFee;
}

function freeSlot(node: ComputeNode): void {
  if (node.load > 0) node.load -= 1;
}

/**
 * Settles a shard once no slot of it is still running: the hash more than half of the replicas
 * revealed wins; its slots are paid, the others are slashed as wrong. Without a majority the
 * shard fails (disputed) and nobody is paid or slashed. Stores every node it changes.
 */
export function settleShard(keeper: ComputeKeeper, ctx: Context, task: Task, shard: number): void {
  const slots = task.slots.filter((s) => s.shard === shard);
  if (slots.some((s) => s.state === "pending" || s.state === "assigned" || s.state === "committed")) return;
  // Settled before (its slots were judged): nothing more to do.
  if (slots.some((s) => s.state === "verified" || s.state === "wrong")) return;
  const revealed = slots.filter((s) => s.state === "revealed");
  if (revealed.length === 0) {
    // Every slot failed (missed all its attempts): the shard has no result.
    ctx.emit(
      ledgerEvent("compute/shard_failed", {
        task: task.id.toString(),
        shard: shard.toString(),
        result_sha256: "",
        reason: "no_result",
      }),
    );
    finishIfSettled(ctx, task);
    return;
  }
  const counts = new Map<string, number>();
  for (const s of revealed) counts.set(s.resultSha256!, (counts.get(s.resultSha256!) ?? 0) + 1);
  let winner: string | undefined;
  for (const [hash, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (n * 2 > task.replication) winner = hash;
  }
  const p = keeper.readParams(ctx.kv);
  for (const s of revealed) {
    const node = keeper.node(ctx.kv, s.node!);
    if (node) freeSlot(node);
    if (winner === undefined) {
      s.state = "failed";
      release(keeper, ctx, task, s);
    } else if (s.resultSha256 === winner) {
      s.state = "verified";
      release(keeper, ctx, task, s, node);
      if (node) {
        node.record.successful += 1n;
        node.epoch.successful += 1n;
        node.epoch.total += 1n;
        if (node.jurisdiction === task.jurisdiction) {
          node.record.local += 1n;
          node.epoch.local += 1n;
        }
      }
    } else {
      s.state = "wrong";
      release(keeper, ctx, task, s);
      if (node) {
        node.record.wrong += 1n;
        node.epoch.total += 1n;
        keeper.penalise(ctx, node, p.wrongSlashPpm, "outvoted", task.id);
      }
      ctx.emit(
        ledgerEvent("compute/wrong_result", {
          task: task.id.toString(),
          shard: shard.toString(),
          node: s.node!,
        }),
      );
    }
    if (node) keeper.setNode(ctx.kv, node);
  }
  task.results[shard] = winner ?? "";
  ctx.emit(
    ledgerEvent(winner === undefined ? "compute/shard_failed" : "compute/shard_verified", {
      task: task.id.toString(),
      shard: shard.toString(),
      result_sha256: winner ?? "",
      reason: winner === undefined ? "no_majority" : "majority",
    }),
  );
  finishIfSettled(ctx, task);
}

/** The merged result of a task's shards: one hash a requester (or a FHIR report) can cite. */
export function mergedResult(results: readonly string[]): string {
  return toHex(sha256(join(utf8.encode("btt/compute/result-root/v1"), ...results.map((r) => fromHex(r)))));
}

function finishIfSettled(ctx: Context, task: Task): void {
  if (task.state !== "open") return;
  if (task.slots.some((s) => s.state !== "verified" && s.state !== "wrong" && s.state !== "failed")) return;
  task.state = task.results.every((r) => r !== "") ? "done" : "failed";
  if (task.state === "done") task.resultRoot = mergedResult(task.results);
  ctx.emit(
    ledgerEvent("compute/task_finished", {
      task: task.id.toString(),
      requester: task.requester,
      state: task.state,
      results: task.results.join(","),
      result_root: task.resultRoot ?? "",
    }),
  );
}

/**
 * Slots past their deadline: the node missed it (a small slash and a fault). The slot goes back
 * to the scheduler, unless a replica of its shard has revealed already (a newcomer could copy the
 * revealed answer) or it has been tried params.max_attempts times: then it fails and its escrow
 * goes back to the requester.
 */
export function expireSlots(keeper: ComputeKeeper, ctx: Context, task: Task): boolean {
  const h = ctx.block.height;
  const p = keeper.readParams(ctx.kv);
  let changed = false;
  const touched = new Set<number>();
  for (const slot of task.slots) {
    if (slot.state !== "assigned" && slot.state !== "committed") continue;
    if (h <= slot.deadlineHeight!) continue;
    changed = true;
    const late = slot.node!;
    const node = keeper.node(ctx.kv, late);
    if (node) {
      freeSlot(node);
      node.record.missed += 1n;
      node.epoch.total += 1n;
      keeper.penalise(ctx, node, p.missSlashPpm, "missed_deadline", task.id);
      keeper.setNode(ctx.kv, node);
    }
    ctx.emit(
      ledgerEvent("compute/missed", {
        task: task.id.toString(),
        shard: slot.shard.toString(),
        replica: slot.replica.toString(),
        node: late,
      }),
    );
    slot.missedBy.push(late);
    const anyRevealed = task.slots.some((s) => s.shard === slot.shard && s.resultSha256 !== undefined);
    delete slot.node;
    delete slot.commitment;
    delete slot.inputKey;
    delete slot.assignedHeight;
    delete slot.deadlineHeight;
    if (anyRevealed || slot.missedBy.length >= p.maxAttempts) {
      slot.state = "failed";
      release(keeper, ctx, task, slot);
    } else {
      slot.state = "pending";
    }
    touched.add(slot.shard);
  }
  for (const shard of [...touched].sort((a, b) => a - b)) settleShard(keeper, ctx, task, shard);
  return changed;
}

export function openAudit(
  keeper: ComputeKeeper,
  ctx: Context,
  auditor: string,
  taskId: bigint,
  expected: Uint8Array[],
  salt: Uint8Array,
): void {
  const { kv } = ctx;
  const p = keeper.readParams(kv);
  if (!p.auditors.includes(auditor)) {
    throw new BttError("UNAUTHORIZED", `${auditor} is not one of the compute auditors`, {
      reason: "not_auditor",
    });
  }
  const task = keeper.requireTask(kv, taskId);
  if (task.state === "open") throw new BttError("NOT_READY", `task ${taskId} is not settled yet`);
  if (task.audited) throw new BttError("CONFLICT", `task ${taskId} was audited already`);
  if (expected.length !== task.inputs.length) {
    throw new BttError(
      "INVALID_MESSAGE",
      `task ${taskId} has ${task.inputs.length} shard(s), not ${expected.length}`,
    );
  }
  if (auditSeal(auditor, expected, salt) !== task.seal) {
    throw new BttError("COMMITMENT_MISMATCH", `the opening does not match task ${taskId}'s seal`);
  }
  task.audited = true;
  let caught = 0;
  for (const slot of task.slots) {
    if (slot.resultSha256 === undefined) continue;
    const want = Buffer.from(expected[slot.shard]!).toString("hex");
    if (slot.resultSha256 === want) continue;
    caught++;
    const node = keeper.node(kv, slot.node!);
    if (slot.state === "verified") slot.state = "wrong";
    if (node) {
      node.record.wrong += 1n;
      keeper.penalise(ctx, node, p.wrongSlashPpm, "failed_audit", task.id);
      keeper.setNode(kv, node);
    }
    ctx.emit(
      ledgerEvent("compute/audit_failed", {
        task: taskId.toString(),
        shard: slot.shard.toString(),
        node: slot.node!,
      }),
    );
  }
  ctx.emit(
    ledgerEvent("compute/audit_opened", { task: taskId.toString(), auditor, caught: caught.toString() }),
  );
  keeper.setTask(kv, task);
}

/** Hex of 32 bytes, or a clear error. */
export function hex32(bytes: Uint8Array, field: string): string {
  if (bytes.length !== 32) throw new BttError("INVALID_MESSAGE", `${field} must be 32 bytes`, { field });
  return Buffer.from(bytes).toString("hex");
}
