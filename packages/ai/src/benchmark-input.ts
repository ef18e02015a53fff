// The compute network's benchmark inputs: the synthetic radiograph of a seed, encoded the way a
// worker receives a task's input. DICOM (12-bit, explicit VR little endian) rather than PNG
// because it carries the Image Laterality, so the side the pipeline uses comes from the file,
// exactly as for a real task. The file's UIDs are random but are not read into the result: the
// canonical result depends on the pixels and the laterality only.
import { writeDicom } from "./dicom-write.ts";
import type { Image } from "./study.ts";
import { generateBitewing } from "./synth.ts";
import { generatePerio, PERIO_PIXEL_SPACING_MM } from "./synth-perio.ts";

/** A generated image as the 12-bit DICOM file a worker would receive. */
function asDicom(image: Image, side: "R" | "L", pixelSpacingMm?: [number, number]): Promise<Uint8Array> {
  return writeDicom({
    rows: image.height,
    cols: image.width,
    frames: [Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
    bitsStored: 12,
    laterality: side,
    ...(pixelSpacingMm ? { pixelSpacingMm } : {}),
  });
}

/** The caries model's input for a seed: a synthetic bitewing. */
export async function benchmarkInput(seed: number): Promise<Uint8Array> {
  const { image, side } = generateBitewing(seed);
  return asDicom(image, side);
}

/** The periodontal model's input for a seed: a synthetic posterior view (what `btt ai sample --module periodontal` writes). */
export async function perioBenchmarkInput(seed: number): Promise<Uint8Array> {
  const { image, side } = generatePerio(seed);
  return asDicom(image, side, [PERIO_PIXEL_SPACING_MM, PERIO_PIXEL_SPACING_MM]);
}
