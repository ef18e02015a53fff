// The caries module's contract: how a study becomes the model's input tensor, and how the
// model's output grid becomes lesions with boxes, FDI tooth numbers and severities.
import { toDisplay } from "./display.ts";
import { flipHorizontal, normaliseIntensity, orient, resize } from "./normalise.ts";
import type { Image, Study } from "./study.ts";

export const CARIES_INPUT = { width: 256, height: 128 } as const;
/** Output grid: one cell per 8x8 input pixels. */
export const CARIES_STRIDE = 8;
export const CARIES_GRID = {
  width: CARIES_INPUT.width / CARIES_STRIDE,
  height: CARIES_INPUT.height / CARIES_STRIDE,
};
/** Channels: objectness, centre x/y offset, log width/height, 3 severities, 8 tooth positions. */
export const CARIES_CHANNELS = 16;
export const SEVERITIES = ["enamel", "dentin", "deep-dentin"] as const;
/** Tooth position classes in a bitewing: arch × FDI unit digit; the quadrant comes from the side. */
export const TOOTH_POSITIONS = [
  ["upper", 4],
  ["upper", 5],
  ["upper", 6],
  ["upper", 7],
  ["lower", 4],
  ["lower", 5],
  ["lower", 6],
  ["lower", 7],
] as const;

export function toothClass(fdi: number): number {
  const quadrant = Math.floor(fdi / 10);
  const unit = fdi % 10;
  if (unit < 4 || unit > 7 || quadrant < 1 || quadrant > 4)
    throw new RangeError(`tooth ${fdi} is not in a bitewing`);
  return (quadrant <= 2 ? 0 : 4) + unit - 4;
}

export function toothFdi(cls: number, side: "R" | "L"): number {
  const [arch, unit] = TOOTH_POSITIONS[cls]!;
  const quadrant = side === "R" ? (arch === "upper" ? 1 : 4) : arch === "upper" ? 2 : 3;
  return quadrant * 10 + unit;
}

/** Maps model-input coordinates back to the source image. */
export interface InputTransform {
  sourceWidth: number;
  sourceHeight: number;
  mirrored: boolean;
  side: "R" | "L";
}

export interface PreparedInput {
  tensor: Float32Array;
  /** The display image before resampling (quality is measured on it). */
  display: Image;
  transform: InputTransform;
}

/**
 * Display → canonical orientation → left bitewings mirrored into the right-side layout the
 * model was trained on → resampled to 256x128 → percentile intensity stretch.
 */
export function prepareCaries(study: Study, frame = 0, side?: "R" | "L"): PreparedInput {
  const oriented = orient(toDisplay(study, frame), study).image;
  const s: "R" | "L" = side ?? (study.laterality?.startsWith("L") ? "L" : "R");
  const canonical = s === "L" ? flipHorizontal(oriented) : oriented;
  const small = normaliseIntensity(resize(canonical, CARIES_INPUT.width, CARIES_INPUT.height));
  return {
    tensor: small.data,
    display: oriented,
    transform: { sourceWidth: oriented.width, sourceHeight: oriented.height, mirrored: s === "L", side: s },
  };
}

/** A box [x, y, w, h] from source pixels to model-input pixels (and back with `inverse`). */
export function mapBox(
  box: readonly [number, number, number, number],
  t: InputTransform,
  inverse = false,
): [number, number, number, number] {
  const sx = inverse ? t.sourceWidth / CARIES_INPUT.width : CARIES_INPUT.width / t.sourceWidth;
  const sy = inverse ? t.sourceHeight / CARIES_INPUT.height : CARIES_INPUT.height / t.sourceHeight;
  let [x, y, w, h] = box;
  if (t.mirrored && inverse) x = CARIES_INPUT.width - x - w;
  x *= sx;
  y *= sy;
  w *= sx;
  h *= sy;
  if (t.mirrored && !inverse) x = CARIES_INPUT.width - x - w;
  return [x, y, w, h];
}

export interface CariesFinding {
  /** [x, y, w, h] in source-image pixels. */
  box: [number, number, number, number];
  tooth: number;
  severity: (typeof SEVERITIES)[number];
  /** D_confidence: the model's lesion probability. */
  score: number;
  severityScore: number;
  toothScore: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function softmaxArgmax(values: number[]): { index: number; p: number } {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  let index = 0;
  for (let i = 1; i < exps.length; i++) if (exps[i]! > exps[index]!) index = i;
  return { index, p: exps[index]! / sum };
}

function iou(a: readonly number[], b: readonly number[]): number {
  const x1 = Math.max(a[0]!, b[0]!);
  const y1 = Math.max(a[1]!, b[1]!);
  const x2 = Math.min(a[0]! + a[2]!, b[0]! + b[2]!);
  const y2 = Math.min(a[1]! + a[3]!, b[1]! + b[3]!);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return inter / (a[2]! * a[3]! + b[2]! * b[3]! - inter || 1);
}

/** Output grid [16, 16, 32] → lesions above `threshold`, local maxima only, then box NMS. */
export function decodeCaries(
  grid: Float32Array,
  t: InputTransform,
  threshold: number,
  nmsIou = 0.3,
): CariesFinding[] {
  const { width: gw, height: gh } = CARIES_GRID;
  const plane = gw * gh;
  const at = (c: number, y: number, x: number) => grid[c * plane + y * gw + x]!;
  const candidates: CariesFinding[] = [];
  for (let y = 0; y < gh; y++)
    for (let x = 0; x < gw; x++) {
      const logit = at(0, y, x);
      const score = sigmoid(logit);
      if (score < threshold) continue;
      let isMax = true;
      for (let dy = -1; dy <= 1 && isMax; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if ((dx || dy) && yy >= 0 && yy < gh && xx >= 0 && xx < gw && at(0, yy, xx) > logit) {
            isMax = false;
            break;
          }
        }
      if (!isMax) continue;
      const cx = (x + sigmoid(at(1, y, x))) * CARIES_STRIDE;
      const cy = (y + sigmoid(at(2, y, x))) * CARIES_STRIDE;
      const w = Math.exp(Math.min(4, at(3, y, x))) * CARIES_STRIDE;
      const h = Math.exp(Math.min(4, at(4, y, x))) * CARIES_STRIDE;
      const sev = softmaxArgmax([at(5, y, x), at(6, y, x), at(7, y, x)]);
      const tooth = softmaxArgmax([8, 9, 10, 11, 12, 13, 14, 15].map((c) => at(c, y, x)));
      candidates.push({
        box: mapBox([cx - w / 2, cy - h / 2, w, h], t, true),
        tooth: toothFdi(tooth.index, t.side),
        severity: SEVERITIES[sev.index]!,
        score,
        severityScore: sev.p,
        toothScore: tooth.p,
      });
    }
  candidates.sort((a, b) => b.score - a.score);
  const kept: CariesFinding[] = [];
  for (const c of candidates) if (kept.every((k) => iou(k.box, c.box) < nmsIou)) kept.push(c);
  return kept;
}
