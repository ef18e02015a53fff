// Test-time augmentation for U_factor: the model reads K slightly altered copies of its input
// tensor, and each finding is looked for again in every copy. Only changes that keep the image's
// meaning are used: small shifts and brightness/gamma changes. No flips: a mirrored bitewing
// reads as the other side's layout, so the tooth numbering would change, not just the pixels.
import { CARIES_INPUT, type CariesFinding, decodeCaries, type InputTransform } from "./caries.ts";
import type { ViewObservation } from "./confidence.ts";
import { boxIou } from "./evaluate.ts";

export type Augmentation =
  | { kind: "shift"; dx: number; dy: number }
  | { kind: "brightness"; delta: number }
  | { kind: "gamma"; gamma: number };

/** The default K = 4 views: ±4 px shifts (±1.6% of the width), +0.08 brightness, gamma 1.25. */
export const DEFAULT_AUGMENTATIONS: readonly Augmentation[] = [
  { kind: "shift", dx: 4, dy: 0 },
  { kind: "shift", dx: -4, dy: 2 },
  { kind: "brightness", delta: 0.08 },
  { kind: "gamma", gamma: 1.25 },
];

/** A view's detections are decoded at this low threshold, so a weakened finding still counts. */
export const VIEW_THRESHOLD = 0.05;
/** Below this IoU with the base box, a view is taken to have lost the finding. */
export const VIEW_MATCH_IOU = 0.1;

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** The augmented tensor (width × height, values in [0, 1]); shifts repeat the edge pixels. */
export function augment(t: Float32Array, a: Augmentation, width: number = CARIES_INPUT.width): Float32Array {
  const height = t.length / width;
  const out = new Float32Array(t.length);
  if (a.kind === "shift") {
    for (let y = 0; y < height; y++) {
      const sy = Math.min(height - 1, Math.max(0, y - a.dy));
      for (let x = 0; x < width; x++) {
        const sx = Math.min(width - 1, Math.max(0, x - a.dx));
        out[y * width + x] = t[sy * width + sx]!;
      }
    }
  } else if (a.kind === "brightness") {
    for (let i = 0; i < t.length; i++) out[i] = clamp01(t[i]! + a.delta);
  } else {
    for (let i = 0; i < t.length; i++) out[i] = clamp01(t[i]!) ** a.gamma;
  }
  return out;
}

/** Model-input frame, no mapping back: views are compared where the model saw them. */
export const tensorFrame = (side: "R" | "L"): InputTransform => ({
  sourceWidth: CARIES_INPUT.width,
  sourceHeight: CARIES_INPUT.height,
  mirrored: false,
  side,
});

/**
 * For each base finding (boxes in the model-input frame), what each view saw: the best-overlapping
 * view detection (its box moved back by the view's shift), or score 0 / IoU 0 when none overlaps.
 */
export async function observeViews(
  run: (input: Float32Array) => Promise<Float32Array>,
  tensor: Float32Array,
  base: readonly CariesFinding[],
  side: "R" | "L",
  nmsIou: number,
  augmentations: readonly Augmentation[] = DEFAULT_AUGMENTATIONS,
): Promise<ViewObservation[][]> {
  const perFinding: ViewObservation[][] = base.map(() => []);
  if (base.length === 0) return perFinding;
  for (const a of augmentations) {
    const grid = await run(augment(tensor, a));
    const dx = a.kind === "shift" ? a.dx : 0;
    const dy = a.kind === "shift" ? a.dy : 0;
    const seen = decodeCaries(grid, tensorFrame(side), VIEW_THRESHOLD, nmsIou).map((f) => ({
      score: f.score,
      box: [f.box[0] - dx, f.box[1] - dy, f.box[2], f.box[3]] as const,
    }));
    base.forEach((b, i) => {
      let best: ViewObservation = { score: 0, iou: 0 };
      for (const s of seen) {
        const iou = boxIou(b.box, s.box);
        if (iou >= VIEW_MATCH_IOU && iou > best.iou) best = { score: s.score, iou };
      }
      perFinding[i]!.push(best);
    });
  }
  return perFinding;
}
