// Writes a labelled synthetic bitewing data set in COCO form: PNG files (8-bit, as a sensor
// export would be) and annotations.json with a box, FDI tooth and severity per lesion.
// Usage: npx tsx models/tools/synth.ts --out DIR --count N [--seed S] [--format png|dicom]
// (dicom: 12-bit explicit VR little endian with Image Laterality, as an intraoral sensor writes)
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { writeDicom } from "../../packages/ai/src/dicom-write.ts";
import { generateBitewing } from "../../packages/ai/src/synth.ts";
import { synthArgs } from "./synth-args.ts";

const { out, count, seed0, values } = await synthArgs({ format: "png" });

const images: unknown[] = [];
const annotations: unknown[] = [];
let annId = 1;
for (let i = 0; i < count; i++) {
  const seed = seed0 * 1_000_003 + i;
  const { image, side, lesions } = generateBitewing(seed);
  const dicom = values.format === "dicom";
  const file = `images/bw-${String(i).padStart(5, "0")}.${dicom ? "dcm" : "png"}`;
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  if (dicom) {
    const frame = Array.from(image.data, (v) => Math.round(clamp(v) * 4095));
    const bytes = await writeDicom({
      rows: image.height,
      cols: image.width,
      frames: [frame],
      bitsStored: 12,
      laterality: side,
    });
    await writeFile(join(out, file), bytes);
  } else {
    const px = Buffer.alloc(image.width * image.height);
    for (let p = 0; p < px.length; p++) px[p] = Math.round(clamp(image.data[p]!) * 255);
    await sharp(px, { raw: { width: image.width, height: image.height, channels: 1 } })
      .png()
      .toFile(join(out, file));
  }
  images.push({
    id: i + 1,
    file_name: file,
    width: image.width,
    height: image.height,
    laterality: side,
    seed,
  });
  for (const l of lesions) {
    annotations.push({
      id: annId++,
      image_id: i + 1,
      category_id: 1,
      bbox: l.box.map((v) => Math.round(v * 100) / 100),
      area: Math.round(l.box[2] * l.box[3]),
      iscrowd: 0,
      attributes: { tooth: l.tooth, severity: l.severity },
    });
  }
}
const coco = {
  info: {
    description: "BTT synthetic bitewings with proximal caries (synthetic, not for clinical use)",
    seed: seed0,
  },
  categories: [{ id: 1, name: "caries" }],
  images,
  annotations,
};
await writeFile(join(out, "annotations.json"), JSON.stringify(coco));
console.log(JSON.stringify({ out, images: images.length, lesions: annotations.length }));
