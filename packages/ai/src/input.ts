import { isDicom, readDicom } from "./dicom.ts";
import { imageError } from "./errors.ts";
import type { SizeLimits } from "./limits.ts";
import { rasterFormat, readRaster } from "./raster.ts";
import type { Study } from "./study.ts";

/** Reads a DICOM Part 10, PNG or JPEG file by its magic bytes. */
export async function readStudy(bytes: Uint8Array, limits?: Partial<SizeLimits>): Promise<Study> {
  if (isDicom(bytes)) return readDicom(bytes, limits);
  if (rasterFormat(bytes)) return readRaster(bytes, limits);
  throw imageError("not_an_image", "file is neither DICOM Part 10 nor PNG nor JPEG", { bytes: bytes.length });
}
