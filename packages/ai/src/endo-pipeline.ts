// File bytes → study → quality → normalised tensor → endodontic model → one finding per tooth
// {FDI, lesion probability, lesion box in px and mm, PAI-like score} → FHIR DiagnosticReport and
// overlay. The periodontal pipeline's steps, with U_factor from how much each tooth's lesion
// probability and call move under the same test-time views.

import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type ConfidenceTerms, confidence, DEFAULT_WEIGHTS, pConsensus } from "./confidence.ts";
import { decodeEndo, ENDO_INPUT, ENDO_LESION_THRESHOLD, type EndoFinding, prepareEndo } from "./endo.ts";
import { BTT_FINDING_SYSTEM, diagnosticReport, type FhirResource } from "./fhir.ts";
import { readStudy } from "./input.ts";
import { type LoadedModel, type LoadOptions, loadModel } from "./model.ts";
import { renderOverlay } from "./overlay.ts";
import type { AnalyzeOptions } from "./pipeline.ts";
import { assessQuality, type QualityReport } from "./quality.ts";
import type { Image, Study } from "./study.ts";
import { augment, DEFAULT_AUGMENTATIONS } from "./tta.ts";

/** The shipped reference endodontic model (synthetic training data, not for clinical use). */
export const ENDO_CARD = fileURLToPath(new URL("../../../models/endo/card.json", import.meta.url));

// SNOMED CT 707459008 |Periapical radiolucency (finding)| was not verified against a release
// here; a local code keeps the report honest until a terminologist maps it.
const LESION_CODE = {
  system: BTT_FINDING_SYSTEM,
  code: "periapical-radiolucency",
  display: "Periapical radiolucency (PAI-like score 3-5)",
};
const NO_LESION_CODE = {
  system: BTT_FINDING_SYSTEM,
  code: "periapical-no-lesion",
  display: "No periapical lesion (PAI-like score 1-2)",
};

export type EndoConfidence = ConfidenceTerms & {
  tta_probability_dispersion: number;
  tta_call_disagreement: number;
  tta_views: number;
  consensus_confirmed: number;
  consensus_reviewed: number;
  lesion_probability: number;
  presence_probability: number;
};

export interface EndoUncertainty {
  u: number;
  /** σ of the lesion probability over the base and the views, over 0.5 (its largest value). */
  probabilityDispersion: number;
  /** Share of the views that make the other call (lesion / none). */
  callDisagreement: number;
  views: number;
}

/** U_factor for one tooth: the mean of the probability dispersion and the call disagreement. */
export function endoUncertainty(
  base: Pick<EndoFinding, "lesionProbability" | "lesion">,
  views: readonly Pick<EndoFinding, "lesionProbability" | "lesion">[],
): EndoUncertainty {
  if (views.length === 0) return { u: 0, probabilityDispersion: 0, callDisagreement: 0, views: 0 };
  const ps = [base.lesionProbability, ...views.map((v) => v.lesionProbability)];
  const mean = ps.reduce((a, b) => a + b, 0) / ps.length;
  const sd = Math.sqrt(ps.reduce((a, p) => a + (p - mean) ** 2, 0) / ps.length);
  const probabilityDispersion = Math.min(1, sd / 0.5);
  const callDisagreement = views.filter((v) => v.lesion !== base.lesion).length / views.length;
  return {
    u: (probabilityDispersion + callDisagreement) / 2,
    probabilityDispersion,
    callDisagreement,
    views: views.length,
  };
}

export interface EndoResult {
  study: Study;
  quality: QualityReport;
  findings: (EndoFinding & { confidence: EndoConfidence })[];
  report: FhirResource;
  /** The oriented display image the boxes refer to (for the overlay). */
  display: Image;
  /** mm per source pixel the boxes were converted with. */
  pixelSpacingMm: number;
}

/** The options every single-image pipeline takes (see AnalyzeOptions), plus this module's own. */
export interface EndoAnalyzeOptions extends AnalyzeOptions {
  /** Lesion-probability operating point; default the card's (0.5). */
  threshold?: number;
}

export class EndoPipeline {
  private constructor(readonly model: LoadedModel) {}

  static async open(cardPath = ENDO_CARD, opts: LoadOptions = {}): Promise<EndoPipeline> {
    return new EndoPipeline(await loadModel(cardPath, opts));
  }

  async analyze(bytes: Uint8Array, opts: EndoAnalyzeOptions = {}): Promise<EndoResult> {
    const study = await readStudy(bytes, opts.limits);
    const prepared = prepareEndo(study, opts.frame ?? 0, opts.side);
    const quality = assessQuality(prepared.display);
    const threshold = opts.threshold ?? this.model.card.thresholds.lesion ?? ENDO_LESION_THRESHOLD;
    const base = decodeEndo(await this.model.run(prepared.tensor), prepared.transform, threshold);
    // Per view, the same slots decoded again; a view that loses a tooth counts as no change.
    const views: EndoFinding[][] = [];
    for (const a of opts.augmentations ?? DEFAULT_AUGMENTATIONS)
      views.push(
        decodeEndo(
          await this.model.run(augment(prepared.tensor, a, ENDO_INPUT.width)),
          prepared.transform,
          threshold,
        ),
      );
    const weights = opts.weights ?? DEFAULT_WEIGHTS;
    const consensus = opts.consensus ?? { confirmed: 0, reviewed: 0 };
    const p = pConsensus(consensus);
    const findings = base.map((f) => {
      const u = endoUncertainty(
        f,
        views.map((v) => v.find((g) => g.tooth === f.tooth) ?? f),
      );
      const c: EndoConfidence = {
        ...confidence(weights, quality.score, f.callProbability, p, u.u),
        tta_probability_dispersion: u.probabilityDispersion,
        tta_call_disagreement: u.callDisagreement,
        tta_views: u.views,
        consensus_confirmed: consensus.confirmed,
        consensus_reviewed: consensus.reviewed,
        lesion_probability: f.lesionProbability,
        presence_probability: f.presenceProbability,
      };
      return { ...f, confidence: c };
    });
    const card = this.model.card;
    const report = diagnosticReport({
      id: randomUUID(),
      issued: opts.issued ?? new Date(),
      title: "AI endodontic assessment: periapical radiolucency per tooth",
      study,
      quality,
      model: { id: card.id, version: card.version, sha256: this.model.sha256 },
      patient: opts.patient,
      findings: findings.map((f) => ({
        code: f.lesion ? LESION_CODE : NO_LESION_CODE,
        tooth: f.tooth,
        value: `PAI-like score ${f.score}`,
        box: f.box,
        measurements: [
          { name: "radiolucency diameter", value: f.diameterMm, unit: "mm" },
          { name: "box width", value: f.boxMm[2], unit: "mm" },
          { name: "box height", value: f.boxMm[3], unit: "mm" },
        ],
        confidence: f.confidence,
      })),
    });
    return {
      study,
      quality,
      findings,
      report,
      display: prepared.display,
      pixelSpacingMm: prepared.transform.pixelSpacingMm,
    };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}

/** PNG overlay: lesion boxes in red (labelled with score and C), checked apical regions in yellow. */
export function renderEndoOverlay(result: Pick<EndoResult, "display" | "findings">): Promise<Buffer> {
  return renderOverlay(
    result.display,
    result.findings.map((f) => ({
      box: f.box,
      tooth: f.tooth,
      label: `${f.lesion ? `PAI ${f.score}` : "no lesion"} · p ${f.lesionProbability.toFixed(2)} · C ${f.confidence.C.toFixed(2)}`,
    })),
    (_f, i) => (result.findings[i]!.lesion ? 2 : 0),
  );
}
