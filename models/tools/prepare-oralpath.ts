// Turns a COCO oral-pathology set (the layout synth-oralpath.ts writes) into model-ready tensors
// through the runtime's own preprocessing (readStudy → prepareOralPath). Writes images.f32
// (N×208×160 float32) and targets.json: per image its class index (ORAL_PATH_CLASSES order).
// Usage: npx tsx models/tools/prepare-oralpath.ts --coco DIR/annotations.json --out DIR
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { readStudy } from "../../packages/ai/src/input.ts";
import { prepareOralPath } from "../../packages/ai/src/oralpath.ts";
import { ORAL_PATH_CLASSES, type OralPathClass } from "../../packages/ai/src/synth-oralpath.ts";

interface Coco {
  images: { file_name: string; laterality?: string; attributes: { class: OralPathClass } }[];
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
  const t = prepareOralPath(study, 0, img.laterality?.startsWith("L") ? "L" : "R").tensor;
  if (!stream.write(Buffer.from(t.buffer, t.byteOffset, t.byteLength)))
    await new Promise<void>((r) => stream.once("drain", () => r()));
  const cls = ORAL_PATH_CLASSES.indexOf(img.attributes.class);
  if (cls < 0) throw new Error(`${img.file_name}: unknown class ${img.attributes.class}`);
  targets.push({ file: img.file_name, cls });
}
await new Promise<void>((resolve, reject) =>
  stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
);
await writeFile(join(values.out, "targets.json"), JSON.stringify(targets));
console.log(JSON.stringify({ out: values.out, images: targets.length }));
