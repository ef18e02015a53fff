// `btt ai analyze|evaluate|sample --module oral-pathology`: a jaw-lesion screening class with its
// probabilities and a refer flag, in the same output format as the other modules.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { emit } from "../context.ts";
import type { ParsedValues } from "../router.ts";
import {
  analysisHeader,
  chainTerms,
  eceRow,
  type Figure,
  f3,
  figureRows,
  pct,
  syntheticDataOption,
  TERMS,
  withPipeline,
  writeArtifacts,
} from "./ai.ts";

/** `analyze --module oral-pathology`: class probabilities, the screening class and the refer flag. */
export async function analyzeOralPathology(
  file: string,
  bytes: Uint8Array,
  values: ParsedValues,
  side: "R" | "L" | undefined,
  confirmedOpt: number | undefined,
  reviewedOpt: number | undefined,
) {
  const ai = await import("@btt/ai");
  return withPipeline(ai.OralPathPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const { terms, source } = await chainTerms(values, card, "oral-pathology", confirmedOpt, reviewedOpt);
    const res = await pipeline.analyze(bytes, { ...(side ? { side } : {}), ...terms });
    const overlay = await ai.renderOralPathOverlay(res);
    const { reportPath, overlayPath } = await writeArtifacts(values, file, res.report, overlay);
    const f = res.finding;
    const c = f.confidence;
    const lines = [
      ...analysisHeader(pipeline.model, res, terms, source),
      `screening class: ${f.cls}${f.refer ? "  → REFER" : ""}`,
      `  ${ai.ORAL_PATH_CLASSES.map((k) => `P(${k}) ${f3(f.probabilities[k])}`).join("  ")}`,
      `     ${TERMS.map((t) => `${t} ${f3(c[t])}`).join("  ")}`,
      `     U_factor from ${c.tta_views} views: probability dispersion ${f3(c.tta_probability_dispersion)}, class disagreement ${f3(c.tta_class_disagreement)};` +
        ` P_consensus from ${c.consensus_confirmed}/${c.consensus_reviewed} confirmed`,
      `report  ${reportPath}`,
      `overlay ${overlayPath}`,
    ];
    emit(
      values,
      {
        module: "oral-pathology",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        terms_source: source,
        quality: res.quality,
        finding: { class: f.cls, refer: f.refer, probabilities: f.probabilities, confidence: c },
        report: reportPath,
        overlay: overlayPath,
      },
      lines,
    );
  });
}

/** `evaluate --module oral-pathology`: accuracy, per-class figures, macro AUC, refer figures, ECE. */
export async function evaluateOralPathology(values: ParsedValues) {
  const data = syntheticDataOption(values);
  const ai = await import("@btt/ai");
  const set = ai.openOralPathSet(data);
  return withPipeline(ai.OralPathPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const e = await ai.evaluateOralPathSet(pipeline, set);
    const rows: [string, Figure][] = [
      ["accuracy", e.accuracy],
      ...ai.ORAL_PATH_CLASSES.flatMap((k): [string, Figure][] => [
        [`${k.slice(0, 16)} sensitivity`, e.sensitivity[k]],
        [`${k.slice(0, 16)} specificity`, e.specificity[k]],
      ]),
      ["refer sensitivity", e.referSensitivity],
      ["refer specificity", e.referSpecificity],
    ];
    const lines = [
      `${card.id}@${card.version} on ${set.description} (synthetic training data, not for clinical use)`,
      ...figureRows(rows),
      ...ai.ORAL_PATH_CLASSES.map((k) => `${`AUC ${k.slice(0, 24)}`.padEnd(28)} ${pct(e.auc[k])}`),
      `${"macro AUC".padEnd(28)} ${f3(e.macroAuc)}`,
      eceRow(e.calibrationError, `top-class probability vs right, ${e.calibrationError.n} images`),
    ];
    emit(
      values,
      {
        module: "oral-pathology",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        data: set.description,
        ...e,
      },
      lines,
    );
  });
}

/** `sample --module oral-pathology`: the benchmark input of a seed, with its drawn class. */
export async function sampleOralPathology(file: string, seed: number, values: ParsedValues) {
  const ai = await import("@btt/ai");
  const bytes = await ai.oralPathBenchmarkInput(seed);
  const { cls, refer, lesion, side, arch } = ai.generateOralPath(seed);
  await mkdir(dirname(resolve(file)), { recursive: true });
  await writeFile(file, bytes);
  emit(
    values,
    { file, seed, bytes: bytes.length, side, arch, class: cls, refer, lesion },
    `wrote ${file} (synthetic oral-pathology view, seed ${seed}, ${arch} ${side}; drawn ${cls}${refer ? ", refer" : ""})`,
  );
}
