// What the worker computes: the canonical result of the caries pipeline on an input, and the
// answers to a capability benchmark (the same pipeline on the inputs the seeds generate).
import { analyzeCanonical, benchmarkInput, CariesPipeline, resultSha256 } from "@btt/ai";

export class ModelRunner {
  private constructor(private readonly pipeline: CariesPipeline) {}

  static async open(): Promise<ModelRunner> {
    return new ModelRunner(await CariesPipeline.open());
  }

  get modelId(): string {
    return this.pipeline.model.card.id;
  }

  get modelVersion(): string {
    return this.pipeline.model.card.version;
  }

  supports(modelId: string, modelVersion: string): boolean {
    return modelId === this.modelId && (modelVersion === "" || modelVersion === this.modelVersion);
  }

  /** The canonical result bytes of one input file (DICOM, PNG or JPEG). */
  run(input: Uint8Array): Promise<Uint8Array> {
    return analyzeCanonical(this.pipeline, input);
  }

  /** SHA-256 of the canonical result of each seed's benchmark input, in order. */
  async benchmark(seeds: readonly number[]): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for (const seed of seeds) out.push(resultSha256(await this.run(await benchmarkInput(seed))));
    return out;
  }

  close(): Promise<void> {
    return this.pipeline.close();
  }
}
