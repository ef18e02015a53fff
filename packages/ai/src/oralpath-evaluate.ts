// Evaluation of the oral-pathology screening classifier against labelled images: accuracy, per
// class sensitivity and specificity (one class against the rest; Wilson 95% intervals), per-class
// AUC of that class's probability and their mean (macro AUC), the refer flag's sensitivity and
// specificity for the ill-defined class, and the calibration error of the top-class probability
// against whether the class was right.
import { BttError } from "@btt/core";
import {
  type Auc,
  aucMannWhitney,
  type Calibration,
  expectedCalibrationError,
  type Proportion,
  wilson,
} from "./evaluate.ts";
import type { OralPathFinding } from "./oralpath.ts";
import type { OralPathPipeline } from "./oralpath-pipeline.ts";
import {
  generateOralPath,
  ORAL_PATH_CLASSES,
  ORAL_PATH_REFER_CLASS,
  type OralPathClass,
} from "./synth-oralpath.ts";
import { imageToPng } from "./synth-radiograph.ts";

export interface OralPathEvaluation {
  images: number;
  accuracy: Proportion;
  sensitivity: Record<OralPathClass, Proportion>;
  specificity: Record<OralPathClass, Proportion>;
  auc: Record<OralPathClass, Auc>;
  /** Mean of the four one-vs-rest AUCs. */
  macroAuc: number;
  referSensitivity: Proportion;
  referSpecificity: Proportion;
  calibrationError: Calibration;
}

const r4 = (v: number) => Math.round(v * 10_000) / 10_000;

export function evaluateOralPath(
  cases: readonly {
    predicted: Pick<OralPathFinding, "cls" | "score" | "refer" | "probabilities">;
    label: OralPathClass;
  }[],
): OralPathEvaluation {
  const ok = cases.filter((c) => c.predicted.cls === c.label).length;
  const per = (k: OralPathClass) => {
    const pos = cases.filter((c) => c.label === k);
    const neg = cases.filter((c) => c.label !== k);
    return {
      sensitivity: wilson(pos.filter((c) => c.predicted.cls === k).length, pos.length),
      specificity: wilson(neg.filter((c) => c.predicted.cls !== k).length, neg.length),
      auc: aucMannWhitney(
        pos.map((c) => c.predicted.probabilities[k]),
        neg.map((c) => c.predicted.probabilities[k]),
      ),
    };
  };
  const byClass = ORAL_PATH_CLASSES.map((k) => [k, per(k)] as const);
  const pick = <K extends "sensitivity" | "specificity" | "auc">(key: K) =>
    Object.fromEntries(byClass.map(([k, v]) => [k, v[key]])) as Record<
      OralPathClass,
      ReturnType<typeof per>[K]
    >;
  const refer = cases.filter((c) => c.label === ORAL_PATH_REFER_CLASS);
  const noRefer = cases.filter((c) => c.label !== ORAL_PATH_REFER_CLASS);
  return {
    images: cases.length,
    accuracy: wilson(ok, cases.length),
    sensitivity: pick("sensitivity"),
    specificity: pick("specificity"),
    auc: pick("auc"),
    macroAuc: r4(byClass.reduce((a, [, v]) => a + v.auc.value, 0) / byClass.length),
    referSensitivity: wilson(refer.filter((c) => c.predicted.refer).length, refer.length),
    referSpecificity: wilson(noRefer.filter((c) => !c.predicted.refer).length, noRefer.length),
    calibrationError: expectedCalibrationError(
      cases.map((c) => ({ score: c.predicted.score, matched: c.predicted.cls === c.label })),
    ),
  };
}

export interface LabelledOralPathImage {
  name: string;
  side: "R" | "L";
  label: OralPathClass;
  bytes(): Promise<Uint8Array>;
}

const SYNTHETIC = /^synthetic:(\d+):(\d+)$/;

/**
 * `synthetic:<seed>:<count>`: the images models/tools/synth-oralpath.ts writes for --seed/--count,
 * generated when read (seed 33 is the card's held-out set; 31 and 32 trained it).
 */
export function openOralPathSet(spec: string): { description: string; images: LabelledOralPathImage[] } {
  const m = SYNTHETIC.exec(spec);
  const seed0 = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(seed0) || count < 1 || count > 10_000)
    throw new BttError(
      "INVALID_MESSAGE",
      `--data ${spec}: the oral-pathology module reads synthetic:<seed>:<count> with 1 ≤ count ≤ 10000`,
    );
  const images = Array.from({ length: count }, (_, i): LabelledOralPathImage => {
    const seed = seed0 * 1_000_003 + i;
    // Drawn once, when first read; the PNG and the label are kept, the float pixels are not.
    let meta: { side: "R" | "L"; cls: OralPathClass } | undefined;
    let png: Promise<Uint8Array> | undefined;
    const draw = () => {
      const s = generateOralPath(seed);
      meta = { side: s.side, cls: s.cls };
      png = imageToPng(s.image);
      return meta;
    };
    return {
      name: `synthetic seed ${seed}`,
      get side() {
        return (meta ?? draw()).side;
      },
      get label() {
        return (meta ?? draw()).cls;
      },
      bytes: () => {
        if (!png) draw();
        return png!;
      },
    };
  });
  return { description: `synthetic oral-pathology views, seed ${seed0}, ${count} images`, images };
}

/** Every image through the pipeline, without test-time views. */
export async function evaluateOralPathSet(
  pipeline: OralPathPipeline,
  set: { images: LabelledOralPathImage[] },
): Promise<OralPathEvaluation> {
  const cases = [];
  for (const img of set.images) {
    const res = await pipeline
      .analyze(await img.bytes(), { side: img.side, augmentations: [] })
      .catch((err) => {
        if (err instanceof BttError) throw new BttError(err.code, `${img.name}: ${err.message}`, err.details);
        throw err;
      });
    cases.push({ predicted: res.finding, label: img.label });
  }
  return evaluateOralPath(cases);
}
