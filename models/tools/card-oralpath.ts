// Installs a trained oral-pathology screening model into models/oralpath: copies the ONNX file,
// pins its SHA-256, evaluates it through the runtime pipeline on a held-out synthetic set and
// writes card.json.
// Usage: npx tsx models/tools/card-oralpath.ts --run DIR [--test synthetic:33:300] [--out models/oralpath]
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type ModelCard, sha256Hex } from "../../packages/ai/src/model.ts";
import { ORAL_PATH_INPUT, ORAL_PATH_REFER_THRESHOLD } from "../../packages/ai/src/oralpath.ts";
import { evaluateOralPathSet, openOralPathSet } from "../../packages/ai/src/oralpath-evaluate.ts";
import { OralPathPipeline } from "../../packages/ai/src/oralpath-pipeline.ts";
import { ENDO_IMAGE, ENDO_PIXEL_SPACING_MM } from "../../packages/ai/src/synth-endo.ts";
import { ORAL_PATH_CLASSES, ORAL_PATH_REFER_CLASS } from "../../packages/ai/src/synth-oralpath.ts";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    test: { type: "string", default: "synthetic:33:300" },
    out: { type: "string", default: "models/oralpath" },
  },
});
if (!values.run) throw new Error("--run DIR is required");
const out = values.out!;
await mkdir(out, { recursive: true });
const training = JSON.parse(await readFile(join(values.run, "training.json"), "utf8"));
await copyFile(join(values.run, "oralpath.onnx"), join(out, "oralpath.onnx"));
const bytes = await readFile(join(out, "oralpath.onnx"));

const card: ModelCard = {
  id: "btt.dental.oral-pathology.screening",
  version: "0.1.0",
  task: "oral-pathology-screening",
  modality: ["IO", "DX", "OT"],
  file: "oralpath.onnx",
  sha256: sha256Hex(bytes),
  sizeBytes: (await stat(join(out, "oralpath.onnx"))).size,
  input: {
    name: "image",
    shape: [1, 1, ORAL_PATH_INPUT.height, ORAL_PATH_INPUT.width],
    dtype: "float32",
    range: [0, 1],
    description:
      "one periapical radiograph (portrait, posterior teeth and the jaw bone around them), grey, 1 = radiopaque",
    preprocessing:
      "the endodontic module's: DICOM VOI window (or min..max) and MONOCHROME1 inversion; canonical orientation; left-side views mirrored; area resampling to 160x208; 1st..99th percentile stretch to [0,1] (packages/ai/src/oralpath.ts prepareOralPath = endo.ts prepareEndo)",
  },
  output: {
    name: "logits",
    shape: [1, ORAL_PATH_CLASSES.length],
    dtype: "float32",
    description:
      "one logit per class; softmax → class probabilities; the screening class is the most probable",
    channels: Object.fromEntries(ORAL_PATH_CLASSES.map((k, i) => [String(i), `${k} logit`])),
  },
  labels: { classes: ORAL_PATH_CLASSES, referClass: [ORAL_PATH_REFER_CLASS] },
  thresholds: { refer: ORAL_PATH_REFER_THRESHOLD, pixelSpacingMm: ENDO_PIXEL_SPACING_MM },
  trainingData: `synthetic, not for clinical use: ${training.train_images} generated periapical views with at most one jaw lesion (packages/ai/src/synth-oralpath.ts, models/tools/synth-oralpath.ts seed 31, ${ENDO_IMAGE.width}x${ENDO_IMAGE.height} at ${ENDO_PIXEL_SPACING_MM} mm/px; none 40%, each lesion class 20%), ${training.epochs} epochs on ${training.threads} CPU thread(s) in ${training.train_seconds} s (torch seed ${training.seed}); validated on 300 more (seed 32)`,
  evaluation: {},
  intendedUse:
    "Reference model for the BTT imaging pipeline's oral-pathology screening module: shows the contract (input, class probabilities, screening class, refer flag, card, hash pin) that a model trained on real, histologically confirmed cases replaces. Research and integration testing only; a screening aid never replaces a clinician's examination or biopsy.",
  limitations: [
    "Trained only on synthetic drawings; it has never seen a real radiograph and its figures say nothing about clinical performance.",
    "Four drawn classes only (none; well-defined corticated radiolucency; well-defined radiopaque mass; ill-defined moth-eaten radiolucency). Real differentials (periapical lesions, keratocysts, ameloblastoma, fibro-osseous lesions, osteomyelitis, metastases, anatomy such as the mental foramen or sinus) are not drawn; the generator's views carry no periapical lesions.",
    `Refer = P(${ORAL_PATH_REFER_CLASS}) ≥ ${ORAL_PATH_REFER_THRESHOLD}: the pattern suggesting malignancy or osteomyelitis. Not referring is not a clearance: any clinically suspicious finding needs specialist review regardless of the class.`,
    "One lesion at most per view, in the bone of a posterior periapical view; the classifier does not localise the lesion (the overlay frames the whole view).",
    "Not a medical device. Not for clinical use.",
  ],
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);

// Held-out evaluation through the runtime (the same path `analyze` takes).
const set = openOralPathSet(values.test!);
const pipeline = await OralPathPipeline.open(join(out, "card.json"));
const evaluation = await evaluateOralPathSet(pipeline, set);
await pipeline.close();
card.evaluation = {
  set: `held-out ${set.description} (models/tools/synth-oralpath.ts --seed 33 writes the same images)`,
  ...evaluation,
  validationDuringTraining: training.validation,
  testFloors:
    "packages/ai/test/oralpath.test.ts asserts on 40 fresh views (seeds 95000+): accuracy ≥ 0.85, macro AUC ≥ 0.95, refer sensitivity ≥ 0.8, ECE ≤ 0.1",
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);
console.log(JSON.stringify(card.evaluation));
