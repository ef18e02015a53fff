// File bytes → study → quality → normalised tensor → model → findings → FHIR DiagnosticReport.
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { type CariesFinding, decodeCaries, prepareCaries } from "./caries.ts";
import { diagnosticReport, type FhirResource } from "./fhir.ts";
import { readStudy } from "./input.ts";
import type { SizeLimits } from "./limits.ts";
import { type LoadedModel, type LoadOptions, loadModel } from "./model.ts";
import { assessQuality, type QualityReport } from "./quality.ts";
import type { Study } from "./study.ts";

/** The shipped reference caries model (synthetic training data, not for clinical use). */
export const CARIES_CARD = fileURLToPath(new URL("../../../models/caries/card.json", import.meta.url));

const DENTAL_CARIES = { system: "http://snomed.info/sct", code: "80967001", display: "Dental caries" };

export interface CariesResult {
  study: Study;
  quality: QualityReport;
  findings: (CariesFinding & { confidence: Record<string, number> })[];
  report: FhirResource;
}

export interface AnalyzeOptions {
  /** Bitewing side when the file does not say (DICOM Image Laterality); default R. */
  side?: "R" | "L";
  frame?: number;
  patient?: string;
  issued?: Date;
  limits?: Partial<SizeLimits>;
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
    const lesions = decodeCaries(
      grid,
      prepared.transform,
      card.thresholds.lesion ?? 0.5,
      card.thresholds.nmsIou ?? 0.3,
    );
    // Until the chain supplies P_consensus and U_factor, the terms measured here are returned
    // separately with their product (the α term of C).
    const findings = lesions.map((l) => ({
      ...l,
      confidence: {
        D_confidence: l.score,
        I_quality: quality.score,
        "I_quality*D_confidence": quality.score * l.score,
        tooth_probability: l.toothScore,
        severity_probability: l.severityScore,
      },
    }));
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
    return { study, quality, findings, report };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}
