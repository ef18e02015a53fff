// Rewards: transaction fees and the block reward, paid at each epoch end to the active set by
// voting power, then within each validator: commission to the operator, the rest to its
// delegators pro rata. Integers, floors; what the floors leave stays in the pool.
import { moduleAddress } from "@btt/core";
import { FEE_COLLECTOR } from "../auth/ante.ts";
import type { BankKeeper } from "../bank/keeper.ts";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import type { StakingKeeper } from "./keeper.ts";
import { PPM } from "./params.ts";

/** The module account rewards wait in until the epoch end (and the floors' dust after it). */
export const REWARDS_POOL = moduleAddress("staking_rewards");

/** One validator's part of an epoch's rewards. */
export interface ValidatorReward {
  operator: string;
  share: bigint;
  commission: bigint;
  /** Paid to delegators (the operator's self-delegation included). */
  delegators: bigint;
}

export class Distribution {
  constructor(
    private readonly keeper: StakingKeeper,
    private readonly bank: BankKeeper,
  ) {}

  /** Every block: params.block_reward of bond_denom minted into the pool (inflation; 0 = off). */
  mintBlockReward(ctx: Context): void {
    const { blockReward, bondDenom } = this.keeper.params.read(ctx.kv);
    if (blockReward > 0n) this.bank.mint(ctx, REWARDS_POOL, { denom: bondDenom, amount: blockReward });
  }

  /**
   * Epoch end, before the next set is chosen: sweeps the fee collector's bond_denom into the
   * pool and pays the pool out to the set that served the epoch (the stored active set,
   * jailed members left out): share = ⌊pool·power/Σpower⌋, commission = ⌊share·rate/10⁶⌋,
   * each delegator ⌊(share − commission)·delegation/tokens⌋.
   */
  distribute(ctx: Context): ValidatorReward[] {
    const { bondDenom } = this.keeper.params.read(ctx.kv);
    const fees = this.bank.balance(ctx.kv, FEE_COLLECTOR, bondDenom);
    if (fees > 0n)
      this.bank.send(ctx, FEE_COLLECTOR, REWARDS_POOL, [{ denom: bondDenom, amount: fees }], false);
    const pot = this.bank.balance(ctx.kv, REWARDS_POOL, bondDenom);
    const members = this.keeper
      .activeSet(ctx.kv)
      .map((m) => ({ m, v: this.keeper.validator(ctx.kv, m.operator) }))
      .filter(({ v }) => v !== undefined && !v.jailed);
    const totalPower = members.reduce((sum, { m }) => sum + m.power, 0n);
    if (pot === 0n || totalPower === 0n) return [];
    const pay = (to: string, amount: bigint) => {
      if (amount > 0n) this.bank.send(ctx, REWARDS_POOL, to, [{ denom: bondDenom, amount }], false);
    };
    const rewards: ValidatorReward[] = [];
    let paid = 0n;
    for (const { m, v } of members) {
      const validator = v!;
      const share = (pot * m.power) / totalPower;
      const commission = (share * validator.commissionRatePpm) / PPM;
      pay(validator.operator, commission);
      const rest = share - commission;
      let toDelegators = 0n;
      if (validator.tokens > 0n) {
        for (const [delegator, amount] of this.keeper.delegationsTo(ctx.kv, validator.operator)) {
          const reward = (rest * amount) / validator.tokens;
          pay(delegator, reward);
          toDelegators += reward;
          if (reward > 0n) {
            ctx.emit(
              ledgerEvent("staking/delegator_reward", {
                validator: validator.operator,
                delegator,
                amount: `${reward}${bondDenom}`,
              }),
            );
          }
        }
      }
      paid += commission + toDelegators;
      rewards.push({ operator: validator.operator, share, commission, delegators: toDelegators });
      ctx.emit(
        ledgerEvent("staking/validator_reward", {
          validator: validator.operator,
          share: `${share}${bondDenom}`,
          commission: `${commission}${bondDenom}`,
          delegators: `${toDelegators}${bondDenom}`,
        }),
      );
    }
    ctx.emit(
      ledgerEvent("staking/epoch_rewards", {
        height: ctx.block.height.toString(),
        pool: `${pot}${bondDenom}`,
        fees: `${fees}${bondDenom}`,
        paid: `${paid}${bondDenom}`,
        carried: `${pot - paid}${bondDenom}`,
      }),
    );
    return rewards;
  }
}
