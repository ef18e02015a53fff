// The oral-pathology screening module's contract: the same periapical input as the endodontic
// module (prepareEndo), and a four-class output → class probabilities, a screening class and a
// "refer" flag.
import { ENDO_INPUT, type PreparedEndo, prepareEndo } from "./endo.ts";
import type { Study } from "./study.ts";
import { ORAL_PATH_CLASSES, ORAL_PATH_REFER_CLASS, type OralPathClass } from "./synth-oralpath.ts";

export const ORAL_PATH_INPUT = ENDO_INPUT;
/**
 * Refer when the ill-defined class's probability reaches this, even if another class is likelier:
 * a screening operating point that trades specificity for sensitivity on the class that matters.
 */
export const ORAL_PATH_REFER_THRESHOLD = 0.3;

/** The endodontic module's preprocessing: both read the same periapical view. */
export function prepareOralPath(study: Study, frame = 0, side?: "R" | "L"): PreparedEndo {
  return prepareEndo(study, frame, side);
}

export interface OralPathFinding {
  /** Softmax probability per class, in ORAL_PATH_CLASSES order. */
  probabilities: Record<OralPathClass, number>;
  /** The most probable class. */
  cls: OralPathClass;
  /** D_confidence: the probability of that class. */
  score: number;
  /** P(ill-defined radiolucency) ≥ the referral threshold. */
  refer: boolean;
}

/** Raw logits [1, 4] → probabilities, screening class and refer flag. */
export function decodeOralPath(
  logits: Float32Array,
  referThreshold = ORAL_PATH_REFER_THRESHOLD,
): OralPathFinding {
  const values = ORAL_PATH_CLASSES.map((_, i) => logits[i]!);
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  const p = exps.map((e) => e / sum);
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  const probabilities = Object.fromEntries(ORAL_PATH_CLASSES.map((c, i) => [c, p[i]!])) as Record<
    OralPathClass,
    number
  >;
  return {
    probabilities,
    cls: ORAL_PATH_CLASSES[best]!,
    score: p[best]!,
    refer: probabilities[ORAL_PATH_REFER_CLASS] >= referThreshold,
  };
}
