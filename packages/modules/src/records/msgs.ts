import {
  addressBytes,
  BttError,
  MsgAddRecipientSchema,
  MsgPrivatePaymentSchema,
  MsgRecordAccessSchema,
  MsgRegisterRecordSchema,
  MsgRemoveRecipientSchema,
  MsgSetDisclosureRootSchema,
  MsgSetEncryptionKeySchema,
} from "@btt/core";
import { parseCoins } from "../bank/denoms.ts";
import { messageType } from "../framework/module.ts";
import { requireReason } from "../identity/validation.ts";
import type { RecordsKeeper } from "./keeper.ts";
import type { PrivatePaymentsKeeper } from "./private-payments.ts";
import type { WrappedKeyEntry } from "./types.ts";
import {
  requireDataClass,
  requireDisclosureRoot,
  requireJurisdiction,
  requirePrivatePayload,
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

export function recordsMessages(keeper: RecordsKeeper, payments: PrivatePaymentsKeeper) {
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
        // Empty means none: the field is optional.
        if (m.disclosureRoot?.length) requireDisclosureRoot(m.disclosureRoot, "disclosure_root");
      },
      execute(ctx, m) {
        keeper.register(ctx, ctx.sender, {
          id: m.id,
          blobSha256: m.blobSha256,
          dataClass: requireDataClass(m.dataClass),
          jurisdiction: m.jurisdiction,
          wrappedKeys: m.wrappedKeys.map(entry),
          ...(m.disclosureRoot?.length ? { disclosureRoot: m.disclosureRoot } : {}),
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
      type: "records/SetDisclosureRoot",
      schema: MsgSetDisclosureRootSchema,
      validate(m) {
        requireRecordId(m.id, "id");
        requireDisclosureRoot(m.root);
      },
      execute(ctx, m) {
        keeper.setDisclosureRoot(ctx, ctx.sender, m.id, m.root);
      },
    }),
    messageType({
      type: "records/PrivatePayment",
      schema: MsgPrivatePaymentSchema,
      validate(m) {
        addressBytes(m.to, "to");
        parseCoins(m.amount);
        requirePrivatePayload(m);
        requireSortedRecipients(m.wrappedKeys);
      },
      execute(ctx, m) {
        payments.execute(ctx, {
          to: m.to,
          amounts: parseCoins(m.amount),
          ciphertext: m.ciphertext,
          nonce: m.nonce,
          wrappedKeys: m.wrappedKeys.map(entry),
          commitment: m.commitment,
        });
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
