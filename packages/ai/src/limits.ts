import { imageError } from "./errors.ts";

/** Bounds on what the pipeline accepts: tiny images carry no diagnosis, huge ones exhaust memory. */
export interface SizeLimits {
  minSide: number;
  maxSide: number;
  /** Across all frames of a file. */
  maxPixels: number;
}

export const DEFAULT_LIMITS: SizeLimits = { minSide: 32, maxSide: 8192, maxPixels: 256 * 1024 * 1024 };

export function checkSize(
  width: number,
  height: number,
  frames: number,
  limits: Partial<SizeLimits> = {},
): void {
  const l = { ...DEFAULT_LIMITS, ...limits };
  if (width < l.minSide || height < l.minSide) {
    throw imageError(
      "too_small",
      `image is ${width}x${height}, at least ${l.minSide}x${l.minSide} is needed`,
      {
        width,
        height,
      },
    );
  }
  if (width > l.maxSide || height > l.maxSide || width * height * frames > l.maxPixels) {
    throw imageError(
      "too_large",
      `image is ${width}x${height}x${frames} frames, above the limit (${l.maxSide} per side, ${l.maxPixels} pixels)`,
      { width, height, frames },
    );
  }
}
