// Evaluation of the caries model against labelled images: lesion-level precision/recall (a
// prediction matches an unmatched label of IoU ≥ 0.3), image-level sensitivity/specificity/
// accuracy (any lesion vs none), tooth and severity accuracy on matched lesions, each with a
// Wilson 95% interval; plus the calibration error of D_confidence (ECE) and the image-level AUC.
import type { CariesFinding } from "./caries.ts";
import type { CariesLabel } from "./synth.ts";

export interface Proportion {
  value: number;
  ci95: [number, number];
  n: number;
}

export function wilson(successes: number, n: number): Proportion {
  if (n === 0) return { value: 0, ci95: [0, 1], n };
  const z = 1.959964;
  const p = successes / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  const r = (v: number) => Math.round(v * 10_000) / 10_000;
  return { value: r(p), ci95: [r(Math.max(0, centre - half)), r(Math.min(1, centre + half))], n };
}

export function boxIou(a: readonly number[], b: readonly number[]): number {
  const x1 = Math.max(a[0]!, b[0]!);
  const y1 = Math.max(a[1]!, b[1]!);
  const x2 = Math.min(a[0]! + a[2]!, b[0]! + b[2]!);
  const y2 = Math.min(a[1]! + a[3]!, b[1]! + b[3]!);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return inter / (a[2]! * a[3]! + b[2]! * b[3]! - inter || 1);
}

export interface CariesEvaluation {
  images: number;
  lesions: number;
  lesionPrecision: Proportion;
  lesionRecall: Proportion;
  imageSensitivity: Proportion;
  imageSpecificity: Proportion;
  imageAccuracy: Proportion;
  toothAccuracy: Proportion;
  severityAccuracy: Proportion;
  /** ECE of each prediction's D_confidence against whether it matched a label. */
  calibrationError: Calibration;
  /** Image-level AUC of the largest lesion score (0 for an image without findings). */
  auc: Auc;
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  n: number;
  /** Mean D_confidence of the bin's predictions. */
  confidence: number;
  /** Share of the bin's predictions that matched a label. */
  matched: number;
}

export interface Calibration {
  value: number;
  n: number;
  bins: CalibrationBin[];
}

const r4 = (v: number) => Math.round(v * 10_000) / 10_000;

/**
 * Expected calibration error over `bins` equal-width bins of [0, 1]:
 * Σ_b (n_b / N)·|mean score_b − matched share_b|. 0 when there are no predictions.
 */
export function expectedCalibrationError(
  predictions: readonly { score: number; matched: boolean }[],
  bins = 10,
): Calibration {
  const acc = Array.from({ length: bins }, () => ({ n: 0, score: 0, hits: 0 }));
  for (const p of predictions) {
    const b = acc[Math.min(bins - 1, Math.max(0, Math.floor(p.score * bins)))]!;
    b.n++;
    b.score += p.score;
    if (p.matched) b.hits++;
  }
  const n = predictions.length;
  let ece = 0;
  const out: CalibrationBin[] = [];
  acc.forEach((b, i) => {
    if (b.n === 0) return;
    ece += (b.n / n) * Math.abs(b.score / b.n - b.hits / b.n);
    out.push({
      lo: i / bins,
      hi: (i + 1) / bins,
      n: b.n,
      confidence: r4(b.score / b.n),
      matched: r4(b.hits / b.n),
    });
  });
  return { value: r4(ece), n, bins: out };
}

export interface Auc {
  value: number;
  /** Hanley–McNeil (1982) normal interval; it collapses to a point at AUC 0 or 1. */
  ci95: [number, number];
  positives: number;
  negatives: number;
}

/**
 * Area under the ROC curve as the Mann–Whitney statistic: the chance that a positive's score
 * exceeds a negative's, ties counting one half, from midranks of the pooled scores.
 */
export function aucMannWhitney(positives: readonly number[], negatives: readonly number[]): Auc {
  const n1 = positives.length;
  const n2 = negatives.length;
  if (n1 === 0 || n2 === 0) return { value: 0.5, ci95: [0, 1], positives: n1, negatives: n2 };
  const pooled = [...positives.map((s) => ({ s, pos: true })), ...negatives.map((s) => ({ s, pos: false }))];
  pooled.sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < pooled.length; ) {
    let j = i;
    while (j + 1 < pooled.length && pooled[j + 1]!.s === pooled[i]!.s) j++;
    const midrank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (pooled[k]!.pos) rankSum += midrank;
    i = j + 1;
  }
  const a = (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n2);
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const se = Math.sqrt(
    Math.max(0, (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / (n1 * n2)),
  );
  const z = 1.959964;
  return {
    value: r4(a),
    ci95: [r4(Math.max(0, a - z * se)), r4(Math.min(1, a + z * se))],
    positives: n1,
    negatives: n2,
  };
}

const SEVERITY_INDEX = { enamel: 1, dentin: 2, "deep-dentin": 3 } as const;

export function evaluateCaries(
  cases: { predicted: CariesFinding[]; labels: CariesLabel[] }[],
  matchIou = 0.3,
): CariesEvaluation {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let toothOk = 0;
  let sevOk = 0;
  const img = { tp: 0, fp: 0, tn: 0, fn: 0 };
  const scored: { score: number; matched: boolean }[] = [];
  const imageScores = { pos: [] as number[], neg: [] as number[] };
  for (const { predicted, labels } of cases) {
    const used = new Set<number>();
    for (const p of [...predicted].sort((a, b) => b.score - a.score)) {
      let best = 0;
      let bj = -1;
      labels.forEach((l, j) => {
        const v = boxIou(p.box, l.box);
        if (!used.has(j) && v > best) {
          best = v;
          bj = j;
        }
      });
      scored.push({ score: p.score, matched: best >= matchIou });
      if (best >= matchIou) {
        used.add(bj);
        tp++;
        if (p.tooth === labels[bj]!.tooth) toothOk++;
        if (SEVERITY_INDEX[p.severity] === labels[bj]!.severity) sevOk++;
      } else fp++;
    }
    fn += labels.length - used.size;
    const has = labels.length > 0;
    const said = predicted.length > 0;
    (has ? imageScores.pos : imageScores.neg).push(Math.max(0, ...predicted.map((p) => p.score)));
    if (has && said) img.tp++;
    else if (has) img.fn++;
    else if (said) img.fp++;
    else img.tn++;
  }
  return {
    images: cases.length,
    lesions: tp + fn,
    lesionPrecision: wilson(tp, tp + fp),
    lesionRecall: wilson(tp, tp + fn),
    imageSensitivity: wilson(img.tp, img.tp + img.fn),
    imageSpecificity: wilson(img.tn, img.tn + img.fp),
    imageAccuracy: wilson(img.tp + img.tn, cases.length),
    toothAccuracy: wilson(toothOk, tp),
    severityAccuracy: wilson(sevOk, tp),
    calibrationError: expectedCalibrationError(scored),
    auc: aucMannWhitney(imageScores.pos, imageScores.neg),
  };
}
