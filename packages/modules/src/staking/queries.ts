import { addressBytes, BttError } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import { REWARDS_POOL } from "./distribution.ts";
import { consensusAddress, type StakingKeeper, type Validator } from "./keeper.ts";
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
    jailed_until: v.jailedUntil?.toString() ?? null,
    tombstoned: v.tombstoned === true,
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
      name: "signing_info",
      description:
        "A validator's signing window and jail status: {operator} → missed, tracked, window, jailed, jailed_until, tombstoned",
      handle(ctx, p) {
        const operator = required(p, "operator");
        const v = keeper.validator(ctx.kv, operator);
        if (!v) throw new BttError("NOT_FOUND", `no validator with operator ${operator}`);
        const window = params.read(ctx.kv).signedBlocksWindow;
        const consAddr = consensusAddress(Buffer.from(v.consensusPubkey, "hex"));
        const info = keeper.signingInfo(ctx.kv, consAddr, window);
        return {
          operator,
          consensus_address: Buffer.from(consAddr).toString("hex").toUpperCase(),
          window,
          missed: info.missed,
          tracked: info.tracked,
          jailed: v.jailed,
          jailed_until: v.jailedUntil?.toString() ?? null,
          tombstoned: v.tombstoned === true,
        };
      },
    },
    {
      name: "rewards_pool",
      description:
        "The rewards pool: its address and bond_denom balance, paid out at the next epoch end (rewards paid: staking/validator_reward and staking/epoch_rewards events)",
      handle(ctx) {
        return {
          address: REWARDS_POOL,
          denom: params.read(ctx.kv).bondDenom,
          balance: keeper.bondBalance(ctx.kv, REWARDS_POOL).toString(),
        };
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
