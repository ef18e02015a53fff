import type { Module } from "../framework/module.ts";
import { type AiGenesis, aiGenesis } from "./genesis.ts";
import { AI, AiKeeper } from "./keeper.ts";
import { aiMessages } from "./msgs.ts";
import { aiQueries } from "./queries.ts";

export { aiMsg } from "./builders.ts";
export type { AiGenesis } from "./genesis.ts";
export { AiKeeper } from "./keeper.ts";
export type { ModelRecord, VersionRecord, VersionStatus } from "./types.ts";

export interface AiModule extends Module<AiGenesis> {
  readonly keeper: AiKeeper;
}

/** The model registry: models owned by accounts, versions pinned by the SHA-256 of their files. */
export function createAiModule(): AiModule {
  const keeper = new AiKeeper();
  return {
    name: AI,
    keeper,
    messages: aiMessages(keeper),
    queries: aiQueries(keeper),
    genesis: aiGenesis(keeper),
  };
}
