// Cephalometric measures from landmarks: SNA, SNB and ANB with the skeletal class, and how sure
// one can be of them given each landmark's spread. Positions are taken in whole tenths of a mm and
// angles kept in whole tenths of a degree, so the pipeline's report and the compute network's
// canonical bytes are computed by the same steps from the same numbers and can never disagree
// (a class read from an unrounded ANB of 4.04° would be II while its canonical 4.0° says I).
import {
  ANB_CLASS_I_MAX_DEG,
  ANB_CLASS_I_MIN_DEG,
  cephalometricAngles,
  type OrthoLandmark,
  type Point,
  SKELETAL_CLASSES,
  type SkeletalClass,
  skeletalClass,
} from "./synth-ortho.ts";

export const ORTHO_ANGLES = ["SNA", "SNB", "ANB"] as const;
export type OrthoAngle = (typeof ORTHO_ANGLES)[number];

const tenth = (v: number) => Math.round(v * 10) / 10;

/** A position in mm rounded to whole tenths of a mm (the resolution every measure is taken at). */
export const roundMm = (p: Point): Point => [tenth(p[0]), tenth(p[1])];

export interface CephalometricMeasures {
  /** Degrees, in whole tenths. */
  SNA: number;
  SNB: number;
  ANB: number;
  skeletalClass: SkeletalClass;
}

type AngleLandmarks = Pick<Record<OrthoLandmark, Point>, "S" | "N" | "A" | "B">;

/** The angles (rounded to 0.1°) of landmarks in mm (rounded to 0.1 mm first), and the class of that ANB. */
export function cephalometricMeasures(mm: AngleLandmarks): CephalometricMeasures {
  const a = cephalometricAngles({ S: roundMm(mm.S), N: roundMm(mm.N), A: roundMm(mm.A), B: roundMm(mm.B) });
  const ANB = tenth(a.anb);
  return { SNA: tenth(a.sna), SNB: tenth(a.snb), ANB, skeletalClass: skeletalClass(ANB) };
}

/**
 * The standard deviation (degrees) of each angle when every landmark's position has an
 * independent normal error of its σ (mm) per axis: first-order propagation through numerical
 * derivatives of the unrounded angles.
 */
export function angleSigmas(
  mm: AngleLandmarks,
  sigmaMm: Pick<Record<OrthoLandmark, number>, "S" | "N" | "A" | "B">,
) {
  const base = cephalometricAngles(mm);
  const h = 0.01;
  const variance = { SNA: 0, SNB: 0, ANB: 0 };
  for (const k of ["S", "N", "A", "B"] as const)
    for (const axis of [0, 1]) {
      const moved = { ...mm, [k]: axis === 0 ? [mm[k][0] + h, mm[k][1]] : [mm[k][0], mm[k][1] + h] };
      const a = cephalometricAngles(moved);
      const s2 = sigmaMm[k] ** 2;
      variance.SNA += ((a.sna - base.sna) / h) ** 2 * s2;
      variance.SNB += ((a.snb - base.snb) / h) ** 2 * s2;
      variance.ANB += ((a.anb - base.anb) / h) ** 2 * s2;
    }
  return { SNA: Math.sqrt(variance.SNA), SNB: Math.sqrt(variance.SNB), ANB: Math.sqrt(variance.ANB) };
}

/** erf, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
export function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}

/** Standard normal cumulative distribution. */
export const normalCdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

/** Angle tolerance (degrees) an angle's D_confidence refers to. */
export const ANGLE_TOLERANCE_DEG = 2;

/** P(|error| ≤ tolerance) for a normal error of σ. */
export function withinTolerance(tolerance: number, sigma: number): number {
  if (sigma <= 0) return 1;
  return erf(tolerance / (sigma * Math.SQRT2));
}

/** P(class) for each skeletal class when the true ANB is normal around `anb` with σ (degrees). */
export function classProbabilities(anb: number, sigma: number): Record<SkeletalClass, number> {
  if (sigma <= 0) {
    const c = skeletalClass(anb);
    return Object.fromEntries(SKELETAL_CLASSES.map((k) => [k, k === c ? 1 : 0])) as Record<
      SkeletalClass,
      number
    >;
  }
  const below = normalCdf((ANB_CLASS_I_MIN_DEG - anb) / sigma);
  const upTo = normalCdf((ANB_CLASS_I_MAX_DEG - anb) / sigma);
  return { I: upTo - below, II: 1 - upTo, III: below };
}
