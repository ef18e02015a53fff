import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";

const AI = "ai";

/** α and β of C = α·(I·D) + β·P·(1 − U), fixed point: parts per million (600000 = 0.6). */
export const WEIGHT_PPM = 1_000_000;

export interface ConfidenceWeightsPpm {
  alpha_ppm: number;
  beta_ppm: number;
}

export interface AiParams {
  /** Per diagnostic module (caries, periodontal, …): the confidence weights; α + β ≤ 1. */
  confidenceWeights: ReadonlyMap<string, ConfidenceWeightsPpm>;
}

export const DEFAULT_AI_PARAMS = {
  confidence_weights: {
    caries: { alpha_ppm: 600_000, beta_ppm: 400_000 },
    periodontal: { alpha_ppm: 600_000, beta_ppm: 400_000 },
    orthodontic: { alpha_ppm: 600_000, beta_ppm: 400_000 },
    endodontic: { alpha_ppm: 600_000, beta_ppm: 400_000 },
    "oral-pathology": { alpha_ppm: 600_000, beta_ppm: 400_000 },
    ct: { alpha_ppm: 600_000, beta_ppm: 400_000 },
  },
};

const MODULE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

function validateAiParams(raw: unknown): AiParams {
  const f = new JsonFields("INVALID_PARAMS", "ai.params");
  const o = f.object(raw);
  const wf = f.at("confidence_weights");
  const wo = wf.object(o.confidence_weights);
  const weights = new Map<string, ConfidenceWeightsPpm>();
  // Sorted: the map's order never depends on the JSON's key order.
  for (const name of Object.keys(wo).sort()) {
    wf.check(MODULE_NAME.test(name), "must be a module name of a-z 0-9 - (1-32)", name);
    const mf = wf.at(name);
    const m = mf.object(wo[name]);
    const alpha = mf.integer(m, "alpha_ppm", 0, WEIGHT_PPM);
    const beta = mf.integer(m, "beta_ppm", 0, WEIGHT_PPM);
    mf.check(alpha + beta <= WEIGHT_PPM, `alpha_ppm + beta_ppm must be at most ${WEIGHT_PPM}`);
    weights.set(name, { alpha_ppm: alpha, beta_ppm: beta });
  }
  return { confidenceWeights: weights };
}

export class AiParamsStore {
  private readonly store = new ParamsStore(AI, validateAiParams);
  validate(raw: unknown): AiParams {
    return validateAiParams(raw);
  }
  read(kv: KVStore): AiParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, AI));
  }
  write(kv: KVStore, raw: unknown): AiParams {
    return this.store.set(new PrefixStore(kv, AI), raw);
  }
}
