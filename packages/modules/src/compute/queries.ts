import { addressBytes, BttError } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import { nodeAvailabilityPpm, nodeEfficiencyPpm } from "./end-block.ts";
import { COMPUTE_ESCROW, type ComputeKeeper, REWARD_POOL } from "./keeper.ts";
import type { ComputeNode, Task } from "./types.ts";

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Records as the API shows them: snake_case keys, bigints as decimal strings. */
export function apiJson(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(apiJson);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), apiJson(v)]));
  }
  return value;
}

function address(p: Record<string, string>, name: string): string {
  const value = p[name];
  if (!value) throw new BttError("INVALID_MESSAGE", `query parameter "${name}" is required`);
  addressBytes(value, name);
  return value;
}

function limit(p: Record<string, string>): number {
  const n = p.limit === undefined ? 100 : Number(p.limit);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new BttError("INVALID_MESSAGE", "limit must be an integer from 1 to 1000");
  }
  return n;
}

function taskId(p: Record<string, string>, name = "id"): bigint {
  const v = p[name];
  if (!v || !/^[0-9]{1,19}$/.test(v))
    throw new BttError("INVALID_MESSAGE", `query parameter "${name}" must be a task id`);
  return BigInt(v);
}

export function computeQueries(keeper: ComputeKeeper): QueryType[] {
  const describe = (kv: Parameters<ComputeKeeper["node"]>[0], node: ComputeNode, height: bigint) => {
    const p = keeper.readParams(kv);
    const availability = nodeAvailabilityPpm(node, height, p);
    const r = node.record;
    return {
      ...(apiJson(node) as object),
      availability_ppm: availability.toString(),
      efficiency_ppm: nodeEfficiencyPpm(node, availability, {
        successful: r.successful,
        total: r.successful + r.wrong + r.missed,
        local: r.local,
      }).toString(),
    };
  };
  const taskJson = (t: Task) => apiJson(t);
  return [
    {
      name: "params",
      description: "The compute parameters",
      handle: (ctx) => keeper.params.raw(ctx.kv),
    },
    {
      name: "node",
      description: "One node with its record, availability and E_node (ppm): {worker}",
      handle: (ctx, p) => describe(ctx.kv, keeper.requireNode(ctx.kv, address(p, "worker")), ctx.height),
    },
    {
      name: "nodes",
      description: "Nodes in worker address order: {operator?, status?, jurisdiction?, limit?}",
      handle(ctx, p) {
        const max = limit(p);
        const source = p.operator ? keeper.nodesOf(ctx.kv, address(p, "operator")) : keeper.nodes(ctx.kv);
        const out: unknown[] = [];
        for (const node of source) {
          if (p.status && node.status !== p.status) continue;
          if (p.jurisdiction && node.jurisdiction !== p.jurisdiction) continue;
          out.push(describe(ctx.kv, node, ctx.height));
          if (out.length >= max) break;
        }
        return { nodes: out };
      },
    },
    {
      name: "benchmark",
      description: "The benchmark outstanding for a node, with the seeds to run: {worker}",
      handle(ctx, p) {
        const worker = address(p, "worker");
        const issued = keeper.benchmark(ctx.kv, worker);
        if (!issued) throw new BttError("NOT_FOUND", `no benchmark outstanding for ${worker}`);
        const suite = keeper.readParams(ctx.kv).benchmark;
        return {
          worker,
          model_id: suite.modelId,
          model_version: suite.modelVersion,
          seeds: issued.items.map((i) => suite.items[i]!.seed),
          issued_height: issued.issuedHeight.toString(),
        };
      },
    },
    {
      name: "task",
      description: "One task with its slots and results: {id}",
      handle: (ctx, p) => taskJson(keeper.requireTask(ctx.kv, taskId(p))),
    },
    {
      name: "tasks",
      description: "Tasks in id order: {requester?, after?, limit?}",
      handle(ctx, p) {
        const max = limit(p);
        const tasks = p.requester
          ? keeper.tasksOf(ctx.kv, address(p, "requester"), max)
          : keeper.tasks(ctx.kv, max, p.after ? taskId(p, "after") : -1n);
        return { tasks: tasks.map(taskJson) };
      },
    },
    {
      name: "assignments",
      description: "Open slots assigned to a node, with the input's record and wrapped key: {worker}",
      handle(ctx, p) {
        const worker = address(p, "worker");
        const out: unknown[] = [];
        for (const task of keeper.openTasks(ctx.kv)) {
          for (const slot of task.slots) {
            if (slot.node !== worker || (slot.state !== "assigned" && slot.state !== "committed")) continue;
            const shardSlots = task.slots.filter((s) => s.shard === slot.shard);
            out.push({
              task_id: task.id.toString(),
              shard: slot.shard,
              replica: slot.replica,
              state: slot.state,
              model_id: task.modelId,
              model_version: task.modelVersion,
              record_id: task.inputs[slot.shard],
              requester: task.requester,
              deadline_height: slot.deadlineHeight?.toString(),
              input_key: slot.inputKey ? apiJson(slot.inputKey) : null,
              reveal_open: shardSlots.every((s) => s.state !== "pending" && s.state !== "assigned"),
            });
          }
        }
        return { assignments: out };
      },
    },
    {
      name: "pool",
      description: "What the module holds: bonds and escrow, and the reward pool",
      handle(ctx) {
        const p = keeper.readParams(ctx.kv);
        const bank = keeper.deps.bank;
        return {
          escrow_account: COMPUTE_ESCROW,
          escrow_balance: bank.balance(ctx.kv, COMPUTE_ESCROW, p.bondDenom).toString(),
          reward_pool: REWARD_POOL,
          reward_pool_balance: bank.balance(ctx.kv, REWARD_POOL, p.bondDenom).toString(),
          denom: p.bondDenom,
        };
      },
    },
  ];
}
