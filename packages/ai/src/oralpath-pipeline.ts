// File bytes → study → quality → normalised tensor → oral-pathology classifier → class
// probabilities, a screening class and a refer flag → FHIR DiagnosticReport and overlay. One
// finding per image; U_factor from how the class probabilities move under the test-time views.

import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type ConfidenceTerms, confidence, DEFAULT_WEIGHTS, pConsensus } from "./confidence.ts";
import { BTT_FINDING_SYSTEM, diagnosticReport, type FhirResource } from "./fhir.ts";
import { readStudy } from "./input.ts";
import { type LoadedModel, type LoadOptions, loadModel } from "./model.ts";
import {
  decodeOralPath,
  ORAL_PATH_INPUT,
  ORAL_PATH_REFER_THRESHOLD,
  type OralPathFinding,
  prepareOralPath,
} from "./oralpath.ts";
import { renderOverlay } from "./overlay.ts";
import type { AnalyzeOptions } from "./pipeline.ts";
import { assessQuality, type QualityReport } from "./quality.ts";
import type { Image, Study } from "./study.ts";
import { ORAL_PATH_CLASSES } from "./synth-oralpath.ts";
import { augment, DEFAULT_AUGMENTATIONS } from "./tta.ts";

/** The shipped reference oral-pathology model (synthetic training data, not for clinical use). */
export const ORAL_PATH_CARD = fileURLToPath(new URL("../../../models/oralpath/card.json", import.meta.url));

// Local codes: no SNOMED CT concept is asserted for these screening classes.
const CLASS_CODES: Record<string, string> = {
  none: "jaw-lesion-none",
  "well-defined radiolucency": "jaw-lesion-well-defined-radiolucency",
  "radiopaque mass": "jaw-lesion-radiopaque-mass",
  "ill-defined radiolucency": "jaw-lesion-ill-defined-radiolucency",
};

export type OralPathConfidence = ConfidenceTerms & {
  tta_probability_dispersion: number;
  tta_class_disagreement: number;
  tta_views: number;
  consensus_confirmed: number;
  consensus_reviewed: number;
  class_probability: number;
  refer_probability: number;
};

export interface OralPathUncertainty {
  u: number;
  /** σ of the base class's probability over the base and the views, over 0.5. */
  probabilityDispersion: number;
  /** Share of the views with another most-probable class. */
  classDisagreement: number;
  views: number;
}

/** U_factor: the mean of the class probability's dispersion and the class disagreement. */
export function oralPathUncertainty(
  base: OralPathFinding,
  views: readonly OralPathFinding[],
): OralPathUncertainty {
  if (views.length === 0) return { u: 0, probabilityDispersion: 0, classDisagreement: 0, views: 0 };
  const ps = [base.score, ...views.map((v) => v.probabilities[base.cls])];
  const mean = ps.reduce((a, b) => a + b, 0) / ps.length;
  const sd = Math.sqrt(ps.reduce((a, p) => a + (p - mean) ** 2, 0) / ps.length);
  const probabilityDispersion = Math.min(1, sd / 0.5);
  const classDisagreement = views.filter((v) => v.cls !== base.cls).length / views.length;
  return {
    u: (probabilityDispersion + classDisagreement) / 2,
    probabilityDispersion,
    classDisagreement,
    views: views.length,
  };
}

export interface OralPathResult {
  study: Study;
  quality: QualityReport;
  finding: OralPathFinding & { confidence: OralPathConfidence };
  report: FhirResource;
  display: Image;
}

/** The options every single-image pipeline takes (see AnalyzeOptions), plus this module's own. */
export interface OralPathAnalyzeOptions extends AnalyzeOptions {
  /** P(ill-defined) at which to refer; default the card's (0.3). */
  referThreshold?: number;
}

export class OralPathPipeline {
  private constructor(readonly model: LoadedModel) {}

  static async open(cardPath = ORAL_PATH_CARD, opts: LoadOptions = {}): Promise<OralPathPipeline> {
    return new OralPathPipeline(await loadModel(cardPath, opts));
  }

  async analyze(bytes: Uint8Array, opts: OralPathAnalyzeOptions = {}): Promise<OralPathResult> {
    const study = await readStudy(bytes, opts.limits);
    const prepared = prepareOralPath(study, opts.frame ?? 0, opts.side);
    const quality = assessQuality(prepared.display);
    const threshold = opts.referThreshold ?? this.model.card.thresholds.refer ?? ORAL_PATH_REFER_THRESHOLD;
    const base = decodeOralPath(await this.model.run(prepared.tensor), threshold);
    const views: OralPathFinding[] = [];
    for (const a of opts.augmentations ?? DEFAULT_AUGMENTATIONS)
      views.push(
        decodeOralPath(await this.model.run(augment(prepared.tensor, a, ORAL_PATH_INPUT.width)), threshold),
      );
    const weights = opts.weights ?? DEFAULT_WEIGHTS;
    const consensus = opts.consensus ?? { confirmed: 0, reviewed: 0 };
    const u = oralPathUncertainty(base, views);
    const c: OralPathConfidence = {
      ...confidence(weights, quality.score, base.score, pConsensus(consensus), u.u),
      tta_probability_dispersion: u.probabilityDispersion,
      tta_class_disagreement: u.classDisagreement,
      tta_views: u.views,
      consensus_confirmed: consensus.confirmed,
      consensus_reviewed: consensus.reviewed,
      class_probability: base.score,
      refer_probability: base.probabilities["ill-defined radiolucency"],
    };
    const finding = { ...base, confidence: c };
    const card = this.model.card;
    const report = diagnosticReport({
      id: randomUUID(),
      issued: opts.issued ?? new Date(),
      title: "AI oral-pathology screening: jaw lesion class",
      study,
      quality,
      model: { id: card.id, version: card.version, sha256: this.model.sha256 },
      patient: opts.patient,
      findings: [
        {
          code: {
            system: BTT_FINDING_SYSTEM,
            code: CLASS_CODES[base.cls]!,
            display: `Jaw lesion screening: ${base.cls}`,
          },
          value: base.refer ? `${base.cls}; refer` : base.cls,
          measurements: ORAL_PATH_CLASSES.map((k) => ({
            name: `P(${k})`,
            value: base.probabilities[k],
            unit: "1",
          })),
          confidence: c,
        },
      ],
    });
    return { study, quality, finding, report, display: prepared.display };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}

/** PNG overlay: the whole view framed (the classifier does not localise), labelled with class and C. */
export function renderOralPathOverlay(result: Pick<OralPathResult, "display" | "finding">): Promise<Buffer> {
  const { width, height } = result.display;
  const f = result.finding;
  const inset = Math.max(2, Math.round(Math.min(width, height) / 40));
  return renderOverlay(
    result.display,
    [
      {
        box: [
          inset,
          inset + Math.round(height / 16),
          width - 2 * inset,
          height - 2 * inset - Math.round(height / 16),
        ],
        label: `${f.refer ? "REFER · " : ""}${f.cls} ${f.score.toFixed(2)} · C ${f.confidence.C.toFixed(2)}`,
      },
    ],
    () => (f.refer ? 2 : f.cls === "none" ? 0 : 1),
  );
}
