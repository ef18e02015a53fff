// The compute network's benchmark inputs: the synthetic radiograph of a seed, encoded the way a
// worker receives a task's input. DICOM (12-bit, explicit VR little endian) rather than PNG
// because it carries the Image Laterality, so the side the pipeline uses comes from the file,
// exactly as for a real task. The file's UIDs are random but are not read into the result: the
// canonical result depends on the pixels and the laterality only.
import { writeDicom } from "./dicom-write.ts";
import type { Image } from "./study.ts";
import { generateBitewing } from "./synth.ts";
import { generatePerio, PERIO_PIXEL_SPACING_MM } from "./synth-perio.ts";

const twelveBit = (image: Image) =>
  Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095));

/** The caries model's input for a seed: a synthetic bitewing. */
export async function benchmarkInput(seed: number): Promise<Uint8Array> {
  const { image, side } = generateBitewing(seed);
  return writeDicom({
    rows: image.height,
    cols: image.width,
    frames: [twelveBit(image)],
    bitsStored: 12,
    laterality: side,
  });
}

/** The periodontal model's input for a seed: a synthetic posterior view (what `btt ai sample --module periodontal` writes). */
export async function perioBenchmarkInput(seed: number): Promise<Uint8Array> {
  const { image, side } = generatePerio(seed);
  return writeDicom({
    rows: image.height,
    cols: image.width,
    frames: [twelveBit(image)],
    bitsStored: 12,
    laterality: side,
    pixelSpacingMm: [PERIO_PIXEL_SPACING_MM, PERIO_PIXEL_SPACING_MM],
  });
}
