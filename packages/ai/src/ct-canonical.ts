// The CT slice model on the compute network. A worker receives one DICOM file (a whole series as
// multi-frame, or one sub-task's slices: series-split.ts subTaskInput) and answers with canonical
// bytes: per slice, in order, the slice's SHA-256 and its probability in whole per mille (the rules
// of canonical.ts: integers only, nothing the chain's weights or the clock decide). The slice hashes
// let the sub-task results be merged back into the series and checked against the split.
import { BttError } from "@btt/core";
import { readSeries } from "./series.ts";
import type { SeriesPipeline } from "./series-pipeline.ts";
import { mergeSliceResults, type SliceSubTask, type SubTaskResult, sliceSha256 } from "./series-split.ts";
import { generateCtSeries, writeCtSeries } from "./synth-ct.ts";

export const CANONICAL_CT_VERSION = "btt.ct.canonical/v1";

/** A slice is positive in the canonical result at or above 500 per mille. */
const POSITIVE_PM = 500;

export interface CanonicalCtSlice {
  sha256: string;
  probability_pm: number;
}

/** Canonical JSON (fixed key order, integers and hex only) of per-slice probabilities. */
export function canonicalCtResult(
  width: number,
  height: number,
  slices: readonly CanonicalCtSlice[],
): Uint8Array {
  const positive = slices.flatMap((s, i) => (s.probability_pm >= POSITIVE_PM ? [i] : []));
  const body =
    `{"format":${JSON.stringify(CANONICAL_CT_VERSION)},"width":${width},"height":${height},` +
    `"slices":[${slices.map((s) => `{"sha256":"${s.sha256}","probability_pm":${s.probability_pm}}`).join(",")}],` +
    `"positive":[${positive.join(",")}]}`;
  return new TextEncoder().encode(body);
}

/** The pipeline's slice probabilities for one file, the way a worker must compute them (no TTA). */
export async function analyzeCtCanonical(pipeline: SeriesPipeline, bytes: Uint8Array): Promise<Uint8Array> {
  const series = readSeries([bytes]);
  const probabilities = await pipeline.sliceProbabilities(series);
  return canonicalCtResult(
    series.width,
    series.height,
    series.slices.map((s, i) => ({
      sha256: sliceSha256(s),
      probability_pm: Math.round(probabilities[i]! * 1000),
    })),
  );
}

/** A worker's canonical bytes for sub-task `task`, read back as that sub-task's result. */
export function parseCtCanonical(task: number, bytes: Uint8Array): SubTaskResult<number> {
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as {
    format?: string;
    slices?: CanonicalCtSlice[];
  };
  if (parsed.format !== CANONICAL_CT_VERSION || !Array.isArray(parsed.slices))
    throw new BttError("INVALID_MESSAGE", `sub-task ${task}: not a ${CANONICAL_CT_VERSION} result`);
  return { task, slices: parsed.slices.map((s) => ({ sha256: s.sha256, result: s.probability_pm })) };
}

/** Sub-task results (canonical bytes, by task number) merged into per-slice per-mille probabilities. */
export function mergeCtResults(tasks: readonly SliceSubTask[], results: ReadonlyMap<number, Uint8Array>) {
  return mergeSliceResults(
    tasks,
    tasks.map((t) => {
      const bytes = results.get(t.task);
      if (!bytes) throw new BttError("INVALID_MESSAGE", `sub-task ${t.task} has no result`, { task: t.task });
      return parseCtCanonical(t.task, bytes);
    }),
  );
}

/** The model's benchmark input for a seed: a synthetic head CT series as one multi-frame file. */
export async function ctBenchmarkInput(seed: number): Promise<Uint8Array> {
  return (await writeCtSeries(generateCtSeries(seed), { multiFrame: true }))[0]!;
}
