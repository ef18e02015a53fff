// ONNX models behind a pinned SHA-256: the file is hashed before onnxruntime sees it, and a
// mismatch is refused. CUDA is used when onnxruntime reports it and a session opens with it;
// otherwise the CPU provider (always bundled) runs the model.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BttError } from "@btt/core";
import * as ort from "onnxruntime-node";

export interface TensorContract {
  name: string;
  shape: number[];
  dtype: "float32";
  description: string;
}

/** The card that ships beside every model (models/<name>/card.json). */
export interface ModelCard {
  id: string;
  version: string;
  task: string;
  modality: string[];
  file: string;
  sha256: string;
  sizeBytes: number;
  input: TensorContract & { range: [number, number]; preprocessing: string };
  output: TensorContract & { channels: Record<string, string> };
  labels: Record<string, readonly (string | number)[]>;
  thresholds: Record<string, number>;
  trainingData: string;
  evaluation: Record<string, unknown>;
  intendedUse: string;
  limitations: string[];
}

export interface LoadedModel {
  card: ModelCard;
  sha256: string;
  providers: string[];
  /** Why a requested GPU provider was not used, when it was not. */
  providerFallback?: string;
  run(input: Float32Array): Promise<Float32Array>;
  close(): Promise<void>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** CUDA only when the runtime offers it and the machine shows a GPU driver. */
export function preferredProviders(): string[] {
  const backends = ort.listSupportedBackends?.() ?? [];
  const cuda = backends.some((b) => b.name === "cuda");
  const gpu = existsSync("/dev/nvidia0") || existsSync("/proc/driver/nvidia/version");
  return cuda && gpu && process.env.BTT_AI_CPU_ONLY !== "1" ? ["cuda", "cpu"] : ["cpu"];
}

export async function readCard(cardPath: string): Promise<ModelCard> {
  return JSON.parse(await readFile(cardPath, "utf8")) as ModelCard;
}

export interface LoadOptions {
  /** The pinned hash (from the chain's model registry); defaults to the card's. */
  expectedSha256?: string;
  providers?: string[];
  intraOpThreads?: number;
}

export async function loadModel(cardPath: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const card = await readCard(cardPath);
  const file = join(dirname(cardPath), card.file);
  const bytes = await readFile(file);
  const actual = sha256Hex(bytes);
  const expected = (opts.expectedSha256 ?? card.sha256).toLowerCase();
  if (actual !== expected) {
    throw new BttError(
      "MODEL_INTEGRITY",
      `model ${card.id}@${card.version}: SHA-256 ${actual} does not match the pinned ${expected}`,
      {
        model: card.id,
        file,
        expected,
        actual,
      },
    );
  }
  const wanted = opts.providers ?? preferredProviders();
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: "all",
    intraOpNumThreads: opts.intraOpThreads ?? 1,
  };
  let session: ort.InferenceSession;
  let providers = wanted;
  let providerFallback: string | undefined;
  const cpuOnly = wanted.length === 1 && wanted[0] === "cpu";
  try {
    // A failed GPU attempt (no CUDA provider library, no device) falls back to CPU, reason kept.
    session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: wanted });
  } catch (err) {
    if (cpuOnly)
      throw new BttError("MODEL_INTEGRITY", `model ${card.id} cannot be loaded: ${(err as Error).message}`);
    providerFallback = (err as Error).message;
    providers = ["cpu"];
    session = await ort.InferenceSession.create(bytes, { ...base, executionProviders: providers });
  }
  if (!session.inputNames.includes(card.input.name) || !session.outputNames.includes(card.output.name)) {
    throw new BttError("MODEL_INTEGRITY", `model ${card.id} does not have the tensors its card names`, {
      inputs: session.inputNames,
      outputs: session.outputNames,
    });
  }
  const inputSize = card.input.shape.reduce((a, b) => a * b, 1);
  return {
    card,
    sha256: actual,
    providers,
    providerFallback,
    async run(input) {
      if (input.length !== inputSize) {
        throw new BttError(
          "INVALID_IMAGE",
          `model ${card.id} needs ${inputSize} input values, got ${input.length}`,
          {
            reason: "contract",
          },
        );
      }
      const feeds = { [card.input.name]: new ort.Tensor("float32", input, card.input.shape) };
      const out = await session.run(feeds);
      const t = out[card.output.name];
      if (!t || !(t.data instanceof Float32Array))
        throw new BttError("MODEL_INTEGRITY", `model ${card.id} returned no ${card.output.name}`);
      return t.data;
    },
    close: () => session.release(),
  };
}
