// Installs a trained endodontic model into models/endo: copies the ONNX file, pins its SHA-256,
// evaluates it through the runtime pipeline on a held-out synthetic set and writes card.json.
// Usage: npx tsx models/tools/card-endo.ts --run DIR [--test synthetic:23:300] [--out models/endo]
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  ENDO_CHANNELS,
  ENDO_DIAMETER_SCALE_MM,
  ENDO_HEATMAP,
  ENDO_INPUT,
  ENDO_LESION_THRESHOLD,
  ENDO_OUTPUT_LENGTH,
  ENDO_PEAK_SEARCH_CELLS,
  ENDO_PRESENCE_THRESHOLD,
  ENDO_SLOT_UNITS,
  ENDO_SLOTS,
} from "../../packages/ai/src/endo.ts";
import { evaluateEndoSet, openEndoSet } from "../../packages/ai/src/endo-evaluate.ts";
import { EndoPipeline } from "../../packages/ai/src/endo-pipeline.ts";
import { type ModelCard, sha256Hex } from "../../packages/ai/src/model.ts";
import { ENDO_IMAGE, ENDO_LESION_MIN_MM, ENDO_PIXEL_SPACING_MM } from "../../packages/ai/src/synth-endo.ts";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    test: { type: "string", default: "synthetic:23:300" },
    out: { type: "string", default: "models/endo" },
  },
});
if (!values.run) throw new Error("--run DIR is required");
const out = values.out!;
await mkdir(out, { recursive: true });
const training = JSON.parse(await readFile(join(values.run, "training.json"), "utf8"));
await copyFile(join(values.run, "endo.onnx"), join(out, "endo.onnx"));
const bytes = await readFile(join(out, "endo.onnx"));

const card: ModelCard = {
  id: "btt.dental.endodontic.periapical",
  version: "0.1.0",
  task: "periapical-lesion-detection",
  modality: ["IO", "DX", "OT"],
  file: "endo.onnx",
  sha256: sha256Hex(bytes),
  sizeBytes: (await stat(join(out, "endo.onnx"))).size,
  input: {
    name: "image",
    shape: [1, 1, ENDO_INPUT.height, ENDO_INPUT.width],
    dtype: "float32",
    range: [0, 1],
    description:
      "one posterior periapical radiograph (portrait, one to three premolars/molars of one arch with whole roots and periapical bone), grey, 1 = radiopaque",
    preprocessing:
      "DICOM VOI window (or min..max) and MONOCHROME1 inversion; canonical orientation (rows toward L, columns toward F); left-side views mirrored to the right-side layout (upper-arch views are not flipped); area resampling to 160x208; 1st..99th percentile stretch to [0,1] (packages/ai/src/endo.ts prepareEndo)",
  },
  output: {
    name: "outputs",
    shape: [1, ENDO_OUTPUT_LENGTH],
    dtype: "float32",
    description: `the slots [${ENDO_SLOTS}, ${ENDO_CHANNELS}] flattened, one row per tooth unit (4, 5, 6, 7; FDI quadrant from the side and the arch channel; decodeEndo reports the rows whose tooth-present probability is ≥ 0.5), then a ${ENDO_HEATMAP.height}x${ENDO_HEATMAP.width} lesion-centre logit map (stride ${ENDO_HEATMAP.stride} of the input)`,
    channels: {
      "0": "tooth-present logit",
      "1": "lesion logit (sigmoid → probability of a periapical radiolucency of PAI-like score ≥ 3, i.e. ≥ 1.5 mm)",
      "2": `radiolucency largest diameter (sigmoid × ${ENDO_DIAMETER_SCALE_MM} mm, at the training scale)`,
      "3-6": "lesion box centre x, centre y, width, height (fractions of the input)",
      "7-8": "the tooth's apex x, y (fractions of the input; mean of its root apices)",
      "9": "upper-arch logit (the view's arch is the present rows' mean vote)",
      "40-559": `lesion-centre logits, row-major ${ENDO_HEATMAP.height}x${ENDO_HEATMAP.width}; a called lesion's box is centred on the peak within ${ENDO_PEAK_SEARCH_CELLS} cells of its row's channels 3-4 (3x3 weighted centroid), sized by channels 5-6`,
    },
  },
  labels: {
    toothUnits: ENDO_SLOT_UNITS,
    scores: [1, 2, 3, 4, 5],
    scoreMeaning: [
      "1: no radiolucency (intact apical PDL and lamina dura)",
      "2: < 1.5 mm (widened apical PDL space), not a lesion",
      "3: 1.5-3 mm",
      "4: 3-5 mm",
      "5: ≥ 5 mm",
    ],
  },
  thresholds: {
    lesion: ENDO_LESION_THRESHOLD,
    presence: ENDO_PRESENCE_THRESHOLD,
    lesionMinMm: ENDO_LESION_MIN_MM,
    pixelSpacingMm: ENDO_PIXEL_SPACING_MM,
  },
  trainingData: `synthetic, not for clinical use: ${training.train_images} generated periapical views (packages/ai/src/synth-endo.ts, models/tools/synth-endo.ts seed 21, ${ENDO_IMAGE.width}x${ENDO_IMAGE.height} at ${ENDO_PIXEL_SPACING_MM} mm/px), ${training.epochs} epochs on ${training.threads} CPU thread(s) in ${training.train_seconds} s (torch seed ${training.seed}); validated on 300 more (seed 22)`,
  evaluation: {},
  intendedUse:
    "Reference model for the BTT imaging pipeline's endodontic module: shows the contract (input, per-tooth output, card, hash pin) that a model trained on real periapical radiographs with tooth and lesion annotations (COCO format, same scripts) replaces. Research and integration testing only.",
  limitations: [
    "Trained only on synthetic drawings; it has never seen a real radiograph and its figures say nothing about clinical performance.",
    "The PAI-like score is a diameter scale defined by the generator (1 none, 2 < 1.5 mm, 3 1.5-3 mm, 4 3-5 mm, 5 ≥ 5 mm), not Ørstavik's periapical index, which grades against reference radiographs and includes bone-structure changes without a measurable radiolucency.",
    "Lesions are round or oval radiolucencies at one root apex, well or ill defined; lateral (canal-related) lesions, condensing osteitis, periapical cemento-osseous dysplasia and other mimics (mental foramen, sinus, marrow spaces) are not drawn, so specificity against them is unknown.",
    "Posterior teeth (FDI units 4-7) only, one to three neighbours of one arch, each shaped so its unit can be told from its roots (4 two canals, 6 divergent and 7 converging roots); real single-tooth views often cannot be numbered without the request that ordered them.",
    "Sizes in mm use the file's Pixel Spacing, or a 32 mm film width when it has none; the model itself learned at 0.1 mm per pixel at 320x416 and does not read the spacing.",
    "Not a medical device. Not for clinical use.",
  ],
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);

// Held-out evaluation through the runtime (the same path `analyze` takes).
const set = openEndoSet(values.test!);
const pipeline = await EndoPipeline.open(join(out, "card.json"));
const evaluation = await evaluateEndoSet(pipeline, set);
await pipeline.close();
card.evaluation = {
  set: `held-out ${set.description} (models/tools/synth-endo.ts --seed 23 writes the same images)`,
  ...evaluation,
  validationDuringTraining: training.validation,
  testFloors:
    "packages/ai/test/endo.test.ts asserts on 40 fresh views (seeds 90000+): tooth sensitivity ≥ 0.8, specificity ≥ 0.8, AUC ≥ 0.9, ECE ≤ 0.1, lesion precision ≥ 0.6, recall ≥ 0.6, ≤ 8 labelled teeth not reported",
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);
console.log(JSON.stringify(card.evaluation));
