// Series in, findings out, for any registered slice model whose card states a series contract
// (modality, window, input size): files → series (series.ts) → windowed slices (ct.ts) → one
// probability per slice → the slices with findings and one series-level finding with every
// confidence term → FHIR DiagnosticReport (body site and finding code from the card) and overlay.
// U_factor from test-time views of the most probable slices, as the dental modules measure it.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import {
  type ConfidenceTerms,
  type ConfidenceWeights,
  type ConsensusCounts,
  confidence,
  DEFAULT_WEIGHTS,
  pConsensus,
} from "./confidence.ts";
import {
  CT_SLICE_THRESHOLD,
  checkContract,
  prepareSeriesSlices,
  type SeriesContract,
  seriesContract,
} from "./ct.ts";
import { BTT_FINDING_SYSTEM, diagnosticReport, type FhirResource } from "./fhir.ts";
import { type LoadedModel, type LoadOptions, loadModel } from "./model.ts";
import { renderOverlay } from "./overlay.ts";
import { assessQuality, type QualityReport } from "./quality.ts";
import { readSeries, type Series, type SeriesOptions } from "./series.ts";
import type { Image, VoiWindow } from "./study.ts";
import { type Augmentation, augment } from "./tta.ts";
import { percentileWindow, windowValues } from "./windowing.ts";

/** The shipped generic CT model (synthetic training data, not for clinical use). */
export const CT_CARD = fileURLToPath(new URL("../../../models/ct/card.json", import.meta.url));

/** Views for U_factor: shifts, a level change and a left-right flip (a lesion is one on either side). */
export const SERIES_AUGMENTATIONS: readonly (Augmentation | { kind: "flip" })[] = [
  { kind: "shift", dx: 3, dy: 0 },
  { kind: "shift", dx: -3, dy: 2 },
  { kind: "brightness", delta: 0.05 },
  { kind: "flip" },
];
/** Test-time views are run on this many of the most probable slices (the series decision rests on them). */
export const TTA_SLICES = 3;

export type SeriesConfidence = ConfidenceTerms & {
  tta_probability_dispersion: number;
  tta_decision_disagreement: number;
  tta_views: number;
  tta_slices: number;
  consensus_confirmed: number;
  consensus_reviewed: number;
  max_slice_probability: number;
};

export interface SeriesFinding {
  present: boolean;
  /** Indices of the slices at or above the threshold, ascending. */
  slices: number[];
  /** The most probable slice and its probability. */
  peak: { index: number; probability: number };
  /** Extent of the slices with findings along the slice normal, mm (0 for one slice). */
  extentMm: number;
  confidence: SeriesConfidence;
}

export interface SeriesResult {
  series: Series;
  window: VoiWindow;
  /** I_quality of each slice and the series' (their median). */
  sliceQuality: number[];
  quality: QualityReport;
  probabilities: number[];
  threshold: number;
  finding: SeriesFinding;
  report: FhirResource;
  /** The peak slice in the model's window, for the overlay. */
  display: Image;
}

export interface SeriesAnalyzeOptions extends SeriesOptions {
  patient?: string;
  issued?: Date;
  threshold?: number;
  weights?: ConfidenceWeights;
  consensus?: ConsensusCounts;
  /** Test-time views for U_factor; [] turns them off (U = 0). */
  augmentations?: readonly (Augmentation | { kind: "flip" })[];
}

/**
 * The slice quality: quality.ts on the slice in a 1st..99th percentile window of the body (values
 * above the lowest percentile, i.e. not air), cropped to the body's bounding box, so the air
 * around a head does not read as under-exposure.
 */
export function sliceQuality(values: Float32Array, width: number, height: number): QualityReport {
  const window = percentileWindow(values, 0.01, 0.99);
  const floor = window.center - window.width / 2 + 0.05 * window.width;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (values[y * width + x]! > floor) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 - x0 < 8 || y1 - y0 < 8) [x0, y0, x1, y1] = [0, 0, width - 1, height - 1];
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    crop.set(values.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  const body = percentileWindow(crop, 0.01, 0.99);
  return assessQuality({ width: w, height: h, data: windowValues(crop, body) });
}

const flipX = (t: Float32Array, width: number) => {
  const out = new Float32Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = t[i - (i % width) + (width - 1 - (i % width))]!;
  return out;
};

export class SeriesPipeline {
  readonly contract: SeriesContract;

  private constructor(readonly model: LoadedModel) {
    this.contract = seriesContract(model.card);
  }

  static async open(cardPath = CT_CARD, opts: LoadOptions = {}): Promise<SeriesPipeline> {
    return new SeriesPipeline(await loadModel(cardPath, opts));
  }

  /** The model's probability for each slice of the series (or the indices given), in order. */
  async sliceProbabilities(series: Series, indices?: readonly number[]): Promise<number[]> {
    checkContract(series, this.contract, this.model.card.id);
    const { tensors } = prepareSeriesSlices(series, this.contract, indices);
    const out: number[] = [];
    for (const t of tensors) out.push((await this.model.run(t))[0]!);
    return out;
  }

  async analyze(
    input: readonly Uint8Array[] | Series,
    opts: SeriesAnalyzeOptions = {},
  ): Promise<SeriesResult> {
    const series = Array.isArray(input)
      ? readSeries(input as readonly Uint8Array[], opts)
      : (input as Series);
    checkContract(series, this.contract, this.model.card.id);
    const card = this.model.card;
    const { window, tensors } = prepareSeriesSlices(series, this.contract);
    const probabilities: number[] = [];
    for (const t of tensors) probabilities.push((await this.model.run(t))[0]!);
    const threshold = opts.threshold ?? card.thresholds.slice ?? CT_SLICE_THRESHOLD;
    const slices = probabilities.flatMap((p, i) => (p >= threshold ? [i] : []));
    const peakIndex = probabilities.reduce((best, p, i) => (p > probabilities[best]! ? i : best), 0);
    const peak = { index: peakIndex, probability: probabilities[peakIndex]! };
    const present = slices.length > 0;

    const sliceQualityReports = series.slices.map((s) => sliceQuality(s.values, s.width, s.height));
    const sliceScores = sliceQualityReports.map((q) => q.score);
    const median = [...sliceScores].sort((a, b) => a - b)[Math.floor(sliceScores.length / 2)]!;
    const quality = sliceQualityReports.find((q) => q.score === median)!;
    const basis = present ? slices : [peakIndex];
    const iQuality = basis.reduce((a, i) => a + sliceScores[i]!, 0) / basis.length;

    // TTA on the most probable slices: how much the series' top probability and its decision move.
    const top = probabilities
      .map((p, i) => ({ p, i }))
      .sort((a, b) => b.p - a.p || a.i - b.i)
      .slice(0, TTA_SLICES)
      .map((x) => x.i);
    const views: number[] = [];
    for (const a of opts.augmentations ?? SERIES_AUGMENTATIONS) {
      let best = 0;
      for (const i of top) {
        const t = tensors[i]!;
        const v = a.kind === "flip" ? flipX(t, this.contract.width) : augment(t, a, this.contract.width);
        best = Math.max(best, (await this.model.run(v))[0]!);
      }
      views.push(best);
    }
    const all = [peak.probability, ...views];
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    const dispersion = Math.min(
      1,
      Math.sqrt(all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length) / 0.5,
    );
    const disagreement = views.length
      ? views.filter((v) => v >= threshold !== present).length / views.length
      : 0;
    const u = views.length ? (dispersion + disagreement) / 2 : 0;
    const consensus = opts.consensus ?? { confirmed: 0, reviewed: 0 };
    const dConfidence = present ? peak.probability : 1 - peak.probability;
    const c: SeriesConfidence = {
      ...confidence(opts.weights ?? DEFAULT_WEIGHTS, iQuality, dConfidence, pConsensus(consensus), u),
      tta_probability_dispersion: dispersion,
      tta_decision_disagreement: disagreement,
      tta_views: views.length,
      tta_slices: views.length ? top.length : 0,
      consensus_confirmed: consensus.confirmed,
      consensus_reviewed: consensus.reviewed,
      max_slice_probability: peak.probability,
    };
    const loc = (i: number) => series.slices[i]!.locationMm;
    const extentMm = present ? Math.abs(loc(slices[slices.length - 1]!) - loc(slices[0]!)) : 0;
    const finding: SeriesFinding = { present, slices, peak, extentMm, confidence: c };

    const label = (key: string, fallback: [string, string, string]) => {
      const v = card.labels[key];
      return v && v.length === 3
        ? { system: String(v[0]), code: String(v[1]), display: String(v[2]) }
        : { system: fallback[0], code: fallback[1], display: fallback[2] };
    };
    const code = label("finding", [BTT_FINDING_SYSTEM, card.task, card.task]);
    const report = diagnosticReport({
      id: randomUUID(),
      issued: opts.issued ?? new Date(),
      title: `AI ${series.modality} series analysis: ${code.display}`,
      study: series.study,
      quality,
      model: { id: card.id, version: card.version, sha256: this.model.sha256 },
      patient: opts.patient,
      findings: [
        {
          code,
          ...(card.labels.bodySite ? { bodySite: label("bodySite", ["", "", ""]) } : {}),
          value: present
            ? `present on ${slices.length} of ${probabilities.length} slices (${slices.join(", ")})`
            : `absent (no slice at or above ${threshold})`,
          measurements: [
            { name: "max slice probability", value: peak.probability, unit: "1" },
            { name: "most probable slice (0 = lowest)", value: peak.index, unit: "1" },
            { name: "slices with finding", value: slices.length, unit: "1" },
            { name: "extent along the slice normal", value: extentMm, unit: "mm" },
            ...slices.map((i) => ({ name: `P(slice ${i})`, value: probabilities[i]!, unit: "1" })),
          ],
          confidence: c,
        },
      ],
    });
    const peakSlice = series.slices[peakIndex]!;
    const display = {
      width: peakSlice.width,
      height: peakSlice.height,
      data: windowValues(peakSlice.values, window),
    };
    return {
      series,
      window,
      sliceQuality: sliceScores,
      quality,
      probabilities,
      threshold,
      finding,
      report,
      display,
    };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}

/** PNG overlay: the most probable slice in the model's window, framed and labelled with P and C. */
export function renderSeriesOverlay(result: Pick<SeriesResult, "display" | "finding">): Promise<Buffer> {
  const { width, height } = result.display;
  const f = result.finding;
  const inset = Math.max(2, Math.round(Math.min(width, height) / 40));
  return renderOverlay(
    result.display,
    [
      {
        box: [
          inset,
          inset + Math.round(height / 8),
          width - 2 * inset,
          height - 2 * inset - Math.round(height / 8),
        ],
        label: `slice ${f.peak.index} P ${f.peak.probability.toFixed(2)} · C ${f.confidence.C.toFixed(2)}`,
      },
    ],
    () => (f.present ? 2 : 0),
  );
}
