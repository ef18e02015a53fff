import type { Module } from "../framework/module.ts";
import type { MessageRouter } from "../framework/router.ts";
import { AnteHandler } from "./ante.ts";
import type { BankKeeperForFees } from "./expected-keepers.ts";
import { type AuthGenesis, authGenesis } from "./genesis.ts";
import { AUTH, AuthKeeper } from "./keeper.ts";
import { AuthParamsStore } from "./params.ts";
import { authQueries } from "./queries.ts";

export { AnteHandler, type AnteOutcome, FEE_COLLECTOR, type NonceWindow } from "./ante.ts";
export { estimateFee, type FeeSchedule, parseFeeSchedule, requiredFee } from "./fee.ts";
export type { AuthGenesis } from "./genesis.ts";
export { AuthKeeper } from "./keeper.ts";
export { type AuthParams, DEFAULT_AUTH_PARAMS } from "./params.ts";

export interface AuthModule extends Module<AuthGenesis> {
  readonly keeper: AuthKeeper;
  readonly params: AuthParamsStore;
  /** The ante handler needs the message router, which needs every module: built last. */
  createAnteHandler(chainId: string, router: MessageRouter): AnteHandler;
}

export function createAuthModule(bank: BankKeeperForFees): AuthModule {
  const keeper = new AuthKeeper();
  const params = new AuthParamsStore();
  return {
    name: AUTH,
    keeper,
    params,
    messages: [],
    queries: authQueries(keeper, params),
    genesis: authGenesis(keeper, params),
    createAnteHandler: (chainId, router) => new AnteHandler(chainId, keeper, params, bank, router),
  };
}
