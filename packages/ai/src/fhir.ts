// FHIR R4 output: one DiagnosticReport with a contained Observation per finding and a contained
// Device naming the model (id, version, SHA-256) as the provenance of every result.
import type { QualityReport } from "./quality.ts";
import type { Study } from "./study.ts";

export interface ReportFinding {
  /** SNOMED CT code and display of what was found. */
  code: { system: string; code: string; display: string };
  /** FDI tooth number (ISO 3950). */
  tooth?: number;
  /** A body site other than a tooth (e.g. from a CT model's card); used when `tooth` is absent. */
  bodySite?: { system: string; code: string; display: string };
  /** The finding's value, e.g. a severity. */
  value: string;
  /** A measured value (e.g. an angle in UCUM "deg"): the Observation's valueQuantity instead of `value`'s text. */
  quantity?: { value: number; unit: string };
  box?: [number, number, number, number];
  /** Measured quantities with their UCUM unit, e.g. bone loss in "%" (components of the Observation). */
  measurements?: { name: string; value: number; unit: string }[];
  /** Confidence terms; all are returned, not only their combination. */
  confidence: Record<string, number>;
}

export interface ReportInput {
  id: string;
  issued: Date;
  title: string;
  study: Study;
  quality: QualityReport;
  model: { id: string; version: string; sha256: string };
  findings: ReportFinding[];
  patient?: string;
}

const TOOTH_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-tooth";
const MODEL_HASH_SYSTEM = "urn:btt:model-sha256";
/** The code system of BTT's own finding codes (no SNOMED/LOINC code was verified for them). */
export const BTT_FINDING_SYSTEM = "urn:btt:finding";

export type FhirResource = Record<string, unknown> & { resourceType: string };

const round = (v: number) => Math.round(v * 10_000) / 10_000;

export function diagnosticReport(input: ReportInput): FhirResource {
  const subject = input.patient ? { subject: { reference: input.patient } } : {};
  const device: FhirResource = {
    resourceType: "Device",
    id: "model",
    deviceName: [{ name: input.model.id, type: "model-name" }],
    version: [{ value: input.model.version }],
    identifier: [{ system: MODEL_HASH_SYSTEM, value: input.model.sha256 }],
    note: [{ text: "AI model trained on synthetic data, not for clinical use" }],
  };
  const observations: FhirResource[] = input.findings.map((f, i) => ({
    resourceType: "Observation",
    id: `finding-${i + 1}`,
    status: "preliminary",
    category: [
      { coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "imaging" }] },
    ],
    code: { coding: [f.code], text: f.code.display },
    ...subject,
    issued: input.issued.toISOString(),
    device: { reference: "#model" },
    ...(f.tooth !== undefined
      ? {
          bodySite: {
            coding: [{ system: TOOTH_SYSTEM, code: String(f.tooth), display: `FDI tooth ${f.tooth}` }],
          },
        }
      : f.bodySite
        ? { bodySite: { coding: [f.bodySite], text: f.bodySite.display } }
        : {}),
    ...(f.quantity
      ? {
          valueQuantity: {
            value: round(f.quantity.value),
            unit: f.quantity.unit,
            system: "http://unitsofmeasure.org",
            code: f.quantity.unit,
          },
        }
      : { valueCodeableConcept: { text: f.value } }),
    component: [
      ...(f.measurements ?? []).map((m) => ({
        code: { text: m.name },
        valueQuantity: {
          value: round(m.value),
          unit: m.unit,
          system: "http://unitsofmeasure.org",
          code: m.unit,
        },
      })),
      ...Object.entries(f.confidence).map(([name, v]) => ({
        code: { text: name },
        valueQuantity: { value: round(v), unit: "1", system: "http://unitsofmeasure.org", code: "1" },
      })),
      ...(f.box
        ? [
            {
              code: { text: "bounding-box [x, y, width, height] px" },
              valueString: f.box.map((v) => v.toFixed(1)).join(","),
            },
          ]
        : []),
    ],
  }));
  const q = input.quality;
  const qualityObs: FhirResource = {
    resourceType: "Observation",
    id: "image-quality",
    status: "final",
    code: { text: "I_quality (image quality score)" },
    device: { reference: "#model" },
    valueQuantity: { value: round(q.score), unit: "1", system: "http://unitsofmeasure.org", code: "1" },
    component: (["exposure", "contrast", "noise", "sharpness"] as const).map((k) => ({
      code: { text: k },
      valueQuantity: { value: round(q[k]), unit: "1", system: "http://unitsofmeasure.org", code: "1" },
    })),
  };
  const s = input.study;
  return {
    resourceType: "DiagnosticReport",
    id: input.id,
    contained: [device, qualityObs, ...observations],
    status: "preliminary",
    category: [
      {
        coding: [
          { system: "http://terminology.hl7.org/CodeSystem/v2-0074", code: "RAD", display: "Radiology" },
        ],
      },
    ],
    code: { text: input.title },
    ...subject,
    issued: input.issued.toISOString(),
    ...(s.uids.study ? { identifier: [{ system: "urn:dicom:uid", value: `urn:oid:${s.uids.study}` }] } : {}),
    result: [{ reference: "#image-quality" }, ...observations.map((o) => ({ reference: `#${o.id}` }))],
    conclusion:
      input.findings.length === 0
        ? "No findings above the model's threshold."
        : `${input.findings.length} finding(s) suggested by an AI model trained on synthetic data; not for clinical use.`,
    extension: [
      {
        url: "urn:btt:imaging-source",
        extension: [
          { url: "modality", valueString: s.modality },
          ...(s.equipment.manufacturer
            ? [{ url: "manufacturer", valueString: s.equipment.manufacturer }]
            : []),
          ...(s.equipment.model ? [{ url: "model", valueString: s.equipment.model }] : []),
        ],
      },
    ],
  };
}
