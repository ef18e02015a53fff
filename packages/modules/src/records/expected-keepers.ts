// What the records module needs from others: the owner's patient credential (the data's origin),
// one compliance decision (may this data class be stored there?), the regulators a private
// payment must be readable by, and the bank to move a private payment's (public) amount.
import type { Amount } from "../bank/denoms.ts";
import type { RequiredViewers } from "../compliance/view-keys.ts";
import type { ComplianceKeeperForConsent, IdentityKeeperForConsent } from "../consent/expected-keepers.ts";
import type { Context } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";

export type IdentityKeeperForRecords = Pick<IdentityKeeperForConsent, "validCredentials">;
export interface ComplianceKeeperForRecords extends ComplianceKeeperForConsent {
  requiredViewers(kv: KVStore, dataClass: string, jurisdictions: readonly string[]): RequiredViewers;
}

export interface BankKeeperForRecords {
  send(ctx: Context, from: string, to: string, amounts: readonly Amount[]): void;
  /** Governance's switch for transfers (bank params `send_enabled`). */
  sendEnabled(kv: KVStore): boolean;
}
