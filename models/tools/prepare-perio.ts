// Turns a COCO periodontal data set (synthetic or real; the keypoint layout synth-perio.ts writes)
// into model-ready tensors through the runtime's own preprocessing (readStudy → preparePerio).
// Writes images.f32 (N×192×256 float32) and targets.json: per image and tooth slot, the bone
// loss (fraction), stage index and landmarks as fractions of the input (mirrored for left sides),
// with a mask for slots that have no annotated tooth.
// Usage: npx tsx models/tools/prepare-perio.ts --coco DIR/annotations.json --out DIR
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { readStudy } from "../../packages/ai/src/input.ts";
import { PERIO_SLOTS, perioSlot, preparePerio } from "../../packages/ai/src/perio.ts";
import { PERIO_STAGES, type PerioStage } from "../../packages/ai/src/synth-perio.ts";

interface Coco {
  images: { id: number; file_name: string; width: number; height: number; laterality?: string }[];
  annotations: {
    image_id: number;
    keypoints: number[];
    attributes: { tooth: number; bone_loss_pct: number; stage: PerioStage };
  }[];
}

const { values } = parseArgs({ options: { coco: { type: "string" }, out: { type: "string" } } });
if (!values.coco || !values.out) throw new Error("--coco FILE and --out DIR are required");
const coco = JSON.parse(await readFile(values.coco, "utf8")) as Coco;
const root = dirname(values.coco);
await mkdir(values.out, { recursive: true });
const stream = createWriteStream(join(values.out, "images.f32"));
const targets: unknown[] = [];
const r4 = (v: number) => Math.round(v * 10_000) / 10_000;
for (const img of coco.images) {
  const study = await readStudy(await readFile(join(root, img.file_name)));
  const side = img.laterality?.startsWith("L") ? "L" : "R";
  const t = preparePerio(study, 0, side).tensor;
  if (!stream.write(Buffer.from(t.buffer, t.byteOffset, t.byteLength)))
    await new Promise<void>((r) => stream.once("drain", () => r()));
  const slots = Array.from({ length: PERIO_SLOTS }, () => ({
    mask: 0,
    loss: 0,
    stage: 0,
    landmarks: [0, 0, 0, 0],
  }));
  for (const a of coco.annotations.filter((a) => a.image_id === img.id)) {
    const [cx, cejY, , , crestY, , , apexY] = a.keypoints as number[];
    const fx = cx! / img.width;
    slots[perioSlot(a.attributes.tooth)] = {
      mask: 1,
      loss: r4(a.attributes.bone_loss_pct / 100),
      stage: PERIO_STAGES.indexOf(a.attributes.stage),
      landmarks: [
        side === "L" ? 1 - fx : fx,
        cejY! / img.height,
        crestY! / img.height,
        apexY! / img.height,
      ].map(r4),
    };
  }
  targets.push({ file: img.file_name, slots });
}
await new Promise<void>((resolve, reject) =>
  stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
);
await writeFile(join(values.out, "targets.json"), JSON.stringify(targets));
console.log(JSON.stringify({ out: values.out, images: targets.length }));
