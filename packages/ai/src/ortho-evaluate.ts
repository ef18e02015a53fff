// Evaluation of the cephalometric model against labelled images: mean radial error (MRE, mm) of
// the landmarks overall and per landmark, success detection rates within 2 and 4 mm, the absolute
// error of SNA, SNB and ANB (degrees), skeletal-class accuracy, and the calibration error of the
// two probabilities the pipeline outputs (a landmark's P(within 2 mm), the class's P(class)).
//
// Intervals: the MRE and angle errors get a normal 95% interval over images (an image's landmarks
// share its anatomy and exposure, so images, not landmarks, are the independent units); rates
// and accuracy get Wilson intervals (over landmarks for the SDRs, so those are a little narrow).
import { BttError } from "@btt/core";
import sharp from "sharp";
import { type Calibration, expectedCalibrationError, type Proportion, wilson } from "./evaluate.ts";
import type { OrthoPipeline, OrthoResult } from "./ortho-pipeline.ts";
import { type MeanWithCi, meanWithCi } from "./perio-evaluate.ts";
import {
  cephalometricAngles,
  generateOrtho,
  ORTHO_LANDMARKS,
  type OrthoLandmark,
  type Point,
  SKELETAL_CLASSES,
  type SkeletalClass,
} from "./synth-ortho.ts";

export interface OrthoLabels {
  /** Landmarks [x, y] in pixels. */
  landmarks: Record<OrthoLandmark, Point>;
  pixelSpacingMm: number;
  skeletalClass: SkeletalClass;
}

export interface OrthoEvaluation {
  images: number;
  landmarks: number;
  mreMm: MeanWithCi;
  perLandmarkMreMm: Record<string, MeanWithCi>;
  sdr2mm: Proportion;
  sdr4mm: Proportion;
  snaErrorDeg: MeanWithCi;
  snbErrorDeg: MeanWithCi;
  anbErrorDeg: MeanWithCi;
  classAccuracy: Proportion;
  classSensitivity: Record<string, Proportion>;
  /** ECE of each landmark's D_confidence against whether it fell within 2 mm. */
  landmarkCalibrationError: Calibration;
  /** ECE of the class's probability against whether the class was right. */
  classCalibrationError: Calibration;
}

type Predicted = Pick<OrthoResult, "landmarks" | "findings">;

export function evaluateOrtho(
  cases: readonly { predicted: Predicted; labels: OrthoLabels }[],
): OrthoEvaluation {
  const perImage: number[] = [];
  const perLandmark = new Map<OrthoLandmark, number[]>(ORTHO_LANDMARKS.map((k) => [k, []]));
  const angleErrors = { SNA: [] as number[], SNB: [] as number[], ANB: [] as number[] };
  let within2 = 0;
  let within4 = 0;
  let n = 0;
  let classOk = 0;
  const perClass = new Map(SKELETAL_CLASSES.map((c) => [c, { hit: 0, n: 0 }]));
  const landmarkScores: { score: number; matched: boolean }[] = [];
  const classScores: { score: number; matched: boolean }[] = [];
  for (const { predicted, labels } of cases) {
    const s = labels.pixelSpacingMm;
    const trueMm = Object.fromEntries(
      ORTHO_LANDMARKS.map((k) => [k, [labels.landmarks[k][0] * s, labels.landmarks[k][1] * s]]),
    ) as Record<OrthoLandmark, Point>;
    let sum = 0;
    for (const l of predicted.landmarks) {
      const t = trueMm[l.name];
      const err = Math.hypot(l.mm[0] - t[0], l.mm[1] - t[1]);
      sum += err;
      n++;
      perLandmark.get(l.name)!.push(err);
      if (err <= 2) within2++;
      if (err <= 4) within4++;
      landmarkScores.push({ score: l.score, matched: err <= 2 });
    }
    perImage.push(sum / predicted.landmarks.length);
    // The reference angles from the labelled landmarks (what the drawn skull was built with).
    const truth = cephalometricAngles(trueMm);
    const found = (m: string) => predicted.findings.find((f) => f.measure === m)!;
    angleErrors.SNA.push(Math.abs(found("SNA").valueDeg - truth.sna));
    angleErrors.SNB.push(Math.abs(found("SNB").valueDeg - truth.snb));
    angleErrors.ANB.push(Math.abs(found("ANB").valueDeg - truth.anb));
    const cls = found("skeletal-class");
    const ok = cls.skeletalClass === labels.skeletalClass;
    if (ok) classOk++;
    const c = perClass.get(labels.skeletalClass)!;
    c.n++;
    if (ok) c.hit++;
    classScores.push({ score: cls.score, matched: ok });
  }
  return {
    images: cases.length,
    landmarks: n,
    mreMm: meanWithCi(perImage),
    perLandmarkMreMm: Object.fromEntries([...perLandmark].map(([k, v]) => [k, meanWithCi(v)])),
    sdr2mm: wilson(within2, n),
    sdr4mm: wilson(within4, n),
    snaErrorDeg: meanWithCi(angleErrors.SNA),
    snbErrorDeg: meanWithCi(angleErrors.SNB),
    anbErrorDeg: meanWithCi(angleErrors.ANB),
    classAccuracy: wilson(classOk, cases.length),
    classSensitivity: Object.fromEntries([...perClass].map(([k, v]) => [k, wilson(v.hit, v.n)])),
    landmarkCalibrationError: expectedCalibrationError(landmarkScores),
    classCalibrationError: expectedCalibrationError(classScores),
  };
}

export interface LabelledOrthoImage {
  name: string;
  labels: OrthoLabels;
  bytes(): Promise<Uint8Array>;
}

export interface LabelledOrthoSet {
  description: string;
  images: LabelledOrthoImage[];
}

const SYNTHETIC = /^synthetic:(\d+):(\d+)$/;

/**
 * `synthetic:<seed>:<count>`: the images models/tools/synth-ortho.ts writes for --seed/--count,
 * generated in memory as 8-bit PNG (no Pixel Spacing: the pipeline takes the card's 0.4 mm, the
 * generator's). Seed 23 is the card's held-out set; 21 and 22 trained and validated the model.
 */
export function openOrthoSet(spec: string): LabelledOrthoSet {
  const m = SYNTHETIC.exec(spec);
  const seed0 = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(seed0) || count < 1 || count > 10_000)
    throw new BttError(
      "INVALID_MESSAGE",
      `--data ${spec}: the orthodontic module reads synthetic:<seed>:<count> with 1 ≤ count ≤ 10000`,
    );
  const images = Array.from({ length: count }, (_, i): LabelledOrthoImage => {
    const seed = seed0 * 1_000_003 + i;
    const { image, landmarks, pixelSpacingMm, skeletalClass } = generateOrtho(seed);
    // Kept as 8-bit pixels (a quarter of the float image) until the PNG is asked for.
    const px = Buffer.alloc(image.width * image.height);
    for (let p = 0; p < px.length; p++) px[p] = Math.round(Math.min(1, Math.max(0, image.data[p]!)) * 255);
    return {
      name: `synthetic seed ${seed}`,
      labels: { landmarks, pixelSpacingMm, skeletalClass },
      bytes: async () => {
        return sharp(px, { raw: { width: image.width, height: image.height, channels: 1 } })
          .png()
          .toBuffer();
      },
    };
  });
  return { description: `synthetic lateral cephalograms, seed ${seed0}, ${count} images`, images };
}

/** Every image through the pipeline (no test-time views: the positions do not depend on them). */
export async function evaluateOrthoSet(
  pipeline: OrthoPipeline,
  set: LabelledOrthoSet,
): Promise<OrthoEvaluation> {
  const cases = [];
  for (const img of set.images) {
    const res = await pipeline.analyze(await img.bytes(), { augmentations: [] }).catch((err) => {
      if (err instanceof BttError) throw new BttError(err.code, `${img.name}: ${err.message}`, err.details);
      throw err;
    });
    cases.push({ predicted: res, labels: img.labels });
  }
  return evaluateOrtho(cases);
}
