// The canonical bytes of a caries analysis: what compute workers hash, commit and reveal, so
// that honest replicas running the same model on the same input agree bit for bit.
//
// Only what the model and the input determine goes in: the image's size and side, and per
// finding its tooth, severity, box (whole source pixels) and lesion score (whole per-mille).
// Left out: times, ids and file metadata (differ per run), the confidence terms (they depend on
// the chain's weights and clinicians' counts, not on the model), and TTA (extra model runs that
// add more float noise to agree on). Rounding absorbs the last-bit differences of float math.
import { sha256 } from "@btt/core";
import type { CariesFinding } from "./caries.ts";
import type { CariesPipeline, CariesResult } from "./pipeline.ts";

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

/**
 * Runs the pipeline the way a compute worker must (no TTA: it is not part of the canonical
 * result) and returns the canonical bytes.
 */
export async function analyzeCanonical(pipeline: CariesPipeline, bytes: Uint8Array): Promise<Uint8Array> {
  const result = await pipeline.analyze(bytes, { augmentations: [], issued: new Date(0) });
  // The side the pipeline used: the file's Image Laterality, right when it says none.
  const side = result.study.laterality?.startsWith("L") ? "L" : "R";
  return canonicalCariesResult({ ...result, side });
}
