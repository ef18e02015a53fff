// Installs a trained CT slice model into models/ct: copies the ONNX file, pins its SHA-256,
// evaluates it through the runtime pipeline on held-out synthetic series and writes card.json.
// Usage: npx tsx models/tools/card-ct.ts --run DIR [--test synthetic:43:100] [--out models/ct]
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CT_INPUT, CT_SLICE_THRESHOLD, CT_WINDOW } from "../../packages/ai/src/ct.ts";
import { CT_EVALUATION_FLOORS, evaluateCtSet, openCtSet } from "../../packages/ai/src/ct-evaluate.ts";
import { type ModelCard, sha256Hex } from "../../packages/ai/src/model.ts";
import { SeriesPipeline } from "../../packages/ai/src/series-pipeline.ts";
import {
  CT_IMAGE,
  CT_PIXEL_SPACING_MM,
  CT_SLICE_THICKNESS_MM,
  CT_SLICES,
  LESION_MIN_RADIUS_MM,
} from "../../packages/ai/src/synth-ct.ts";
import { CT_WINDOW_PRESETS } from "../../packages/ai/src/windowing.ts";

const { values } = parseArgs({
  options: {
    run: { type: "string" },
    test: { type: "string", default: "synthetic:43:100" },
    out: { type: "string", default: "models/ct" },
  },
});
if (!values.run) throw new Error("--run DIR is required");
const out = values.out!;
await mkdir(out, { recursive: true });
const training = JSON.parse(await readFile(join(values.run, "training.json"), "utf8"));
await copyFile(join(values.run, "ct.onnx"), join(out, "ct.onnx"));
const bytes = await readFile(join(out, "ct.onnx"));
const preset = CT_WINDOW_PRESETS[CT_WINDOW];

const card: ModelCard = {
  id: "btt.ct.generic.lesion-slice",
  version: "0.1.0",
  task: "ct-slice-lesion-classification",
  modality: ["CT"],
  file: "ct.onnx",
  sha256: sha256Hex(bytes),
  sizeBytes: (await stat(join(out, "ct.onnx"))).size,
  input: {
    name: "image",
    shape: [1, 1, CT_INPUT.height, CT_INPUT.width],
    dtype: "float32",
    range: [0, 1],
    description: `one axial CT slice in Hounsfield units, shown in the ${CT_WINDOW} window (${preset.center}/${preset.width} HU), 0 = ${preset.center - preset.width / 2} HU and below, 1 = ${preset.center + preset.width / 2} HU and above`,
    preprocessing: `series.ts: DICOM files grouped by Series Instance UID, ordered by Image Position (Patient) along the slice normal, Rescale Slope/Intercept applied (HU); ct.ts prepareSeriesSlices: DICOM linear VOI with the ${CT_WINDOW} preset, area resampling to ${CT_INPUT.width}x${CT_INPUT.height}`,
  },
  output: {
    name: "probability",
    shape: [1, 1],
    dtype: "float32",
    description: "probability that the slice shows a hyperdense lesion (sigmoid of the logit, in the graph)",
    channels: { "0": "P(lesion on this slice)" },
  },
  labels: {
    classes: ["no lesion", "hyperdense lesion"],
    // The series contract: the window the input is shown in (ct.ts seriesContract reads it).
    window: [CT_WINDOW],
    finding: ["urn:btt:finding", "ct-hyperdense-lesion", "Hyperdense intracranial lesion (haemorrhage-like)"],
    bodySite: ["http://snomed.info/sct", "69536005", "Head structure"],
  },
  thresholds: { slice: CT_SLICE_THRESHOLD, lesionMinRadiusMm: LESION_MIN_RADIUS_MM },
  trainingData: `synthetic, not for clinical use: ${training.train_series} generated head CT series (${training.train_slices} slices, ${training.train_positive_slices} with a lesion; packages/ai/src/synth-ct.ts via models/tools/prepare-ct.ts seed 41, ${CT_SLICES} axial slices of ${CT_IMAGE.width}x${CT_IMAGE.height} at ${CT_PIXEL_SPACING_MM} mm/px, ${CT_SLICE_THICKNESS_MM} mm thick; about half the series carry one 55–90 HU ellipsoid lesion, a slice is positive where its cross-section radius is ≥ ${LESION_MIN_RADIUS_MM} mm), ${training.epochs} epochs on ${training.threads} CPU thread(s) in ${training.train_seconds} s (torch seed ${training.seed}); validated on 50 more series (seed 42)`,
  evaluation: {},
  intendedUse:
    "Reference model for the BTT imaging pipeline beyond dentistry: shows that the series pipeline (DICOM series reading, HU windowing presets, slice sub-tasks for the compute network, per-slice probabilities, series finding, FHIR report) runs any registered model whose card states a series contract. Research and integration testing only.",
  limitations: [
    "Trained only on synthetic ellipsoid head phantoms; it has never seen a real CT and its figures say nothing about clinical performance.",
    "One drawn finding type (a round 55–90 HU hyperdense region inside the brain). Real haemorrhage (subdural, subarachnoid, intraventricular), calcifications, contrast, beam hardening, metal and motion artefacts are not modelled beyond one small dense calcification distractor.",
    "Each slice is read on its own (no context from neighbouring slices); the series finding is the slices at or above the threshold.",
    `Input must be an axial CT series in Hounsfield units at about ${CT_PIXEL_SPACING_MM} mm/px; other modalities are refused by the contract.`,
    "Not a medical device. Not for clinical use.",
  ],
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);

// Held-out evaluation through the runtime (the same path `btt ai analyze --module ct` takes).
const set = openCtSet(values.test!);
const pipeline = await SeriesPipeline.open(join(out, "card.json"));
const evaluation = await evaluateCtSet(pipeline, set);
await pipeline.close();
card.evaluation = {
  set: `held-out ${set.description} (models/tools/prepare-ct.ts --seed 43 makes the same series)`,
  ...evaluation,
  validationDuringTraining: training.validation,
  testFloors: {
    set: "16 held-out series (synthetic:43:16), packages/ai/test/ct.test.ts",
    ...CT_EVALUATION_FLOORS,
  },
};
await writeFile(join(out, "card.json"), `${JSON.stringify(card, null, 2)}\n`);
console.log(JSON.stringify(card.evaluation));
