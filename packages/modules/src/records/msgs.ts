import {
  addressBytes,
  BttError,
  MsgAddRecipientSchema,
  MsgRecordAccessSchema,
  MsgRegisterRecordSchema,
  MsgRemoveRecipientSchema,
  MsgSetEncryptionKeySchema,
} from "@btt/core";
import { messageType } from "../framework/module.ts";
import { requireReason } from "../identity/validation.ts";
import type { RecordsKeeper } from "./keeper.ts";
import type { WrappedKeyEntry } from "./types.ts";
import {
  requireDataClass,
  requireJurisdiction,
  requireRecordId,
  requireSha256Hex,
  requireSortedRecipients,
  requireWrappedKey,
  requireX25519Key,
} from "./validation.ts";

const entry = (w: WrappedKeyEntry): WrappedKeyEntry => ({
  recipient: w.recipient,
  ephemeralPublicKey: w.ephemeralPublicKey,
  wrappedKey: w.wrappedKey,
  nonce: w.nonce,
});

export function recordsMessages(keeper: RecordsKeeper) {
  return [
    messageType({
      type: "records/Register",
      schema: MsgRegisterRecordSchema,
      validate(m) {
        requireRecordId(m.id, "id");
        requireSha256Hex(m.blobSha256);
        requireDataClass(m.dataClass);
        requireJurisdiction(m.jurisdiction);
        requireSortedRecipients(m.wrappedKeys);
      },
      execute(ctx, m) {
        keeper.register(ctx, ctx.sender, {
          id: m.id,
          blobSha256: m.blobSha256,
          dataClass: requireDataClass(m.dataClass),
          jurisdiction: m.jurisdiction,
          wrappedKeys: m.wrappedKeys.map(entry),
        });
      },
    }),
    messageType({
      type: "records/AddRecipient",
      schema: MsgAddRecipientSchema,
      validate(m) {
        requireRecordId(m.id, "id");
        if (!m.wrappedKey)
          throw new BttError("INVALID_MESSAGE", "wrapped_key is required", { field: "wrapped_key" });
        requireWrappedKey(m.wrappedKey);
      },
      execute(ctx, m) {
        keeper.addRecipient(ctx, ctx.sender, m.id, entry(m.wrappedKey!));
      },
    }),
    messageType({
      type: "records/RemoveRecipient",
      schema: MsgRemoveRecipientSchema,
      validate(m) {
        requireRecordId(m.id, "id");
        addressBytes(m.recipient, "recipient");
      },
      execute(ctx, m) {
        keeper.removeRecipient(ctx, ctx.sender, m.id, m.recipient);
      },
    }),
    messageType({
      type: "records/SetEncryptionKey",
      schema: MsgSetEncryptionKeySchema,
      validate(m) {
        requireX25519Key(m.publicKey);
      },
      execute(ctx, m) {
        keeper.setEncryptionKey(ctx, ctx.sender, m.publicKey);
      },
    }),
    // Allowed or refused, the entry succeeds: the refusal is what is being recorded.
    messageType({
      type: "records/Access",
      schema: MsgRecordAccessSchema,
      validate(m) {
        requireRecordId(m.id, "id");
        addressBytes(m.accessor, "accessor");
        if (m.purpose.length > 32 || m.code.length > 64)
          throw new BttError("INVALID_MESSAGE", "purpose or code is too long");
        requireReason(m.reason);
      },
      execute(ctx, m) {
        keeper.recordAccess(ctx, ctx.sender, {
          id: m.id,
          accessor: m.accessor,
          allowed: m.allowed,
          purpose: m.purpose,
          code: m.code,
          reason: m.reason,
        });
      },
    }),
  ];
}
