// `btt ai analyze|evaluate|sample --module orthodontic`: cephalometric landmarks, SNA/SNB/ANB and
// the skeletal class, in the same output format as the other modules (every confidence term
// printed per finding and per landmark).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { emit } from "../context.ts";
import type { ParsedValues } from "../router.ts";
import {
  analysisHeader,
  chainTerms,
  type Figure,
  f3,
  figureRows,
  syntheticDataOption,
  TERMS,
  withPipeline,
  writeArtifacts,
} from "./ai.ts";

/** `analyze --module orthodontic`: landmarks in px and mm, the angles and the class. */
export async function analyzeOrthodontic(
  file: string,
  bytes: Uint8Array,
  values: ParsedValues,
  confirmedOpt: number | undefined,
  reviewedOpt: number | undefined,
) {
  const ai = await import("@btt/ai");
  return withPipeline(ai.OrthoPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const { terms, source } = await chainTerms(values, card, "orthodontic", confirmedOpt, reviewedOpt);
    const res = await pipeline.analyze(bytes, terms);
    const overlay = await ai.renderCephOverlay(res.display, res.landmarks, res.findings, res.pixelSpacingMm);
    const { reportPath, overlayPath } = await writeArtifacts(values, file, res.report, overlay);
    const termLine = (c: Record<(typeof TERMS)[number], number>) =>
      TERMS.map((t) => `${t} ${f3(c[t])}`).join("  ");
    const lines = [
      ...analysisHeader(pipeline.model, res, terms, source),
      `pixel spacing ${res.pixelSpacingMm.join(" x ")} mm (from ${res.spacingSource === "model-card" ? "the model card: the file does not say" : `the ${res.spacingSource}`})`,
      "cephalometric measures (skeletal class by ANB: III < 0°, I 0–4°, II > 4°):",
      ...res.findings.map((f) => {
        const c = f.confidence;
        const what =
          f.measure === "skeletal-class"
            ? `skeletal Class ${f.skeletalClass} (ANB ${f.valueDeg.toFixed(1)}°; P(I) ${f3(f.classProbabilities!.I)}, P(II) ${f3(f.classProbabilities!.II)}, P(III) ${f3(f.classProbabilities!.III)})`
            : `${f.measure} ${f.valueDeg.toFixed(1).padStart(5)}° ± ${f.sigmaDeg.toFixed(1)}° (model σ)`;
        return (
          `  ${what}\n` +
          `     ${termLine(c)}\n` +
          `     U_factor from ${c.tta_views} views: angle dispersion ${f3(c.tta_dispersion)}°` +
          (f.measure === "skeletal-class" ? `, class disagreement ${f3(c.tta_class_disagreement)}` : "") +
          `; P_consensus from ${c.consensus_confirmed}/${c.consensus_reviewed} confirmed`
        );
      }),
      "landmarks (px; mm from the top-left corner; D_confidence = P(within 2 mm)):",
      ...res.landmarks.map((l) => {
        const c = l.confidence;
        return (
          `  ${l.name.padEnd(4)} (${l.px.map((v) => v.toFixed(1)).join(", ")}) px  (${l.mm.map((v) => v.toFixed(1)).join(", ")}) mm  σ ${l.sigmaMm.toFixed(2)} mm\n` +
          `     ${termLine(c)}\n` +
          `     U_factor from ${c.tta_views} views: position dispersion ${f3(c.tta_dispersion)} mm`
        );
      }),
      `report  ${reportPath}`,
      `overlay ${overlayPath}`,
    ];
    emit(
      values,
      {
        module: "orthodontic",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        terms_source: source,
        quality: res.quality,
        pixel_spacing_mm: res.pixelSpacingMm,
        spacing_source: res.spacingSource,
        findings: res.findings.map((f) => ({
          measure: f.measure,
          value_deg: f.valueDeg,
          sigma_deg: f.sigmaDeg,
          ...(f.skeletalClass
            ? { skeletal_class: f.skeletalClass, class_probabilities: f.classProbabilities }
            : {}),
          confidence: f.confidence,
        })),
        landmarks: res.landmarks.map((l) => ({
          name: l.name,
          px: l.px,
          mm: l.mm,
          sigma_mm: l.sigmaMm,
          confidence: l.confidence,
        })),
        report: reportPath,
        overlay: overlayPath,
      },
      lines,
    );
  });
}

/** `evaluate --module orthodontic`: landmark error, SDR, angle errors and class accuracy on a synthetic set. */
export async function evaluateOrthodontic(values: ParsedValues) {
  const data = syntheticDataOption(values);
  const ai = await import("@btt/ai");
  const set = ai.openOrthoSet(data);
  return withPipeline(ai.OrthoPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const e = await ai.evaluateOrthoSet(pipeline, set);
    const rows: [string, Figure][] = [
      ["mean radial error (mm)", e.mreMm],
      ["SDR within 2 mm", e.sdr2mm],
      ["SDR within 4 mm", e.sdr4mm],
      ["SNA error (deg)", e.snaErrorDeg],
      ["SNB error (deg)", e.snbErrorDeg],
      ["ANB error (deg)", e.anbErrorDeg],
      ["skeletal class accuracy", e.classAccuracy],
      ...Object.entries(e.classSensitivity).map(([c, p]): [string, Figure] => [`Class ${c} sensitivity`, p]),
      ...Object.entries(e.perLandmarkMreMm).map(([k, p]): [string, Figure] => [
        `  ${k} radial error (mm)`,
        p,
      ]),
    ];
    const lines = [
      `${card.id}@${card.version} on ${set.description} (${e.landmarks} landmarks; synthetic training data, not for clinical use)`,
      ...figureRows(rows),
      `${"calibration error (ECE)".padEnd(28)} landmarks ${f3(e.landmarkCalibrationError.value)} (P(within 2 mm), ${e.landmarkCalibrationError.n}), class ${f3(e.classCalibrationError.value)} (P(class), ${e.classCalibrationError.n})`,
      "MRE and angle errors: normal 95% interval over images; rates: Wilson intervals",
    ];
    emit(
      values,
      {
        module: "orthodontic",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        data: set.description,
        ...e,
      },
      lines,
    );
  });
}

/** `sample --module orthodontic`: a synthetic lateral cephalogram as 12-bit DICOM with its Pixel Spacing. */
export async function sampleOrthodontic(file: string, seed: number, values: ParsedValues) {
  const ai = await import("@btt/ai");
  const s = ai.generateOrtho(seed);
  const bytes = await ai.orthoSampleDicom(seed);
  await mkdir(dirname(resolve(file)), { recursive: true });
  await writeFile(file, bytes);
  emit(
    values,
    {
      file,
      seed,
      bytes: bytes.length,
      sna: s.sna,
      snb: s.snb,
      anb: s.anb,
      skeletal_class: s.skeletalClass,
      landmarks: s.landmarks,
    },
    `wrote ${file} (synthetic lateral cephalogram, seed ${seed}; drawn SNA ${s.sna.toFixed(1)}°, SNB ${s.snb.toFixed(1)}°, ANB ${s.anb.toFixed(1)}°, Class ${s.skeletalClass}; ${ai.ORTHO_PIXEL_SPACING_MM} mm/px)`,
  );
}
