// Writes a labelled synthetic oral-pathology screening set in COCO form: PNG files (8-bit) and
// annotations.json with one image-level class per image (images[].attributes {class, refer}) and,
// for a lesion, one annotation with its box (pixels; attributes {class, diameter_mm, box_mm}).
// Usage: npx tsx models/tools/synth-oralpath.ts --out DIR --count N [--seed S]
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateOralPath, ORAL_PATH_CLASSES } from "../../packages/ai/src/synth-oralpath.ts";
import { imageToPng } from "../../packages/ai/src/synth-radiograph.ts";
import { synthArgs } from "./synth-args.ts";

const { out, count, seed0 } = await synthArgs();

const images: unknown[] = [];
const annotations: unknown[] = [];
for (let i = 0; i < count; i++) {
  // The same per-image seeds as the in-memory set (openOralPathSet).
  const seed = seed0 * 1_000_003 + i;
  const s = generateOralPath(seed);
  const file = `images/oralpath-${String(i).padStart(5, "0")}.png`;
  await writeFile(join(out, file), await imageToPng(s.image));
  images.push({
    id: i + 1,
    file_name: file,
    width: s.image.width,
    height: s.image.height,
    laterality: s.side,
    arch: s.arch,
    pixel_spacing_mm: s.pixelSpacingMm,
    seed,
    attributes: { class: s.cls, refer: s.refer },
  });
  if (s.lesion)
    annotations.push({
      id: annotations.length + 1,
      image_id: i + 1,
      category_id: ORAL_PATH_CLASSES.indexOf(s.cls),
      bbox: s.lesion.box,
      area: Math.round(s.lesion.box[2] * s.lesion.box[3]),
      iscrowd: 0,
      attributes: { class: s.cls, diameter_mm: s.lesion.diameterMm, box_mm: s.lesion.boxMm },
    });
}
const coco = {
  info: {
    description:
      "BTT synthetic periapical views for oral-pathology screening (synthetic, not for clinical use)",
    seed: seed0,
  },
  categories: ORAL_PATH_CLASSES.slice(1).map((name, i) => ({ id: i + 1, name })),
  images,
  annotations,
};
await writeFile(join(out, "annotations.json"), JSON.stringify(coco));
console.log(JSON.stringify({ out, images: images.length, lesions: annotations.length }));
