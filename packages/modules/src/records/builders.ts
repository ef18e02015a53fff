import {
  coin,
  type Msg,
  MsgAddRecipientSchema,
  MsgPrivatePaymentSchema,
  MsgRecordAccessSchema,
  MsgRegisterRecordSchema,
  MsgRemoveRecipientSchema,
  MsgSetDisclosureRootSchema,
  MsgSetEncryptionKeySchema,
  msg,
  WrappedKeySchema,
} from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Amount } from "../bank/denoms.ts";
import type { WrappedKeyEntry } from "./types.ts";

export interface RegisterRecordInput {
  id: string;
  blobSha256: string;
  dataClass: string;
  jurisdiction: string;
  /** Any order: the builder sorts them by recipient. */
  wrappedKeys: readonly WrappedKeyEntry[];
  /** The root of the record's salted field tree (32 bytes), to commit it at registration. */
  disclosureRoot?: Uint8Array;
}

export interface PrivatePaymentInput {
  to: string;
  amounts: readonly Amount[];
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  /** Any order: the builder sorts them by recipient. */
  wrappedKeys: readonly WrappedKeyEntry[];
  commitment: Uint8Array;
}

const byRecipient = (keys: readonly WrappedKeyEntry[]) =>
  [...keys].sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));

const wrapped = (w: WrappedKeyEntry) => create(WrappedKeySchema, { ...w });

/** Builders of the records module's tx messages. */
export const recordsMsg = {
  register(input: RegisterRecordInput): Msg {
    const keys = byRecipient(input.wrappedKeys);
    const value = create(MsgRegisterRecordSchema, {
      id: input.id,
      blobSha256: input.blobSha256,
      dataClass: input.dataClass,
      jurisdiction: input.jurisdiction,
      wrappedKeys: keys.map(wrapped),
      ...(input.disclosureRoot ? { disclosureRoot: input.disclosureRoot } : {}),
    });
    return msg("records/Register", toBinary(MsgRegisterRecordSchema, value));
  },
  addRecipient(id: string, key: WrappedKeyEntry): Msg {
    const value = create(MsgAddRecipientSchema, { id, wrappedKey: wrapped(key) });
    return msg("records/AddRecipient", toBinary(MsgAddRecipientSchema, value));
  },
  removeRecipient(id: string, recipient: string): Msg {
    const value = create(MsgRemoveRecipientSchema, { id, recipient });
    return msg("records/RemoveRecipient", toBinary(MsgRemoveRecipientSchema, value));
  },
  setDisclosureRoot(id: string, root: Uint8Array): Msg {
    const value = create(MsgSetDisclosureRootSchema, { id, root });
    return msg("records/SetDisclosureRoot", toBinary(MsgSetDisclosureRootSchema, value));
  },
  privatePayment(input: PrivatePaymentInput): Msg {
    const value = create(MsgPrivatePaymentSchema, {
      to: input.to,
      amount: input.amounts.map((a) => coin(a.denom, a.amount)),
      ciphertext: input.ciphertext,
      nonce: input.nonce,
      wrappedKeys: byRecipient(input.wrappedKeys).map(wrapped),
      commitment: input.commitment,
    });
    return msg("records/PrivatePayment", toBinary(MsgPrivatePaymentSchema, value));
  },
  setEncryptionKey(publicKey: Uint8Array): Msg {
    const value = create(MsgSetEncryptionKeySchema, { publicKey });
    return msg("records/SetEncryptionKey", toBinary(MsgSetEncryptionKeySchema, value));
  },
  access(input: {
    id: string;
    accessor: string;
    allowed: boolean;
    purpose: string;
    code: string;
    reason: string;
  }): Msg {
    return msg("records/Access", toBinary(MsgRecordAccessSchema, create(MsgRecordAccessSchema, input)));
  },
};
