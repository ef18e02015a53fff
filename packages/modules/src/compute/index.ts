import type { Module } from "../framework/module.ts";
import { computeEndBlock } from "./end-block.ts";
import type { ComputeDeps } from "./expected-keepers.ts";
import { type ComputeGenesis, computeGenesis } from "./genesis.ts";
import { COMPUTE_ESCROW, ComputeKeeper } from "./keeper.ts";
import { computeMessages } from "./msgs.ts";
import { COMPUTE, ComputeParamsStore } from "./params.ts";
import { computeQueries } from "./queries.ts";

export { computeMsg } from "./builders.ts";
export { auditSeal, resultCommitment } from "./commitment.ts";
export type { ComputeDeps } from "./expected-keepers.ts";
export type { ComputeGenesis } from "./genesis.ts";
export { COMPUTE_ESCROW, ComputeKeeper, REWARD_POOL } from "./keeper.ts";
export { type BenchmarkItem, COMPUTE, type ComputeParams, DEFAULT_COMPUTE_PARAMS } from "./params.ts";
export { mergedResult } from "./tasks.ts";
export * from "./types.ts";

export interface ComputeModule extends Module<ComputeGenesis> {
  readonly keeper: ComputeKeeper;
}

/**
 * The DePIN compute network: node registry with bonds and benchmarks, tasks with escrow,
 * the end-block scheduler, commit/reveal with majority verification and canary audits, and
 * epoch rewards by verified work × E_node.
 */
export function createComputeModule(deps: ComputeDeps): ComputeModule {
  const keeper = new ComputeKeeper(new ComputeParamsStore(), deps);
  return {
    name: COMPUTE,
    keeper,
    messages: computeMessages(keeper),
    queries: computeQueries(keeper),
    genesis: computeGenesis(keeper),
    invariants: [
      {
        name: "compute-escrow",
        check(kv) {
          const owed = keeper.owed(kv);
          const held = deps.bank.balance(kv, COMPUTE_ESCROW, keeper.readParams(kv).bondDenom);
          return owed === held ? undefined : `escrow holds ${held}, bonds and open escrow add up to ${owed}`;
        },
      },
    ],
    endBlock(ctx) {
      computeEndBlock(keeper, ctx);
    },
  };
}
