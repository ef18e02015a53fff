// Beyond dentistry: CT series reading (order from shuffled files, HU from the rescale, refusals),
// windowing presets, slice sub-tasks and their merge, the generic series pipeline from generated
// DICOM files to a DiagnosticReport, the compute network's canonical bytes, and the shipped CT
// model's held-out figures above the floors stated in its card.
import { BttError } from "@btt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANALYZERS } from "../src/analyzers.ts";
import { CT_INPUT, CT_WINDOW, prepareSeriesSlices } from "../src/ct.ts";
import {
  analyzeCtCanonical,
  CANONICAL_CT_VERSION,
  ctBenchmarkInput,
  mergeCtResults,
} from "../src/ct-canonical.ts";
import { CT_EVALUATION_FLOORS, evaluateCt, evaluateCtSet, openCtSet } from "../src/ct-evaluate.ts";
import { writeDicom } from "../src/dicom-write.ts";
import { readCard, sha256Hex } from "../src/model.ts";
import { readSeries } from "../src/series.ts";
import { CT_CARD, renderSeriesOverlay, SeriesPipeline } from "../src/series-pipeline.ts";
import { mergeSliceResults, sliceSha256, splitSeries, subTaskInput } from "../src/series-split.ts";
import { CT_RESCALE_INTERCEPT, generateCtSeries, writeCtSeries } from "../src/synth-ct.ts";
import { CT_WINDOW_PRESETS, percentileWindow, resolveWindow, windowValues } from "../src/windowing.ts";

/** A deterministic shuffle (the same every run): by a hash of the index. */
const shuffled = <T>(items: readonly T[]) =>
  items
    .map((v, i) => ({ v, k: sha256Hex(new TextEncoder().encode(`shuffle-${i}`)) }))
    .sort((a, b) => a.k.localeCompare(b.k))
    .map((x) => x.v);

const reason = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BttError);
    return (err as BttError).details?.reason;
  }
  throw new Error("expected a refusal");
};

describe("synthetic CT series", () => {
  it("is a pure function of the seed, with per-slice labels inside the 3D box", () => {
    const a = generateCtSeries(7, { lesion: true });
    const b = generateCtSeries(7, { lesion: true });
    expect(sha256Hex(new Uint8Array(a.slices[9]!.buffer))).toBe(
      sha256Hex(new Uint8Array(b.slices[9]!.buffer)),
    );
    expect(a.seriesUid).toBe(b.seriesUid);
    const box = a.lesion!.box;
    const positive = a.labels.flatMap((l, i) => (l ? [i] : []));
    expect(positive.length).toBeGreaterThan(0);
    expect(positive).toEqual(Array.from({ length: box[5] }, (_, i) => box[2] + i));
    // The lesion is brighter than the brain around it on its central slice (HU, not display).
    const [x, y] = [box[0] + Math.floor(box[3] / 2), box[1] + Math.floor(box[4] / 2)];
    const mid = a.slices[positive[Math.floor(positive.length / 2)]!]!;
    expect(mid[y * a.width + x]!).toBeGreaterThan(45);
    expect(generateCtSeries(7, { lesion: false }).labels.some(Boolean)).toBe(false);
  });
});

describe("series reading", () => {
  let files: Uint8Array[];
  const synthetic = generateCtSeries(11, { lesion: true });
  beforeAll(async () => {
    files = await writeCtSeries(synthetic);
  });

  it("orders shuffled files by Image Position (Patient) and keeps Hounsfield units", () => {
    const series = readSeries(shuffled(files));
    expect(series.orderedBy).toBe("position");
    expect(series.slices.map((s) => s.locationMm)).toEqual(synthetic.zMm);
    expect(series.sliceSpacingMm).toBeCloseTo(5, 6);
    expect(series.rescale).toEqual({ slope: 1, intercept: CT_RESCALE_INTERCEPT });
    // Stored values are HU + 1024; what the series holds is HU again (rounded to whole HU).
    const k = 9;
    const got = series.slices[k]!.values;
    const want = synthetic.slices[k]!;
    for (const i of [0, 4000, 8256, 12000]) expect(got[i]).toBe(Math.max(-1024, Math.round(want[i]!)));
    expect(got[0]).toBeLessThan(-900); // air
  });

  it("falls back to Instance Number without positions, and reads one multi-frame file", async () => {
    const noPosition = await Promise.all(
      synthetic.slices.slice(0, 4).map((hu, i) =>
        writeDicom({
          rows: 128,
          cols: 128,
          frames: [Array.from(hu, (v) => Math.round(v + 1024))],
          bitsStored: 12,
          intercept: -1024,
          modality: "CT",
          seriesUid: "1.2.3.4",
          instanceNumber: 4 - i,
        }),
      ),
    );
    const byNumber = readSeries(noPosition);
    expect(byNumber.orderedBy).toBe("instance-number");
    expect(byNumber.slices.map((s) => s.source.file)).toEqual([3, 2, 1, 0]);
    // A multi-frame file with only the first frame's position: frames in file order, spacing from the tag.
    const legacy = readSeries([
      await writeDicom({
        rows: 128,
        cols: 128,
        frames: synthetic.slices.slice(0, 3).map((hu) => Array.from(hu, (v) => Math.round(v + 1024))),
        intercept: -1024,
        modality: "CT",
        imagePositionPatient: [0, 0, 10],
        imageOrientationPatient: [1, 0, 0, 0, 1, 0],
        spacingBetweenSlicesMm: 2.5,
      }),
    ]);
    expect(legacy.orderedBy).toBe("frame-order");
    expect(legacy.slices.map((s) => s.locationMm)).toEqual([10, 12.5, 15]);
    const multi = readSeries(await writeCtSeries(synthetic, { multiFrame: true }));
    expect(multi.orderedBy).toBe("position");
    expect(multi.slices.map((s) => sliceSha256(s))).toEqual(
      readSeries(files).slices.map((s) => sliceSha256(s)),
    );
  });

  it("refuses mixed series, duplicate slices and uneven spacing with the cause named", async () => {
    const other = await writeCtSeries(generateCtSeries(12));
    expect(reason(() => readSeries([...files, other[0]!]))).toBe("mixed_series");
    // Naming one of the series picks it out.
    expect(readSeries([...files, other[0]!], { seriesUid: synthetic.seriesUid }).slices).toHaveLength(20);
    expect(reason(() => readSeries([...files, files[3]!]))).toBe("inconsistent_series");
    expect(reason(() => readSeries(files.filter((_, i) => i !== 6)))).toBe("inconsistent_series");
    // Same series UID, another modality: still not one series.
    const mr = await writeDicom({
      rows: 128,
      cols: 128,
      frames: [new Uint16Array(128 * 128)],
      modality: "MR",
      seriesUid: synthetic.seriesUid,
    });
    expect(reason(() => readSeries([...files, mr]))).toBe("mixed_series");
  });
});

describe("windowing", () => {
  it("has the standard presets in HU and maps them linearly to [0, 1]", () => {
    expect(CT_WINDOW_PRESETS.brain).toEqual({ center: 40, width: 80 });
    expect(CT_WINDOW_PRESETS.subdural).toEqual({ center: 75, width: 215 });
    expect(CT_WINDOW_PRESETS.stroke).toEqual({ center: 40, width: 40 });
    expect(CT_WINDOW_PRESETS.lung).toEqual({ center: -600, width: 1500 });
    expect(CT_WINDOW_PRESETS["soft-tissue"]).toEqual({ center: 50, width: 400 });
    expect(CT_WINDOW_PRESETS.liver).toEqual({ center: 60, width: 160 });
    const v = windowValues(Float32Array.from([-1000, 0, 40, 80, 1000]), CT_WINDOW_PRESETS.brain);
    expect(v[0]).toBe(0);
    expect(v[4]).toBe(1);
    expect(v[2]).toBeCloseTo(0.5, 1);
    expect(v[1]).toBeLessThan(v[2]!);
  });

  it("refuses an HU preset on MR, and uses the file's window or a percentile window there", () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => i);
    expect(() => resolveWindow("brain", "MR", undefined, values)).toThrow(/Hounsfield/);
    expect(resolveWindow("file", "MR", { center: 300, width: 200 }, values)).toEqual({
      center: 300,
      width: 200,
    });
    const p = percentileWindow(values);
    expect(p.center).toBeCloseTo(499.5, -1);
    expect(p.width).toBeGreaterThan(950);
    expect(p.width).toBeLessThan(1000);
    expect(resolveWindow("file", "MR", undefined, values)).toEqual(p);
  });
});

describe("an MR series (no Hounsfield units)", () => {
  it("is read, ordered and windowed by percentile; an HU preset is refused", async () => {
    const files = await Promise.all(
      [2, 0, 1].map((k) =>
        writeDicom({
          rows: 64,
          cols: 64,
          frames: [Uint16Array.from({ length: 64 * 64 }, (_, i) => (i % 64) * 10 + k)],
          modality: "MR",
          seriesUid: "1.2.826.0.1.3680043.99",
          imagePositionPatient: [0, 0, 4 * k],
          imageOrientationPatient: [1, 0, 0, 0, 1, 0],
          window: { center: 300, width: 600 },
        }),
      ),
    );
    const series = readSeries(files);
    expect(series.slices.map((s) => s.values[0])).toEqual([0, 1, 2]);
    expect(series.sliceSpacingMm).toBeCloseTo(4, 6);
    const mr = { modality: "MR", width: 32, height: 32 } as const;
    const byPercentile = prepareSeriesSlices(series, { ...mr, window: "percentile" });
    expect(byPercentile.window.width).toBeGreaterThan(500);
    expect(byPercentile.tensors).toHaveLength(3);
    expect(prepareSeriesSlices(series, { ...mr, window: "file" }).window).toEqual({
      center: 300,
      width: 600,
    });
    expect(reason(() => prepareSeriesSlices(series, { ...mr, window: "brain" }))).toBe("contract");
  });
});

describe("slice sub-tasks", () => {
  const series = {
    slices: generateCtSeries(3, { slices: 10 }).slices.map((values, index) => ({
      index,
      width: 128,
      height: 128,
      values,
      locationMm: index * 5,
      source: { file: index, frame: 0 },
    })),
  };

  it("split into runs of at most N slices with overlap, deterministically, each slice hashed", () => {
    const tasks = splitSeries(series, { maxSlices: 4 });
    expect(tasks.map((t) => t.indices)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const overlapped = splitSeries(series, { maxSlices: 5, overlap: 1 });
    expect(overlapped.map((t) => t.owned)).toEqual([
      [0, 2],
      [3, 5],
      [6, 8],
      [9, 9],
    ]);
    expect(overlapped.map((t) => t.indices)).toEqual([
      [0, 1, 2, 3],
      [2, 3, 4, 5, 6],
      [5, 6, 7, 8, 9],
      [8, 9],
    ]);
    expect(overlapped.every((t) => t.indices.length <= 5)).toBe(true);
    expect(splitSeries(series, { maxSlices: 5, overlap: 1 })).toEqual(overlapped);
    expect(overlapped[1]!.sliceSha256[0]).toBe(sliceSha256(series.slices[2]!));
    expect(() => splitSeries(series, { maxSlices: 2, overlap: 1 })).toThrow(BttError);
  });

  it("merge back in series order, check the slice hashes and report overlap disagreements", () => {
    const tasks = splitSeries(series, { maxSlices: 5, overlap: 1 });
    const answer = (t: (typeof tasks)[number], f: (i: number) => number) => ({
      task: t.task,
      slices: t.indices.map((i, k) => ({ sha256: t.sliceSha256[k]!, result: f(i) })),
    });
    const merged = mergeSliceResults(tasks, shuffled(tasks.map((t) => answer(t, (i) => i * 10))));
    expect(merged.slices).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(merged.disagreements).toEqual([]);
    const odd = tasks.map((t) => answer(t, (i) => (t.task === 1 && i === 2 ? -1 : i * 10)));
    expect(mergeSliceResults(tasks, odd).disagreements).toEqual([{ index: 2, tasks: [0, 1] }]);
    const wrong = tasks.map((t) => answer(t, (i) => i));
    wrong[2]!.slices[0]!.sha256 = wrong[1]!.slices[0]!.sha256;
    expect(() => mergeSliceResults(tasks, wrong)).toThrow(/names another slice/);
    expect(() => mergeSliceResults(tasks, odd.slice(1))).toThrow(/sub-task 0 has no result/);
  });
});

describe("the generic CT model through the series pipeline", () => {
  let pipeline: SeriesPipeline;
  beforeAll(async () => {
    pipeline = await SeriesPipeline.open();
  });
  afterAll(() => pipeline.close());

  it("is pinned by its card, whose contract names modality, window and input size", async () => {
    const card = await readCard(CT_CARD);
    expect(card.id).toBe("btt.ct.generic.lesion-slice");
    expect(card.modality).toEqual(["CT"]);
    expect(card.sizeBytes).toBeLessThanOrEqual(1024 * 1024);
    expect(pipeline.contract).toEqual({ modality: "CT", window: CT_WINDOW, ...CT_INPUT });
    expect(pipeline.model.sha256).toBe(card.sha256);
    expect(card.trainingData).toMatch(/synthetic, not for clinical use/);
  });

  it("goes from generated DICOM files to per-slice probabilities and a FHIR DiagnosticReport", async () => {
    const synthetic = generateCtSeries(21, { lesion: true });
    const res = await pipeline.analyze(shuffled(await writeCtSeries(synthetic)), { issued: new Date(0) });
    expect(res.probabilities).toHaveLength(20);
    const truth = synthetic.labels.flatMap((l, i) => (l ? [i] : []));
    expect(res.finding.present).toBe(true);
    expect(truth).toContain(res.finding.peak.index);
    // Every slice found is a labelled one or its neighbour (partial volume at the lesion's ends).
    for (const i of res.finding.slices) expect(truth.some((t) => Math.abs(t - i) <= 1)).toBe(true);
    const c = res.finding.confidence;
    for (const k of ["alpha", "beta", "I_quality", "D_confidence", "P_consensus", "U_factor", "C"] as const)
      expect(c[k]).toBeGreaterThanOrEqual(0);
    expect(c.C).toBeCloseTo(
      c.alpha * c.I_quality * c.D_confidence + c.beta * c.P_consensus * (1 - c.U_factor),
      10,
    );
    expect(c.tta_views).toBe(4);
    expect(c.I_quality).toBeGreaterThan(0.3);
    const report = res.report as { resourceType: string; contained: Record<string, unknown>[] };
    expect(report.resourceType).toBe("DiagnosticReport");
    const obs = report.contained.filter((r) => r.resourceType === "Observation" && r.id !== "image-quality");
    expect(obs).toHaveLength(1);
    expect(JSON.stringify(obs[0]!.bodySite)).toContain("69536005");
    expect(JSON.stringify(obs[0])).toContain("U_factor");
    const png = await renderSeriesOverlay(res);
    expect(png.subarray(1, 4).toString()).toBe("PNG");

    const clear = await pipeline.analyze(await writeCtSeries(generateCtSeries(22, { lesion: false })), {
      augmentations: [],
    });
    expect(clear.finding.present).toBe(false);
    expect(clear.finding.confidence.D_confidence).toBeGreaterThan(0.5);
  });

  it("refuses a series of another modality by the contract", async () => {
    const mr = await Promise.all(
      [0, 1].map((i) =>
        writeDicom({
          rows: 64,
          cols: 64,
          frames: [new Uint16Array(64 * 64).fill(100 + i)],
          modality: "MR",
          seriesUid: "1.2.9",
          instanceNumber: i + 1,
        }),
      ),
    );
    await expect(pipeline.analyze(mr)).rejects.toThrow(/reads CT series; this series is MR/);
    await expect(pipeline.analyze([new Uint8Array(300)])).rejects.toThrow(BttError);
  });

  it("answers sub-tasks with canonical bytes that merge into the whole series' answer", async () => {
    const whole = await ctBenchmarkInput(5);
    const wholeBytes = await analyzeCtCanonical(pipeline, whole);
    expect(new TextDecoder().decode(wholeBytes)).toContain(`"format":"${CANONICAL_CT_VERSION}"`);
    expect(await analyzeCtCanonical(pipeline, whole)).toEqual(wholeBytes);
    const series = readSeries([whole]);
    const tasks = splitSeries(series, { maxSlices: 8, overlap: 1 });
    const results = new Map<number, Uint8Array>();
    for (const t of tasks)
      results.set(t.task, await analyzeCtCanonical(pipeline, await subTaskInput(series, t)));
    const merged = mergeCtResults(tasks, results);
    const direct = JSON.parse(new TextDecoder().decode(wholeBytes)).slices.map(
      (s: { probability_pm: number }) => s.probability_pm,
    );
    expect(merged.slices).toEqual(direct);
    expect(merged.disagreements).toEqual([]);
  });

  it("evaluates above the floors stated in the card on held-out series", async () => {
    const e = await evaluateCtSet(pipeline, openCtSet("synthetic:43:16"));
    const floors = CT_EVALUATION_FLOORS;
    expect(e.slices).toBe(320);
    expect(e.sliceSensitivity.value).toBeGreaterThanOrEqual(floors.sliceSensitivity);
    expect(e.sliceSpecificity.value).toBeGreaterThanOrEqual(floors.sliceSpecificity);
    expect(e.sliceAuc.value).toBeGreaterThanOrEqual(floors.sliceAuc);
    expect(e.calibrationError.value).toBeLessThanOrEqual(floors.maxCalibrationError);
    expect(e.seriesSensitivity.value).toBeGreaterThanOrEqual(floors.seriesSensitivity);
    expect(e.seriesSpecificity.value).toBeGreaterThanOrEqual(floors.seriesSpecificity);
    expect((await readCard(CT_CARD)).evaluation.testFloors).toMatchObject(floors);
  });
});

describe("the API's analyzer for ct", () => {
  it("reads one multi-frame series file into a report and an overlay", async () => {
    const analyzer = await ANALYZERS.ct!();
    try {
      const a = await analyzer.analyze(await ctBenchmarkInput(9));
      expect(a.report.resourceType).toBe("DiagnosticReport");
      expect((await a.overlay()).subarray(1, 4).toString()).toBe("PNG");
    } finally {
      await analyzer.close();
    }
  });
});

describe("evaluation by hand", () => {
  it("counts slices and series, with intervals", () => {
    const e = evaluateCt(
      [
        { probabilities: [0.1, 0.9, 0.8, 0.2], labels: [false, true, true, false] },
        { probabilities: [0.1, 0.6, 0.1, 0.1], labels: [false, false, false, false] },
        { probabilities: [0.1, 0.4, 0.1, 0.1], labels: [false, true, false, false] },
      ],
      0.5,
    );
    expect(e.sliceSensitivity).toMatchObject({ value: 0.6667, n: 3 });
    expect(e.sliceSpecificity).toMatchObject({ value: 0.8889, n: 9 });
    expect(e.seriesSensitivity).toMatchObject({ value: 0.5, n: 2 });
    expect(e.seriesSpecificity).toMatchObject({ value: 0, n: 1 });
    expect(e.sliceSensitivity.ci95[0]).toBeLessThan(0.6667);
  });

  it("prepares the model input through the window the contract names", async () => {
    const series = readSeries(await writeCtSeries(generateCtSeries(2)));
    const { window, tensors } = prepareSeriesSlices(
      series,
      { modality: "CT", window: "brain", ...CT_INPUT },
      [3],
    );
    expect(window).toEqual(CT_WINDOW_PRESETS.brain);
    expect(tensors[0]).toHaveLength(CT_INPUT.width * CT_INPUT.height);
    expect(Math.max(...tensors[0]!)).toBeLessThanOrEqual(1);
  });
});
