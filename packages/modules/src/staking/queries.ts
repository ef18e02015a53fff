import { addressBytes, BttError } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import type { StakingKeeper, Validator } from "./keeper.ts";
import type { StakingParamsStore } from "./params.ts";

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (!value) throw new BttError("INVALID_MESSAGE", `query parameter "${name}" is required`);
  addressBytes(value, name);
  return value;
}

export function validatorJson(v: Validator) {
  return {
    operator: v.operator,
    consensus_pubkey: v.consensusPubkey,
    description: v.description,
    commission_rate_ppm: v.commissionRatePpm.toString(),
    commission_max_rate_ppm: v.commissionMaxRatePpm.toString(),
    commission_max_change_ppm: v.commissionMaxChangePpm.toString(),
    tokens: v.tokens.toString(),
    jailed: v.jailed,
    rating_ppm: v.ratingPpm?.toString() ?? null,
  };
}

export function stakingQueries(keeper: StakingKeeper, params: StakingParamsStore): QueryType[] {
  return [
    {
      name: "params",
      description: "The staking parameters",
      handle: (ctx) => params.raw(ctx.kv),
    },
    {
      name: "validator",
      description: "One validator: {operator}",
      handle(ctx, p) {
        const v = keeper.validator(ctx.kv, required(p, "operator"));
        if (!v) throw new BttError("NOT_FOUND", `no validator with operator ${p.operator}`);
        return validatorJson(v);
      },
    },
    {
      name: "validators",
      description: "Every validator, in operator address order",
      handle: (ctx) => ({ validators: [...keeper.validators(ctx.kv)].map(validatorJson) }),
    },
    {
      name: "delegation",
      description: "Tokens one account has delegated to one validator: {validator, delegator}",
      handle(ctx, p) {
        const validator = required(p, "validator");
        const delegator = required(p, "delegator");
        return { validator, delegator, amount: keeper.delegation(ctx.kv, validator, delegator).toString() };
      },
    },
    {
      name: "scores",
      description: "The candidates' current S, H, C and V (ppm), as the next epoch end would compute them",
      handle: (ctx) => ({
        scores: keeper.scores(ctx.kv).map((s) => ({
          operator: s.validator.operator,
          s_ppm: s.sPpm.toString(),
          h_ppm: s.hPpm.toString(),
          c_ppm: s.cPpm.toString(),
          v_ppm: s.vPpm.toString(),
        })),
      }),
    },
    {
      name: "active_set",
      description: "The active set chosen at the last epoch end, with voting powers",
      handle: (ctx) => ({
        validators: keeper.activeSet(ctx.kv).map((m) => ({
          operator: m.operator,
          consensus_pubkey: m.consensusPubkey,
          power: m.power.toString(),
        })),
      }),
    },
  ];
}
