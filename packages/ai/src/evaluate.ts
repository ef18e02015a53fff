// Evaluation of the caries model against labelled images: lesion-level precision/recall (a
// prediction matches an unmatched label of IoU ≥ 0.3), image-level sensitivity/specificity/
// accuracy (any lesion vs none), tooth and severity accuracy on matched lesions, each with a
// Wilson 95% interval.
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
  };
}
