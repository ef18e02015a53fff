// The validator score, in integers only (ppm = parts per million, floors everywhere), so every
// node computes the same active set from the same state.
import { PPM, type StakingParams } from "./params.ts";

export interface ScoreInput {
  /** Operator address, hex of its 20 bytes: the tie-breaker (lower first). */
  readonly key: string;
  readonly tokens: bigint;
  /** Missed blocks among the last W. */
  readonly missed: number;
  readonly ratingPpm: bigint;
}

export interface Score {
  readonly key: string;
  readonly sPpm: bigint;
  readonly hPpm: bigint;
  readonly cPpm: bigint;
  readonly vPpm: bigint;
}

/** S = tokens / total stake of the candidates, in ppm (0 when nothing is staked). */
export function stakeShare(tokens: bigint, total: bigint): bigint {
  return total === 0n ? 0n : (tokens * PPM) / total;
}

/** H = signed share of the last W blocks, in ppm. */
export function reliability(missed: number, window: number): bigint {
  const m = BigInt(Math.min(Math.max(missed, 0), window));
  return ((BigInt(window) - m) * PPM) / BigInt(window);
}

/** V = (wS·S + wH·H + wC·C) / 1e6, in ppm: in [0, 1e6] since the weights add up to 1e6. */
export function combined(p: StakingParams, s: bigint, h: bigint, c: bigint): bigint {
  return (p.weightStakePpm * s + p.weightReliabilityPpm * h + p.weightCompliancePpm * c) / PPM;
}

export function scoreAll(p: StakingParams, candidates: readonly ScoreInput[]): Score[] {
  const total = candidates.reduce((sum, c) => sum + c.tokens, 0n);
  return candidates.map((c) => {
    const sPpm = stakeShare(c.tokens, total);
    const hPpm = reliability(c.missed, p.signedBlocksWindow);
    return { key: c.key, sPpm, hPpm, cPpm: c.ratingPpm, vPpm: combined(p, sPpm, hPpm, c.ratingPpm) };
  });
}

/**
 * Voting power from V: power = V in ppm, so a validator's power is at most 1_000_000 and the
 * total at most N·1e6 (far below CometBFT's limit of 2^60/8). A score of 0 gives no power.
 */
export function votingPower(vPpm: bigint): bigint {
  return vPpm;
}

/** The active set: the top N by V (ties by key, lower first), V > 0 only. */
export function activeSet(p: StakingParams, scores: readonly Score[]): Score[] {
  return scores
    .filter((s) => votingPower(s.vPpm) > 0n)
    .sort((a, b) =>
      a.vPpm !== b.vPpm ? (a.vPpm > b.vPpm ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    )
    .slice(0, p.maxValidators);
}
