// What the compute module needs from others: money, one identity question, one compliance
// decision, one consent decision, record pointers and model versions.

import type { VersionRecord } from "../ai/types.ts";
import type { Amount } from "../bank/denoms.ts";
import type { ComplianceRequest, Decision } from "../compliance/decide.ts";
import type { AccessDecision, AccessRequest } from "../consent/types.ts";
import type { Context } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";
import type { ValidityQuery } from "../identity/keeper.ts";
import type { CredentialType } from "../identity/types.ts";
import type { EncryptedRecord } from "../records/types.ts";

export interface BankKeeperForCompute {
  balance(kv: KVStore, address: string, denom: string): bigint;
  send(ctx: Context, from: string, to: string, amounts: readonly Amount[], emitEvent?: boolean): void;
}

export interface IdentityKeeperForCompute {
  hasValidCredential(kv: KVStore, subject: string, type: CredentialType, q: ValidityQuery): boolean;
}

export interface ComplianceKeeperForCompute {
  decide(kv: KVStore, request: ComplianceRequest): Decision;
}

export interface ConsentKeeperForCompute {
  accessDecision(kv: KVStore, r: AccessRequest): AccessDecision;
}

export interface RecordsKeeperForCompute {
  record(kv: KVStore, id: string): EncryptedRecord | undefined;
}

export interface AiKeeperForCompute {
  resolve(kv: KVStore, id: string, version?: string): VersionRecord;
}

export interface ComputeDeps {
  bank: BankKeeperForCompute;
  identity: IdentityKeeperForCompute;
  compliance: ComplianceKeeperForCompute;
  consent: ConsentKeeperForCompute;
  records: RecordsKeeperForCompute;
  ai: AiKeeperForCompute;
}
