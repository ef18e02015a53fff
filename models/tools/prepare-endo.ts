// Turns a COCO periapical set (the layout synth-endo.ts writes) into model-ready tensors through
// the runtime's own preprocessing (readStudy → prepareEndo). Writes images.f32 (N×208×160
// float32) and targets.json: per image and tooth slot (units 4-7) whether a tooth is there, its
// lesion label (score ≥ 3), radiolucency diameter (mm), lesion box and apex as fractions of the
// input (mirrored for left sides), and the arch.
// Usage: npx tsx models/tools/prepare-endo.ts --coco DIR/annotations.json --out DIR
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { ENDO_SLOTS, endoSlot, prepareEndo } from "../../packages/ai/src/endo.ts";
import { readStudy } from "../../packages/ai/src/input.ts";

interface Coco {
  images: {
    id: number;
    file_name: string;
    width: number;
    height: number;
    laterality?: string;
    arch?: string;
  }[];
  annotations: {
    image_id: number;
    category_id: number;
    bbox: number[];
    attributes: { tooth: number; positive?: boolean; apices?: number[][]; diameter_mm?: number };
  }[];
}

const { values } = parseArgs({ options: { coco: { type: "string" }, out: { type: "string" } } });
if (!values.coco || !values.out) throw new Error("--coco FILE and --out DIR are required");
const coco = JSON.parse(await readFile(values.coco, "utf8")) as Coco;
const root = dirname(values.coco);
await mkdir(values.out, { recursive: true });
const byImage = new Map<number, Coco["annotations"]>();
for (const a of coco.annotations) byImage.set(a.image_id, [...(byImage.get(a.image_id) ?? []), a]);
const stream = createWriteStream(join(values.out, "images.f32"));
const targets: unknown[] = [];
const r4 = (v: number) => Math.round(v * 10_000) / 10_000;
for (const img of coco.images) {
  const study = await readStudy(await readFile(join(root, img.file_name)));
  const side = img.laterality?.startsWith("L") ? "L" : "R";
  const t = prepareEndo(study, 0, side).tensor;
  if (!stream.write(Buffer.from(t.buffer, t.byteOffset, t.byteLength)))
    await new Promise<void>((r) => stream.once("drain", () => r()));
  const fx = (x: number) => (side === "L" ? 1 - x / img.width : x / img.width);
  const slots = Array.from({ length: ENDO_SLOTS }, () => ({
    mask: 0,
    lesion: 0,
    diameter: 0,
    box: [0, 0, 0, 0],
    apex: [0, 0],
  }));
  const anns = byImage.get(img.id) ?? [];
  for (const a of anns.filter((a) => a.category_id === 1)) {
    const apices = a.attributes.apices ?? [];
    const s = slots[endoSlot(a.attributes.tooth)]!;
    s.mask = 1;
    s.lesion = a.attributes.positive ? 1 : 0;
    s.apex = [
      fx(apices.reduce((acc, p) => acc + p[0]!, 0) / apices.length),
      apices.reduce((acc, p) => acc + p[1]!, 0) / apices.length / img.height,
    ].map(r4);
  }
  for (const a of anns.filter((a) => a.category_id === 2)) {
    const s = slots[endoSlot(a.attributes.tooth)]!;
    const [x, y, w, h] = a.bbox as [number, number, number, number];
    s.diameter = a.attributes.diameter_mm ?? 0;
    s.box = [fx(x + w / 2), (y + h / 2) / img.height, w / img.width, h / img.height].map(r4);
  }
  targets.push({ file: img.file_name, upper: img.arch === "upper" ? 1 : 0, slots });
}
await new Promise<void>((resolve, reject) =>
  stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
);
await writeFile(join(values.out, "targets.json"), JSON.stringify(targets));
console.log(JSON.stringify({ out: values.out, images: targets.length }));
