// Installs a trained caries model into models/caries: copies the ONNX file, pins its SHA-256,
// evaluates it through the runtime pipeline on a held-out COCO set and writes card.json.
// Usage: npx tsx models/tools/card-caries.ts --run DIR --test DIR/annotations.json [--out models/caries]
import { copyFile, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  CARIES_CHANNELS,
  CARIES_GRID,
  CARIES_INPUT,
  SEVERITIES,
  TOOTH_POSITIONS,
} from "../../packages/ai/src/caries.ts";
import { evaluateCaries } from "../../packages/ai/src/evaluate.ts";
import { type ModelCard, sha256Hex } from "../../packages/ai/src/model.ts";
import { CariesPipeline } from "../../packages/ai/src/pipeline.ts";
import type { CariesLabel } from "../../packages/ai/src/synth.ts";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    test: { type: "string" },
    out: { type: "string", default: "models/caries" },
  },
});
if (!values.run || !values.test) throw new Error("--run DIR and --test annotations.json are required");
const out = values.out!;
const training = JSON.parse(await readFile(join(values.run, "training.json"), "utf8"));
await copyFile(join(values.run, "caries.onnx"), join(out, "caries.onnx"));
const bytes = await readFile(join(out, "caries.onnx"));

const card: ModelCard = {
  id: "btt.dental.caries.bitewing",
  version: "0.1.0",
  task: "caries-detection",
  modality: ["IO", "DX", "OT"],
  file: "caries.onnx",
  sha256: sha256Hex(bytes),
  sizeBytes: (await stat(join(out, "caries.onnx"))).size,
  input: {
    name: "image",
    shape: [1, 1, CARIES_INPUT.height, CARIES_INPUT.width],
    dtype: "float32",
    range: [0, 1],
    description: "one bitewing radiograph, grey, 1 = radiopaque",
    preprocessing:
      "DICOM VOI window (or min..max) and MONOCHROME1 inversion; canonical orientation (rows toward L, columns toward F); left-side bitewings mirrored to the right-side layout; area resampling to 256x128; 1st..99th percentile stretch to [0,1] (packages/ai/src/caries.ts prepareCaries)",
  },
  output: {
    name: "grid",
    shape: [1, CARIES_CHANNELS, CARIES_GRID.height, CARIES_GRID.width],
    dtype: "float32",
    description:
      "one cell per 8x8 input pixels (decodeCaries: 3x3 local maxima above the threshold, then box NMS)",
    channels: {
      "0": "lesion objectness logit",
      "1-2": "centre offset logits (sigmoid → fraction of the cell)",
      "3-4": "log box width/height in cells",
      "5-7": "severity logits",
      "8-15": "tooth position logits",
    },
  },
  labels: { severity: SEVERITIES, toothPositions: TOOTH_POSITIONS.map(([arch, unit]) => `${arch}-${unit}`) },
  thresholds: { lesion: training.threshold, nmsIou: 0.3, matchIou: 0.3 },
  trainingData: `synthetic, not for clinical use: ${training.train_images} generated bitewings (packages/ai/src/synth.ts, models/tools/synth.ts seed 1), ${training.epochs} epochs on CPU in ${training.train_seconds} s; threshold chosen on 300 more (seed 2)`,
  evaluation: {},
  intendedUse:
    "Reference model for the BTT imaging pipeline: shows the contract (input, output, card, hash pin) that a model trained on real, labelled bitewings (COCO format, same scripts) replaces. Research and integration testing only.",
  limitations: [
    "Trained only on synthetic drawings of bitewings; it has never seen a real radiograph and its figures say nothing about clinical performance.",
    "Proximal lesions only; no occlusal, root or recurrent caries; no restorations, crowns or implants.",
    "Bitewings with four posterior teeth per arch (FDI units 4-7); the side comes from Image Laterality or the caller.",
    "Not a medical device. Not for clinical use.",
  ],
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);

// Held-out evaluation through the runtime (the same path `analyze` takes).
const coco = JSON.parse(await readFile(values.test, "utf8")) as {
  images: { id: number; file_name: string; laterality: "R" | "L" }[];
  annotations: {
    image_id: number;
    bbox: [number, number, number, number];
    attributes: { tooth: number; severity: 1 | 2 | 3 };
  }[];
};
const pipeline = await CariesPipeline.open(join(out, "card.json"));
const cases = [];
for (const img of coco.images) {
  const res = await pipeline.analyze(await readFile(join(dirname(values.test), img.file_name)), {
    side: img.laterality,
  });
  const labels: CariesLabel[] = coco.annotations
    .filter((a) => a.image_id === img.id)
    .map((a) => ({ box: a.bbox, tooth: a.attributes.tooth, severity: a.attributes.severity }));
  cases.push({ predicted: res.findings, labels });
}
await pipeline.close();
card.evaluation = {
  set: `held-out synthetic bitewings (models/tools/synth.ts seed 3), ${coco.images.length} images`,
  matchIou: 0.3,
  ...evaluateCaries(cases),
  validationDuringTraining: training.validation,
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);
console.log(JSON.stringify(card.evaluation));
