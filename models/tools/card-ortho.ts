// Installs a trained cephalometric landmark model into models/ortho: copies the ONNX file, pins
// its SHA-256, carries the heatmap-spread calibration from training, evaluates it through the
// runtime pipeline on a held-out synthetic set and writes card.json.
// Usage: npx tsx models/tools/card-ortho.ts --run DIR [--test synthetic:23:300] [--out models/ortho]
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ModelCard, sha256Hex } from "../../packages/ai/src/model.ts";
import { LANDMARK_TOLERANCE_MM, ORTHO_HEATMAP, ORTHO_INPUT } from "../../packages/ai/src/ortho.ts";
import { evaluateOrthoSet, openOrthoSet } from "../../packages/ai/src/ortho-evaluate.ts";
import { ANGLE_TOLERANCE_DEG } from "../../packages/ai/src/ortho-measures.ts";
import { OrthoPipeline } from "../../packages/ai/src/ortho-pipeline.ts";
import {
  ANB_CLASS_I_MAX_DEG,
  ANB_CLASS_I_MIN_DEG,
  ORTHO_IMAGE,
  ORTHO_LANDMARKS,
  ORTHO_PIXEL_SPACING_MM,
  SKELETAL_CLASSES,
} from "../../packages/ai/src/synth-ortho.ts";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    test: { type: "string", default: "synthetic:23:300" },
    out: { type: "string", default: "models/ortho" },
  },
});
if (!values.run) throw new Error("--run DIR is required");
const out = values.out!;
await mkdir(out, { recursive: true });
const training = JSON.parse(await readFile(join(values.run, "training.json"), "utf8"));
await copyFile(join(values.run, "ortho.onnx"), join(out, "ortho.onnx"));
const bytes = await readFile(join(out, "ortho.onnx"));
const r4 = (v: number) => Math.round(v * 10_000) / 10_000;

const card: ModelCard = {
  id: "btt.dental.orthodontic.landmarks",
  version: "0.1.0",
  task: "orthodontic-cephalometric-landmarks",
  modality: ["DX", "CR", "OT"],
  file: "ortho.onnx",
  sha256: sha256Hex(bytes),
  sizeBytes: (await stat(join(out, "ortho.onnx"))).size,
  input: {
    name: "image",
    shape: [1, 1, ORTHO_INPUT.height, ORTHO_INPUT.width],
    dtype: "float32",
    range: [0, 1],
    description:
      "one lateral cephalometric radiograph, profile facing right (left-facing views are mirrored first), grey, 1 = radiopaque, the whole skull from sella to menton in a square field",
    preprocessing:
      "DICOM VOI window (or min..max) and MONOCHROME1 inversion; canonical orientation (rows toward L, columns toward F); left-facing profiles mirrored; area resampling to 256x256 (aspect not kept); 1st..99th percentile stretch to [0,1] (packages/ai/src/ortho.ts prepareOrtho)",
  },
  output: {
    name: "heatmaps",
    shape: [1, ORTHO_LANDMARKS.length, ORTHO_HEATMAP.height, ORTHO_HEATMAP.width],
    dtype: "float32",
    description:
      "one 64x64 map of logits per landmark at a quarter of the input resolution; decodeHeatmaps takes each map's softmax mean (soft-argmax) as the position and its spread, times thresholds.spreadScale, as the per-axis σ",
    channels: Object.fromEntries(ORTHO_LANDMARKS.map((k, i) => [String(i), k])),
  },
  labels: { landmarks: ORTHO_LANDMARKS, skeletalClasses: SKELETAL_CLASSES },
  thresholds: {
    anbClassIMinDeg: ANB_CLASS_I_MIN_DEG,
    anbClassIMaxDeg: ANB_CLASS_I_MAX_DEG,
    landmarkToleranceMm: LANDMARK_TOLERANCE_MM,
    angleToleranceDeg: ANGLE_TOLERANCE_DEG,
    pixelSpacingMm: ORTHO_PIXEL_SPACING_MM,
    spreadScale: r4(training.validation.spread_scale),
  },
  trainingData: `synthetic, not for clinical use: ${training.train_images} generated lateral cephalograms (packages/ai/src/synth-ortho.ts, models/tools/synth-ortho.ts seed 21, ${ORTHO_IMAGE.width}x${ORTHO_IMAGE.height} at ${ORTHO_PIXEL_SPACING_MM} mm/px, Class I/II/III drawn equally often), ${training.epochs} epochs on 1 CPU thread in ${training.train_seconds} s (torch seed ${training.seed}); validated and spread-calibrated on 200 more (seed 22)`,
  evaluation: {},
  intendedUse:
    "Reference model for the BTT imaging pipeline's orthodontic module: shows the contract (input, per-landmark heatmaps, card, hash pin, landmark → SNA/SNB/ANB → skeletal class) that a model trained on real annotated cephalograms (COCO keypoints, same scripts) replaces. Research and integration testing only.",
  limitations: [
    "Trained only on synthetic drawings; it has never seen a real cephalogram and its figures say nothing about clinical performance.",
    "Skeletal class from ANB alone (III < 0°, I 0–4°, II > 4°, on ANB rounded to 0.1°). ANB depends on the anterior cranial base and on rotation of the jaws; clinical classification also uses Wits, soft tissue and the dental relationship.",
    "13 landmarks: S, N, Or, Po (machine porion, the ear rod's top), ANS, PNS, A, B, Pog, Me, Go, U1 and L1 tips. Gonion is the drawn angle of the mandible, not a constructed tangent point; double contours (left and right mandibular borders) are not modelled.",
    "Millimetres need the pixel spacing: the file's DICOM Pixel Spacing, else the caller's, else the generator's 0.4 mm; radiographic magnification at the midsagittal plane is not corrected. Angles do not depend on the spacing when it is square.",
    "The model sees the image resampled to 256x256; a non-square image is stretched, and a field much larger or smaller than ~205 mm moves the landmarks out of the scale it learned.",
    "Per-landmark D_confidence is P(radial error ≤ 2 mm) under a normal error whose σ is the heatmap spread times a scale fitted on the validation set; angle σ is propagated from S, N, A and B assuming independent errors.",
    "Not a medical device. Not for clinical use.",
  ],
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);

// Held-out evaluation through the runtime (the same path `analyze` takes).
const set = openOrthoSet(values.test!);
const pipeline = await OrthoPipeline.open(join(out, "card.json"));
const evaluation = await evaluateOrthoSet(pipeline, set);
await pipeline.close();
card.evaluation = {
  set: `held-out ${set.description} (models/tools/synth-ortho.ts --seed 23 writes the same images)`,
  ...evaluation,
  validationDuringTraining: training.validation,
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);
console.log(
  JSON.stringify({
    mre: evaluation.mreMm,
    sdr2: evaluation.sdr2mm,
    sdr4: evaluation.sdr4mm,
    anb: evaluation.anbErrorDeg,
    cls: evaluation.classAccuracy,
    ece: [evaluation.landmarkCalibrationError.value, evaluation.classCalibrationError.value],
  }),
);
