// The endodontic model on the compute network: the canonical bytes of an analysis (what workers
// hash, commit and reveal; canonical.ts explains the rules) and the benchmark input of a seed.
import { writeDicom } from "./dicom-write.ts";
import type { EndoFinding } from "./endo.ts";
import type { EndoPipeline, EndoResult } from "./endo-pipeline.ts";
import { ENDO_LESION_MIN_MM, ENDO_PIXEL_SPACING_MM, endoScore, generateEndo } from "./synth-endo.ts";

/** The endodontic result's format tag; never compared with another module's. */
export const CANONICAL_ENDO_VERSION = "btt.endodontic.canonical/v1";

/** The canonical operating point: a lesion is called at ≥ 500 per mille. */
const CALL_PM = 500;

type CanonicalEndoInput = Pick<EndoResult, "display"> & {
  findings: readonly Pick<EndoFinding, "tooth" | "lesionProbability" | "diameterMm" | "box" | "arch">[];
  side: "R" | "L";
};

/**
 * The canonical JSON of an endodontic result, as UTF-8 bytes: the image's size, side and arch,
 * and per reported tooth (sorted by FDI) its lesion probability in whole per mille, the
 * radiolucency diameter in whole tenths of a mm, and, for a called lesion, its box in whole
 * source pixels. The call (≥ 500 ‰) and the PAI-like score are derived from those integers, so
 * they can never disagree with them. Confidence terms, apices and TTA are left out.
 */
export function canonicalEndoResult(result: CanonicalEndoInput): Uint8Array {
  const teeth = result.findings
    .map((f) => {
      const pm = Math.round(f.lesionProbability * 1000);
      const lesion = pm >= CALL_PM;
      const dmm = Math.round(f.diameterMm * 10);
      const score = lesion ? endoScore(Math.max(ENDO_LESION_MIN_MM * 10, dmm) / 10) : dmm < 5 ? 1 : 2;
      return { tooth: f.tooth, pm, lesion, dmm, score, box: f.box.map((v) => Math.round(v)) };
    })
    .sort((a, b) => a.tooth - b.tooth);
  const arch = result.findings[0]?.arch ?? "none";
  const body =
    `{"format":${JSON.stringify(CANONICAL_ENDO_VERSION)},` +
    `"width":${result.display.width},"height":${result.display.height},"side":"${result.side}","arch":"${arch}",` +
    `"teeth":[${teeth
      .map(
        (t) =>
          `{"tooth":${t.tooth},"lesion_pm":${t.pm},"lesion":${t.lesion},"diameter_dmm":${t.dmm},"score":${t.score}` +
          `${t.lesion ? `,"box":[${t.box.join(",")}]` : ""}}`,
      )
      .join(",")}]}`;
  return new TextEncoder().encode(body);
}

/** The endodontic pipeline run the way a compute worker must (no TTA), as canonical bytes. */
export async function analyzeEndoCanonical(pipeline: EndoPipeline, bytes: Uint8Array): Promise<Uint8Array> {
  const result = await pipeline.analyze(bytes, { augmentations: [], issued: new Date(0) });
  const side = result.study.laterality?.startsWith("L") ? "L" : "R";
  return canonicalEndoResult({ ...result, side });
}

/**
 * The endodontic model's input for a seed: a synthetic periapical view as the 12-bit DICOM a
 * worker receives (Image Laterality and Pixel Spacing set; what `btt ai sample --module
 * endodontic` writes).
 */
export function endoBenchmarkInput(seed: number): Promise<Uint8Array> {
  const { image, side } = generateEndo(seed);
  return writeDicom({
    rows: image.height,
    cols: image.width,
    frames: [Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
    bitsStored: 12,
    laterality: side,
    pixelSpacingMm: [ENDO_PIXEL_SPACING_MM, ENDO_PIXEL_SPACING_MM],
  });
}
