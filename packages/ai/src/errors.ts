import { BttError } from "@btt/core";

/** Why an input file was refused; goes into the error's details so callers can branch on it. */
export type ImageErrorReason =
  | "not_an_image"
  | "truncated"
  | "malformed"
  | "unsupported_transfer_syntax"
  | "unsupported_pixel_format"
  | "too_small"
  | "too_large"
  | "no_pixel_data"
  // Series (CT, MR): files from more than one series, or slices that do not stack evenly.
  | "mixed_series"
  | "inconsistent_series"
  // The input does not meet the model's contract (modality, window, size).
  | "contract";

export function imageError(
  reason: ImageErrorReason,
  message: string,
  details: Record<string, unknown> = {},
): BttError {
  return new BttError("INVALID_IMAGE", message, { reason, ...details });
}
