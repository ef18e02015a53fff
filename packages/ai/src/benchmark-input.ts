// The compute network's benchmark inputs: the synthetic bitewing of a seed, encoded the way a
// worker receives a task's input. DICOM (12-bit, explicit VR little endian) rather than PNG
// because it carries the Image Laterality, so the side the pipeline uses comes from the file,
// exactly as for a real task. The file's UIDs are random but are not read into the result: the
// canonical result depends on the pixels and the laterality only.
import { writeDicom } from "./dicom-write.ts";
import { generateBitewing } from "./synth.ts";

export async function benchmarkInput(seed: number): Promise<Uint8Array> {
  const { image, side } = generateBitewing(seed);
  const frame = Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095));
  return writeDicom({
    rows: image.height,
    cols: image.width,
    frames: [frame],
    bitsStored: 12,
    laterality: side,
  });
}
