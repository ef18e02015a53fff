// The orthodontic module's contract: how a lateral cephalogram becomes the model's input tensor,
// and how the model's per-landmark heatmaps become landmark positions (soft-argmax) with a spread
// that says how sure the model is of each.
import { toDisplay } from "./display.ts";
import { flipHorizontal, normaliseIntensity, orient, resize } from "./normalise.ts";
import type { Image, Study } from "./study.ts";
import { ORTHO_LANDMARKS, type OrthoLandmark, type Point } from "./synth-ortho.ts";

export const ORTHO_INPUT = { width: 256, height: 256 } as const;
/** Heatmaps at a quarter of the input's resolution, one per landmark in ORTHO_LANDMARKS order. */
export const ORTHO_HEATMAP = { width: 64, height: 64 } as const;

export interface OrthoTransform {
  sourceWidth: number;
  sourceHeight: number;
  /** The view faced left and was mirrored so the profile faces right, as the model was trained. */
  mirrored: boolean;
}

export interface PreparedOrtho {
  tensor: Float32Array;
  /** The oriented display image (quality is measured on it; landmarks refer to it). */
  display: Image;
  transform: OrthoTransform;
}

/**
 * Display → canonical orientation → a left-facing profile mirrored to face right → area
 * resampling to 256x256 → percentile intensity stretch (the caries module's steps at this size).
 * The resampling does not keep the aspect ratio: the model was trained on square fields.
 */
export function prepareOrtho(study: Study, frame = 0, facing: "right" | "left" = "right"): PreparedOrtho {
  const oriented = orient(toDisplay(study, frame), study).image;
  const canonical = facing === "left" ? flipHorizontal(oriented) : oriented;
  const small = normaliseIntensity(resize(canonical, ORTHO_INPUT.width, ORTHO_INPUT.height));
  return {
    tensor: small.data,
    display: oriented,
    transform: { sourceWidth: oriented.width, sourceHeight: oriented.height, mirrored: facing === "left" },
  };
}

/** One landmark as the model places it, in the model-input frame's fractions. */
export interface HeatmapLandmark {
  /** Soft-argmax position as fractions of the input's width and height. */
  fx: number;
  fy: number;
  /** Spread of the heatmap around it (root mean square per axis), as fractions of the width / height. */
  sx: number;
  sy: number;
  /** The heatmap's largest probability (a peak height, for diagnostics). */
  peak: number;
}

/**
 * Raw output [1, K, 64, 64] logits → per landmark the softmax's mean position (soft-argmax, as the
 * model was trained) and its spread. Cell centres sit at (i + 0.5) / 64.
 */
export function decodeHeatmaps(output: Float32Array): HeatmapLandmark[] {
  const { width: hw, height: hh } = ORTHO_HEATMAP;
  const cells = hw * hh;
  if (output.length !== ORTHO_LANDMARKS.length * cells)
    throw new RangeError(
      `expected ${ORTHO_LANDMARKS.length}x${hh}x${hw} heatmaps, got ${output.length} values`,
    );
  const out: HeatmapLandmark[] = [];
  for (let k = 0; k < ORTHO_LANDMARKS.length; k++) {
    const map = output.subarray(k * cells, (k + 1) * cells);
    let max = Number.NEGATIVE_INFINITY;
    for (const v of map) if (v > max) max = v;
    let sum = 0;
    let mx = 0;
    let my = 0;
    let mxx = 0;
    let myy = 0;
    let top = 0;
    for (let y = 0; y < hh; y++)
      for (let x = 0; x < hw; x++) {
        const p = Math.exp(map[y * hw + x]! - max);
        const cx = (x + 0.5) / hw;
        const cy = (y + 0.5) / hh;
        sum += p;
        mx += p * cx;
        my += p * cy;
        mxx += p * cx * cx;
        myy += p * cy * cy;
        if (p > top) top = p;
      }
    const fx = mx / sum;
    const fy = my / sum;
    out.push({
      fx,
      fy,
      sx: Math.sqrt(Math.max(0, mxx / sum - fx * fx)),
      sy: Math.sqrt(Math.max(0, myy / sum - fy * fy)),
      peak: top / sum,
    });
  }
  return out;
}

/** A model-input fraction → source pixels, undoing the mirror of a left-facing view. */
export function orthoToSource(fx: number, fy: number, t: OrthoTransform): Point {
  return [(t.mirrored ? 1 - fx : fx) * t.sourceWidth, fy * t.sourceHeight];
}

export interface OrthoLandmarkEstimate {
  name: OrthoLandmark;
  /** [x, y] in source-image pixels. */
  px: Point;
  /** [x, y] in millimetres from the image's top-left corner (pixel spacing applied). */
  mm: Point;
  /** The heatmap's spread in mm (per axis, after the card's calibration scale). */
  sigmaMm: number;
  /** D_confidence: the chance, under that spread, that the landmark is within 2 mm of the truth. */
  score: number;
}

/** Radius (mm) the per-landmark confidence refers to: the usual clinical tolerance. */
export const LANDMARK_TOLERANCE_MM = 2;

/** P(radial error ≤ r) for an isotropic normal error of σ per axis (the Rayleigh distribution). */
export function withinRadius(r: number, sigma: number): number {
  if (sigma <= 0) return 1;
  return 1 - Math.exp(-(r * r) / (2 * sigma * sigma));
}

/**
 * Heatmap landmarks → positions in source pixels and mm, each with its calibrated spread and
 * D_confidence. `spacing` is [row, column] mm per source pixel; `spreadScale` (from the card)
 * maps the heatmap's spread onto the errors seen on held-out images.
 */
export function placeLandmarks(
  heat: readonly HeatmapLandmark[],
  t: OrthoTransform,
  spacing: [number, number],
  spreadScale: number,
): OrthoLandmarkEstimate[] {
  const [rowMm, colMm] = spacing;
  return heat.map((h, k) => {
    const px = orthoToSource(h.fx, h.fy, t);
    const sx = h.sx * t.sourceWidth * colMm;
    const sy = h.sy * t.sourceHeight * rowMm;
    const sigmaMm = spreadScale * Math.sqrt((sx * sx + sy * sy) / 2);
    return {
      name: ORTHO_LANDMARKS[k]!,
      px,
      mm: [px[0] * colMm, px[1] * rowMm],
      sigmaMm,
      score: withinRadius(LANDMARK_TOLERANCE_MM, sigmaMm),
    };
  });
}
