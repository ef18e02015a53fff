// What the consent module needs from others: one identity question and one compliance decision.
import type { ComplianceRequest, Decision } from "../compliance/decide.ts";
import type { KVStore } from "../framework/store.ts";
import type { ValidityQuery } from "../identity/keeper.ts";
import type { Credential, CredentialType } from "../identity/types.ts";

export interface IdentityKeeperForConsent {
  validCredentials(kv: KVStore, subject: string, type: CredentialType, q: ValidityQuery): Credential[];
  hasValidCredential(kv: KVStore, subject: string, type: CredentialType, q: ValidityQuery): boolean;
}

export interface ComplianceKeeperForConsent {
  decide(kv: KVStore, request: ComplianceRequest): Decision;
}
