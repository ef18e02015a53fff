// The endodontic module's contract: how a periapical study becomes the model's input tensor, and
// how the model's per-tooth-slot output becomes findings {tooth (FDI), lesion probability, lesion
// box in pixels and mm, PAI-like score}.
import { toDisplay } from "./display.ts";
import { flipHorizontal, normaliseIntensity, orient, resize } from "./normalise.ts";
import type { Image, Study } from "./study.ts";
import {
  ENDO_IMAGE,
  ENDO_LESION_MIN_MM,
  ENDO_PIXEL_SPACING_MM,
  type EndoBox,
  endoScore,
} from "./synth-endo.ts";

export const ENDO_INPUT = { width: 160, height: 208 } as const;
/** One slot per posterior tooth unit: FDI units 4, 5, 6, 7 (in that order). */
export const ENDO_SLOT_UNITS = [4, 5, 6, 7] as const;
export const ENDO_SLOTS = ENDO_SLOT_UNITS.length;
/**
 * Per slot: 0 tooth-present logit, 1 lesion logit (score ≥ 3), 2 radiolucency diameter
 * (sigmoid × ENDO_DIAMETER_SCALE_MM), 3-6 lesion box centre x, centre y, width, height, 7-8 the
 * tooth's apex x, y (fractions of the input's width and height), 9 upper-arch logit.
 */
export const ENDO_CHANNELS = 10;
/** After the slots: a lesion-centre logit map at stride 8 of the input (26 rows × 20 columns). */
export const ENDO_HEATMAP = { width: 20, height: 26, stride: 8 } as const;
/** The model's one output: the slots, then the heatmap, flattened. */
export const ENDO_OUTPUT_LENGTH = ENDO_SLOTS * ENDO_CHANNELS + ENDO_HEATMAP.width * ENDO_HEATMAP.height;
/** A called lesion's centre is the heatmap peak within this many cells of the slot's own estimate. */
export const ENDO_PEAK_SEARCH_CELLS = 4;
export const ENDO_DIAMETER_SCALE_MM = 10;
/** Default operating point of the lesion probability (the card's threshold). */
export const ENDO_LESION_THRESHOLD = 0.5;
/** A slot whose tooth-present probability is below this reports no tooth. */
export const ENDO_PRESENCE_THRESHOLD = 0.5;

export interface EndoTransform {
  sourceWidth: number;
  sourceHeight: number;
  mirrored: boolean;
  side: "R" | "L";
  /** mm per source pixel (the file's Pixel Spacing, or the film's assumed 32 mm width). */
  pixelSpacingMm: number;
}

export interface PreparedEndo {
  tensor: Float32Array;
  /** The display image before resampling (quality is measured on it). */
  display: Image;
  transform: EndoTransform;
}

/**
 * Display → canonical orientation → left-side views mirrored into the right-side layout → area
 * resampling to 160x208 → percentile intensity stretch. Upper-arch views are not flipped: the
 * model reads the arch from the image (its channel 9).
 */
export function prepareEndo(study: Study, frame = 0, side?: "R" | "L"): PreparedEndo {
  const oriented = orient(toDisplay(study, frame), study).image;
  const s: "R" | "L" = side ?? (study.laterality?.startsWith("L") ? "L" : "R");
  const canonical = s === "L" ? flipHorizontal(oriented) : oriented;
  const small = normaliseIntensity(resize(canonical, ENDO_INPUT.width, ENDO_INPUT.height));
  const spacing =
    study.pixelSpacingMm?.[1] ?? (ENDO_IMAGE.width * ENDO_PIXEL_SPACING_MM) / Math.max(1, oriented.width);
  return {
    tensor: small.data,
    display: oriented,
    transform: {
      sourceWidth: oriented.width,
      sourceHeight: oriented.height,
      mirrored: s === "L",
      side: s,
      pixelSpacingMm: spacing,
    },
  };
}

/** The slot of an FDI premolar or molar (units 4-7), as the training targets use. */
export function endoSlot(fdi: number): number {
  const quadrant = Math.floor(fdi / 10);
  const slot = (ENDO_SLOT_UNITS as readonly number[]).indexOf(fdi % 10);
  if (slot < 0 || quadrant < 1 || quadrant > 4)
    throw new RangeError(`tooth ${fdi} is not a premolar or molar`);
  return slot;
}

export interface EndoFinding {
  tooth: number;
  /** Probability that the slot holds a tooth (the decoder reports slots ≥ ENDO_PRESENCE_THRESHOLD). */
  presenceProbability: number;
  /** Probability of a periapical lesion (PAI-like score ≥ 3) at this tooth. */
  lesionProbability: number;
  /** lesionProbability ≥ the operating threshold. */
  lesion: boolean;
  /** PAI-like 1-5: ≥ 3 when a lesion is called (by its diameter), else 1 or 2 (synth-endo.ts). */
  score: 1 | 2 | 3 | 4 | 5;
  /** Estimated radiolucency diameter, mm (0 when none). */
  diameterMm: number;
  /** D_confidence: the probability of the call made (p for a lesion, 1 − p for none). */
  callProbability: number;
  /** Lesion box [x, y, w, h] in source pixels; for a tooth without a lesion, the apical region looked at. */
  box: EndoBox;
  /** The same box in mm from the image's top-left corner. */
  boxMm: EndoBox;
  /** The tooth's apex [x, y] in source pixels. */
  apex: [number, number];
  arch: "upper" | "lower";
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const r2 = (v: number) => Math.round(v * 100) / 100;

/** A point in model-input fractions → source pixels, undoing the left-side mirror. */
function toSource(fx: number, fy: number, t: EndoTransform): [number, number] {
  return [(t.mirrored ? 1 - fx : fx) * t.sourceWidth, fy * t.sourceHeight];
}

/**
 * The lesion centre (input fractions) for a slot whose own estimate is (fx, fy): the strongest
 * heatmap cell within ENDO_PEAK_SEARCH_CELLS, refined by the probability-weighted centroid of its
 * 3×3 neighbourhood; the slot's estimate when the map is empty there.
 */
export function heatmapPeak(heat: Float32Array, fx: number, fy: number): [number, number] {
  const { width: gw, height: gh } = ENDO_HEATMAP;
  const gx = Math.floor(fx * gw);
  const gy = Math.floor(fy * gh);
  let best = -Infinity;
  let bx = -1;
  let by = -1;
  for (
    let y = Math.max(0, gy - ENDO_PEAK_SEARCH_CELLS);
    y <= Math.min(gh - 1, gy + ENDO_PEAK_SEARCH_CELLS);
    y++
  )
    for (
      let x = Math.max(0, gx - ENDO_PEAK_SEARCH_CELLS);
      x <= Math.min(gw - 1, gx + ENDO_PEAK_SEARCH_CELLS);
      x++
    )
      if (heat[y * gw + x]! > best) {
        best = heat[y * gw + x]!;
        bx = x;
        by = y;
      }
  if (bx < 0) return [fx, fy];
  let sum = 0;
  let sx = 0;
  let sy = 0;
  for (let y = Math.max(0, by - 1); y <= Math.min(gh - 1, by + 1); y++)
    for (let x = Math.max(0, bx - 1); x <= Math.min(gw - 1, bx + 1); x++) {
      const w = sigmoid(heat[y * gw + x]!);
      sum += w;
      sx += w * (x + 0.5);
      sy += w * (y + 0.5);
    }
  return [sx / sum / gw, sy / sum / gh];
}

/** Raw output [1, 560] (slots [4, 10], then the 26×20 heatmap) → one finding per slot that holds a tooth, sorted by FDI number. */
export function decodeEndo(
  output: Float32Array,
  t: EndoTransform,
  threshold = ENDO_LESION_THRESHOLD,
): EndoFinding[] {
  const at = (slot: number, c: number) => output[slot * ENDO_CHANNELS + c]!;
  const present = ENDO_SLOT_UNITS.map((_, s) => sigmoid(at(s, 0)));
  const teeth = present.flatMap((p, s) => (p >= ENDO_PRESENCE_THRESHOLD ? [s] : []));
  // One arch per view: the present slots' mean vote.
  const voters = teeth.length > 0 ? teeth : [0, 1, 2, 3];
  const upper = voters.reduce((a, s) => a + sigmoid(at(s, 9)), 0) / voters.length >= 0.5;
  const arch = upper ? "upper" : "lower";
  const quadrant = t.side === "R" ? (upper ? 1 : 4) : upper ? 2 : 3;
  const mm = t.pixelSpacingMm;
  return teeth.map((slot): EndoFinding => {
    const p = sigmoid(at(slot, 1));
    const lesion = p >= threshold;
    const diameter = sigmoid(at(slot, 2)) * ENDO_DIAMETER_SCALE_MM;
    // The two heads must agree: a called lesion is at least the smallest lesion, a non-call below it.
    const diameterMm = r2(
      lesion ? Math.max(ENDO_LESION_MIN_MM, diameter) : Math.min(ENDO_LESION_MIN_MM - 0.01, diameter),
    );
    const score = lesion ? endoScore(diameterMm) : diameterMm < 0.5 ? 1 : 2;
    const apex = toSource(at(slot, 7), at(slot, 8), t);
    let box: EndoBox;
    if (lesion) {
      const heat = output.subarray(ENDO_SLOTS * ENDO_CHANNELS);
      const [cx, cy] = toSource(...heatmapPeak(heat, at(slot, 3), at(slot, 4)), t);
      const w = Math.max(1, at(slot, 5) * t.sourceWidth);
      const h = Math.max(1, at(slot, 6) * t.sourceHeight);
      box = [cx - w / 2, cy - h / 2, w, h];
    } else {
      // The apical region a reader would check: 3 mm around the apex.
      const half = 3 / mm;
      box = [apex[0] - half, apex[1] - half, 2 * half, 2 * half];
    }
    box = box.map(r2) as EndoBox;
    return {
      tooth: quadrant * 10 + ENDO_SLOT_UNITS[slot]!,
      presenceProbability: present[slot]!,
      lesionProbability: p,
      lesion,
      score,
      diameterMm: score === 1 ? 0 : diameterMm,
      callProbability: lesion ? p : 1 - p,
      box,
      boxMm: box.map((v) => r2(v * mm)) as EndoBox,
      apex: [r2(apex[0]), r2(apex[1])],
      arch,
    };
  });
}
