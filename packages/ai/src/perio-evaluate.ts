// Evaluation of the periodontal model against labelled teeth: mean absolute error of the bone
// loss (percentage points, normal 95% interval), the share within 10 points, stage accuracy and
// per-stage sensitivity (Wilson intervals), and the calibration error of D_confidence against
// whether the stage was right. Teeth are matched to predictions by FDI number.
import { BttError } from "@btt/core";
import sharp from "sharp";
import { type Calibration, expectedCalibrationError, type Proportion, wilson } from "./evaluate.ts";
import type { PerioFinding } from "./perio.ts";
import type { PerioPipeline } from "./perio-pipeline.ts";
import { generatePerio, PERIO_STAGES, type PerioToothLabel } from "./synth-perio.ts";

export interface MeanWithCi {
  value: number;
  ci95: [number, number];
  n: number;
}

export interface PerioEvaluation {
  images: number;
  teeth: number;
  /** Labelled teeth the model gave no estimate for (a tooth number outside its slots). */
  unmatched: number;
  boneLossMae: MeanWithCi;
  within10pp: Proportion;
  stageAccuracy: Proportion;
  stageSensitivity: Record<string, Proportion>;
  calibrationError: Calibration;
}

const r4 = (v: number) => Math.round(v * 10_000) / 10_000;

export function meanWithCi(values: readonly number[]): MeanWithCi {
  const n = values.length;
  if (n === 0) return { value: 0, ci95: [0, 0], n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  const half = (1.959964 * sd) / Math.sqrt(n);
  return { value: r4(mean), ci95: [r4(Math.max(0, mean - half)), r4(mean + half)], n };
}

export function evaluatePerio(
  cases: readonly { predicted: readonly PerioFinding[]; labels: readonly PerioToothLabel[] }[],
): PerioEvaluation {
  const errors: number[] = [];
  let within = 0;
  let stageOk = 0;
  let unmatched = 0;
  const perStage = new Map(PERIO_STAGES.map((s) => [s, { hit: 0, n: 0 }]));
  const scored: { score: number; matched: boolean }[] = [];
  for (const { predicted, labels } of cases)
    for (const l of labels) {
      const p = predicted.find((f) => f.tooth === l.tooth);
      if (!p) {
        unmatched++;
        continue;
      }
      const err = Math.abs(p.boneLossPct - l.boneLossPct);
      errors.push(err);
      if (err <= 10) within++;
      const ok = p.stage === l.stage;
      if (ok) stageOk++;
      const s = perStage.get(l.stage)!;
      s.n++;
      if (ok) s.hit++;
      scored.push({ score: p.score, matched: ok });
    }
  return {
    images: cases.length,
    teeth: errors.length + unmatched,
    unmatched,
    boneLossMae: meanWithCi(errors),
    within10pp: wilson(within, errors.length),
    stageAccuracy: wilson(stageOk, errors.length),
    stageSensitivity: Object.fromEntries([...perStage].map(([k, v]) => [k, wilson(v.hit, v.n)])),
    calibrationError: expectedCalibrationError(scored),
  };
}

export interface LabelledPerioImage {
  name: string;
  side: "R" | "L";
  labels: PerioToothLabel[];
  bytes(): Promise<Uint8Array>;
}

export interface LabelledPerioSet {
  description: string;
  images: LabelledPerioImage[];
}

const SYNTHETIC = /^synthetic:(\d+):(\d+)$/;

/**
 * `synthetic:<seed>:<count>`: the images models/tools/synth-perio.ts writes for --seed/--count,
 * generated in memory as 8-bit PNG (seed 13 is the card's held-out set; 11 and 12 trained it).
 */
export function openPerioSet(spec: string): LabelledPerioSet {
  const m = SYNTHETIC.exec(spec);
  const seed0 = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(seed0) || count < 1 || count > 10_000)
    throw new BttError(
      "INVALID_MESSAGE",
      `--data ${spec}: the periodontal module reads synthetic:<seed>:<count> with 1 ≤ count ≤ 10000`,
    );
  const images = Array.from({ length: count }, (_, i): LabelledPerioImage => {
    const seed = seed0 * 1_000_003 + i;
    const { image, side, teeth } = generatePerio(seed);
    return {
      name: `synthetic seed ${seed}`,
      side,
      labels: teeth,
      bytes: async () => {
        const px = Buffer.alloc(image.width * image.height);
        for (let p = 0; p < px.length; p++)
          px[p] = Math.round(Math.min(1, Math.max(0, image.data[p]!)) * 255);
        return sharp(px, { raw: { width: image.width, height: image.height, channels: 1 } })
          .png()
          .toBuffer();
      },
    };
  });
  return { description: `synthetic periodontal views, seed ${seed0}, ${count} images`, images };
}

/** Every image through the pipeline (no test-time views: estimates do not depend on them). */
export async function evaluatePerioSet(
  pipeline: PerioPipeline,
  set: LabelledPerioSet,
): Promise<PerioEvaluation> {
  const cases = [];
  for (const img of set.images) {
    const res = await pipeline
      .analyze(await img.bytes(), { side: img.side, augmentations: [] })
      .catch((err) => {
        if (err instanceof BttError) throw new BttError(err.code, `${img.name}: ${err.message}`, err.details);
        throw err;
      });
    cases.push({ predicted: res.findings, labels: img.labels });
  }
  return evaluatePerio(cases);
}
