// Writes a labelled synthetic periapical set for the endodontic module in COCO form: PNG files
// (8-bit) and annotations.json with one "tooth" annotation per tooth (outline box, attributes
// {tooth (FDI), score (PAI-like 1-5), positive, root_filled, apices}) and one "periapical
// radiolucency" annotation per drawn radiolucency (box in pixels, attributes {tooth, diameter_mm,
// score, box_mm}; positive lesions are those with score ≥ 3).
// Usage: npx tsx models/tools/synth-endo.ts --out DIR --count N [--seed S]
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateEndo } from "../../packages/ai/src/synth-endo.ts";
import { imageToPng } from "../../packages/ai/src/synth-radiograph.ts";
import { synthArgs } from "./synth-args.ts";

const { out, count, seed0 } = await synthArgs();

const images: unknown[] = [];
const annotations: unknown[] = [];
let annId = 1;
for (let i = 0; i < count; i++) {
  // The same per-image seeds as the in-memory set (openEndoSet).
  const seed = seed0 * 1_000_003 + i;
  const { image, side, arch, teeth, pixelSpacingMm } = generateEndo(seed);
  const file = `images/endo-${String(i).padStart(5, "0")}.png`;
  await writeFile(join(out, file), await imageToPng(image));
  images.push({
    id: i + 1,
    file_name: file,
    width: image.width,
    height: image.height,
    laterality: side,
    arch,
    pixel_spacing_mm: pixelSpacingMm,
    seed,
  });
  for (const t of teeth) {
    annotations.push({
      id: annId++,
      image_id: i + 1,
      category_id: 1,
      bbox: t.box,
      area: Math.round(t.box[2] * t.box[3]),
      iscrowd: 0,
      attributes: {
        tooth: t.tooth,
        score: t.score,
        positive: t.positive,
        root_filled: t.rootFilled,
        apices: t.apices,
      },
    });
    if (t.lesion)
      annotations.push({
        id: annId++,
        image_id: i + 1,
        category_id: 2,
        bbox: t.lesion.box,
        area: Math.round(t.lesion.box[2] * t.lesion.box[3]),
        iscrowd: 0,
        attributes: {
          tooth: t.tooth,
          diameter_mm: t.lesion.diameterMm,
          score: t.score,
          box_mm: t.lesion.boxMm,
        },
      });
  }
}
const coco = {
  info: {
    description:
      "BTT synthetic posterior periapical radiographs with periapical radiolucencies (synthetic, not for clinical use)",
    seed: seed0,
  },
  categories: [
    { id: 1, name: "tooth" },
    { id: 2, name: "periapical radiolucency" },
  ],
  images,
  annotations,
};
await writeFile(join(out, "annotations.json"), JSON.stringify(coco));
console.log(JSON.stringify({ out, images: images.length, annotations: annotations.length }));
