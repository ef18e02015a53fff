import type { Module } from "../framework/module.ts";
import { type IdentityGenesis, identityGenesis } from "./genesis.ts";
import { IdentityKeeper } from "./keeper.ts";
import { identityMessages } from "./msgs.ts";
import { IDENTITY, IdentityParamsStore } from "./params.ts";
import { identityQueries } from "./queries.ts";

export { type IssueCredentialInput, identityMsg } from "./builders.ts";
export { credentialJson } from "./codec.ts";
export type { IdentityGenesis } from "./genesis.ts";
export { IdentityKeeper, type IssuerStanding, isValid, type ValidityQuery } from "./keeper.ts";
export { DEFAULT_IDENTITY_PARAMS, IDENTITY, type IdentityParams } from "./params.ts";
export { decimalParam, queryState, requiredParam } from "./queries.ts";
export {
  CREDENTIAL_TYPES,
  type Credential,
  type CredentialType,
  type IssuerAuthorisation,
  isCredentialType,
  kycLevel,
} from "./types.ts";
export { requireJurisdiction } from "./validation.ts";

export interface IdentityModule extends Module<IdentityGenesis> {
  readonly keeper: IdentityKeeper;
}

export function createIdentityModule(): IdentityModule {
  const params = new IdentityParamsStore();
  const keeper = new IdentityKeeper(params);
  return {
    name: IDENTITY,
    keeper,
    messages: identityMessages(keeper),
    queries: identityQueries(keeper, params),
    genesis: identityGenesis(keeper, params),
  };
}
