// Writes a labelled synthetic lateral cephalogram set in COCO keypoint form: PNG files (8-bit)
// and annotations.json with one annotation per image: keypoints S, N, Or, Po, ANS, PNS, A, B,
// Pog, Me, Go, U1, L1 (pixels) and attributes {sna, snb, anb (degrees), skeletal_class}; each
// image records its pixel spacing so errors can be given in mm.
// Usage: npx tsx models/tools/synth-ortho.ts --out DIR --count N [--seed S]
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { generateOrtho, ORTHO_LANDMARKS } from "../../packages/ai/src/synth-ortho.ts";
import { synthArgs } from "./synth-args.ts";

const { out, count, seed0 } = await synthArgs();

const r2 = (v: number) => Math.round(v * 100) / 100;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const images: unknown[] = [];
const annotations: unknown[] = [];
for (let i = 0; i < count; i++) {
  // The same per-image seeds as the in-memory set (openOrthoSet).
  const seed = seed0 * 1_000_003 + i;
  const s = generateOrtho(seed);
  const { image } = s;
  const file = `images/ceph-${String(i).padStart(5, "0")}.png`;
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
    pixel_spacing_mm: s.pixelSpacingMm,
    facing: "right",
    seed,
  });
  const xs = ORTHO_LANDMARKS.map((k) => s.landmarks[k][0]);
  const ys = ORTHO_LANDMARKS.map((k) => s.landmarks[k][1]);
  const box = [
    Math.min(...xs),
    Math.min(...ys),
    Math.max(...xs) - Math.min(...xs),
    Math.max(...ys) - Math.min(...ys),
  ];
  annotations.push({
    id: i + 1,
    image_id: i + 1,
    category_id: 1,
    bbox: box.map(r2),
    area: Math.round(box[2]! * box[3]!),
    iscrowd: 0,
    keypoints: ORTHO_LANDMARKS.flatMap((k) => [r2(s.landmarks[k][0]), r2(s.landmarks[k][1]), 2]),
    num_keypoints: ORTHO_LANDMARKS.length,
    attributes: { sna: r3(s.sna), snb: r3(s.snb), anb: r3(s.anb), skeletal_class: s.skeletalClass },
  });
}
const coco = {
  info: {
    description: "BTT synthetic lateral cephalograms with landmarks (synthetic, not for clinical use)",
    seed: seed0,
  },
  categories: [{ id: 1, name: "skull", keypoints: [...ORTHO_LANDMARKS], skeleton: [] }],
  images,
  annotations,
};
await writeFile(join(out, "annotations.json"), JSON.stringify(coco));
console.log(JSON.stringify({ out, images: images.length }));
