// A cross-sectional series (CT, MR, a stack of X-ray frames) from several single-frame DICOM files
// or one multi-frame file: every file is decoded by dicom.ts, the frames are grouped by Series
// Instance UID and ordered along the slice normal by Image Position (Patient), falling back to
// Instance Number. The values stay in modality units (Hounsfield units for CT, after each file's
// Rescale Slope/Intercept). Mixed series and unevenly spaced slices are refused, not guessed at.
import { readDicom } from "./dicom.ts";
import { imageError } from "./errors.ts";
import type { SizeLimits } from "./limits.ts";
import type { Study, VoiWindow } from "./study.ts";

export interface SeriesSlice {
  /** Position in the ordered series, 0 = the lowest along the slice normal. */
  index: number;
  width: number;
  height: number;
  /** Modality values (HU for CT). */
  values: Float32Array;
  /** Image Position (Patient) of the first pixel, mm, when known. */
  positionMm?: [number, number, number];
  /** Distance along the slice normal, mm (from the positions, or index × spacing). */
  locationMm: number;
  instanceNumber?: number;
  /** Which input file and frame the slice came from. */
  source: { file: number; frame: number };
}

export interface Series {
  modality: string;
  uids: Study["uids"];
  equipment: Study["equipment"];
  bodyPart?: string;
  width: number;
  height: number;
  /** Row and column spacing, mm. */
  pixelSpacingMm?: [number, number];
  sliceThicknessMm?: number;
  /** Distance between consecutive slices along the normal, mm. */
  sliceSpacingMm?: number;
  orientation?: [number, number, number, number, number, number];
  rescale: { slope: number; intercept: number };
  /** The first file's VOI window, if any. */
  window?: VoiWindow;
  /** How the slices were ordered. */
  orderedBy: "position" | "instance-number" | "frame-order";
  slices: SeriesSlice[];
  /** The first file as read (for the report's source metadata). */
  study: Study;
}

export interface SeriesOptions {
  limits?: Partial<SizeLimits>;
  /** Pick this series when the files hold several; otherwise several are refused. */
  seriesUid?: string;
  /** Spacing may vary by this fraction of the median gap (default 2%, at least 0.05 mm). */
  spacingTolerance?: number;
  /** At most this many slices (default 2048). */
  maxSlices?: number;
}

/** Files grouped by Series Instance UID (files without one form the group ""). */
export function groupBySeries(studies: readonly Study[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  studies.forEach((s, i) => {
    const uid = s.uids.series ?? "";
    groups.set(uid, [...(groups.get(uid) ?? []), i]);
  });
  return groups;
}

/** Decodes every file and assembles one series from them. */
export function readSeries(files: readonly Uint8Array[], opts: SeriesOptions = {}): Series {
  if (files.length === 0) throw imageError("not_an_image", "a series needs at least one DICOM file");
  const studies = files.map((bytes, i) => {
    try {
      return readDicom(bytes, opts.limits);
    } catch (err) {
      if (err instanceof Error) err.message = `file ${i + 1} of ${files.length}: ${err.message}`;
      throw err;
    }
  });
  return assembleSeries(studies, opts);
}

const cross = (a: number[], b: number[]): [number, number, number] => [
  a[1]! * b[2]! - a[2]! * b[1]!,
  a[2]! * b[0]! - a[0]! * b[2]!,
  a[0]! * b[1]! - a[1]! * b[0]!,
];
const dot = (a: readonly number[], b: readonly number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;

export function assembleSeries(all: readonly Study[], opts: SeriesOptions = {}): Series {
  const groups = groupBySeries(all);
  let chosen: number[];
  if (opts.seriesUid !== undefined) {
    chosen = groups.get(opts.seriesUid) ?? [];
    if (chosen.length === 0)
      throw imageError("mixed_series", `no file belongs to series ${opts.seriesUid}`, {
        series: [...groups.keys()].sort(),
      });
  } else if (groups.size > 1) {
    throw imageError(
      "mixed_series",
      `the files belong to ${groups.size} series (${[...groups.keys()].sort().join(", ")}); pass one series, or name it`,
      { series: [...groups.keys()].sort() },
    );
  } else chosen = [...groups.values()][0]!;
  const studies = chosen.map((i) => ({ study: all[i]!, file: i }));
  const first = studies[0]!.study;
  for (const { study: s, file } of studies) {
    const differs = (what: string, a: unknown, b: unknown) =>
      imageError(
        "mixed_series",
        `file ${file + 1}: ${what} ${String(b)} differs from the series' ${String(a)}`,
        {
          file: file + 1,
          field: what,
        },
      );
    if (s.modality !== first.modality) throw differs("modality", first.modality, s.modality);
    const f0 = first.frames[0]!;
    const f = s.frames[0]!;
    if (f.width !== f0.width || f.height !== f0.height)
      throw differs("size", `${f0.width}x${f0.height}`, `${f.width}x${f.height}`);
    if (!sameNumbers(first.pixelSpacingMm, s.pixelSpacingMm, 1e-3))
      throw differs("pixel spacing", first.pixelSpacingMm, s.pixelSpacingMm);
    if (!sameNumbers(first.geometry?.orientation, s.geometry?.orientation, 1e-3))
      throw differs("orientation", first.geometry?.orientation, s.geometry?.orientation);
  }

  const orientation = first.geometry?.orientation;
  const normal = orientation ? cross(orientation.slice(0, 3), orientation.slice(3)) : undefined;
  const slices: Omit<SeriesSlice, "index" | "locationMm">[] = [];
  for (const { study: s, file } of studies)
    for (const [f, frame] of s.frames.entries())
      slices.push({
        width: frame.width,
        height: frame.height,
        values: frame.values,
        positionMm: s.geometry?.framePositions[f],
        instanceNumber: s.frames.length === 1 ? s.geometry?.instanceNumber : undefined,
        source: { file, frame: f },
      });
  const maxSlices = opts.maxSlices ?? 2048;
  if (slices.length > maxSlices)
    throw imageError(
      "too_large",
      `the series has ${slices.length} slices, at most ${maxSlices} are accepted`,
    );

  const spacingTag = first.geometry?.spacingBetweenSlicesMm ?? first.geometry?.sliceThicknessMm;
  let orderedBy: Series["orderedBy"];
  let located: SeriesSlice[];
  if (normal && slices.every((s) => s.positionMm)) {
    orderedBy = "position";
    located = order(slices, (s) => dot(s.positionMm!, normal));
  } else if (slices.length > 1 && slices.every((s) => s.instanceNumber !== undefined)) {
    orderedBy = "instance-number";
    located = order(slices, (s) => s.instanceNumber!).map((s, i) => ({
      ...s,
      locationMm: i * (spacingTag ?? 1),
    }));
  } else if (studies.length === 1) {
    // One multi-frame file without per-frame positions: frames are in acquisition order.
    orderedBy = "frame-order";
    const base = normal && slices[0]!.positionMm ? dot(slices[0]!.positionMm, normal) : 0;
    located = slices.map((s, i) => ({ ...s, index: i, locationMm: base + i * (spacingTag ?? 1) }));
  } else {
    throw imageError(
      "inconsistent_series",
      "the slices carry neither Image Position/Orientation (Patient) nor Instance Numbers: their order is unknown",
    );
  }
  const sliceSpacingMm = checkSpacing(located, orderedBy, opts.spacingTolerance ?? 0.02) ?? spacingTag;
  return {
    modality: first.modality,
    uids: { study: first.uids.study, series: first.uids.series },
    equipment: first.equipment,
    bodyPart: first.bodyPart,
    width: first.frames[0]!.width,
    height: first.frames[0]!.height,
    pixelSpacingMm: first.pixelSpacingMm,
    sliceThicknessMm: first.geometry?.sliceThicknessMm,
    sliceSpacingMm,
    orientation,
    rescale: { slope: first.geometry?.rescale.slope ?? 1, intercept: first.geometry?.rescale.intercept ?? 0 },
    window: first.window,
    orderedBy,
    slices: located,
    study: first,
  };
}

function sameNumbers(a: readonly number[] | undefined, b: readonly number[] | undefined, tol: number) {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((v, i) => Math.abs(v - b[i]!) <= tol);
}

/** Sorted by key; ties broken by file then frame, so the order never depends on the input's. */
function order(
  slices: Omit<SeriesSlice, "index" | "locationMm">[],
  key: (s: Omit<SeriesSlice, "index" | "locationMm">) => number,
): SeriesSlice[] {
  return slices
    .map((s) => ({ ...s, locationMm: key(s) }))
    .sort(
      (a, b) =>
        a.locationMm - b.locationMm || a.source.file - b.source.file || a.source.frame - b.source.frame,
    )
    .map((s, index) => ({ ...s, index }));
}

/**
 * The even gap between positioned slices, or a refusal: two slices at one place (duplicates)
 * or gaps that differ from their median by more than the tolerance (a missing slice, two stacks).
 */
function checkSpacing(
  slices: readonly SeriesSlice[],
  orderedBy: Series["orderedBy"],
  tolerance: number,
): number | undefined {
  if (orderedBy !== "position" || slices.length < 2) return undefined;
  const gaps = slices.slice(1).map((s, i) => s.locationMm - slices[i]!.locationMm);
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!;
  const dupe = gaps.findIndex((g) => g < 1e-3);
  if (dupe >= 0)
    throw imageError(
      "inconsistent_series",
      `slices ${dupe} and ${dupe + 1} lie at the same position (${slices[dupe]!.locationMm.toFixed(2)} mm): duplicate or mixed stacks`,
      { slices: [dupe, dupe + 1] },
    );
  const allowed = Math.max(0.05, tolerance * median);
  const bad = gaps.findIndex((g) => Math.abs(g - median) > allowed);
  if (bad >= 0)
    throw imageError(
      "inconsistent_series",
      `slice spacing is uneven: ${gaps[bad]!.toFixed(2)} mm between slices ${bad} and ${bad + 1}, ${median.toFixed(2)} mm elsewhere (a missing slice?)`,
      { slices: [bad, bad + 1], gapMm: gaps[bad], medianMm: median },
    );
  return median;
}
