// Evaluation of the endodontic model against labelled teeth. Per tooth (matched by FDI number):
// sensitivity, specificity and accuracy of the lesion call (Wilson 95% intervals), the AUC of the
// lesion probability (Hanley–McNeil interval), its calibration error (ECE against the label) and
// the PAI-like score's exact agreement. Per lesion: precision and recall of the called lesion
// boxes (a box matches an unmatched labelled lesion of IoU ≥ 0.3), and the diameter error in mm
// of matched lesions. A labelled tooth the model did not report counts as "no lesion" at p = 0,
// so a missed tooth costs sensitivity rather than disappearing from the figures.
import { BttError } from "@btt/core";
import type { EndoFinding } from "./endo.ts";
import type { EndoPipeline } from "./endo-pipeline.ts";
import {
  type Auc,
  aucMannWhitney,
  boxIou,
  type Calibration,
  expectedCalibrationError,
  type Proportion,
  wilson,
} from "./evaluate.ts";
import { type MeanWithCi, meanWithCi } from "./perio-evaluate.ts";
import type { Image } from "./study.ts";
import { type EndoToothLabel, generateEndo } from "./synth-endo.ts";
import { imageToPng } from "./synth-radiograph.ts";

export interface EndoEvaluation {
  images: number;
  /** Labelled teeth, and how many of them are lesion-positive (score ≥ 3). */
  teeth: number;
  positiveTeeth: number;
  /** Labelled teeth the model reported no tooth for; reported teeth with no label. */
  missedTeeth: number;
  extraTeeth: number;
  sensitivity: Proportion;
  specificity: Proportion;
  accuracy: Proportion;
  auc: Auc;
  /** ECE of the lesion probability against the tooth's label. */
  calibrationError: Calibration;
  scoreAccuracy: Proportion;
  lesionPrecision: Proportion;
  lesionRecall: Proportion;
  /** |predicted − labelled| largest diameter of box-matched lesions, mm. */
  diameterMaeMm: MeanWithCi;
}

export type EndoPrediction = Pick<
  EndoFinding,
  "tooth" | "lesion" | "lesionProbability" | "score" | "box" | "diameterMm"
>;

export function evaluateEndo(
  cases: readonly { predicted: readonly EndoPrediction[]; labels: readonly EndoToothLabel[] }[],
  matchIou = 0.3,
): EndoEvaluation {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let teeth = 0;
  let positiveTeeth = 0;
  let missedTeeth = 0;
  let extraTeeth = 0;
  let scoreOk = 0;
  const pos: number[] = [];
  const neg: number[] = [];
  const calibration: { score: number; matched: boolean }[] = [];
  const lesions = { tp: 0, fp: 0, fn: 0 };
  const diameterErrors: number[] = [];
  for (const { predicted, labels } of cases) {
    for (const l of labels) {
      teeth++;
      if (l.positive) positiveTeeth++;
      const p = predicted.find((f) => f.tooth === l.tooth);
      if (!p) missedTeeth++;
      const prob = p?.lesionProbability ?? 0;
      const called = p?.lesion ?? false;
      (l.positive ? pos : neg).push(prob);
      calibration.push({ score: prob, matched: l.positive });
      if (l.positive) called ? c.tp++ : c.fn++;
      else called ? c.fp++ : c.tn++;
      if ((p?.score ?? 1) === l.score) scoreOk++;
    }
    extraTeeth += predicted.filter((f) => !labels.some((l) => l.tooth === f.tooth)).length;
    // Lesion level: called boxes against labelled lesion-positive boxes, most probable first.
    const truth = labels.filter((l) => l.positive && l.lesion).map((l) => l.lesion!);
    const used = new Set<number>();
    for (const p of predicted
      .filter((f) => f.lesion)
      .sort((a, b) => b.lesionProbability - a.lesionProbability)) {
      let best = 0;
      let bj = -1;
      truth.forEach((t, j) => {
        const v = boxIou(p.box, t.box);
        if (!used.has(j) && v > best) {
          best = v;
          bj = j;
        }
      });
      if (best >= matchIou) {
        used.add(bj);
        lesions.tp++;
        diameterErrors.push(Math.abs(p.diameterMm - truth[bj]!.diameterMm));
      } else lesions.fp++;
    }
    lesions.fn += truth.length - used.size;
  }
  return {
    images: cases.length,
    teeth,
    positiveTeeth,
    missedTeeth,
    extraTeeth,
    sensitivity: wilson(c.tp, c.tp + c.fn),
    specificity: wilson(c.tn, c.tn + c.fp),
    accuracy: wilson(c.tp + c.tn, teeth),
    auc: aucMannWhitney(pos, neg),
    calibrationError: expectedCalibrationError(calibration),
    scoreAccuracy: wilson(scoreOk, teeth),
    lesionPrecision: wilson(lesions.tp, lesions.tp + lesions.fp),
    lesionRecall: wilson(lesions.tp, lesions.tp + lesions.fn),
    diameterMaeMm: meanWithCi(diameterErrors),
  };
}

export interface LabelledEndoImage {
  name: string;
  side: "R" | "L";
  labels: EndoToothLabel[];
  bytes(): Promise<Uint8Array>;
}

export interface LabelledEndoSet {
  description: string;
  images: LabelledEndoImage[];
}

const SYNTHETIC = /^synthetic:(\d+):(\d+)$/;

/**
 * `synthetic:<seed>:<count>`: the images models/tools/synth-endo.ts writes for --seed/--count,
 * generated in memory as 8-bit PNG (seed 23 is the card's held-out set; 21 and 22 trained it).
 */
export function openEndoSet(spec: string): LabelledEndoSet {
  const m = SYNTHETIC.exec(spec);
  const seed0 = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(seed0) || count < 1 || count > 10_000)
    throw new BttError(
      "INVALID_MESSAGE",
      `--data ${spec}: the endodontic module reads synthetic:<seed>:<count> with 1 ≤ count ≤ 10000`,
    );
  const images = Array.from({ length: count }, (_, i): LabelledEndoImage => {
    const seed = seed0 * 1_000_003 + i;
    // Generated when first read, and the float image dropped once encoded (a 300-image set
    // would otherwise hold 160 MB of pixels).
    let drawn: Omit<ReturnType<typeof generateEndo>, "image"> & { image?: Image } = {
      side: "R",
      arch: "lower",
      teeth: [],
      pixelSpacingMm: 0,
    };
    let ready = false;
    let png: Promise<Uint8Array> | undefined;
    const get = () => {
      if (!ready) {
        drawn = generateEndo(seed);
        ready = true;
      }
      return drawn;
    };
    return {
      name: `synthetic seed ${seed}`,
      get side() {
        return get().side;
      },
      get labels() {
        return get().teeth;
      },
      bytes: () => {
        png ??= imageToPng(get().image!).then((b) => {
          drawn.image = undefined;
          return b;
        });
        return png;
      },
    };
  });
  return { description: `synthetic periapical views, seed ${seed0}, ${count} images`, images };
}

/** Every image through the pipeline (no test-time views: the calls do not depend on them). */
export async function evaluateEndoSet(pipeline: EndoPipeline, set: LabelledEndoSet): Promise<EndoEvaluation> {
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
  return evaluateEndo(cases);
}
