// `btt ai analyze|evaluate|sample --module ct`: a CT series (a directory of DICOM files, several
// files, or one multi-frame file) through the generic series pipeline, in the same output format
// as the dental modules (every confidence term printed).
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BttError } from "@btt/core";
import { emit } from "../context.ts";
import type { ParsedValues } from "../router.ts";
import {
  aucRow,
  chainTerms,
  eceRow,
  type Figure,
  f3,
  figureRows,
  TERMS,
  withPipeline,
  writeArtifacts,
} from "./ai.ts";

/** The files of a series: each path a file, or a directory whose regular files are all read (sorted). */
export async function seriesFiles(
  paths: readonly string[],
): Promise<{ names: string[]; bytes: Uint8Array[] }> {
  const names: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch((err: NodeJS.ErrnoException) => {
      throw new BttError("NOT_FOUND", `cannot read ${p}: ${err.code ?? err.message}`, { file: p });
    });
    if (info.isDirectory()) {
      const entries = (await readdir(p, { withFileTypes: true }))
        .filter((e) => e.isFile() && !e.name.startsWith("."))
        .map((e) => e.name)
        .sort();
      names.push(...entries.map((e) => join(p, e)));
    } else names.push(p);
  }
  if (names.length === 0) throw new BttError("INVALID_MESSAGE", `no files in ${paths.join(", ")}`);
  return { names, bytes: await Promise.all(names.map((n) => readFile(n))) };
}

/** `analyze --module ct`: per-slice probabilities, the slices with findings, one series finding. */
export async function analyzeCt(
  paths: readonly string[],
  values: ParsedValues,
  confirmedOpt: number | undefined,
  reviewedOpt: number | undefined,
) {
  const { names, bytes } = await seriesFiles(paths);
  const ai = await import("@btt/ai");
  return withPipeline(ai.SeriesPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const { terms, source } = await chainTerms(values, card, "ct", confirmedOpt, reviewedOpt);
    const res = await pipeline.analyze(bytes, terms);
    const overlay = await ai.renderSeriesOverlay(res);
    // Artifacts go beside the first path (a directory's sibling <dir>.ai) unless --out says otherwise.
    const { reportPath, overlayPath } = await writeArtifacts(values, paths[0]!, res.report, overlay);
    const s = res.series;
    const q = res.quality;
    const f = res.finding;
    const c = f.confidence;
    const lines = [
      `${card.id}@${card.version} (sha256 ${pipeline.model.sha256.slice(0, 16)}…; synthetic training data, not for clinical use)`,
      `series ${s.modality} ${s.slices.length} slices of ${s.width}x${s.height} from ${names.length} file(s), ordered by ${s.orderedBy}` +
        `${s.sliceSpacingMm !== undefined ? `, spacing ${s.sliceSpacingMm.toFixed(2)} mm` : ""}; window ${res.window.center}/${res.window.width} (${pipeline.contract.window})`,
      `I_quality ${f3(q.score)} (median slice: exposure ${f3(q.exposure)}, contrast ${f3(q.contrast)}, noise ${f3(q.noise)}, sharpness ${f3(q.sharpness)})`,
      `α ${terms.weights.alpha}, β ${terms.weights.beta}, verdicts ${terms.consensus.confirmed}/${terms.consensus.reviewed} confirmed: from ${source}`,
      `slice probabilities: ${res.probabilities.map((p) => p.toFixed(2)).join(" ")}`,
      f.present
        ? `finding: ${card.labels.finding?.[2] ?? card.task} on slices ${f.slices.join(", ")} (peak slice ${f.peak.index}, p ${f3(f.peak.probability)}; ${f.extentMm.toFixed(1)} mm along the slice normal)`
        : `no finding: no slice at or above ${res.threshold} (peak slice ${f.peak.index}, p ${f3(f.peak.probability)})`,
      `     ${TERMS.map((t) => `${t} ${f3(c[t])}`).join("  ")}\n` +
        `     U_factor from ${c.tta_views} views of the ${c.tta_slices} most probable slices: probability dispersion ${f3(c.tta_probability_dispersion)}, decision disagreement ${f3(c.tta_decision_disagreement)};` +
        ` P_consensus from ${c.consensus_confirmed}/${c.consensus_reviewed} confirmed`,
      `report  ${reportPath}`,
      `overlay ${overlayPath}`,
    ];
    emit(
      values,
      {
        module: "ct",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        terms_source: source,
        series: {
          modality: s.modality,
          slices: s.slices.length,
          width: s.width,
          height: s.height,
          ordered_by: s.orderedBy,
          slice_spacing_mm: s.sliceSpacingMm,
          files: names.length,
        },
        window: res.window,
        quality: res.quality,
        slice_quality: res.sliceQuality,
        probabilities: res.probabilities,
        finding: f,
        report: reportPath,
        overlay: overlayPath,
      },
      lines,
    );
  });
}

/** `evaluate --module ct`: slice- and series-level figures on a synthetic set. */
export async function evaluateCtModule(values: ParsedValues) {
  const data = (values.data as string | undefined) ?? "synthetic:43:40";
  const ai = await import("@btt/ai");
  const set = ai.openCtSet(data);
  return withPipeline(ai.SeriesPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const e = await ai.evaluateCtSet(pipeline, set);
    const rows: [string, Figure][] = [
      ["slice sensitivity", e.sliceSensitivity],
      ["slice specificity", e.sliceSpecificity],
      ["series sensitivity", e.seriesSensitivity],
      ["series specificity", e.seriesSpecificity],
    ];
    const lines = [
      `${card.id}@${card.version} on ${set.description} (${e.slices} slices; threshold ${e.threshold}; synthetic training data, not for clinical use)`,
      ...figureRows(rows),
      aucRow("AUC (slice, Mann–Whitney)", e.sliceAuc),
      aucRow("AUC (series, max slice p)", e.seriesAuc),
      eceRow(e.calibrationError, `slice probability vs label, ${e.calibrationError.n} slices`),
    ];
    emit(
      values,
      {
        module: "ct",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        data: set.description,
        ...e,
      },
      lines,
    );
  });
}

/** `sample --module ct`: a synthetic head CT series, one DICOM file per slice, with its labels. */
export async function sampleCt(dir: string, seed: number, values: ParsedValues) {
  const ai = await import("@btt/ai");
  const series = ai.generateCtSeries(seed);
  const files = await ai.writeCtSeries(series, { multiFrame: values["multi-frame"] === true });
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const names = files.map((_, i) =>
    files.length === 1 ? "series.dcm" : `slice-${String(i + 1).padStart(3, "0")}.dcm`,
  );
  await Promise.all(files.map((b, i) => writeFile(join(out, names[i]!), b)));
  const positive = series.labels.flatMap((l, i) => (l ? [i] : []));
  emit(
    values,
    { dir: out, seed, files: names, labels: series.labels, lesion: series.lesion ?? null },
    `wrote ${files.length} file(s) to ${out} (synthetic head CT, seed ${seed}, ${series.slices.length} slices; ` +
      (series.lesion
        ? `drawn hyperdense lesion ${Math.round(series.lesion.hu)} HU on slices ${positive.join(", ")})`
        : "no lesion drawn)"),
  );
}
