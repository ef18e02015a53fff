// File bytes → study → quality → normalised tensor → periodontal model → one finding per tooth
// {FDI, bone loss %, stage} → FHIR DiagnosticReport. The caries pipeline's steps, with U_factor
// from how much the bone-loss estimate moves under the same test-time views.

import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type ConfidenceTerms, confidence, DEFAULT_WEIGHTS, pConsensus } from "./confidence.ts";
import { BTT_FINDING_SYSTEM, diagnosticReport, type FhirResource } from "./fhir.ts";
import { readStudy } from "./input.ts";
import { type LoadedModel, type LoadOptions, loadModel } from "./model.ts";
import { decodePerio, PERIO_INPUT, type PerioFinding, preparePerio } from "./perio.ts";
import type { AnalyzeOptions } from "./pipeline.ts";
import { assessQuality, type QualityReport } from "./quality.ts";
import type { Image, Study } from "./study.ts";
import { augment, DEFAULT_AUGMENTATIONS } from "./tta.ts";

/** The shipped reference periodontal model (synthetic training data, not for clinical use). */
export const PERIO_CARD = fileURLToPath(new URL("../../../models/perio/card.json", import.meta.url));

// No SNOMED CT concept is asserted here for "radiographic bone loss per tooth"; a local code keeps
// the report honest until a terminologist maps it.
const BONE_LOSS_CODE = {
  system: BTT_FINDING_SYSTEM,
  code: "periodontal-radiographic-bone-loss",
  display: "Radiographic alveolar bone loss (periodontal stage by AAP/EFP 2017)",
};

/** A bone-loss spread (σ over the base and the views) of this many points counts as full uncertainty. */
export const PERIO_DISPERSION_SCALE_PCT = 10;

export type PerioConfidence = ConfidenceTerms & {
  tta_pct_dispersion: number;
  tta_stage_disagreement: number;
  tta_views: number;
  consensus_confirmed: number;
  consensus_reviewed: number;
  stage_probability: number;
};

export interface PerioUncertainty {
  u: number;
  /** σ of the bone-loss % over the base and the views, over PERIO_DISPERSION_SCALE_PCT, at most 1. */
  pctDispersion: number;
  /** Share of the views that put the tooth in another stage. */
  stageDisagreement: number;
  views: number;
}

/** U_factor for one tooth: the mean of the bone-loss dispersion and the stage disagreement. */
export function perioUncertainty(base: PerioFinding, views: readonly PerioFinding[]): PerioUncertainty {
  if (views.length === 0) return { u: 0, pctDispersion: 0, stageDisagreement: 0, views: 0 };
  const pcts = [base.boneLossPct, ...views.map((v) => v.boneLossPct)];
  const mean = pcts.reduce((a, b) => a + b, 0) / pcts.length;
  const sd = Math.sqrt(pcts.reduce((a, p) => a + (p - mean) ** 2, 0) / pcts.length);
  const pctDispersion = Math.min(1, sd / PERIO_DISPERSION_SCALE_PCT);
  const stageDisagreement = views.filter((v) => v.stage !== base.stage).length / views.length;
  return {
    u: (pctDispersion + stageDisagreement) / 2,
    pctDispersion,
    stageDisagreement,
    views: views.length,
  };
}

export interface PerioResult {
  study: Study;
  quality: QualityReport;
  findings: (PerioFinding & { confidence: PerioConfidence })[];
  report: FhirResource;
  /** The oriented display image the landmarks refer to (for the overlay). */
  display: Image;
}

/** The options every single-image pipeline takes. */
export type PerioAnalyzeOptions = AnalyzeOptions;

export class PerioPipeline {
  private constructor(readonly model: LoadedModel) {}

  static async open(cardPath = PERIO_CARD, opts: LoadOptions = {}): Promise<PerioPipeline> {
    return new PerioPipeline(await loadModel(cardPath, opts));
  }

  async analyze(bytes: Uint8Array, opts: PerioAnalyzeOptions = {}): Promise<PerioResult> {
    const study = await readStudy(bytes, opts.limits);
    const prepared = preparePerio(study, opts.frame ?? 0, opts.side);
    const quality = assessQuality(prepared.display);
    const base = decodePerio(await this.model.run(prepared.tensor), prepared.transform);
    // Per view, the same slots decoded again: each tooth's estimates line up by index.
    const views: PerioFinding[][] = [];
    for (const a of opts.augmentations ?? DEFAULT_AUGMENTATIONS)
      views.push(
        decodePerio(await this.model.run(augment(prepared.tensor, a, PERIO_INPUT.width)), prepared.transform),
      );
    const weights = opts.weights ?? DEFAULT_WEIGHTS;
    const consensus = opts.consensus ?? { confirmed: 0, reviewed: 0 };
    const p = pConsensus(consensus);
    const findings = base.map((f, i) => {
      const u = perioUncertainty(
        f,
        views.map((v) => v[i]!),
      );
      const c: PerioConfidence = {
        ...confidence(weights, quality.score, f.score, p, u.u),
        tta_pct_dispersion: u.pctDispersion,
        tta_stage_disagreement: u.stageDisagreement,
        tta_views: u.views,
        consensus_confirmed: consensus.confirmed,
        consensus_reviewed: consensus.reviewed,
        stage_probability: f.score,
      };
      return { ...f, confidence: c };
    });
    const card = this.model.card;
    const report = diagnosticReport({
      id: randomUUID(),
      issued: opts.issued ?? new Date(),
      title: "AI periodontal assessment: radiographic bone loss per tooth",
      study,
      quality,
      model: { id: card.id, version: card.version, sha256: this.model.sha256 },
      patient: opts.patient,
      findings: findings.map((f) => ({
        code: BONE_LOSS_CODE,
        tooth: f.tooth,
        value: `Stage ${f.stage}`,
        box: f.box,
        measurements: [{ name: "bone loss (% of root length)", value: f.boneLossPct, unit: "%" }],
        confidence: f.confidence,
      })),
    });
    return { study, quality, findings, report, display: prepared.display };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}
