// What the worker computes: the canonical result of a model on an input, and the answers to a
// capability benchmark (that model on the inputs the seeds generate). It knows every shipped
// model by its card's id and version, and opens a model's pipeline only when a task first needs it.
import {
  analyzeCanonical,
  analyzeCtCanonical,
  analyzeEndoCanonical,
  analyzeOralPathCanonical,
  analyzeOrthoCanonical,
  analyzePerioCanonical,
  benchmarkInput,
  CARIES_CARD,
  CariesPipeline,
  CT_CARD,
  ctBenchmarkInput,
  ENDO_CARD,
  EndoPipeline,
  endoBenchmarkInput,
  ORAL_PATH_CARD,
  ORTHO_CARD,
  OralPathPipeline,
  OrthoPipeline,
  oralPathBenchmarkInput,
  orthoBenchmarkInput,
  PERIO_CARD,
  PerioPipeline,
  perioBenchmarkInput,
  readCard,
  resultSha256,
  SeriesPipeline,
} from "@btt/ai";

/** An opened model: its canonical analysis of one input file, and how to release it. */
interface OpenedModel {
  analyze(input: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A model the worker can run: its card, how to open it, and the synthetic input of a benchmark seed. */
export interface RunnableModel {
  card: string;
  open(card: string): Promise<OpenedModel>;
  benchmarkInput(seed: number): Promise<Uint8Array>;
}

export const CARIES_MODEL: RunnableModel = {
  card: CARIES_CARD,
  open: async (card) => {
    const pipeline = await CariesPipeline.open(card);
    return { analyze: (input) => analyzeCanonical(pipeline, input), close: () => pipeline.close() };
  },
  benchmarkInput,
};

export const PERIO_MODEL: RunnableModel = {
  card: PERIO_CARD,
  open: async (card) => {
    const pipeline = await PerioPipeline.open(card);
    return { analyze: (input) => analyzePerioCanonical(pipeline, input), close: () => pipeline.close() };
  },
  benchmarkInput: perioBenchmarkInput,
};

export const ENDO_MODEL: RunnableModel = {
  card: ENDO_CARD,
  open: async (card) => {
    const pipeline = await EndoPipeline.open(card);
    return { analyze: (input) => analyzeEndoCanonical(pipeline, input), close: () => pipeline.close() };
  },
  benchmarkInput: endoBenchmarkInput,
};

export const ORTHO_MODEL: RunnableModel = {
  card: ORTHO_CARD,
  open: async (card) => {
    const pipeline = await OrthoPipeline.open(card);
    return { analyze: (input) => analyzeOrthoCanonical(pipeline, input), close: () => pipeline.close() };
  },
  benchmarkInput: orthoBenchmarkInput,
};

/**
 * The generic CT slice model. Its input is one DICOM file holding a slice range: a whole series
 * as multi-frame, or one sub-task of a split series (series-split.ts subTaskInput); the canonical
 * result lists each slice's hash and probability, so sub-task results merge back into the series.
 */
export const CT_MODEL: RunnableModel = {
  card: CT_CARD,
  open: async (card) => {
    const pipeline = await SeriesPipeline.open(card);
    return { analyze: (input) => analyzeCtCanonical(pipeline, input), close: () => pipeline.close() };
  },
  benchmarkInput: ctBenchmarkInput,
};

export const ORAL_PATH_MODEL: RunnableModel = {
  card: ORAL_PATH_CARD,
  open: async (card) => {
    const pipeline = await OralPathPipeline.open(card);
    return { analyze: (input) => analyzeOralPathCanonical(pipeline, input), close: () => pipeline.close() };
  },
  benchmarkInput: oralPathBenchmarkInput,
};

export const SHIPPED_MODELS: readonly RunnableModel[] = [
  CARIES_MODEL,
  PERIO_MODEL,
  ENDO_MODEL,
  ORTHO_MODEL,
  CT_MODEL,
  ORAL_PATH_MODEL,
];

interface Entry {
  model: RunnableModel;
  version: string;
  /** Set on first use; a promise so two tasks arriving together open the pipeline once. */
  opened?: Promise<OpenedModel>;
}

export class ModelRunner {
  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  /** Reads each model's card (cheap); no pipeline is opened until it is run. */
  static async open(models: readonly RunnableModel[] = SHIPPED_MODELS): Promise<ModelRunner> {
    const entries = new Map<string, Entry>();
    for (const model of models) {
      const card = await readCard(model.card);
      if (entries.has(card.id)) throw new Error(`two models with the id ${card.id}`);
      entries.set(card.id, { model, version: card.version });
    }
    return new ModelRunner(entries);
  }

  /** The models this worker runs, by card id and version. */
  get models(): Array<{ id: string; version: string }> {
    return [...this.entries].map(([id, e]) => ({ id, version: e.version }));
  }

  /** A task's model_version is "" when it asks for the latest: any version of the id then. */
  supports(modelId: string, modelVersion: string): boolean {
    const entry = this.entries.get(modelId);
    return entry !== undefined && (modelVersion === "" || modelVersion === entry.version);
  }

  /** The canonical result bytes of one input file (DICOM, PNG or JPEG) under the model `modelId`. */
  async run(modelId: string, input: Uint8Array): Promise<Uint8Array> {
    return (await this.opened(modelId)).analyze(input);
  }

  /** SHA-256 of the model's canonical result on each seed's benchmark input, in order. */
  async benchmark(modelId: string, modelVersion: string, seeds: readonly number[]): Promise<Uint8Array[]> {
    if (!this.supports(modelId, modelVersion))
      throw new Error(`the benchmark's model ${modelId}@${modelVersion} is not one this worker runs`);
    const { model } = this.entries.get(modelId)!;
    const out: Uint8Array[] = [];
    for (const seed of seeds)
      out.push(resultSha256(await this.run(modelId, await model.benchmarkInput(seed))));
    return out;
  }

  /** Closes the pipelines that were opened. */
  async close(): Promise<void> {
    for (const entry of this.entries.values()) {
      const opened = entry.opened;
      entry.opened = undefined;
      if (opened)
        await opened.then(
          (m) => m.close(),
          () => undefined,
        );
    }
  }

  private opened(modelId: string): Promise<OpenedModel> {
    const entry = this.entries.get(modelId);
    if (!entry) throw new Error(`model ${modelId} is not one this worker runs`);
    if (!entry.opened) {
      const opening = entry.model.open(entry.model.card);
      entry.opened = opening;
      // A failed open is not kept: the next task tries again.
      opening.catch(() => {
        if (entry.opened === opening) entry.opened = undefined;
      });
    }
    return entry.opened;
  }
}
