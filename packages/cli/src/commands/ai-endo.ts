// `btt ai analyze|evaluate|sample --module endodontic`: periapical lesions per tooth, in the same
// output format as the other modules (every confidence term printed per finding).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { emit } from "../context.ts";
import type { ParsedValues } from "../router.ts";
import {
  analysisHeader,
  aucRow,
  chainTerms,
  eceRow,
  type Figure,
  f3,
  figureRows,
  syntheticDataOption,
  TERMS,
  withPipeline,
  writeArtifacts,
} from "./ai.ts";

/** `analyze --module endodontic`: lesion probability, box and PAI-like score per tooth. */
export async function analyzeEndodontic(
  file: string,
  bytes: Uint8Array,
  values: ParsedValues,
  side: "R" | "L" | undefined,
  confirmedOpt: number | undefined,
  reviewedOpt: number | undefined,
) {
  const ai = await import("@btt/ai");
  return withPipeline(ai.EndoPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const { terms, source } = await chainTerms(values, card, "endodontic", confirmedOpt, reviewedOpt);
    const res = await pipeline.analyze(bytes, { ...(side ? { side } : {}), ...terms });
    const overlay = await ai.renderEndoOverlay(res);
    const { reportPath, overlayPath } = await writeArtifacts(values, file, res.report, overlay);
    const box = (b: readonly number[], digits: number) => b.map((v) => v.toFixed(digits)).join(",");
    const lines = [
      ...analysisHeader(pipeline.model, res, terms, source),
      res.findings.length === 0
        ? "no teeth found (the model reads posterior periapical views of premolars and molars)"
        : `periapical assessment per tooth (${res.findings[0]!.arch} arch; PAI-like score by radiolucency diameter, lesion at ≥ 3):`,
      ...res.findings.map((f) => {
        const c = f.confidence;
        const what = f.lesion
          ? `periapical lesion p ${f3(f.lesionProbability)}, PAI-like ${f.score}, ~${f.diameterMm.toFixed(1)} mm, box [${box(f.box, 0)}] px = [${box(f.boxMm, 1)}] mm`
          : `no lesion p ${f3(f.lesionProbability)}, PAI-like ${f.score}`;
        return (
          `  tooth ${f.tooth}  ${what}\n` +
          `     ${TERMS.map((t) => `${t} ${f3(c[t])}`).join("  ")}\n` +
          `     U_factor from ${c.tta_views} views: probability dispersion ${f3(c.tta_probability_dispersion)}, call disagreement ${f3(c.tta_call_disagreement)};` +
          ` P_consensus from ${c.consensus_confirmed}/${c.consensus_reviewed} confirmed`
        );
      }),
      `report  ${reportPath}`,
      `overlay ${overlayPath}`,
    ];
    emit(
      values,
      {
        module: "endodontic",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        terms_source: source,
        quality: res.quality,
        pixel_spacing_mm: res.pixelSpacingMm,
        findings: res.findings.map((f) => ({
          tooth: f.tooth,
          lesion: f.lesion,
          lesion_probability: f.lesionProbability,
          score: f.score,
          diameter_mm: f.diameterMm,
          box: f.box,
          box_mm: f.boxMm,
          apex: f.apex,
          confidence: f.confidence,
        })),
        report: reportPath,
        overlay: overlayPath,
      },
      lines,
    );
  });
}

/** `evaluate --module endodontic`: per-tooth and per-lesion figures on a synthetic set. */
export async function evaluateEndodontic(values: ParsedValues) {
  const data = syntheticDataOption(values);
  const ai = await import("@btt/ai");
  const set = ai.openEndoSet(data);
  return withPipeline(ai.EndoPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const e = await ai.evaluateEndoSet(pipeline, set);
    const rows: [string, Figure][] = [
      ["tooth sensitivity", e.sensitivity],
      ["tooth specificity", e.specificity],
      ["tooth accuracy", e.accuracy],
      ["PAI-like score exact", e.scoreAccuracy],
      ["lesion precision (IoU≥0.3)", e.lesionPrecision],
      ["lesion recall (IoU≥0.3)", e.lesionRecall],
      ["diameter MAE (mm, matched)", e.diameterMaeMm],
    ];
    const lines = [
      `${card.id}@${card.version} on ${set.description} (${e.teeth} teeth, ${e.positiveTeeth} with a lesion, ${e.missedTeeth} not found; synthetic training data, not for clinical use)`,
      ...figureRows(rows),
      aucRow("AUC (tooth, Mann–Whitney)", e.auc),
      eceRow(e.calibrationError, `lesion probability vs label, ${e.calibrationError.n} teeth`),
    ];
    emit(
      values,
      {
        module: "endodontic",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        data: set.description,
        ...e,
      },
      lines,
    );
  });
}

/** `sample --module endodontic`: the benchmark input of a seed, with its drawn labels. */
export async function sampleEndodontic(file: string, seed: number, values: ParsedValues) {
  const ai = await import("@btt/ai");
  const bytes = await ai.endoBenchmarkInput(seed);
  const { teeth, arch, side } = ai.generateEndo(seed);
  await mkdir(dirname(resolve(file)), { recursive: true });
  await writeFile(file, bytes);
  const drawn = teeth
    .map((t) => `${t.tooth} PAI-like ${t.score}${t.lesion ? ` (${t.lesion.diameterMm} mm)` : ""}`)
    .join(", ");
  emit(
    values,
    { file, seed, bytes: bytes.length, side, arch, teeth },
    `wrote ${file} (synthetic periapical view, seed ${seed}, ${arch} ${side}; drawn ${drawn})`,
  );
}
