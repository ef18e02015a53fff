// Writes a labelled synthetic periodontal data set in COCO keypoint form: PNG files (8-bit) and
// annotations.json with one annotation per tooth: its outline box, keypoints CEJ, alveolar crest
// and root apex, and attributes {tooth (FDI), bone_loss_pct, stage}.
// Usage: npx tsx models/tools/synth-perio.ts --out DIR --count N [--seed S]
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { generatePerio } from "../../packages/ai/src/synth-perio.ts";
import { synthArgs } from "./synth-args.ts";

const { out, count, seed0 } = await synthArgs();

const r2 = (v: number) => Math.round(v * 100) / 100;
const images: unknown[] = [];
const annotations: unknown[] = [];
let annId = 1;
for (let i = 0; i < count; i++) {
  // The same per-image seeds as the in-memory set (perioSyntheticSet).
  const seed = seed0 * 1_000_003 + i;
  const { image, side, teeth, pixelSpacingMm } = generatePerio(seed);
  const file = `images/perio-${String(i).padStart(5, "0")}.png`;
  const px = Buffer.alloc(image.width * image.height);
  for (let p = 0; p < px.length; p++) px[p] = Math.round(Math.min(1, Math.max(0, image.data[p]!)) * 255);
  await sharp(px, { raw: { width: image.width, height: image.height, channels: 1 } })
    .png()
    .toFile(join(out, file));
  images.push({
    id: i + 1,
    file_name: file,
    width: image.width,
    height: image.height,
    laterality: side,
    pixel_spacing_mm: pixelSpacingMm,
    seed,
  });
  for (const t of teeth) {
    annotations.push({
      id: annId++,
      image_id: i + 1,
      category_id: 1,
      bbox: t.box.map(r2),
      area: Math.round(t.box[2] * t.box[3]),
      iscrowd: 0,
      keypoints: [...t.cej, 2, ...t.crest, 2, ...t.apex, 2].map(r2),
      num_keypoints: 3,
      attributes: { tooth: t.tooth, bone_loss_pct: t.boneLossPct, stage: t.stage },
    });
  }
}
const coco = {
  info: {
    description:
      "BTT synthetic posterior radiographs with periodontal bone loss (synthetic, not for clinical use)",
    seed: seed0,
  },
  categories: [
    {
      id: 1,
      name: "tooth",
      keypoints: ["cej", "alveolar_crest", "root_apex"],
      skeleton: [
        [1, 2],
        [2, 3],
      ],
    },
  ],
  images,
  annotations,
};
await writeFile(join(out, "annotations.json"), JSON.stringify(coco));
console.log(JSON.stringify({ out, images: images.length, teeth: annotations.length }));
