import type { Module } from "../framework/module.ts";
import type { ComplianceKeeperForConsent, IdentityKeeperForConsent } from "./expected-keepers.ts";
import { type ConsentGenesis, consentGenesis } from "./genesis.ts";
import { ConsentKeeper } from "./keeper.ts";
import { consentMessages } from "./msgs.ts";
import { CONSENT, ConsentParamsStore } from "./params.ts";
import { consentQueries } from "./queries.ts";

export { consentMsg, type GrantConsentInput } from "./builders.ts";
export { emergencyJson, grantJson } from "./codec.ts";
export type { ConsentGenesis } from "./genesis.ts";
export { ConsentKeeper } from "./keeper.ts";
export { CONSENT, DEFAULT_CONSENT_PARAMS } from "./params.ts";
export { decisionJson } from "./queries.ts";
export {
  type AccessDecision,
  type AccessDenial,
  type AccessDenialCode,
  type AccessRequest,
  type ConsentGrant,
  type EmergencyAccess,
  PURPOSES,
  type Purpose,
} from "./types.ts";

export interface ConsentModule extends Module<ConsentGenesis> {
  readonly keeper: ConsentKeeper;
}

export function createConsentModule(
  identity: IdentityKeeperForConsent,
  compliance: ComplianceKeeperForConsent,
): ConsentModule {
  const keeper = new ConsentKeeper(new ConsentParamsStore(), identity, compliance);
  return {
    name: CONSENT,
    keeper,
    messages: consentMessages(keeper),
    queries: consentQueries(keeper),
    genesis: consentGenesis(keeper),
  };
}
