// File bytes → study → quality → normalised tensor → landmark heatmaps → landmarks (px, mm) →
// SNA, SNB, ANB and the skeletal class → FHIR DiagnosticReport. The other pipelines' steps, with
// D_confidence from the heatmaps' spread and U_factor from how far the landmarks and angles move
// under the same test-time views.
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
import { BTT_FINDING_SYSTEM, diagnosticReport, type FhirResource, type ReportFinding } from "./fhir.ts";
import { readStudy } from "./input.ts";
import type { SizeLimits } from "./limits.ts";
import { type LoadedModel, type LoadOptions, loadModel } from "./model.ts";
import {
  decodeHeatmaps,
  type HeatmapLandmark,
  ORTHO_INPUT,
  type OrthoLandmarkEstimate,
  placeLandmarks,
  prepareOrtho,
} from "./ortho.ts";
import {
  ANGLE_TOLERANCE_DEG,
  angleSigmas,
  cephalometricMeasures,
  classProbabilities,
  ORTHO_ANGLES,
  type OrthoAngle,
  roundMm,
  withinTolerance,
} from "./ortho-measures.ts";
import { assessQuality, type QualityReport } from "./quality.ts";
import type { Image, Study } from "./study.ts";
import {
  ORTHO_LANDMARK_NAMES,
  ORTHO_PIXEL_SPACING_MM,
  type OrthoLandmark,
  type Point,
  type SkeletalClass,
} from "./synth-ortho.ts";
import { type Augmentation, augment, DEFAULT_AUGMENTATIONS } from "./tta.ts";

/** The shipped reference orthodontic model (synthetic training data, not for clinical use). */
export const ORTHO_CARD = fileURLToPath(new URL("../../../models/ortho/card.json", import.meta.url));

// No LOINC or SNOMED CT concept is asserted for these cephalometric measures; a local code system
// keeps the report honest until a terminologist maps them.
const CODES: Record<OrthoAngle | "class" | "landmark", { code: string; display: string }> = {
  SNA: { code: "cephalometric-sna", display: "SNA angle (sella–nasion–A point)" },
  SNB: { code: "cephalometric-snb", display: "SNB angle (sella–nasion–B point)" },
  ANB: { code: "cephalometric-anb", display: "ANB angle (A point–nasion–B point, signed)" },
  class: {
    code: "skeletal-class-anb",
    display: "Skeletal class by ANB (III < 0°, I 0–4°, II > 4°)",
  },
  landmark: { code: "cephalometric-landmark", display: "Cephalometric landmark position" },
};

/** A landmark spread (σ over the base and the views) of this many mm counts as full uncertainty. */
export const ORTHO_DISPERSION_SCALE_MM = 2;
/** An angle spread of this many degrees counts as full uncertainty. */
export const ORTHO_DISPERSION_SCALE_DEG = 2;

export type OrthoConfidence = ConfidenceTerms & {
  /** σ over the base and the views, in the finding's unit (mm for landmarks, degrees for angles). */
  tta_dispersion: number;
  /** Share of the views that read another skeletal class (class finding only, else 0). */
  tta_class_disagreement: number;
  tta_views: number;
  consensus_confirmed: number;
  consensus_reviewed: number;
  /** The model's own σ for the value (mm or degrees) that D_confidence is computed from. */
  model_sigma: number;
};

export type OrthoLandmarkResult = OrthoLandmarkEstimate & { confidence: OrthoConfidence };

export interface OrthoFinding {
  measure: OrthoAngle | "skeletal-class";
  /** Degrees in whole tenths; for the class, the ANB it was read from. */
  valueDeg: number;
  /** σ (degrees) propagated from the landmarks' spread. */
  sigmaDeg: number;
  skeletalClass?: SkeletalClass;
  /** For the class: P(I), P(II), P(III) given ANB and its σ. */
  classProbabilities?: Record<SkeletalClass, number>;
  /** D_confidence: P(|error| ≤ 2°) for an angle, P(the class) for the class. */
  score: number;
  confidence: OrthoConfidence;
}

export interface OrthoResult {
  study: Study;
  quality: QualityReport;
  landmarks: OrthoLandmarkResult[];
  findings: OrthoFinding[];
  /** [row, column] mm per pixel, and where it came from. */
  pixelSpacingMm: [number, number];
  spacingSource: "file" | "option" | "model-card";
  report: FhirResource;
  /** The oriented display image the landmarks refer to (for the overlay). */
  display: Image;
}

export interface OrthoAnalyzeOptions {
  /** The profile's direction when it faces left (mirrored for the model); default right. */
  facing?: "right" | "left";
  /** mm per pixel [row, column] when the file does not say (DICOM Pixel Spacing). */
  pixelSpacingMm?: [number, number];
  frame?: number;
  patient?: string;
  issued?: Date;
  limits?: Partial<SizeLimits>;
  /** α and β (the `ai` module's parameters for this module); default 0.6 / 0.4. */
  weights?: ConfidenceWeights;
  consensus?: ConsensusCounts;
  /** Test-time augmentation views for U_factor; [] turns it off (U = 0). */
  augmentations?: readonly Augmentation[];
}

const sd = (values: readonly number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
};

/** Radial σ of positions: √(mean squared distance to their centroid). */
function radialSpread(points: readonly Point[]): number {
  const cx = points.reduce((a, p) => a + p[0], 0) / points.length;
  const cy = points.reduce((a, p) => a + p[1], 0) / points.length;
  return Math.sqrt(points.reduce((a, p) => a + (p[0] - cx) ** 2 + (p[1] - cy) ** 2, 0) / points.length);
}

const byName = <T extends { name: OrthoLandmark }>(list: readonly T[]) =>
  Object.fromEntries(list.map((l) => [l.name, l])) as Record<OrthoLandmark, T>;

export class OrthoPipeline {
  private constructor(readonly model: LoadedModel) {}

  static async open(cardPath = ORTHO_CARD, opts: LoadOptions = {}): Promise<OrthoPipeline> {
    return new OrthoPipeline(await loadModel(cardPath, opts));
  }

  /** The card's calibration of the heatmap spread (1 when it has none). */
  get spreadScale(): number {
    return this.model.card.thresholds.spreadScale ?? 1;
  }

  async analyze(bytes: Uint8Array, opts: OrthoAnalyzeOptions = {}): Promise<OrthoResult> {
    const study = await readStudy(bytes, opts.limits);
    const prepared = prepareOrtho(study, opts.frame ?? 0, opts.facing ?? "right");
    const quality = assessQuality(prepared.display);
    const fallback = this.model.card.thresholds.pixelSpacingMm ?? ORTHO_PIXEL_SPACING_MM;
    const [pixelSpacingMm, spacingSource]: [[number, number], OrthoResult["spacingSource"]] =
      study.pixelSpacingMm
        ? [study.pixelSpacingMm, "file"]
        : opts.pixelSpacingMm
          ? [opts.pixelSpacingMm, "option"]
          : [[fallback, fallback], "model-card"];
    const place = (heat: HeatmapLandmark[]) =>
      placeLandmarks(heat, prepared.transform, pixelSpacingMm, this.spreadScale).map((l) => ({
        ...l,
        mm: roundMm(l.mm),
      }));
    const base = place(decodeHeatmaps(await this.model.run(prepared.tensor)));
    // Each view's landmarks, moved back by the view's shift so they compare with the base.
    const views: OrthoLandmarkEstimate[][] = [];
    for (const a of opts.augmentations ?? DEFAULT_AUGMENTATIONS) {
      const heat = decodeHeatmaps(await this.model.run(augment(prepared.tensor, a, ORTHO_INPUT.width)));
      const dx = a.kind === "shift" ? a.dx / ORTHO_INPUT.width : 0;
      const dy = a.kind === "shift" ? a.dy / ORTHO_INPUT.height : 0;
      views.push(place(heat.map((h) => ({ ...h, fx: h.fx - dx, fy: h.fy - dy }))));
    }

    const weights = opts.weights ?? DEFAULT_WEIGHTS;
    const consensus = opts.consensus ?? { confirmed: 0, reviewed: 0 };
    const p = pConsensus(consensus);
    const terms = (d: number, u: number, dispersion: number, disagreement: number, sigma: number) => ({
      ...confidence(weights, quality.score, d, p, u),
      tta_dispersion: dispersion,
      tta_class_disagreement: disagreement,
      tta_views: views.length,
      consensus_confirmed: consensus.confirmed,
      consensus_reviewed: consensus.reviewed,
      model_sigma: sigma,
    });

    const landmarks: OrthoLandmarkResult[] = base.map((l, k) => {
      const spread = views.length ? radialSpread([l.mm, ...views.map((v) => v[k]!.mm)]) : 0;
      const u = Math.min(1, spread / ORTHO_DISPERSION_SCALE_MM);
      return { ...l, confidence: terms(l.score, u, spread, 0, l.sigmaMm) };
    });

    const named = byName(base);
    const mm = { S: named.S.mm, N: named.N.mm, A: named.A.mm, B: named.B.mm };
    const measures = cephalometricMeasures(mm);
    const sigmas = angleSigmas(mm, {
      S: named.S.sigmaMm,
      N: named.N.sigmaMm,
      A: named.A.sigmaMm,
      B: named.B.sigmaMm,
    });
    const viewMeasures = views.map((v) => {
      const n = byName(v);
      return cephalometricMeasures({ S: n.S.mm, N: n.N.mm, A: n.A.mm, B: n.B.mm });
    });
    const findings: OrthoFinding[] = ORTHO_ANGLES.map((angle) => {
      const spread = views.length ? sd([measures[angle], ...viewMeasures.map((m) => m[angle])]) : 0;
      const score = withinTolerance(ANGLE_TOLERANCE_DEG, sigmas[angle]);
      const u = Math.min(1, spread / ORTHO_DISPERSION_SCALE_DEG);
      return {
        measure: angle,
        valueDeg: measures[angle],
        sigmaDeg: sigmas[angle],
        score,
        confidence: terms(score, u, spread, 0, sigmas[angle]),
      };
    });
    const probabilities = classProbabilities(measures.ANB, sigmas.ANB);
    const classScore = probabilities[measures.skeletalClass];
    const anbSpread = views.length ? sd([measures.ANB, ...viewMeasures.map((m) => m.ANB)]) : 0;
    const disagreement = views.length
      ? viewMeasures.filter((m) => m.skeletalClass !== measures.skeletalClass).length / views.length
      : 0;
    const classU = (Math.min(1, anbSpread / ORTHO_DISPERSION_SCALE_DEG) + disagreement) / 2;
    findings.push({
      measure: "skeletal-class",
      valueDeg: measures.ANB,
      sigmaDeg: sigmas.ANB,
      skeletalClass: measures.skeletalClass,
      classProbabilities: probabilities,
      score: classScore,
      confidence: terms(classScore, classU, anbSpread, disagreement, sigmas.ANB),
    });

    const card = this.model.card;
    const report = diagnosticReport({
      id: randomUUID(),
      issued: opts.issued ?? new Date(),
      title: "AI cephalometric analysis: landmarks, SNA/SNB/ANB and skeletal class",
      study,
      quality,
      model: { id: card.id, version: card.version, sha256: this.model.sha256 },
      patient: opts.patient,
      findings: [...findings.map(findingObservation), ...landmarks.map(landmarkObservation)],
    });
    return {
      study,
      quality,
      landmarks,
      findings,
      pixelSpacingMm,
      spacingSource,
      report,
      display: prepared.display,
    };
  }

  close(): Promise<void> {
    return this.model.close();
  }
}

function findingObservation(f: OrthoFinding): ReportFinding {
  const code = CODES[f.measure === "skeletal-class" ? "class" : f.measure];
  const sigma = { name: "model σ (deg)", value: f.sigmaDeg, unit: "deg" };
  if (f.measure === "skeletal-class")
    return {
      code: { system: BTT_FINDING_SYSTEM, ...code },
      value: `Class ${f.skeletalClass}`,
      measurements: [
        { name: "ANB (deg)", value: f.valueDeg, unit: "deg" },
        sigma,
        ...Object.entries(f.classProbabilities ?? {}).map(([k, v]) => ({
          name: `P(Class ${k})`,
          value: v,
          unit: "1",
        })),
      ],
      confidence: f.confidence,
    };
  return {
    code: { system: BTT_FINDING_SYSTEM, ...code },
    value: `${f.valueDeg.toFixed(1)}°`,
    quantity: { value: f.valueDeg, unit: "deg" },
    measurements: [sigma],
    confidence: f.confidence,
  };
}

function landmarkObservation(l: OrthoLandmarkResult): ReportFinding {
  return {
    code: {
      system: BTT_FINDING_SYSTEM,
      code: `${CODES.landmark.code}-${l.name.toLowerCase()}`,
      display: `${CODES.landmark.display}: ${ORTHO_LANDMARK_NAMES[l.name]}`,
    },
    value: l.name,
    measurements: [
      { name: "x (px)", value: l.px[0], unit: "{px}" },
      { name: "y (px)", value: l.px[1], unit: "{px}" },
      { name: "x (mm from the image's left edge)", value: l.mm[0], unit: "mm" },
      { name: "y (mm from the image's top edge)", value: l.mm[1], unit: "mm" },
      { name: "model σ (mm)", value: l.sigmaMm, unit: "mm" },
    ],
    confidence: l.confidence,
  };
}
