// The canonical bytes of an orthodontic (cephalometric) analysis, what compute workers hash,
// commit and reveal (see canonical.ts for the rules every module follows): integers only, no
// times, ids, confidence terms or TTA. Landmarks are in whole tenths of a millimetre, angles in
// whole tenths of a degree; the angles and the class are recomputed here from those integers by
// the same steps the pipeline reports them with (ortho-measures.ts), so they are a function of
// the landmark integers and can never contradict them.
import { writeDicom } from "./dicom-write.ts";
import { cephalometricMeasures } from "./ortho-measures.ts";
import type { OrthoPipeline, OrthoResult } from "./ortho-pipeline.ts";
import {
  generateOrtho,
  ORTHO_LANDMARKS,
  ORTHO_PIXEL_SPACING_MM,
  type OrthoLandmark,
  type Point,
} from "./synth-ortho.ts";

/** The orthodontic result's format tag; bumped whenever the form changes. */
export const CANONICAL_ORTHO_VERSION = "btt.orthodontic.canonical/v1";

type CanonicalOrthoInput = Pick<OrthoResult, "display" | "pixelSpacingMm"> & {
  landmarks: readonly { name: OrthoLandmark; mm: Point }[];
};

const tenths = (v: number) => Math.round(v * 10);

/**
 * The canonical JSON of an orthodontic result as UTF-8 bytes: the image's size, the pixel spacing
 * used (whole micrometres, row then column), every landmark in ORTHO_LANDMARKS order as
 * [x, y] in tenths of a mm from the top-left corner, SNA/SNB/ANB in tenths of a degree and the class.
 */
export function canonicalOrthoResult(result: CanonicalOrthoInput): Uint8Array {
  const at = new Map(result.landmarks.map((l) => [l.name, l.mm]));
  const points = ORTHO_LANDMARKS.map((name) => {
    const p = at.get(name);
    if (!p) throw new RangeError(`landmark ${name} is missing`);
    return { name, x: tenths(p[0]), y: tenths(p[1]) };
  });
  const mmOf = (name: OrthoLandmark): Point => {
    const p = points.find((q) => q.name === name)!;
    return [p.x / 10, p.y / 10];
  };
  const m = cephalometricMeasures({ S: mmOf("S"), N: mmOf("N"), A: mmOf("A"), B: mmOf("B") });
  const body =
    `{"format":${JSON.stringify(CANONICAL_ORTHO_VERSION)},` +
    `"width":${result.display.width},"height":${result.display.height},` +
    `"spacing_um":[${result.pixelSpacingMm.map((v) => Math.round(v * 1000)).join(",")}],` +
    `"landmarks_dmm":{${points.map((p) => `"${p.name}":[${p.x},${p.y}]`).join(",")}},` +
    `"sna_ddeg":${tenths(m.SNA)},"snb_ddeg":${tenths(m.SNB)},"anb_ddeg":${tenths(m.ANB)},` +
    `"skeletal_class":"${m.skeletalClass}"}`;
  return new TextEncoder().encode(body);
}

/** The orthodontic pipeline run the way a compute worker must (no TTA), as canonical bytes. */
export async function analyzeOrthoCanonical(pipeline: OrthoPipeline, bytes: Uint8Array): Promise<Uint8Array> {
  const result = await pipeline.analyze(bytes, { augmentations: [], issued: new Date(0) });
  return canonicalOrthoResult(result);
}

/** The generated cephalogram of a seed as a 12-bit DICOM file with its Pixel Spacing (what `btt ai sample --module orthodontic` writes). */
export function orthoSampleDicom(seed: number): Promise<Uint8Array> {
  const { image } = generateOrtho(seed);
  return writeDicom({
    rows: image.height,
    cols: image.width,
    frames: [Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
    bitsStored: 12,
    modality: "DX",
    pixelSpacingMm: [ORTHO_PIXEL_SPACING_MM, ORTHO_PIXEL_SPACING_MM],
  });
}

/** The orthodontic model's compute-network benchmark input for a seed. */
export const orthoBenchmarkInput = orthoSampleDicom;
