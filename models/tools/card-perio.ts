// Installs a trained periodontal model into models/perio: copies the ONNX file, pins its SHA-256,
// evaluates it through the runtime pipeline on a held-out synthetic set and writes card.json.
// Usage: npx tsx models/tools/card-perio.ts --run DIR [--test synthetic:13:300] [--out models/perio]
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ModelCard, sha256Hex } from "../../packages/ai/src/model.ts";
import { PERIO_CHANNELS, PERIO_INPUT, PERIO_SLOTS } from "../../packages/ai/src/perio.ts";
import { evaluatePerioSet, openPerioSet } from "../../packages/ai/src/perio-evaluate.ts";
import { PerioPipeline } from "../../packages/ai/src/perio-pipeline.ts";
import {
  BIOLOGICAL_WIDTH_MM,
  PERIO_IMAGE,
  PERIO_PIXEL_SPACING_MM,
  PERIO_STAGES,
} from "../../packages/ai/src/synth-perio.ts";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    test: { type: "string", default: "synthetic:13:300" },
    out: { type: "string", default: "models/perio" },
  },
});
if (!values.run) throw new Error("--run DIR is required");
const out = values.out!;
await mkdir(out, { recursive: true });
const training = JSON.parse(await readFile(join(values.run, "training.json"), "utf8"));
await copyFile(join(values.run, "perio.onnx"), join(out, "perio.onnx"));
const bytes = await readFile(join(out, "perio.onnx"));

const card: ModelCard = {
  id: "btt.dental.periodontal.bone-loss",
  version: "0.1.0",
  task: "periodontal-bone-loss",
  modality: ["IO", "DX", "OT"],
  file: "perio.onnx",
  sha256: sha256Hex(bytes),
  sizeBytes: (await stat(join(out, "perio.onnx"))).size,
  input: {
    name: "image",
    shape: [1, 1, PERIO_INPUT.height, PERIO_INPUT.width],
    dtype: "float32",
    range: [0, 1],
    description:
      "one posterior radiograph showing both arches' premolars and molars with their whole roots (a vertical bitewing or paired periapicals), grey, 1 = radiopaque",
    preprocessing:
      "DICOM VOI window (or min..max) and MONOCHROME1 inversion; canonical orientation (rows toward L, columns toward F); left-side views mirrored to the right-side layout; area resampling to 256x192; 1st..99th percentile stretch to [0,1] (packages/ai/src/perio.ts preparePerio)",
  },
  output: {
    name: "slots",
    shape: [1, PERIO_SLOTS, PERIO_CHANNELS],
    dtype: "float32",
    description:
      "one row per tooth position (upper 4-7, lower 4-7 in the right-side layout; FDI quadrant from the side); decodePerio reports every row",
    channels: {
      "0": "bone-loss logit (sigmoid → fraction of the CEJ→apex root length lost beyond the 2 mm biological width)",
      "1-3": "stage logits (I, II, III/IV); softmax of the stage the percentage falls in is D_confidence",
      "4": "tooth axis x (fraction of input width)",
      "5-7": "CEJ, alveolar crest and root apex y (fractions of input height), for the overlay",
    },
  },
  labels: {
    stages: PERIO_STAGES,
    toothPositions: ["upper-4", "upper-5", "upper-6", "upper-7", "lower-4", "lower-5", "lower-6", "lower-7"],
  },
  thresholds: {
    stageIUpperPct: 15,
    stageIIUpperPct: 33,
    biologicalWidthMm: BIOLOGICAL_WIDTH_MM,
    pixelSpacingMm: PERIO_PIXEL_SPACING_MM,
  },
  trainingData: `synthetic, not for clinical use: ${training.train_images} generated posterior views (packages/ai/src/synth-perio.ts, models/tools/synth-perio.ts seed 11, ${PERIO_IMAGE.width}x${PERIO_IMAGE.height} at ${PERIO_PIXEL_SPACING_MM} mm/px), ${training.epochs} epochs on 2 CPU threads in ${training.train_seconds} s (torch seed ${training.seed}); validated on 300 more (seed 12)`,
  evaluation: {},
  intendedUse:
    "Reference model for the BTT imaging pipeline's periodontal module: shows the contract (input, per-tooth output, card, hash pin) that a model trained on real radiographs with CEJ/crest/apex keypoints (COCO format, same scripts) replaces. Research and integration testing only.",
  limitations: [
    "Trained only on synthetic drawings; it has never seen a real radiograph and its figures say nothing about clinical performance.",
    "Bone loss % = (CEJ→crest − 2 mm biological width) / (CEJ→apex root length) at one level per tooth: horizontal bone loss only, mesial and distal sites equal, no angular (vertical) defects or furcation involvement.",
    "The 2 mm is learned at the generator's fixed scale (0.1 mm per pixel at 512x384); the model does not read Pixel Spacing, so images at other magnifications shift the estimate.",
    "Stage from radiographic bone loss alone (AAP/EFP 2017): I < 15%, II 15-33%, III/IV > 33%. Stages III and IV need clinical data (tooth loss, complexity), so they are reported together; staging presumes a periodontitis diagnosis made clinically.",
    "Premolars and molars (FDI units 4-7) of both arches, all eight present; missing teeth, implants, restorations and overlapping contacts are not modelled, and every slot gets an estimate.",
    "Not a medical device. Not for clinical use.",
  ],
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);

// Held-out evaluation through the runtime (the same path `analyze` takes).
const set = openPerioSet(values.test!);
const pipeline = await PerioPipeline.open(join(out, "card.json"));
const evaluation = await evaluatePerioSet(pipeline, set);
await pipeline.close();
card.evaluation = {
  set: `held-out ${set.description} (models/tools/synth-perio.ts --seed 13 writes the same images)`,
  ...evaluation,
  validationDuringTraining: training.validation,
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);
console.log(JSON.stringify(card.evaluation));
