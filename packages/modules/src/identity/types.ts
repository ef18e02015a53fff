import { BttError } from "@btt/core";

/** The credential types the chain knows. Adding one is a code change (its meaning is code too). */
export const CREDENTIAL_TYPES = [
  "accredited_investor",
  "bridge_operator",
  "clinic_licence",
  "device",
  "insurer",
  "kyc",
  "node_operator",
  "oracle",
  "patient",
  "practitioner_licence",
  "regulator",
  "valuer",
] as const;

export type CredentialType = (typeof CREDENTIAL_TYPES)[number];

const TYPES: ReadonlySet<string> = new Set(CREDENTIAL_TYPES);

export function isCredentialType(type: string): type is CredentialType {
  return TYPES.has(type);
}

export function requireCredentialType(type: string, field = "type"): CredentialType {
  if (!isCredentialType(type)) {
    throw new BttError("INVALID_MESSAGE", `${field} "${type}" is not a credential type`, {
      field,
      type,
      known: [...CREDENTIAL_TYPES],
    });
  }
  return type;
}

/** A KYC credential carries its level (1 to 3) in this attribute. */
export const KYC_LEVEL_ATTRIBUTE = "level";

export interface Credential {
  /** Assigned by the chain, in issue order. */
  id: bigint;
  subject: string;
  type: CredentialType;
  /** ISO 3166-1 alpha-2. */
  jurisdiction: string;
  /** Sorted by key (canonical order). */
  attributes: Record<string, string>;
  issuedAtMs: bigint;
  expiresAtMs: bigint;
  issuer: string;
  revoked?: { atMs: bigint; by: string; reason: string };
}

/** An account's authorisation to issue one credential type, granted by a root or a delegate. */
export interface IssuerAuthorisation {
  grantee: string;
  type: CredentialType;
  delegable: boolean;
  grantedBy: string;
  grantedAtMs: bigint;
}

const KYC_LEVELS: ReadonlyMap<string, number> = new Map([
  ["1", 1],
  ["2", 2],
  ["3", 3],
]);

/** The KYC level a credential attests (0 when it is not a KYC credential). */
export function kycLevel(c: Credential): number {
  if (c.type !== "kyc") return 0;
  return KYC_LEVELS.get(c.attributes[KYC_LEVEL_ATTRIBUTE] ?? "") ?? 0;
}
