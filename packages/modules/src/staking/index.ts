import type { BankKeeper } from "../bank/keeper.ts";
import type { Module } from "../framework/module.ts";
import type { IdentityKeeper } from "../identity/keeper.ts";
import { Distribution } from "./distribution.ts";
import { type StakingGenesis, stakingGenesis } from "./genesis.ts";
import { STAKING_POOL, StakingKeeper } from "./keeper.ts";
import { stakingMessages } from "./msgs.ts";
import { STAKING, StakingParamsStore } from "./params.ts";
import { stakingQueries } from "./queries.ts";
import { Slashing } from "./slashing.ts";

export { stakingMsg } from "./builders.ts";
export { Distribution, REWARDS_POOL, type ValidatorReward } from "./distribution.ts";
export type { StakingGenesis } from "./genesis.ts";
export {
  type ActiveMember,
  consensusAddress,
  type SigningInfo,
  STAKING_POOL,
  StakingKeeper,
  type UnbondingEntry,
  VALIDATOR_UPDATE_EVENT,
  type Validator,
  type ValidatorUpdate,
  validatorUpdatesOf,
} from "./keeper.ts";
export { DEFAULT_STAKING_PARAMS, PPM, STAKING, type StakingParams } from "./params.ts";
export { activeSet, combined, reliability, type Score, scoreAll, stakeShare, votingPower } from "./score.ts";
export { Slashing, type SlashOutcome, type SlashReason } from "./slashing.ts";

export interface StakingModule extends Module<StakingGenesis> {
  readonly keeper: StakingKeeper;
  readonly slashing: Slashing;
  readonly distribution: Distribution;
}

export function createStakingModule(bank: BankKeeper, identity: IdentityKeeper): StakingModule {
  const params = new StakingParamsStore();
  const keeper = new StakingKeeper(params, bank);
  const slashing = new Slashing(keeper, bank);
  const distribution = new Distribution(keeper, bank);
  return {
    name: STAKING,
    keeper,
    slashing,
    distribution,
    messages: stakingMessages(keeper, slashing, identity),
    queries: stakingQueries(keeper, params),
    genesis: stakingGenesis(keeper, params),
    invariants: [
      {
        name: "staking-pool",
        check(kv) {
          const pooled = keeper.pooled(kv);
          const held = bank.balance(kv, STAKING_POOL, params.read(kv).bondDenom);
          return pooled === held
            ? undefined
            : `pool holds ${held}, delegations and unbonding add up to ${pooled}`;
        },
      },
    ],
    // Evidence first: a double signer is tombstoned before its misses could jail it for downtime.
    beginBlock(ctx) {
      if (ctx.block.misbehavior?.length) slashing.handleEvidence(ctx, ctx.block.misbehavior);
      if (ctx.block.signers) slashing.checkDowntime(ctx, keeper.recordSigners(ctx, ctx.block.signers));
    },
    endBlock(ctx) {
      keeper.matureUnbondings(ctx);
      keeper.pruneRedelegations(ctx);
      distribution.mintBlockReward(ctx);
      // Jailed this block (begin-block or a tx): out of CometBFT's set now, not at the epoch end.
      keeper.dropJailed(ctx);
      // Height 1 (genesis written) chooses the first set; then every epoch_blocks.
      const { epochBlocks } = keeper.params.read(ctx.kv);
      if (ctx.block.height === 1n || ctx.block.height % epochBlocks === 0n) {
        distribution.distribute(ctx);
        keeper.endEpoch(ctx);
      }
    },
  };
}
