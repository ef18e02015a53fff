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
  | "no_pixel_data";

export function imageError(
  reason: ImageErrorReason,
  message: string,
  details: Record<string, unknown> = {},
): BttError {
  return new BttError("INVALID_IMAGE", message, { reason, ...details });
}
