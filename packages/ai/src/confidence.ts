// The confidence score of a finding, as the product brief defines it:
//   C = α·(I_quality·D_confidence) + β·P_consensus·(1 − U_factor)
// Every term is returned next to C, so a reader can see why a finding scored as it did.
import { BttError } from "@btt/core";

/** Fixed-point scale of α and β on chain (parts per million): 600000 = 0.6. */
export const WEIGHT_SCALE = 1_000_000;

export interface ConfidenceWeights {
  alpha: number;
  beta: number;
}

/** Used when no chain parameters are given (the `ai` module's defaults are the same). */
export const DEFAULT_WEIGHTS: ConfidenceWeights = { alpha: 0.6, beta: 0.4 };

/** Chain parameters (integers in parts per million) → weights; α + β ≤ 1 keeps C in [0, 1]. */
export function weightsFromPpm(
  alphaPpm: number | bigint | string,
  betaPpm: number | bigint | string,
): ConfidenceWeights {
  const a = Number(alphaPpm);
  const b = Number(betaPpm);
  for (const [name, v] of [
    ["alpha", a],
    ["beta", b],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > WEIGHT_SCALE)
      throw new BttError("INVALID_PARAMS", `${name} must be an integer in 0..${WEIGHT_SCALE} (ppm)`, {
        [name]: String(v),
      });
  }
  if (a + b > WEIGHT_SCALE)
    throw new BttError("INVALID_PARAMS", `alpha + beta must be at most ${WEIGHT_SCALE} (ppm)`, {
      alpha: String(a),
      beta: String(b),
    });
  return { alpha: a / WEIGHT_SCALE, beta: b / WEIGHT_SCALE };
}

/** Clinicians' verdicts on a model version's findings (the `ai` module counts them). */
export interface ConsensusCounts {
  confirmed: number;
  reviewed: number;
}

/**
 * P_consensus = (confirmed + 1) / (reviewed + 2): Laplace's rule of succession, so a model with
 * no reviews scores 0.5 and the estimate moves toward the confirmation rate as reviews accrue.
 */
export function pConsensus(c: ConsensusCounts): number {
  if (
    !Number.isInteger(c.confirmed) ||
    !Number.isInteger(c.reviewed) ||
    c.confirmed < 0 ||
    c.reviewed < c.confirmed
  )
    throw new RangeError(
      `consensus counts must satisfy 0 ≤ confirmed ≤ reviewed (${c.confirmed}/${c.reviewed})`,
    );
  return (c.confirmed + 1) / (c.reviewed + 2);
}

/** What the model said about one finding under one augmented view (box in the base view's frame). */
export interface ViewObservation {
  /** The finding's score under the view; 0 when the view lost the finding. */
  score: number;
  /** IoU of the view's box with the base box; 0 when the view lost the finding. */
  iou: number;
}

export interface Uncertainty {
  /** U_factor in [0, 1]. */
  u: number;
  /** Population standard deviation of the scores (base and views) over 0.5, its largest value. */
  scoreDispersion: number;
  /** 1 − mean IoU of the views' boxes with the base box. */
  boxDisagreement: number;
  views: number;
}

/**
 * U_factor from test-time augmentation: the mean of the score dispersion (σ of the base score
 * and the K view scores, divided by 0.5, the largest σ of values in [0, 1]) and the box
 * disagreement (1 − mean IoU of the K view boxes with the base box). A finding every view sees
 * at the same score and place has U = 0; one that half the views lose tends to U ≈ 0.75.
 */
export function ttaUncertainty(baseScore: number, views: readonly ViewObservation[]): Uncertainty {
  if (views.length === 0) return { u: 0, scoreDispersion: 0, boxDisagreement: 0, views: 0 };
  const scores = [baseScore, ...views.map((v) => v.score)];
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const variance = scores.reduce((a, s) => a + (s - mean) ** 2, 0) / scores.length;
  const scoreDispersion = Math.min(1, Math.sqrt(variance) / 0.5);
  const boxDisagreement = 1 - views.reduce((a, v) => a + v.iou, 0) / views.length;
  return {
    u: (scoreDispersion + boxDisagreement) / 2,
    scoreDispersion,
    boxDisagreement,
    views: views.length,
  };
}

// A type, not an interface: it must fit FHIR components' Record<string, number>.
export type ConfidenceTerms = {
  alpha: number;
  beta: number;
  I_quality: number;
  D_confidence: number;
  P_consensus: number;
  U_factor: number;
  C: number;
};

/** C's terms and what they were measured from, as each finding's Observation carries them. */
export type FindingConfidence = ConfidenceTerms & {
  tta_score_dispersion: number;
  tta_box_disagreement: number;
  tta_views: number;
  consensus_confirmed: number;
  consensus_reviewed: number;
  tooth_probability: number;
  severity_probability: number;
};

export function confidence(
  w: ConfidenceWeights,
  iQuality: number,
  dConfidence: number,
  p: number,
  u: number,
): ConfidenceTerms {
  return {
    alpha: w.alpha,
    beta: w.beta,
    I_quality: iQuality,
    D_confidence: dConfidence,
    P_consensus: p,
    U_factor: u,
    C: w.alpha * (iQuality * dConfidence) + w.beta * p * (1 - u),
  };
}

/**
 * The chain's answers (`ai` queries `params` and `consensus`) → weights and counts for one
 * diagnostic module: ppm integers and decimal strings become numbers here, at the edge.
 */
export function termsFromChain(
  params: unknown,
  consensus: unknown,
  module: string,
): { weights: ConfidenceWeights; consensus: ConsensusCounts } {
  const p = (
    params as { params?: { confidence_weights?: Record<string, { alpha_ppm: number; beta_ppm: number }> } }
  )?.params;
  const w = p?.confidence_weights?.[module];
  const c = (consensus as { consensus?: { confirmed?: string; reviewed?: string } })?.consensus;
  const counts = { confirmed: Number(c?.confirmed ?? 0), reviewed: Number(c?.reviewed ?? 0) };
  pConsensus(counts); // refuses counts that make no sense
  return { weights: w ? weightsFromPpm(w.alpha_ppm, w.beta_ppm) : DEFAULT_WEIGHTS, consensus: counts };
}
