// Turns a COCO cephalometric set (synthetic or real; the keypoint layout synth-ortho.ts writes)
// into model-ready tensors through the runtime's own preprocessing (readStudy → prepareOrtho).
// Writes images.f32 (N×256×256 float32) and targets.json: per image the landmarks as fractions of
// the input (mirrored for left-facing views), the mm per input fraction, and ANB.
// Usage: npx tsx models/tools/prepare-ortho.ts --coco DIR/annotations.json --out DIR
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { readStudy } from "../../packages/ai/src/input.ts";
import { prepareOrtho } from "../../packages/ai/src/ortho.ts";
import { ORTHO_LANDMARKS } from "../../packages/ai/src/synth-ortho.ts";

interface Coco {
  images: {
    id: number;
    file_name: string;
    width: number;
    height: number;
    pixel_spacing_mm: number;
    facing?: string;
  }[];
  annotations: { image_id: number; keypoints: number[]; attributes: { anb: number } }[];
}

const { values } = parseArgs({ options: { coco: { type: "string" }, out: { type: "string" } } });
if (!values.coco || !values.out) throw new Error("--coco FILE and --out DIR are required");
const coco = JSON.parse(await readFile(values.coco, "utf8")) as Coco;
const root = dirname(values.coco);
await mkdir(values.out, { recursive: true });
const stream = createWriteStream(join(values.out, "images.f32"));
const targets: unknown[] = [];
const r5 = (v: number) => Math.round(v * 100_000) / 100_000;
const byImage = new Map(coco.annotations.map((a) => [a.image_id, a]));
for (const img of coco.images) {
  const a = byImage.get(img.id);
  if (!a) throw new Error(`image ${img.file_name} has no annotation`);
  const study = await readStudy(await readFile(join(root, img.file_name)));
  const facing = img.facing === "left" ? "left" : "right";
  const t = prepareOrtho(study, 0, facing).tensor;
  if (!stream.write(Buffer.from(t.buffer, t.byteOffset, t.byteLength)))
    await new Promise<void>((r) => stream.once("drain", () => r()));
  const landmarks = ORTHO_LANDMARKS.map((_, k) => {
    const fx = a.keypoints[3 * k]! / img.width;
    return [r5(facing === "left" ? 1 - fx : fx), r5(a.keypoints[3 * k + 1]! / img.height)];
  });
  targets.push({
    file: img.file_name,
    landmarks,
    mm_per_fraction: [img.width * img.pixel_spacing_mm, img.height * img.pixel_spacing_mm],
    anb: a.attributes.anb,
  });
}
await new Promise<void>((resolve, reject) =>
  stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
);
await writeFile(join(values.out, "targets.json"), JSON.stringify(targets));
console.log(JSON.stringify({ out: values.out, images: targets.length }));
