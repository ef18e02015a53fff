// Builders of the identity and consent messages, checked with the chain's own rules before
// signing (a bad address, jurisdiction, type, class or purpose fails here, naming the field).
import {
  AttributeSchema,
  BttError,
  decodeAddress,
  type Msg,
  MsgAccessSchema,
  MsgEmergencyAccessSchema,
  MsgGrantConsentSchema,
  MsgGrantIssuerSchema,
  MsgIssueCredentialSchema,
  MsgRevokeConsentSchema,
  MsgRevokeCredentialSchema,
  MsgRevokeIssuerSchema,
} from "@btt/core";
import { consentMsg } from "@btt/modules/consent/builders";
import { requireDataClass, requirePurpose, requireRecordId } from "@btt/modules/consent/validation";
import { identityMsg } from "@btt/modules/identity/builders";
import { requireCredentialType } from "@btt/modules/identity/types";
import { parseAttributes, requireJurisdiction } from "@btt/modules/identity/validation";
import { create, type DescMessage } from "@bufbuild/protobuf";

/** The protobuf schemas of the identity and consent messages, by type name. */
export const PRIVACY_MESSAGE_SCHEMAS: ReadonlyArray<[string, DescMessage]> = [
  ["identity/IssueCredential", MsgIssueCredentialSchema],
  ["identity/RevokeCredential", MsgRevokeCredentialSchema],
  ["identity/GrantIssuer", MsgGrantIssuerSchema],
  ["identity/RevokeIssuer", MsgRevokeIssuerSchema],
  ["consent/Grant", MsgGrantConsentSchema],
  ["consent/Revoke", MsgRevokeConsentSchema],
  ["consent/Access", MsgAccessSchema],
  ["consent/EmergencyAccess", MsgEmergencyAccessSchema],
];

function address(text: string, what: string): string {
  decodeAddress(text, what);
  return text;
}

function positive(value: bigint | number, what: string): bigint {
  const v = BigInt(value);
  if (v <= 0n || v >= 2n ** 64n)
    throw new BttError("INVALID_MESSAGE", `${what} must be a positive 64-bit integer`, { field: what });
  return v;
}

/** Builders of the identity module's messages. */
export const identity = {
  /** Issue a credential (the sender must be an authorised issuer of its type). */
  issueCredential(p: {
    subject: string;
    type: string;
    jurisdiction: string;
    attributes?: Record<string, string>;
    expiresAtMs: bigint | number;
  }): Msg {
    const type = requireCredentialType(p.type);
    const attributes = p.attributes ?? {};
    const sorted = Object.keys(attributes)
      .sort()
      .map((key) => create(AttributeSchema, { key, value: attributes[key]! }));
    parseAttributes(type as Parameters<typeof parseAttributes>[0], sorted);
    return identityMsg.issueCredential({
      subject: address(p.subject, "subject"),
      type,
      jurisdiction: requireJurisdiction(p.jurisdiction),
      attributes,
      expiresAtMs: positive(p.expiresAtMs, "expiresAtMs"),
    });
  },
  revokeCredential(p: { id: bigint | number; reason?: string }): Msg {
    return identityMsg.revokeCredential(positive(p.id, "id"), p.reason ?? "");
  },
  grantIssuer(p: { grantee: string; type: string; delegable?: boolean }): Msg {
    return identityMsg.grantIssuer(
      address(p.grantee, "grantee"),
      requireCredentialType(p.type),
      p.delegable ?? false,
    );
  },
  revokeIssuer(p: { grantee: string; type: string }): Msg {
    return identityMsg.revokeIssuer(address(p.grantee, "grantee"), requireCredentialType(p.type));
  },
};

/** Builders of the consent module's messages. */
export const consent = {
  /** A patient lets `grantee` use some data classes for one purpose until `expiresAtMs`. */
  grant(p: {
    grantee: string;
    dataClasses: readonly string[];
    purpose: string;
    expiresAtMs: bigint | number;
    recordIds?: readonly string[];
  }): Msg {
    if (p.dataClasses.length === 0)
      throw new BttError("INVALID_MESSAGE", "dataClasses must not be empty", { field: "dataClasses" });
    p.dataClasses.forEach((c, i) => {
      requireDataClass(c, `dataClasses[${i}]`);
    });
    (p.recordIds ?? []).forEach((id, i) => {
      requireRecordId(id, `recordIds[${i}]`);
    });
    return consentMsg.grant({
      grantee: address(p.grantee, "grantee"),
      dataClasses: p.dataClasses,
      purpose: requirePurpose(p.purpose),
      expiresAtMs: positive(p.expiresAtMs, "expiresAtMs"),
      recordIds: p.recordIds ?? [],
    });
  },
  revoke(p: { id: bigint | number }): Msg {
    return consentMsg.revoke(positive(p.id, "id"));
  },
  /** Ask to use a patient's data: the decision is recorded on chain either way. */
  access(p: { patient: string; dataClass: string; purpose: string; recordId?: string }): Msg {
    return consentMsg.access({
      patient: address(p.patient, "patient"),
      dataClass: requireDataClass(p.dataClass),
      purpose: requirePurpose(p.purpose),
      ...(p.recordId ? { recordId: requireRecordId(p.recordId) } : {}),
    });
  },
  /** Break-glass access by a licensed practitioner: recorded and shown to the patient. */
  emergencyAccess(p: { patient: string; dataClass: string; reason: string; recordId?: string }): Msg {
    if (!p.reason.trim())
      throw new BttError("INVALID_MESSAGE", "break-glass access needs a reason", { field: "reason" });
    return consentMsg.emergencyAccess({
      patient: address(p.patient, "patient"),
      dataClass: requireDataClass(p.dataClass),
      reason: p.reason,
      ...(p.recordId ? { recordId: requireRecordId(p.recordId) } : {}),
    });
  },
};
