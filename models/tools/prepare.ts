// Turns a COCO caries data set (synthetic or real) into model-ready tensors through the same
// code the runtime uses (readStudy → prepareCaries), so training and inference see identical
// preprocessing. Writes images.f32 (N×128×256 float32) and targets.json (boxes in input pixels).
// COCO extras read: image.laterality ("R"/"L", default R), annotation.attributes {tooth, severity}.
// Usage: npx tsx models/tools/prepare.ts --coco DIR/annotations.json --out DIR
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { mapBox, prepareCaries, toothClass } from "../../packages/ai/src/caries.ts";
import { readStudy } from "../../packages/ai/src/input.ts";

interface Coco {
  images: { id: number; file_name: string; laterality?: string }[];
  annotations: {
    image_id: number;
    bbox: [number, number, number, number];
    attributes?: { tooth?: number; severity?: number };
  }[];
}

const { values } = parseArgs({ options: { coco: { type: "string" }, out: { type: "string" } } });
if (!values.coco || !values.out) throw new Error("--coco FILE and --out DIR are required");
const coco = JSON.parse(await readFile(values.coco, "utf8")) as Coco;
const root = dirname(values.coco);
await mkdir(values.out, { recursive: true });
const stream = createWriteStream(join(values.out, "images.f32"));
const targets: unknown[] = [];
for (const img of coco.images) {
  const study = await readStudy(await readFile(join(root, img.file_name)));
  const side = img.laterality?.startsWith("L") ? "L" : "R";
  const prepared = prepareCaries(study, 0, side);
  const t = prepared.tensor;
  if (!stream.write(Buffer.from(t.buffer, t.byteOffset, t.byteLength)))
    await new Promise<void>((r) => stream.once("drain", () => r()));
  const anns = coco.annotations.filter((a) => a.image_id === img.id);
  targets.push({
    file: img.file_name,
    boxes: anns.map((a) => mapBox(a.bbox, prepared.transform).map((v) => Math.round(v * 100) / 100)),
    tooth: anns.map((a) => toothClass(a.attributes?.tooth ?? 16)),
    severity: anns.map((a) => (a.attributes?.severity ?? 1) - 1),
  });
}
await new Promise<void>((resolve, reject) =>
  stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
);
await writeFile(join(values.out, "targets.json"), JSON.stringify(targets));
console.log(JSON.stringify({ out: values.out, images: targets.length }));
