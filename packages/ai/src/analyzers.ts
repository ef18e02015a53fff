// One face for every diagnostic module: open its pinned model, analyze one file into a FHIR
// DiagnosticReport, draw the overlay a viewer shows beside it. The API's /v1/ai/analyze serves
// any module listed here; each module keeps its own pipeline and result type behind it.
import type { ConfidenceWeights, ConsensusCounts } from "./confidence.ts";
import { EndoPipeline, renderEndoOverlay } from "./endo-pipeline.ts";
import type { FhirResource } from "./fhir.ts";
import type { LoadedModel } from "./model.ts";
import { OralPathPipeline, renderOralPathOverlay } from "./oralpath-pipeline.ts";
import { renderCephOverlay } from "./ortho-overlay.ts";
import { OrthoPipeline } from "./ortho-pipeline.ts";
import { renderOverlay } from "./overlay.ts";
import { PerioPipeline } from "./perio-pipeline.ts";
import { CariesPipeline } from "./pipeline.ts";
import { renderSeriesOverlay, SeriesPipeline, type SeriesResult } from "./series-pipeline.ts";
import { PERIO_STAGES } from "./synth-perio.ts";

export interface AnalyzerOptions {
  /** Bitewing or posterior view side when the file does not say (DICOM Image Laterality). */
  side?: "R" | "L";
  weights?: ConfidenceWeights;
  consensus?: ConsensusCounts;
}

export interface Analysis {
  report: FhirResource;
  /** The findings drawn on the display image, as PNG bytes. */
  overlay(): Promise<Uint8Array>;
}

export interface Analyzer {
  readonly model: LoadedModel;
  analyze(bytes: Uint8Array, opts?: AnalyzerOptions): Promise<Analysis>;
  close(): Promise<void>;
}

/** What every module's pipeline offers: its pinned model, one analysis, and closing. */
interface ModulePipeline<R extends { report: FhirResource }> {
  readonly model: LoadedModel;
  analyze(bytes: Uint8Array, opts: AnalyzerOptions): Promise<R>;
  close(): Promise<void>;
}

/** An Analyzer over a module's pipeline and the overlay drawn from its result. */
function analyzerOf<R extends { report: FhirResource }>(
  pipeline: ModulePipeline<R>,
  overlay: (res: R) => Promise<Uint8Array>,
): Analyzer {
  return {
    model: pipeline.model,
    close: () => pipeline.close(),
    async analyze(bytes, opts = {}) {
      const res = await pipeline.analyze(bytes, opts);
      return { report: res.report, overlay: () => overlay(res) };
    },
  };
}

/** The modules /v1/ai/analyze serves, by the name the ai module's α/β parameters use. */
export const ANALYZERS: Readonly<Record<string, () => Promise<Analyzer>>> = {
  caries: async () =>
    analyzerOf(await CariesPipeline.open(), (res) =>
      renderOverlay(
        res.display,
        res.findings.map((f) => ({ box: f.box, tooth: f.tooth, label: f.severity })),
      ),
    ),
  // Each box spans the lost attachment, CEJ to crest, on the tooth's axis; coloured by stage.
  periodontal: async () =>
    analyzerOf(await PerioPipeline.open(), (res) =>
      renderOverlay(
        res.display,
        res.findings.map((f) => ({
          box: f.box,
          tooth: f.tooth,
          label: `${f.boneLossPct.toFixed(0)}% ${f.stage}`,
        })),
        (_f, i) => PERIO_STAGES.indexOf(res.findings[i]!.stage),
      ),
    ),
  endodontic: async () => analyzerOf(await EndoPipeline.open(), renderEndoOverlay),
  "oral-pathology": async () => analyzerOf(await OralPathPipeline.open(), renderOralPathOverlay),
  orthodontic: async () =>
    analyzerOf(await OrthoPipeline.open(), (res) =>
      renderCephOverlay(res.display, res.landmarks, res.findings, res.pixelSpacingMm),
    ),
  // A CT series sent as one file: a multi-frame DICOM (several slice files need the CLI or a split).
  ct: async () => {
    const series = await SeriesPipeline.open();
    return analyzerOf<SeriesResult>(
      {
        model: series.model,
        close: () => series.close(),
        analyze: (bytes, opts) => series.analyze([bytes], opts),
      },
      renderSeriesOverlay,
    );
  },
};
