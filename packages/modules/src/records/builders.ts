import {
  type Msg,
  MsgAddRecipientSchema,
  MsgRecordAccessSchema,
  MsgRegisterRecordSchema,
  MsgRemoveRecipientSchema,
  MsgSetEncryptionKeySchema,
  msg,
  WrappedKeySchema,
} from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";
import type { WrappedKeyEntry } from "./types.ts";

export interface RegisterRecordInput {
  id: string;
  blobSha256: string;
  dataClass: string;
  jurisdiction: string;
  /** Any order: the builder sorts them by recipient. */
  wrappedKeys: readonly WrappedKeyEntry[];
}

const wrapped = (w: WrappedKeyEntry) => create(WrappedKeySchema, { ...w });

/** Builders of the records module's tx messages. */
export const recordsMsg = {
  register(input: RegisterRecordInput): Msg {
    const keys = [...input.wrappedKeys].sort((a, b) =>
      a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0,
    );
    const value = create(MsgRegisterRecordSchema, {
      id: input.id,
      blobSha256: input.blobSha256,
      dataClass: input.dataClass,
      jurisdiction: input.jurisdiction,
      wrappedKeys: keys.map(wrapped),
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
