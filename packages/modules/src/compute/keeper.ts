import { BttError, moduleAddress } from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";
import { u64 } from "../staking/keys.ts";
import { decodeJson, encodeJson } from "./codec.ts";
import type { ComputeDeps } from "./expected-keepers.ts";
import {
  benchmarkKey,
  NEXT_TASK_KEY,
  NODE,
  nodeKey,
  OPEN,
  openKey,
  operatorKey,
  operatorPrefix,
  readU64,
  requesterKey,
  requesterPrefix,
  TASK,
  taskKey,
} from "./keys.ts";
import { COMPUTE, type ComputeParams, type ComputeParamsStore, PPM } from "./params.ts";
import type { ComputeNode, Task } from "./types.ts";

/** Holds every node's bond and every open task's escrow (the `compute-escrow` invariant). */
export const COMPUTE_ESCROW = moduleAddress(COMPUTE);
/** Slashed bonds flow in; epoch rewards flow out. */
export const REWARD_POOL = moduleAddress(`${COMPUTE}/rewards`);

/** A benchmark the chain issued a node: indices into params.benchmark.items, and when. */
export interface IssuedBenchmark {
  items: number[];
  issuedHeight: bigint;
  issuedMs: bigint;
}

/** Storage of nodes, tasks and benchmarks, and the money moves every part of the module shares. */
export class ComputeKeeper {
  constructor(
    readonly params: ComputeParamsStore,
    readonly deps: ComputeDeps,
  ) {}

  private view(kv: KVStore): PrefixStore {
    return new PrefixStore(kv, COMPUTE);
  }

  // Nodes.

  node(kv: KVStore, worker: string): ComputeNode | undefined {
    const bytes = this.view(kv).get(nodeKey(worker));
    return bytes ? decodeJson<ComputeNode>(bytes) : undefined;
  }

  requireNode(kv: KVStore, worker: string): ComputeNode {
    const node = this.node(kv, worker);
    if (!node) throw new BttError("NOT_FOUND", `${worker} is not a registered compute node`, { worker });
    return node;
  }

  /** The node run by `worker`, if `sender` operates it. */
  operatedNode(kv: KVStore, sender: string, worker: string): ComputeNode {
    const node = this.requireNode(kv, worker);
    if (node.operator !== sender) {
      throw new BttError("UNAUTHORIZED", `${sender} does not operate node ${worker}`, {
        worker,
        operator: node.operator,
      });
    }
    return node;
  }

  /** Every node, in worker-address byte order. */
  *nodes(kv: KVStore): Iterable<ComputeNode> {
    for (const [, bytes] of this.view(kv).iterate(NODE)) yield decodeJson<ComputeNode>(bytes);
  }

  nodesOf(kv: KVStore, operator: string): ComputeNode[] {
    const out: ComputeNode[] = [];
    const prefix = operatorPrefix(operator);
    for (const [key] of this.view(kv).iterate(prefix)) {
      const node = this.nodeByKeyTail(kv, key.subarray(prefix.length));
      if (node) out.push(node);
    }
    return out;
  }

  private nodeByKeyTail(kv: KVStore, workerBytes: Uint8Array): ComputeNode | undefined {
    const bytes = this.view(kv).get(new Uint8Array([...NODE, ...workerBytes]));
    return bytes ? decodeJson<ComputeNode>(bytes) : undefined;
  }

  setNode(kv: KVStore, node: ComputeNode): void {
    const view = this.view(kv);
    view.set(nodeKey(node.id), encodeJson(node));
    view.set(operatorKey(node.operator, node.id), new Uint8Array(0));
  }

  deleteNode(kv: KVStore, node: ComputeNode): void {
    const view = this.view(kv);
    view.delete(nodeKey(node.id));
    view.delete(operatorKey(node.operator, node.id));
    view.delete(benchmarkKey(node.id));
  }

  benchmark(kv: KVStore, worker: string): IssuedBenchmark | undefined {
    const bytes = this.view(kv).get(benchmarkKey(worker));
    return bytes ? decodeJson<IssuedBenchmark>(bytes) : undefined;
  }

  setBenchmark(kv: KVStore, worker: string, b: IssuedBenchmark | undefined): void {
    if (b) this.view(kv).set(benchmarkKey(worker), encodeJson(b));
    else this.view(kv).delete(benchmarkKey(worker));
  }

  // Tasks.

  task(kv: KVStore, id: bigint): Task | undefined {
    const bytes = this.view(kv).get(taskKey(id));
    return bytes ? decodeJson<Task>(bytes) : undefined;
  }

  requireTask(kv: KVStore, id: bigint): Task {
    const task = this.task(kv, id);
    if (!task) throw new BttError("NOT_FOUND", `no task ${id}`, { task_id: id.toString() });
    return task;
  }

  setTask(kv: KVStore, task: Task): void {
    const view = this.view(kv);
    view.set(taskKey(task.id), encodeJson(task));
    view.set(requesterKey(task.requester, task.id), new Uint8Array(0));
    if (task.state === "open") view.set(openKey(task.id), new Uint8Array(0));
    else view.delete(openKey(task.id));
  }

  /** Open tasks (some slot not settled), in id order. */
  *openTasks(kv: KVStore): Iterable<Task> {
    for (const [key] of this.view(kv).iterate(OPEN)) {
      const task = this.task(kv, readU64(key, OPEN.length));
      if (task) yield task;
    }
  }

  /** Tasks in id order, from `after` (exclusive), at most `limit`. */
  tasks(kv: KVStore, limit: number, after = -1n): Task[] {
    const out: Task[] = [];
    for (const [key, bytes] of this.view(kv).iterate(TASK)) {
      if (readU64(key, TASK.length) <= after) continue;
      out.push(decodeJson<Task>(bytes));
      if (out.length >= limit) break;
    }
    return out;
  }

  tasksOf(kv: KVStore, requester: string, limit: number): Task[] {
    const out: Task[] = [];
    const prefix = requesterPrefix(requester);
    for (const [key] of this.view(kv).iterate(prefix)) {
      const task = this.task(kv, readU64(key, prefix.length));
      if (task) out.push(task);
      if (out.length >= limit) break;
    }
    return out;
  }

  nextTaskId(kv: KVStore): bigint {
    const bytes = this.view(kv).get(NEXT_TASK_KEY);
    return bytes ? readU64(bytes, 0) : 1n;
  }

  takeTaskId(kv: KVStore): bigint {
    const id = this.nextTaskId(kv);
    this.view(kv).set(NEXT_TASK_KEY, u64(id + 1n));
    return id;
  }

  setNextTaskId(kv: KVStore, id: bigint): void {
    this.view(kv).set(NEXT_TASK_KEY, u64(id));
  }

  // Money.

  pay(ctx: Context, from: string, to: string, amount: bigint): void {
    if (amount <= 0n) return;
    const denom = this.params.read(ctx.kv).bondDenom;
    this.deps.bank.send(ctx, from, to, [{ denom, amount }], false);
  }

  /**
   * Takes `ppm` of the node's bond into the reward pool, adds a fault and jails the node when its
   * faults reach params.jail_faults. Mutates `node`; the caller stores it.
   */
  penalise(ctx: Context, node: ComputeNode, ppm: bigint, reason: string, task?: bigint): void {
    const p = this.params.read(ctx.kv);
    const amount = (node.bond * ppm) / PPM;
    if (amount > 0n) {
      node.bond -= amount;
      node.record.slashed += amount;
      this.pay(ctx, COMPUTE_ESCROW, REWARD_POOL, amount);
    }
    node.record.faults += 1;
    ctx.emit(
      ledgerEvent("compute/slashed", {
        node: node.id,
        amount: amount.toString(),
        reason,
        ...(task !== undefined ? { task: task.toString() } : {}),
      }),
    );
    if (node.record.faults >= p.jailFaults && node.status !== "unbonding") {
      node.status = "jailed";
      node.jailedUntilHeight = ctx.block.height + p.jailBlocks;
      node.record.faults = 0;
      ctx.emit(ledgerEvent("compute/jailed", { node: node.id, until: node.jailedUntilHeight.toString() }));
    }
  }

  /** Σ bonds + Σ open escrow: what COMPUTE_ESCROW must hold. */
  owed(kv: KVStore): bigint {
    let total = 0n;
    for (const node of this.nodes(kv)) total += node.bond;
    for (const task of this.openTasks(kv)) total += task.escrow;
    return total;
  }

  readParams(kv: KVStore): ComputeParams {
    return this.params.read(kv);
  }
}
