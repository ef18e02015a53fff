import {
  type Msg,
  MsgAccessSchema,
  MsgEmergencyAccessSchema,
  MsgGrantConsentSchema,
  MsgRevokeConsentSchema,
  msg,
} from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";

export interface GrantConsentInput {
  grantee: string;
  /** Any order: the builder sorts them. */
  dataClasses: readonly string[];
  purpose: string;
  expiresAtMs: bigint;
  recordIds?: readonly string[];
}

const sortedUnique = (list: readonly string[]) => [...new Set(list)].sort();

/** Builders of the consent module's tx messages. */
export const consentMsg = {
  grant(input: GrantConsentInput): Msg {
    const value = create(MsgGrantConsentSchema, {
      grantee: input.grantee,
      dataClasses: sortedUnique(input.dataClasses),
      purpose: input.purpose,
      expiresAtMs: input.expiresAtMs,
      recordIds: sortedUnique(input.recordIds ?? []),
    });
    return msg("consent/Grant", toBinary(MsgGrantConsentSchema, value));
  },
  revoke(id: bigint): Msg {
    return msg("consent/Revoke", toBinary(MsgRevokeConsentSchema, create(MsgRevokeConsentSchema, { id })));
  },
  access(input: { patient: string; dataClass: string; purpose: string; recordId?: string }): Msg {
    const value = create(MsgAccessSchema, {
      patient: input.patient,
      dataClass: input.dataClass,
      purpose: input.purpose,
      recordId: input.recordId ?? "",
    });
    return msg("consent/Access", toBinary(MsgAccessSchema, value));
  },
  emergencyAccess(input: { patient: string; dataClass: string; reason: string; recordId?: string }): Msg {
    const value = create(MsgEmergencyAccessSchema, {
      patient: input.patient,
      dataClass: input.dataClass,
      reason: input.reason,
      recordId: input.recordId ?? "",
    });
    return msg("consent/EmergencyAccess", toBinary(MsgEmergencyAccessSchema, value));
  },
};
