import { addressBytes } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import type { Context, ModuleGenesis } from "../framework/module.ts";
import type { StakingKeeper } from "./keeper.ts";
import { DEFAULT_STAKING_PARAMS, type StakingParamsStore, validateStakingParams } from "./params.ts";

/**
 * The staking section of a genesis file. Each validator bonds its `self_delegation` from its
 * operator's bank balance (funded by the bank section) when genesis is written, as a gentx does.
 */
export interface StakingGenesis {
  params: unknown;
  validators: Array<{
    operator: string;
    consensus_pubkey: string;
    moniker: string;
    commission_rate_ppm: number;
    commission_max_rate_ppm: number;
    commission_max_change_ppm: number;
    self_delegation: string;
    jailed: boolean;
    rating_ppm?: number;
  }>;
}

export function stakingGenesis(
  keeper: StakingKeeper,
  params: StakingParamsStore,
): ModuleGenesis<StakingGenesis> {
  return {
    defaultGenesis: () => ({ params: DEFAULT_STAKING_PARAMS, validators: [] }),

    validateGenesis(raw) {
      const f = new JsonFields("INVALID_GENESIS", "staking");
      const o = f.object(raw);
      const rawParams = o.params ?? DEFAULT_STAKING_PARAMS;
      validateStakingParams(rawParams);
      const operators = new Set<string>();
      const keys = new Set<string>();
      const validators = f.array(o, "validators", []).map((v, i) => {
        const vf = f.at("validators").at(i);
        const vo = vf.object(v);
        const operator = vf.string(vo, "operator");
        try {
          addressBytes(operator);
        } catch {
          vf.check(false, "is not an address", "operator");
        }
        vf.check(!operators.has(operator), "repeats an operator listed earlier", "operator");
        operators.add(operator);
        const key = vf.string(vo, "consensus_pubkey").toLowerCase();
        vf.check(/^[0-9a-f]{64}$/.test(key), "must be a 32-byte Ed25519 key in hex", "consensus_pubkey");
        vf.check(!keys.has(key), "repeats a consensus key listed earlier", "consensus_pubkey");
        keys.add(key);
        const max = vf.integer(vo, "commission_max_rate_ppm", 0, 1_000_000, 1_000_000);
        const rate = vf.integer(vo, "commission_rate_ppm", 0, max, 0);
        const change = vf.integer(vo, "commission_max_change_ppm", 0, max, max);
        const selfDelegation = vf.amount(vo, "self_delegation");
        vf.check(selfDelegation > 0n, "must be positive", "self_delegation");
        vf.check(
          vo.jailed === undefined || typeof vo.jailed === "boolean",
          "must be true or false",
          "jailed",
        );
        return {
          operator,
          consensus_pubkey: key,
          moniker: vf.string(vo, "moniker", ""),
          commission_rate_ppm: rate,
          commission_max_rate_ppm: max,
          commission_max_change_ppm: change,
          self_delegation: selfDelegation.toString(),
          jailed: (vo.jailed as boolean | undefined) ?? false,
          ...(vo.rating_ppm === undefined ? {} : { rating_ppm: vf.integer(vo, "rating_ppm", 0, 1_000_000) }),
        };
      });
      return { params: rawParams, validators };
    },

    initGenesis(ctx: Context, raw) {
      // A genesis file written before this module existed has no section for it.
      const g = this.validateGenesis(raw ?? this.defaultGenesis());
      params.write(ctx.kv, g.params);
      for (const v of g.validators) {
        keeper.createValidator(
          ctx,
          {
            operator: v.operator,
            consensusPubkey: v.consensus_pubkey,
            description: { moniker: v.moniker, website: "", details: "" },
            commissionRatePpm: BigInt(v.commission_rate_ppm),
            commissionMaxRatePpm: BigInt(v.commission_max_rate_ppm),
            commissionMaxChangePpm: BigInt(v.commission_max_change_ppm),
            ...(v.rating_ppm === undefined ? {} : { ratingPpm: BigInt(v.rating_ppm) }),
          },
          BigInt(v.self_delegation),
        );
        if (v.jailed) keeper.setValidator(ctx.kv, { ...keeper.validator(ctx.kv, v.operator)!, jailed: true });
      }
    },

    // Delegations other than self-delegations and unbonding entries are not exported yet
    // (genesis export is for a fresh chain's file; see the README).
    exportGenesis(ctx: Context) {
      return {
        params: params.raw(ctx.kv),
        validators: [...keeper.validators(ctx.kv)].map((v) => ({
          operator: v.operator,
          consensus_pubkey: v.consensusPubkey,
          moniker: v.description.moniker,
          commission_rate_ppm: Number(v.commissionRatePpm),
          commission_max_rate_ppm: Number(v.commissionMaxRatePpm),
          commission_max_change_ppm: Number(v.commissionMaxChangePpm),
          self_delegation: keeper.delegation(ctx.kv, v.operator, v.operator).toString(),
          jailed: v.jailed,
          ...(v.ratingPpm === undefined ? {} : { rating_ppm: Number(v.ratingPpm) }),
        })),
      };
    },
  };
}
