// What the records module needs from others: the owner's patient credential (the data's origin)
// and one compliance decision (may this data class be stored there?).
import type { ComplianceKeeperForConsent, IdentityKeeperForConsent } from "../consent/expected-keepers.ts";

export type IdentityKeeperForRecords = Pick<IdentityKeeperForConsent, "validCredentials">;
export type ComplianceKeeperForRecords = ComplianceKeeperForConsent;
