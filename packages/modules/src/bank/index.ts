import type { Module } from "../framework/module.ts";
import { type BankGenesis, bankGenesis } from "./genesis.ts";
import { supplyInvariant } from "./invariants.ts";
import { BANK, BankKeeper } from "./keeper.ts";
import { bankMessages } from "./msgs.ts";
import { BankParamsStore } from "./params.ts";
import { bankQueries } from "./queries.ts";

export { bankMsg } from "./builders.ts";
export { type Amount, type DenomMetadata, formatCoins, parseCoins } from "./denoms.ts";
export { type BankGenesis, BTT_DENOM } from "./genesis.ts";
export { BankKeeper } from "./keeper.ts";
export { balanceStateKey } from "./keys.ts";

export interface BankModule extends Module<BankGenesis> {
  readonly keeper: BankKeeper;
}

export function createBankModule(): BankModule {
  const keeper = new BankKeeper();
  const params = new BankParamsStore();
  return {
    name: BANK,
    keeper,
    messages: bankMessages(keeper, params),
    queries: bankQueries(keeper, params),
    genesis: bankGenesis(keeper, params),
    invariants: [supplyInvariant(keeper)],
  };
}
