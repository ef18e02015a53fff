import type { DataClass, DenialReason } from "../compliance/index.ts";

export const PURPOSES = ["insurance", "payment", "research", "treatment"] as const;
export type Purpose = (typeof PURPOSES)[number];
const PURPOSE_SET: ReadonlySet<string> = new Set(PURPOSES);
export const isPurpose = (p: string): p is Purpose => PURPOSE_SET.has(p);

export const RECORD_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** A patient's permission for one grantee, purpose and set of data classes, until it expires. */
export interface ConsentGrant {
  id: bigint;
  patient: string;
  grantee: string;
  /** Sorted, each once. */
  dataClasses: DataClass[];
  purpose: Purpose;
  /** Sorted, each once; empty = every record of the classes. */
  recordIds: string[];
  grantedAtMs: bigint;
  expiresAtMs: bigint;
  revokedAtMs?: bigint;
}

/** A break-glass access: recorded in state for the patient to see. */
export interface EmergencyAccess {
  id: bigint;
  patient: string;
  practitioner: string;
  dataClass: DataClass;
  recordId: string;
  reason: string;
  atMs: bigint;
  height: bigint;
}

export interface AccessRequest {
  grantee: string;
  patient: string;
  dataClass: string;
  purpose: string;
  recordId?: string;
  /** Block time in consensus code. */
  atMs: bigint;
}

export type AccessDenialCode =
  | DenialReason["code"]
  | "UNKNOWN_PURPOSE"
  | "PATIENT_NOT_VERIFIED"
  | "GRANTEE_NOT_LICENSED"
  | "NO_CONSENT"
  | "CONSENT_PURPOSE"
  | "CONSENT_DATA_CLASS"
  | "CONSENT_RECORD"
  | "CONSENT_EXPIRED";

export interface AccessDenial {
  readonly code: AccessDenialCode;
  readonly rule: string;
  readonly detail: string;
}

export type AccessDecision =
  | { readonly allowed: true; readonly rule: string; readonly consentId?: bigint }
  | { readonly allowed: false; readonly reason: AccessDenial };
