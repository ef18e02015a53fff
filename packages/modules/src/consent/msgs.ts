import {
  addressBytes,
  BttError,
  MsgAccessSchema,
  MsgEmergencyAccessSchema,
  MsgGrantConsentSchema,
  MsgRevokeConsentSchema,
} from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import { messageType } from "../framework/module.ts";
import { requireReason } from "../identity/validation.ts";
import type { ConsentKeeper } from "./keeper.ts";
import { requireDataClass, requirePurpose, requireRecordId, requireSortedUnique } from "./validation.ts";

export function consentMessages(keeper: ConsentKeeper) {
  return [
    messageType({
      type: "consent/Grant",
      schema: MsgGrantConsentSchema,
      validate(m, sender) {
        addressBytes(m.grantee, "grantee");
        if (m.grantee === sender)
          throw new BttError("INVALID_MESSAGE", "a patient needs no consent from themselves");
        requireSortedUnique(m.dataClasses, "data_classes", false);
        for (const [i, c] of m.dataClasses.entries()) requireDataClass(c, `data_classes[${i}]`);
        requirePurpose(m.purpose);
        requireSortedUnique(m.recordIds, "record_ids", true);
        for (const [i, id] of m.recordIds.entries()) requireRecordId(id, `record_ids[${i}]`);
        if (m.expiresAtMs === 0n) throw new BttError("INVALID_MESSAGE", "expires_at_ms is required");
      },
      execute(ctx, m) {
        keeper.give(ctx, ctx.sender, {
          grantee: m.grantee,
          dataClasses: m.dataClasses.map((c) => requireDataClass(c)),
          purpose: requirePurpose(m.purpose),
          recordIds: [...m.recordIds],
          expiresAtMs: m.expiresAtMs,
        });
      },
    }),
    messageType({
      type: "consent/Revoke",
      schema: MsgRevokeConsentSchema,
      validate(m) {
        if (m.id === 0n) throw new BttError("INVALID_MESSAGE", "id is required");
      },
      execute(ctx, m) {
        keeper.revoke(ctx, ctx.sender, m.id);
      },
    }),
    messageType({
      type: "consent/Access",
      schema: MsgAccessSchema,
      validate(m) {
        addressBytes(m.patient, "patient");
        requireDataClass(m.dataClass);
        requirePurpose(m.purpose);
        if (m.recordId !== "") requireRecordId(m.recordId);
      },
      // The decision is the result: granted or refused, it is recorded as an event and the
      // message succeeds (a failed message would drop the record of the refusal).
      execute(ctx, m) {
        const d = keeper.accessDecision(ctx.kv, {
          grantee: ctx.sender,
          patient: m.patient,
          dataClass: m.dataClass,
          purpose: m.purpose,
          ...(m.recordId === "" ? {} : { recordId: m.recordId }),
          atMs: ctx.block.timeMs,
        });
        const common = {
          grantee: ctx.sender,
          patient: m.patient,
          data_class: m.dataClass,
          purpose: m.purpose,
          record_id: m.recordId,
        };
        ctx.emit(
          d.allowed
            ? ledgerEvent("consent/access_granted", {
                ...common,
                rule: d.rule,
                consent_id: d.consentId?.toString() ?? "",
              })
            : ledgerEvent("consent/access_refused", { ...common, ...d.reason }),
        );
      },
    }),
    messageType({
      type: "consent/EmergencyAccess",
      schema: MsgEmergencyAccessSchema,
      validate(m, sender) {
        addressBytes(m.patient, "patient");
        if (m.patient === sender)
          throw new BttError("INVALID_MESSAGE", "a patient needs no break-glass for their own data");
        requireDataClass(m.dataClass);
        if (m.recordId !== "") requireRecordId(m.recordId);
        if (m.reason.trim() === "")
          throw new BttError("INVALID_MESSAGE", "break-glass access needs a reason");
        requireReason(m.reason);
      },
      execute(ctx, m) {
        keeper.emergencyAccess(
          ctx,
          ctx.sender,
          m.patient,
          requireDataClass(m.dataClass),
          m.recordId,
          m.reason,
        );
      },
    }),
  ];
}
