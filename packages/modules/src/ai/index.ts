import type { Module } from "../framework/module.ts";
import { type AiGenesis, aiGenesis } from "./genesis.ts";
import { AI, AiKeeper, type IdentityKeeperForAi } from "./keeper.ts";
import { aiMessages } from "./msgs.ts";
import { AiParamsStore } from "./params.ts";
import { aiQueries } from "./queries.ts";

export { aiMsg } from "./builders.ts";
export type { AiGenesis } from "./genesis.ts";
export { AiKeeper, CONFIRMER_CREDENTIAL, type IdentityKeeperForAi } from "./keeper.ts";
export { type AiParams, type ConfidenceWeightsPpm, DEFAULT_AI_PARAMS, WEIGHT_PPM } from "./params.ts";
export type { ConsensusRecord, ModelRecord, VerdictRecord, VersionRecord, VersionStatus } from "./types.ts";

export interface AiModule extends Module<AiGenesis> {
  readonly keeper: AiKeeper;
}

/**
 * The model registry (models owned by accounts, versions pinned by the SHA-256 of their files),
 * the confidence weights per diagnostic module, and clinicians' verdicts per model version
 * (confirming needs a practitioner_licence from `identity`).
 */
export function createAiModule(identity?: IdentityKeeperForAi): AiModule {
  const keeper = new AiKeeper(new AiParamsStore(), identity);
  return {
    name: AI,
    keeper,
    messages: aiMessages(keeper),
    queries: aiQueries(keeper),
    genesis: aiGenesis(keeper),
  };
}
