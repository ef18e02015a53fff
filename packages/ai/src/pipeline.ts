// File bytes → study → quality → normalised tensor → model → findings → FHIR DiagnosticReport.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type CariesFinding, decodeCaries, mapBox, prepareCaries } from "./caries.ts";
import {
  type ConfidenceWeights,
  type ConsensusCounts,
  confidence,
  DEFAULT_WEIGHTS,
  type FindingConfidence,
  pConsensus,
  ttaUncertainty,
} from "./confidence.ts";
import { diagnosticReport, type FhirResource } from "./fhir.ts";
import { readStudy } from "./input.ts";
import type { SizeLimits } from "./limits.ts";
import { type LoadedModel, type LoadOptions, loadModel } from "./model.ts";
import { assessQuality, type QualityReport } from "./quality.ts";
import type { Image, Study } from "./study.ts";
import { type Augmentation, DEFAULT_AUGMENTATIONS, observeViews, tensorFrame } from "./tta.ts";

/** The shipped reference caries model (synthetic training data, not for clinical use). */
export const CARIES_CARD = fileURLToPath(new URL("../../../models/caries/card.json", import.meta.url));

const DENTAL_CARIES = { system: "http://snomed.info/sct", code: "80967001", display: "Dental caries" };

export interface CariesResult {
  study: Study;
  quality: QualityReport;
  findings: (CariesFinding & { confidence: FindingConfidence })[];
  report: FhirResource;
  /** The oriented display image the boxes refer to (for the overlay). */
  display: Image;
}

export interface AnalyzeOptions {
  /** Bitewing side when the file does not say (DICOM Image Laterality); default R. */
  side?: "R" | "L";
  frame?: number;
  patient?: string;
  issued?: Date;
  limits?: Partial<SizeLimits>;
  /** α and β (the `ai` module's parameters for this module); default 0.6 / 0.4. */
  weights?: ConfidenceWeights;
  /** Clinicians' confirmations of this model version (the `ai` module's counts); default none. */
  consensus?: ConsensusCounts;
  /** Test-time augmentation views for U_factor; [] turns it off (U = 0). */
  augmentations?: readonly Augmentation[];
}

export class CariesPipeline {
  private constructor(readonly model: LoadedModel) {}

  static async open(cardPath = CARIES_CARD, opts: LoadOptions = {}): Promise<CariesPipeline> {
    return new CariesPipeline(await loadModel(cardPath, opts));
  }

  async analyze(bytes: Uint8Array, opts: AnalyzeOptions = {}): Promise<CariesResult> {
    const study = await readStudy(bytes, opts.limits);
    const prepared = prepareCaries(study, opts.frame ?? 0, opts.side);
    const quality = assessQuality(prepared.display);
    const grid = await this.model.run(prepared.tensor);
    const card = this.model.card;
    const nmsIou = card.thresholds.nmsIou ?? 0.3;
    // Decoded in the model-input frame first, so the augmented views can be compared there.
    const side = prepared.transform.side;
    const base = decodeCaries(grid, tensorFrame(side), card.thresholds.lesion ?? 0.5, nmsIou);
    const views = await observeViews(
      (t) => this.model.run(t),
      prepared.tensor,
      base,
      side,
      nmsIou,
      opts.augmentations ?? DEFAULT_AUGMENTATIONS,
    );
    const weights = opts.weights ?? DEFAULT_WEIGHTS;
    const consensus = opts.consensus ?? { confirmed: 0, reviewed: 0 };
    const p = pConsensus(consensus);
    const findings = base.map((l, i): CariesFinding & { confidence: FindingConfidence } => {
      const u = ttaUncertainty(l.score, views[i]!);
      return {
        ...l,
        box: mapBox(l.box, prepared.transform, true),
        confidence: {
          ...confidence(weights, quality.score, l.score, p, u.u),
          tta_score_dispersion: u.scoreDispersion,
          tta_box_disagreement: u.boxDisagreement,
          tta_views: u.views,
          consensus_confirmed: consensus.confirmed,
          consensus_reviewed: consensus.reviewed,
          tooth_probability: l.toothScore,
          severity_probability: l.severityScore,
        },
      };
    });
    const report = diagnosticReport({
      id: randomUUID(),
      issued: opts.issued ?? new Date(),
      title: "AI caries detection (bitewing radiograph)",
      study,
      quality,
      model: { id: card.id, version: card.version, sha256: this.model.sha256 },
      patient: opts.patient,
      findings: findings.map((f) => ({
        code: DENTAL_CARIES,
        tooth: f.tooth,
        value: f.severity,
        box: f.box,
        confidence: f.confidence,
      })),
    });
    return { study, quality, findings, report, display: prepared.display };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}
