// The generic CT slice model's contract: one slice, windowed with the preset the card names,
// resampled to the card's input size, values in [0, 1]; out comes one probability that the slice
// shows the finding. prepareSeriesSlices is the only place slices become tensors, for training
// (models/tools/prepare-ct.ts), the pipeline and the compute network alike.
import { imageError } from "./errors.ts";
import type { ModelCard } from "./model.ts";
import { resize } from "./normalise.ts";
import type { Series } from "./series.ts";
import type { VoiWindow } from "./study.ts";
import { isCtPreset, resolveWindow, type WindowChoice, windowValues } from "./windowing.ts";

/** The shipped model's input size and window (its card repeats them as the contract). */
export const CT_INPUT = { width: 128, height: 128 } as const;
export const CT_WINDOW = "brain";
/** A slice at or above this probability is a slice with a finding. */
export const CT_SLICE_THRESHOLD = 0.5;

/** What a series model's card promises about its input: modality, window and size. */
export interface SeriesContract {
  modality: string;
  window: WindowChoice;
  width: number;
  height: number;
}

/**
 * The contract a card states: its first modality, `thresholds`-independent input shape
 * [1, 1, H, W], and the window named in `labels.window` (a CT preset, "file" or "percentile").
 */
export function seriesContract(card: ModelCard): SeriesContract {
  const shape = card.input.shape;
  const window = String(card.labels.window?.[0] ?? "");
  if (shape.length !== 4 || shape[0] !== 1 || shape[1] !== 1)
    throw imageError(
      "contract",
      `model ${card.id}: input shape ${shape.join("x")} is not one slice [1,1,H,W]`,
    );
  if (!(isCtPreset(window) || window === "file" || window === "percentile"))
    throw imageError("contract", `model ${card.id}: its card names no window (labels.window)`, { window });
  return { modality: card.modality[0] ?? "CT", window, width: shape[3]!, height: shape[2]! };
}

/** Refuses a series the model was not made for (another modality). */
export function checkContract(series: Series, contract: SeriesContract, modelId: string): void {
  if (series.modality !== contract.modality)
    throw imageError(
      "contract",
      `model ${modelId} reads ${contract.modality} series; this series is ${series.modality}`,
      { modality: series.modality, expected: contract.modality },
    );
}

export interface PreparedSlices {
  window: VoiWindow;
  /** One tensor per slice, in series order, each width × height values in [0, 1]. */
  tensors: Float32Array[];
}

/** Windowed, resampled slices: the model's input, for the indices given (default all). */
export function prepareSeriesSlices(
  series: Series,
  contract: SeriesContract,
  indices: readonly number[] = series.slices.map((s) => s.index),
): PreparedSlices {
  // One window for the whole series (a percentile window from the middle slice), so every slice
  // of one series is shown alike.
  const middle = series.slices[Math.floor(series.slices.length / 2)]!;
  const window = resolveWindow(contract.window, series.modality, series.window, middle.values);
  const tensors = indices.map((i) => {
    const s = series.slices[i];
    if (!s) throw new RangeError(`slice ${i} out of range (${series.slices.length} slices)`);
    const img = { width: s.width, height: s.height, data: windowValues(s.values, window) };
    return resize(img, contract.width, contract.height).data;
  });
  return { window, tensors };
}
