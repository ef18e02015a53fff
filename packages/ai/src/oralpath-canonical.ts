// The oral-pathology model on the compute network: the canonical bytes of a screening (what
// workers hash, commit and reveal; canonical.ts explains the rules) and the benchmark input of a seed.
import { writeDicom } from "./dicom-write.ts";
import type { OralPathFinding } from "./oralpath.ts";
import type { OralPathPipeline, OralPathResult } from "./oralpath-pipeline.ts";
import { ENDO_PIXEL_SPACING_MM } from "./synth-endo.ts";
import { generateOralPath, ORAL_PATH_CLASSES, ORAL_PATH_REFER_CLASS } from "./synth-oralpath.ts";

export const CANONICAL_ORAL_PATH_VERSION = "btt.oral-pathology.canonical/v1";

/** The canonical referral point: P(ill-defined) ≥ 300 per mille. */
const REFER_PM = 300;

type CanonicalOralPathInput = Pick<OralPathResult, "display"> & {
  finding: Pick<OralPathFinding, "probabilities">;
  side: "R" | "L";
};

/**
 * The canonical JSON of a screening, as UTF-8 bytes: the image's size and side, each class's
 * probability in whole per mille (class order fixed), and the class and refer flag derived from
 * those integers (the first largest, and ill-defined ≥ 300 ‰), so neither can disagree with them.
 */
export function canonicalOralPathResult(result: CanonicalOralPathInput): Uint8Array {
  const pm = ORAL_PATH_CLASSES.map((k) => Math.round(result.finding.probabilities[k] * 1000));
  let best = 0;
  for (let i = 1; i < pm.length; i++) if (pm[i]! > pm[best]!) best = i;
  const refer = pm[ORAL_PATH_CLASSES.indexOf(ORAL_PATH_REFER_CLASS)]! >= REFER_PM;
  const body =
    `{"format":${JSON.stringify(CANONICAL_ORAL_PATH_VERSION)},` +
    `"width":${result.display.width},"height":${result.display.height},"side":"${result.side}",` +
    `"probabilities_pm":[${pm.join(",")}],"class":${JSON.stringify(ORAL_PATH_CLASSES[best])},"refer":${refer}}`;
  return new TextEncoder().encode(body);
}

/** The pipeline run the way a compute worker must (no TTA), as canonical bytes. */
export async function analyzeOralPathCanonical(
  pipeline: OralPathPipeline,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  const result = await pipeline.analyze(bytes, { augmentations: [], issued: new Date(0) });
  const side = result.study.laterality?.startsWith("L") ? "L" : "R";
  return canonicalOralPathResult({ ...result, side });
}

/** The model's input for a seed: a synthetic screening view as 12-bit DICOM (what `btt ai sample --module oral-pathology` writes). */
export function oralPathBenchmarkInput(seed: number): Promise<Uint8Array> {
  const { image, side } = generateOralPath(seed);
  return writeDicom({
    rows: image.height,
    cols: image.width,
    frames: [Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
    bitsStored: 12,
    laterality: side,
    pixelSpacingMm: [ENDO_PIXEL_SPACING_MM, ENDO_PIXEL_SPACING_MM],
  });
}
