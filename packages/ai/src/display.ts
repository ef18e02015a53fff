// Modality values → display intensities: VOI windowing (PS3.3 C.11.2.1.2, linear), then
// MONOCHROME1 inversion so that 1 is always bright.
import type { Image, Study, VoiWindow } from "./study.ts";

export function applyWindow(values: Float32Array, window: VoiWindow): Float32Array {
  const out = new Float32Array(values.length);
  const c = window.center - 0.5;
  const w = Math.max(window.width - 1, 1e-6);
  const lo = c - w / 2;
  const hi = c + w / 2;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    out[i] = x <= lo ? 0 : x > hi ? 1 : (x - c) / w + 0.5;
  }
  return out;
}

/** The range a viewer shows without a window: the stored bit range for plain images, min..max otherwise. */
export function defaultWindow(study: Study, values: Float32Array): VoiWindow {
  if (study.format !== "dicom") {
    const max = 2 ** study.bitsStored - 1;
    return { center: (max + 1) / 2, width: max + 1 };
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max <= min) max = min + 1;
  return { center: (min + max + 1) / 2, width: max - min + 1 };
}

export function toDisplay(study: Study, frameIndex = 0, window?: VoiWindow): Image {
  const frame = study.frames[frameIndex];
  if (!frame) throw new RangeError(`frame ${frameIndex} out of range (${study.frames.length} frames)`);
  const data = applyWindow(frame.values, window ?? study.window ?? defaultWindow(study, frame.values));
  if (study.photometric === "MONOCHROME1") for (let i = 0; i < data.length; i++) data[i] = 1 - data[i]!;
  return { width: frame.width, height: frame.height, data };
}
