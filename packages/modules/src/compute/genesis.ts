import { JsonFields } from "../framework/fields.ts";
import type { Context, ModuleGenesis } from "../framework/module.ts";
import type { ComputeKeeper } from "./keeper.ts";
import { DEFAULT_COMPUTE_PARAMS, validateComputeParams } from "./params.ts";

/**
 * The compute section of a genesis file: parameters only. Nodes join by registering (their
 * bond and credential are checked then), and tasks are submitted on a running chain.
 */
export interface ComputeGenesis {
  params: unknown;
}

export function computeGenesis(keeper: ComputeKeeper): ModuleGenesis<ComputeGenesis> {
  return {
    defaultGenesis: () => ({ params: DEFAULT_COMPUTE_PARAMS }),
    validateGenesis(raw) {
      const f = new JsonFields("INVALID_GENESIS", "compute");
      const o = f.object(raw);
      const params = o.params ?? DEFAULT_COMPUTE_PARAMS;
      validateComputeParams(params);
      return { params };
    },
    initGenesis(ctx: Context, raw) {
      // A genesis file written before this module existed has no section for it.
      const g = this.validateGenesis(raw ?? this.defaultGenesis());
      keeper.params.write(ctx.kv, g.params);
    },
    // Nodes and tasks are not exported: a genesis file starts a fresh chain.
    exportGenesis: (ctx: Context) => ({ params: keeper.params.raw(ctx.kv) }),
  };
}
