// Windowing for cross-sectional series: the standard radiology presets in Hounsfield units for CT,
// the file's own VOI window, or a percentile window where values carry no absolute unit (MR).
// The presets are the centre/width pairs radiology textbooks and viewer defaults use (e.g.
// Radiopaedia "Windowing (CT)"; the brain/subdural/stroke, bone, lung, soft-tissue and liver
// windows of common PACS viewers). A model card names the one its input contract was trained on.

import { applyWindow } from "./display.ts";
import { imageError } from "./errors.ts";
import type { VoiWindow } from "./study.ts";

export const CT_WINDOW_PRESETS = {
  brain: { center: 40, width: 80 },
  subdural: { center: 75, width: 215 },
  stroke: { center: 40, width: 40 },
  bone: { center: 600, width: 2800 },
  lung: { center: -600, width: 1500 },
  "soft-tissue": { center: 50, width: 400 },
  liver: { center: 60, width: 160 },
} as const satisfies Record<string, VoiWindow>;

export type CtWindowPreset = keyof typeof CT_WINDOW_PRESETS;

/** How a window is chosen: a named CT preset, the file's VOI window, or a percentile stretch. */
export type WindowChoice = CtWindowPreset | "file" | "percentile" | VoiWindow;

export function isCtPreset(name: string): name is CtWindowPreset {
  return Object.hasOwn(CT_WINDOW_PRESETS, name);
}

/** Modalities whose values are Hounsfield units after the rescale (presets apply only to them). */
const HU_MODALITIES = new Set(["CT"]);

/**
 * The window of the 1st..99th percentile of the values (MR and other unitless modalities): a
 * 4096-bin histogram over min..max, so the result does not depend on the order of the values.
 */
export function percentileWindow(values: ArrayLike<number>, low = 0.01, high = 0.99): VoiWindow {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(max > min)) return { center: (Number.isFinite(min) ? min : 0) + 0.5, width: 1 };
  const bins = 4096;
  const hist = new Uint32Array(bins);
  const scale = (bins - 1) / (max - min);
  for (let i = 0; i < values.length; i++) hist[Math.round((values[i]! - min) * scale)]!++;
  const at = (q: number) => {
    const target = q * values.length;
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      acc += hist[b]!;
      if (acc >= target) return min + b / scale;
    }
    return max;
  };
  const lo = at(low);
  const hi = Math.max(at(high), lo + 1);
  return { center: (lo + hi) / 2, width: hi - lo };
}

/**
 * The window for a series' values. A CT preset on a modality without Hounsfield units is refused:
 * 40/80 on MR signal would show noise, not brain.
 */
export function resolveWindow(
  choice: WindowChoice,
  modality: string,
  fileWindow: VoiWindow | undefined,
  values: ArrayLike<number>,
): VoiWindow {
  if (typeof choice === "object") return choice;
  if (choice === "file") return fileWindow ?? percentileWindow(values);
  if (choice === "percentile") return percentileWindow(values);
  if (!HU_MODALITIES.has(modality))
    throw imageError(
      "contract",
      `the ${choice} window is in Hounsfield units; modality ${modality} has none (use the file's window or a percentile window)`,
      { modality, window: choice },
    );
  return CT_WINDOW_PRESETS[choice];
}

/** Modality values → [0, 1] under the window (DICOM's linear VOI function). */
export function windowValues(values: Float32Array, window: VoiWindow): Float32Array {
  return applyWindow(values, window);
}
