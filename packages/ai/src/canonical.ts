// The canonical bytes of a caries or periodontal analysis: what compute workers hash, commit and
// reveal, so that honest replicas running the same model on the same input agree bit for bit.
//
// Only what the model and the input determine goes in: the image's size and side, and per
// finding its tooth, severity, box (whole source pixels) and lesion score (whole per-mille).
// Left out: times, ids and file metadata (differ per run), the confidence terms (they depend on
// the chain's weights and clinicians' counts, not on the model), and TTA (extra model runs that
// add more float noise to agree on). Rounding absorbs the last-bit differences of float math.
import { sha256 } from "@btt/core";
import type { CariesFinding } from "./caries.ts";
import type { PerioFinding } from "./perio.ts";
import type { PerioPipeline, PerioResult } from "./perio-pipeline.ts";
import type { CariesPipeline, CariesResult } from "./pipeline.ts";
import { perioStage } from "./synth-perio.ts";

/** Bumped whenever the canonical form changes: old and new hashes must never be compared. */
export const CANONICAL_CARIES_VERSION = "btt.caries.canonical/v1";

type CanonicalInput = Pick<CariesResult, "display" | "findings"> & { side: "R" | "L" };

const perMille = (p: number) => Math.round(p * 1000);
const pixels = (box: readonly number[]) => box.map((v) => Math.round(v));

function compareFindings(a: { tooth: number; box: number[] }, b: { tooth: number; box: number[] }): number {
  if (a.tooth !== b.tooth) return a.tooth - b.tooth;
  for (let i = 0; i < 4; i++) if (a.box[i] !== b.box[i]) return a.box[i]! - b.box[i]!;
  return 0;
}

/** The canonical JSON (fixed key order, integers only) of a caries result, as UTF-8 bytes. */
export function canonicalCariesResult(result: CanonicalInput): Uint8Array {
  const findings = result.findings
    .map((f: CariesFinding) => ({
      tooth: f.tooth,
      box: pixels(f.box),
      severity: f.severity,
      score: perMille(f.score),
    }))
    .sort(compareFindings);
  const body =
    `{"format":${JSON.stringify(CANONICAL_CARIES_VERSION)},` +
    `"width":${result.display.width},"height":${result.display.height},"side":"${result.side}",` +
    `"findings":[${findings
      .map(
        (f) =>
          `{"tooth":${f.tooth},"box":[${f.box.join(",")}],"severity":${JSON.stringify(f.severity)},"score_pm":${f.score}}`,
      )
      .join(",")}]}`;
  return new TextEncoder().encode(body);
}

/** SHA-256 of canonical result bytes. */
export function resultSha256(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

/** The side the pipelines used: the file's Image Laterality, right when it says none. */
const sideOf = (result: { study: { laterality?: string } }): "R" | "L" =>
  result.study.laterality?.startsWith("L") ? "L" : "R";

/**
 * Runs the pipeline the way a compute worker must (no TTA: it is not part of the canonical
 * result) and returns the canonical bytes.
 */
export async function analyzeCanonical(pipeline: CariesPipeline, bytes: Uint8Array): Promise<Uint8Array> {
  const result = await pipeline.analyze(bytes, { augmentations: [], issued: new Date(0) });
  return canonicalCariesResult({ ...result, side: sideOf(result) });
}

// ---- the periodontal model ----

/** The periodontal result's format tag; a different tag from the caries one, so they never compare equal. */
export const CANONICAL_PERIO_VERSION = "btt.perio.canonical/v1";

type CanonicalPerioInput = Pick<PerioResult, "display"> & {
  findings: readonly Pick<PerioFinding, "tooth" | "boneLossPct">[];
  side: "R" | "L";
};

/**
 * The canonical JSON of a periodontal result, as UTF-8 bytes: the image's size and side, and per
 * tooth (sorted by FDI) its bone loss in whole tenths of a percent ("bone_loss_pm", per mille of
 * the root length) and its stage. The stage is derived from the rounded value, so the bytes are a
 * function of that one integer per tooth and a stage can never disagree with its percentage.
 * Landmarks, boxes and the stage head's probability are left out: they serve the overlay and the
 * confidence, not the answer.
 */
export function canonicalPerioResult(result: CanonicalPerioInput): Uint8Array {
  const teeth = result.findings
    .map((f) => ({ tooth: f.tooth, tenths: Math.round(f.boneLossPct * 10) }))
    .sort((a, b) => a.tooth - b.tooth);
  const body =
    `{"format":${JSON.stringify(CANONICAL_PERIO_VERSION)},` +
    `"width":${result.display.width},"height":${result.display.height},"side":"${result.side}",` +
    `"teeth":[${teeth
      .map(
        (t) =>
          `{"tooth":${t.tooth},"bone_loss_pm":${t.tenths},"stage":${JSON.stringify(perioStage(t.tenths / 10))}}`,
      )
      .join(",")}]}`;
  return new TextEncoder().encode(body);
}

/** The periodontal pipeline run the way a compute worker must (no TTA), as canonical bytes. */
export async function analyzePerioCanonical(pipeline: PerioPipeline, bytes: Uint8Array): Promise<Uint8Array> {
  const result = await pipeline.analyze(bytes, { augmentations: [], issued: new Date(0) });
  return canonicalPerioResult({ ...result, side: sideOf(result) });
}
