// One face for every diagnostic module: open its pinned model, analyze one file into a FHIR
// DiagnosticReport, draw the overlay a viewer shows beside it. The API's /v1/ai/analyze serves
// any module listed here; each module keeps its own pipeline and result type behind it.
import type { ConfidenceWeights, ConsensusCounts } from "./confidence.ts";
import type { FhirResource } from "./fhir.ts";
import type { LoadedModel } from "./model.ts";
import { renderOverlay } from "./overlay.ts";
import { PerioPipeline } from "./perio-pipeline.ts";
import { CariesPipeline } from "./pipeline.ts";
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

async function openCaries(): Promise<Analyzer> {
  const pipeline = await CariesPipeline.open();
  return {
    model: pipeline.model,
    close: () => pipeline.close(),
    async analyze(bytes, opts = {}) {
      const res = await pipeline.analyze(bytes, opts);
      return {
        report: res.report,
        overlay: () =>
          renderOverlay(
            res.display,
            res.findings.map((f) => ({ box: f.box, tooth: f.tooth, label: f.severity })),
          ),
      };
    },
  };
}

async function openPeriodontal(): Promise<Analyzer> {
  const pipeline = await PerioPipeline.open();
  return {
    model: pipeline.model,
    close: () => pipeline.close(),
    async analyze(bytes, opts = {}) {
      const res = await pipeline.analyze(bytes, opts);
      return {
        report: res.report,
        // Each box spans the lost attachment, CEJ to crest, on the tooth's axis; coloured by stage.
        overlay: () =>
          renderOverlay(
            res.display,
            res.findings.map((f) => ({
              box: f.box,
              tooth: f.tooth,
              label: `${f.boneLossPct.toFixed(0)}% ${f.stage}`,
            })),
            (_f, i) => PERIO_STAGES.indexOf(res.findings[i]!.stage),
          ),
      };
    },
  };
}

/** The modules /v1/ai/analyze serves, by the name the ai module's α/β parameters use. */
export const ANALYZERS: Readonly<Record<string, () => Promise<Analyzer>>> = {
  caries: openCaries,
  periodontal: openPeriodontal,
};
