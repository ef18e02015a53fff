import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";

export const STAKING = "staking";
/** Parts per million: the unit of every rate, share and score (1_000_000 = 100%). */
export const PPM = 1_000_000n;

export interface StakingParams {
  bondDenom: string;
  /** Blocks an undelegation waits before it is paid back. */
  unbondingBlocks: bigint;
  /** The active set is recomputed at every height divisible by this. */
  epochBlocks: bigint;
  /** W: the signing window (blocks) behind H. */
  signedBlocksWindow: number;
  /** N: the most validators in the active set. */
  maxValidators: number;
  /** Weights of S, H and C in V, in ppm; they add up to 1_000_000. */
  weightStakePpm: bigint;
  weightReliabilityPpm: bigint;
  weightCompliancePpm: bigint;
  /** A validator rated below this is not a candidate. */
  minRatingPpm: bigint;
  /** C of a validator no regulator has rated yet. */
  defaultRatingPpm: bigint;
  /** Downtime: jailed when its misses among the last W exceed this share of W (after W tracked blocks). */
  downtimeMissedPpm: bigint;
  /** Share of bonded (and later-unbonding) tokens burnt for downtime. */
  downtimeSlashPpm: bigint;
  /** Blocks a validator jailed for downtime waits before it may send staking/Unjail. */
  downtimeJailBlocks: bigint;
  /** Share burnt for double signing (CometBFT misbehavior evidence); the validator is tombstoned. */
  doubleSignSlashPpm: bigint;
  /** Tokens of bond_denom minted into the rewards pool at every block (0 = fees only). */
  blockReward: bigint;
}

export const DEFAULT_STAKING_PARAMS = {
  bond_denom: "ubtt",
  unbonding_blocks: "100",
  epoch_blocks: "10",
  signed_blocks_window: 100,
  max_validators: 100,
  weight_stake_ppm: 400_000,
  weight_reliability_ppm: 350_000,
  weight_compliance_ppm: 250_000,
  min_rating_ppm: 0,
  default_rating_ppm: 500_000,
  downtime_missed_ppm: 500_000,
  downtime_slash_ppm: 10_000,
  downtime_jail_blocks: "600",
  double_sign_slash_ppm: 50_000,
  block_reward: "0",
};

const PPM_MAX = 1_000_000;

export function validateStakingParams(raw: unknown): StakingParams {
  const f = new JsonFields("INVALID_PARAMS", "staking.params");
  const o = f.object(raw);
  const bondDenom = f.string(o, "bond_denom");
  const unbondingBlocks = f.amount(o, "unbonding_blocks");
  const epochBlocks = f.amount(o, "epoch_blocks");
  f.check(
    unbondingBlocks >= 1n && unbondingBlocks < 2n ** 63n,
    "must be from 1 to 2^63 − 1",
    "unbonding_blocks",
  );
  f.check(epochBlocks >= 1n && epochBlocks < 2n ** 63n, "must be from 1 to 2^63 − 1", "epoch_blocks");
  // Parameters added after the first release fall back to their defaults when absent.
  const ppm = (field: string, fallback?: number) => BigInt(f.integer(o, field, 0, PPM_MAX, fallback));
  const d = DEFAULT_STAKING_PARAMS;
  const params: StakingParams = {
    bondDenom,
    unbondingBlocks,
    epochBlocks,
    // A bitmap of W bits is rewritten for every validator at every block: keep it small.
    signedBlocksWindow: f.integer(o, "signed_blocks_window", 1, 100_000),
    maxValidators: f.integer(o, "max_validators", 1, 10_000),
    weightStakePpm: ppm("weight_stake_ppm"),
    weightReliabilityPpm: ppm("weight_reliability_ppm"),
    weightCompliancePpm: ppm("weight_compliance_ppm"),
    minRatingPpm: ppm("min_rating_ppm"),
    defaultRatingPpm: ppm("default_rating_ppm"),
    downtimeMissedPpm: ppm("downtime_missed_ppm", d.downtime_missed_ppm),
    downtimeSlashPpm: ppm("downtime_slash_ppm", d.downtime_slash_ppm),
    downtimeJailBlocks: f.amount(o, "downtime_jail_blocks", d.downtime_jail_blocks),
    doubleSignSlashPpm: ppm("double_sign_slash_ppm", d.double_sign_slash_ppm),
    blockReward: f.amount(o, "block_reward", d.block_reward),
  };
  f.check(params.downtimeJailBlocks < 2n ** 63n, "must be below 2^63", "downtime_jail_blocks");
  f.check(
    params.weightStakePpm + params.weightReliabilityPpm + params.weightCompliancePpm === PPM,
    "weights must add up to 1000000",
  );
  return params;
}

export class StakingParamsStore {
  private readonly store = new ParamsStore(STAKING, validateStakingParams);
  read(kv: KVStore): StakingParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, STAKING));
  }
  write(kv: KVStore, raw: unknown): StakingParams {
    return this.store.set(new PrefixStore(kv, STAKING), raw);
  }
}
