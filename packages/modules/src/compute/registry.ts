// The node registry: registration with a bond, the capability benchmark, heartbeats, and the
// operator's pause / resume / update / unbond / withdraw / unjail.
import { BttError, sha256 } from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import { confirmTier, isPlausibleHardware, tierOf } from "./efficiency.ts";
import { COMPUTE_ESCROW, type ComputeKeeper, type IssuedBenchmark } from "./keeper.ts";
import type { ComputeParams } from "./params.ts";
import type { ComputeNode, Hardware } from "./types.ts";

export interface NodeDraft {
  worker: string;
  encryptionKey: string;
  hardware: Hardware;
  jurisdiction: string;
  region: string;
  bond: bigint;
  price: bigint;
  capacity: number;
}

export function checkHardware(h: Hardware): void {
  const reason = isPlausibleHardware(h);
  if (reason) {
    throw new BttError("INVALID_MESSAGE", `implausible hardware: ${reason}`, {
      reason: "implausible_hardware",
    });
  }
}

export function registerNode(
  keeper: ComputeKeeper,
  ctx: Context,
  operator: string,
  d: NodeDraft,
): ComputeNode {
  const { kv, block } = ctx;
  const p = keeper.readParams(kv);
  if (keeper.node(kv, d.worker)) {
    throw new BttError("CONFLICT", `${d.worker} is already a registered node`, { worker: d.worker });
  }
  const licensed = keeper.deps.identity.hasValidCredential(kv, operator, "node_operator", {
    atMs: block.timeMs,
    jurisdiction: d.jurisdiction,
  });
  if (!licensed) {
    throw new BttError(
      "UNAUTHORIZED",
      `${operator} holds no valid node_operator credential in ${d.jurisdiction}`,
      {
        operator,
        jurisdiction: d.jurisdiction,
        reason: "not_node_operator",
      },
    );
  }
  checkHardware(d.hardware);
  if (d.bond < p.minBond) {
    throw new BttError("INVALID_AMOUNT", `bond ${d.bond} is below the minimum ${p.minBond}`, {
      reason: "bond_below_minimum",
    });
  }
  keeper.pay(ctx, operator, COMPUTE_ESCROW, d.bond);
  const node: ComputeNode = {
    id: d.worker,
    operator,
    encryptionKey: d.encryptionKey,
    hardware: d.hardware,
    jurisdiction: d.jurisdiction,
    region: d.region,
    bond: d.bond,
    price: d.price,
    capacity: d.capacity,
    load: 0,
    status: "benchmarking",
    declaredTier: tierOf(d.hardware),
    tier: 0,
    measuredTflopsMilli: 0n,
    registeredHeight: block.height,
    heartbeats: [],
    record: {
      assigned: 0n,
      successful: 0n,
      wrong: 0n,
      missed: 0n,
      local: 0n,
      faults: 0,
      earned: 0n,
      rewarded: 0n,
      slashed: 0n,
    },
    epoch: { successful: 0n, total: 0n, local: 0n },
    jailedUntilHeight: 0n,
    unbondingMatureHeight: 0n,
  };
  ctx.emit(
    ledgerEvent("compute/node_registered", {
      node: node.id,
      operator,
      jurisdiction: node.jurisdiction,
      declared_tier: node.declaredTier.toString(),
    }),
  );
  issueBenchmark(keeper, ctx, node, p);
  keeper.setNode(kv, node);
  return node;
}

/**
 * Issues the node its capability benchmark: enough items of the reference suite to keep its
 * declared TFLOPS busy for params.benchmark.target_ms (at least min_items, at most the whole
 * suite), starting at a position drawn from the node and the height. With no suite configured,
 * the declaration is taken as it is.
 */
export function issueBenchmark(
  keeper: ComputeKeeper,
  ctx: Context,
  node: ComputeNode,
  p: ComputeParams,
): void {
  const suite = p.benchmark;
  node.status = "benchmarking";
  if (suite.items.length === 0) {
    confirm(ctx, node, node.hardware.tflopsMilli, false);
    return;
  }
  // milli-TFLOPS × ms = MFLOP (= milli-GFLOP): the work the target time holds at the declared rate.
  const work = node.hardware.tflopsMilli * suite.targetMs;
  const wanted = (work + suite.mgflopPerItem - 1n) / suite.mgflopPerItem;
  const size = BigInt(suite.items.length);
  const count = Math.min(Math.max(Number(wanted < size ? wanted : size), suite.minItems), suite.items.length);
  const draw = sha256(Buffer.from(`btt/compute/benchmark/v1\n${node.id}\n${ctx.block.height}`, "utf8"));
  const start = Buffer.from(draw).readUInt32BE(0) % suite.items.length;
  const items = Array.from({ length: count }, (_, i) => (start + i) % suite.items.length);
  const issued: IssuedBenchmark = { items, issuedHeight: ctx.block.height, issuedMs: ctx.block.timeMs };
  keeper.setBenchmark(ctx.kv, node.id, issued);
  ctx.emit(
    ledgerEvent("compute/benchmark_issued", {
      node: node.id,
      model_id: suite.modelId,
      model_version: suite.modelVersion,
      seeds: items.map((i) => suite.items[i]!.seed).join(","),
    }),
  );
}

function confirm(ctx: Context, node: ComputeNode, measuredTflopsMilli: bigint, demoted: boolean): void {
  node.status = "active";
  ctx.emit(
    ledgerEvent("compute/benchmark_result", {
      node: node.id,
      tier: node.tier.toString(),
      declared_tier: node.declaredTier.toString(),
      measured_tflops_milli: measuredTflopsMilli.toString(),
      demoted: String(demoted),
    }),
  );
}

/**
 * The worker's answers to its benchmark. Every answer must match the suite's; then the node is
 * confirmed at its declared throughput if it finished within the target time (the work it was
 * issued would take at most that long at the declared rate), else it is measured at
 * work / elapsed block time and demoted when that falls short of the declaration.
 */
export function submitBenchmark(
  keeper: ComputeKeeper,
  ctx: Context,
  worker: string,
  answers: string[],
): void {
  const { kv } = ctx;
  const node = keeper.requireNode(kv, worker);
  const issued = keeper.benchmark(kv, worker);
  if (node.status !== "benchmarking" || !issued) {
    throw new BttError("CONFLICT", `node ${worker} has no benchmark outstanding`, { worker });
  }
  const p = keeper.readParams(kv);
  if (answers.length !== issued.items.length) {
    throw new BttError("INVALID_MESSAGE", `expected ${issued.items.length} answers, got ${answers.length}`, {
      expected: issued.items.length,
    });
  }
  const wrong = issued.items.filter((item, i) => p.benchmark.items[item]?.resultSha256 !== answers[i]).length;
  if (wrong > 0) {
    // A wrong benchmark counts as a fault; the node gets a fresh one.
    node.record.faults += 1;
    ctx.emit(ledgerEvent("compute/benchmark_failed", { node: worker, wrong: wrong.toString() }));
    issueBenchmark(keeper, ctx, node, p);
    keeper.setNode(kv, node);
    return;
  }
  const elapsedMs = ctx.block.timeMs - issued.issuedMs > 0n ? ctx.block.timeMs - issued.issuedMs : 1n;
  const work = BigInt(issued.items.length) * p.benchmark.mgflopPerItem;
  const onTime = elapsedMs <= p.benchmark.targetMs;
  const measured = onTime ? node.hardware.tflopsMilli : work / elapsedMs;
  const verdict = confirmTier(node.hardware, measured, p.benchmarkTolerancePpm);
  node.tier = verdict.tier;
  node.measuredTflopsMilli = verdict.effectiveTflopsMilli;
  keeper.setBenchmark(kv, worker, undefined);
  confirm(ctx, node, measured, verdict.demoted);
  if (verdict.demoted) {
    ctx.emit(
      ledgerEvent("compute/demoted", {
        node: worker,
        declared_tflops_milli: node.hardware.tflopsMilli.toString(),
        measured_tflops_milli: measured.toString(),
        tier: node.tier.toString(),
      }),
    );
  }
  keeper.setNode(kv, node);
}

export function heartbeat(keeper: ComputeKeeper, ctx: Context, worker: string): void {
  const node = keeper.node(ctx.kv, worker);
  if (!node) {
    throw new BttError("NOT_FOUND", `heartbeat from ${worker}, which is not a registered node's worker`, {
      worker,
    });
  }
  const h = ctx.block.height;
  const p = keeper.readParams(ctx.kv);
  const from = h - p.availabilityWindowBlocks;
  const kept = node.heartbeats.filter((x) => x > from && x !== h);
  kept.push(h);
  node.heartbeats = kept;
  keeper.setNode(ctx.kv, node);
}

export interface NodeUpdate {
  price?: bigint;
  capacity?: number;
  addBond: bigint;
  hardware?: Hardware;
}

export function updateNode(
  keeper: ComputeKeeper,
  ctx: Context,
  sender: string,
  worker: string,
  u: NodeUpdate,
): void {
  const node = keeper.operatedNode(ctx.kv, sender, worker);
  if (node.status === "unbonding") throw new BttError("CONFLICT", `node ${worker} is unbonding`, { worker });
  if (u.price !== undefined) node.price = u.price;
  if (u.capacity !== undefined) node.capacity = u.capacity;
  if (u.addBond > 0n) {
    keeper.pay(ctx, sender, COMPUTE_ESCROW, u.addBond);
    node.bond += u.addBond;
  }
  if (u.hardware) {
    checkHardware(u.hardware);
    node.hardware = u.hardware;
    node.declaredTier = tierOf(u.hardware);
    node.tier = 0;
    node.measuredTflopsMilli = 0n;
    issueBenchmark(keeper, ctx, node, keeper.readParams(ctx.kv));
  }
  ctx.emit(ledgerEvent("compute/node_updated", { node: worker, bond: node.bond.toString() }));
  keeper.setNode(ctx.kv, node);
}

export type NodeAction = "pause" | "resume" | "unbond" | "withdraw" | "unjail";
const ACTION_EVENTS = {
  pause: "paused",
  resume: "resumed",
  unbond: "unbonding",
  unjail: "unjailed",
  withdraw: "withdrawn",
};

export function nodeAction(
  keeper: ComputeKeeper,
  ctx: Context,
  sender: string,
  worker: string,
  action: NodeAction,
): void {
  const { kv, block } = ctx;
  const node = keeper.operatedNode(kv, sender, worker);
  const p = keeper.readParams(kv);
  const refuse = (why: string): never => {
    throw new BttError("CONFLICT", `cannot ${action} node ${worker}: ${why}`, {
      worker,
      status: node.status,
    });
  };
  switch (action) {
    case "pause":
      if (node.status !== "active") refuse(`it is ${node.status}`);
      node.status = "paused";
      break;
    case "resume":
      if (node.status !== "paused") refuse(`it is ${node.status}`);
      node.status = "active";
      break;
    case "unbond":
      if (node.status === "unbonding") refuse("it is unbonding already");
      node.status = "unbonding";
      node.unbondingMatureHeight = block.height + p.unbondingBlocks;
      break;
    case "unjail":
      if (node.status !== "jailed") refuse(`it is ${node.status}`);
      if (block.height < node.jailedUntilHeight)
        refuse(`it is jailed until height ${node.jailedUntilHeight}`);
      if (node.bond < p.minBond)
        refuse(`its bond ${node.bond} is below the minimum ${p.minBond}; add bond first`);
      node.status = "active";
      break;
    case "withdraw": {
      if (node.status !== "unbonding") refuse("unbond it first");
      if (block.height < node.unbondingMatureHeight)
        refuse(`its bond matures at height ${node.unbondingMatureHeight}`);
      if (node.load > 0) refuse(`it still holds ${node.load} slot(s)`);
      keeper.pay(ctx, COMPUTE_ESCROW, node.operator, node.bond);
      keeper.deleteNode(kv, node);
      ctx.emit(ledgerEvent("compute/node_withdrawn", { node: worker, bond: node.bond.toString() }));
      return;
    }
  }
  ctx.emit(ledgerEvent(`compute/node_${ACTION_EVENTS[action]}`, { node: worker, status: node.status }));
  keeper.setNode(kv, node);
}
