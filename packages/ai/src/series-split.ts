// A series split into sub-tasks for the compute network, and the per-slice results merged back.
// Each sub-task owns a run of consecutive slices and may carry `overlap` neighbours on each side
// (context for models that look across slices, and a cross-check: two workers then answer for the
// same slice). Every slice is named by the SHA-256 of its bytes, so a merge can tell that a worker
// answered for the slices it was given. Pure functions of the series: the same split every time.
import { BttError } from "@btt/core";
import { writeDicom } from "./dicom-write.ts";
import { sha256Hex } from "./model.ts";
import type { Series, SeriesSlice } from "./series.ts";

export interface SliceSubTask {
  /** 0-based, in series order. */
  task: number;
  /** Slice indices the worker reads: the owned run plus the overlap, ascending. */
  indices: number[];
  /** The first and last slice whose results this sub-task supplies in the merge. */
  owned: [number, number];
  /** SHA-256 (hex) of each slice's bytes, in the order of `indices`. */
  sliceSha256: string[];
  /** SHA-256 (hex) of the sub-task: of its slice hashes, in order, joined by newlines. */
  sha256: string;
}

export interface SplitOptions {
  /** At most this many slices per sub-task, overlap included. */
  maxSlices: number;
  /** Neighbouring slices added on each side of the owned run (default 0). */
  overlap?: number;
}

/**
 * The bytes of a slice: width and height (uint32) then the modality values as float32, all little
 * endian, so the hash is the same on every platform.
 */
export function sliceBytes(slice: Pick<SeriesSlice, "width" | "height" | "values">): Uint8Array {
  const out = new Uint8Array(8 + slice.values.length * 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, slice.width, true);
  view.setUint32(4, slice.height, true);
  for (let i = 0; i < slice.values.length; i++) view.setFloat32(8 + i * 4, slice.values[i]!, true);
  return out;
}

export function sliceSha256(slice: Pick<SeriesSlice, "width" | "height" | "values">): string {
  return sha256Hex(sliceBytes(slice));
}

export function splitSeries(series: Pick<Series, "slices">, opts: SplitOptions): SliceSubTask[] {
  const overlap = opts.overlap ?? 0;
  const step = opts.maxSlices - 2 * overlap;
  if (!Number.isInteger(opts.maxSlices) || !Number.isInteger(overlap) || overlap < 0 || step < 1)
    throw new BttError(
      "INVALID_PARAMS",
      `a sub-task of at most ${opts.maxSlices} slices cannot own any slice with ${overlap} overlap on each side`,
      { maxSlices: opts.maxSlices, overlap },
    );
  const n = series.slices.length;
  const hashes = series.slices.map(sliceSha256);
  const tasks: SliceSubTask[] = [];
  for (let first = 0; first < n; first += step) {
    const last = Math.min(n - 1, first + step - 1);
    const indices: number[] = [];
    for (let i = Math.max(0, first - overlap); i <= Math.min(n - 1, last + overlap); i++) indices.push(i);
    const sliceSha256 = indices.map((i) => hashes[i]!);
    tasks.push({
      task: tasks.length,
      indices,
      owned: [first, last],
      sliceSha256,
      sha256: sha256Hex(new TextEncoder().encode(sliceSha256.join("\n"))),
    });
  }
  return tasks;
}

/** A worker's answer for one sub-task: one result per slice it read, each naming the slice's hash. */
export interface SubTaskResult<T> {
  task: number;
  slices: { sha256: string; result: T }[];
}

export interface MergedSeries<T> {
  /** One result per slice, in series order (each from the sub-task that owns the slice). */
  slices: T[];
  /** Overlapping slices on which two sub-tasks' results differ. */
  disagreements: { index: number; tasks: [number, number] }[];
}

/**
 * Per-slice results back into one series result. Refused: a sub-task with no result, a result for
 * another slice than the sub-task's (hash mismatch) or with a missing slice.
 */
export function mergeSliceResults<T>(
  tasks: readonly SliceSubTask[],
  results: readonly SubTaskResult<T>[],
  same: (a: T, b: T) => boolean = (a, b) => a === b,
): MergedSeries<T> {
  const byTask = new Map(results.map((r) => [r.task, r]));
  const total = tasks.length === 0 ? 0 : tasks[tasks.length - 1]!.owned[1] + 1;
  const owned: (T | undefined)[] = new Array(total).fill(undefined);
  const seen = new Map<number, { task: number; result: T }>();
  const disagreements: MergedSeries<T>["disagreements"] = [];
  for (const t of tasks) {
    const r = byTask.get(t.task);
    if (!r) throw new BttError("INVALID_MESSAGE", `sub-task ${t.task} has no result`, { task: t.task });
    if (r.slices.length !== t.indices.length)
      throw new BttError(
        "INVALID_MESSAGE",
        `sub-task ${t.task} returned ${r.slices.length} slice results for ${t.indices.length} slices`,
        { task: t.task },
      );
    t.indices.forEach((index, k) => {
      const s = r.slices[k]!;
      if (s.sha256 !== t.sliceSha256[k])
        throw new BttError(
          "INVALID_MESSAGE",
          `sub-task ${t.task}: the result for slice ${index} names another slice (${s.sha256.slice(0, 12)}…)`,
          { task: t.task, index },
        );
      const before = seen.get(index);
      if (before && !same(before.result, s.result))
        disagreements.push({ index, tasks: [before.task, t.task] });
      else if (!before) seen.set(index, { task: t.task, result: s.result });
      if (index >= t.owned[0] && index <= t.owned[1]) owned[index] = s.result;
    });
  }
  const missing = owned.findIndex((v) => v === undefined);
  if (missing >= 0)
    throw new BttError("INVALID_MESSAGE", `no sub-task owns slice ${missing}`, { index: missing });
  return { slices: owned as T[], disagreements };
}

const ENHANCED_SOP: Record<string, string> = {
  CT: "1.2.840.10008.5.1.4.1.1.2.1",
  MR: "1.2.840.10008.5.1.4.1.1.4.1",
};
const MULTIFRAME_GREY_SC = "1.2.840.10008.5.1.4.1.1.7.3";

/**
 * A sub-task's input as a worker receives it: one multi-frame DICOM file with the sub-task's
 * slices, each frame's position, the series' rescale and UIDs. Read back by readSeries, its slices
 * hash to the sub-task's `sliceSha256` (the stored values are the originals: (v − b) / m, rounded).
 */
export function subTaskInput(series: Series, task: SliceSubTask): Promise<Uint8Array> {
  const { slope, intercept } = series.rescale;
  const frames = task.indices.map((i) =>
    Float64Array.from(series.slices[i]!.values, (v) => Math.round((v - intercept) / slope)),
  );
  let min = 0;
  for (const f of frames) for (const v of f) if (v < min) min = v;
  return writeDicom({
    rows: series.height,
    cols: series.width,
    frames,
    bitsAllocated: 16,
    bitsStored: 16,
    signed: min < 0,
    slope,
    intercept,
    ...(series.window ? { window: series.window } : {}),
    modality: series.modality,
    sopClassUid: ENHANCED_SOP[series.modality] ?? MULTIFRAME_GREY_SC,
    ...(series.uids.study ? { studyUid: series.uids.study } : {}),
    ...(series.uids.series ? { seriesUid: series.uids.series } : {}),
    ...(series.pixelSpacingMm ? { pixelSpacingMm: series.pixelSpacingMm } : {}),
    ...(series.orientation ? { imageOrientationPatient: series.orientation } : {}),
    ...(series.sliceThicknessMm !== undefined ? { sliceThicknessMm: series.sliceThicknessMm } : {}),
    ...(series.sliceSpacingMm !== undefined ? { spacingBetweenSlicesMm: series.sliceSpacingMm } : {}),
    ...(series.bodyPart ? { bodyPart: series.bodyPart } : {}),
    framePositions: task.indices.map(
      (i) => series.slices[i]!.positionMm ?? [0, 0, series.slices[i]!.locationMm],
    ),
  });
}
