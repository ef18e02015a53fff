import {
  AttributeSchema,
  type Msg,
  MsgGrantIssuerSchema,
  MsgIssueCredentialSchema,
  MsgRevokeCredentialSchema,
  MsgRevokeIssuerSchema,
  msg,
} from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";

export interface IssueCredentialInput {
  subject: string;
  type: string;
  jurisdiction: string;
  /** Any order: the builder sorts them into canonical order. */
  attributes?: Record<string, string>;
  expiresAtMs: bigint;
}

/** Builders of the identity module's tx messages. */
export const identityMsg = {
  issueCredential(input: IssueCredentialInput): Msg {
    const attributes = Object.keys(input.attributes ?? {})
      .sort()
      .map((key) => create(AttributeSchema, { key, value: input.attributes![key]! }));
    const value = create(MsgIssueCredentialSchema, {
      subject: input.subject,
      type: input.type,
      jurisdiction: input.jurisdiction,
      attributes,
      expiresAtMs: input.expiresAtMs,
    });
    return msg("identity/IssueCredential", toBinary(MsgIssueCredentialSchema, value));
  },
  revokeCredential(id: bigint, reason = ""): Msg {
    const value = create(MsgRevokeCredentialSchema, { id, reason });
    return msg("identity/RevokeCredential", toBinary(MsgRevokeCredentialSchema, value));
  },
  grantIssuer(grantee: string, type: string, delegable = false): Msg {
    const value = create(MsgGrantIssuerSchema, { grantee, type, delegable });
    return msg("identity/GrantIssuer", toBinary(MsgGrantIssuerSchema, value));
  },
  revokeIssuer(grantee: string, type: string): Msg {
    const value = create(MsgRevokeIssuerSchema, { grantee, type });
    return msg("identity/RevokeIssuer", toBinary(MsgRevokeIssuerSchema, value));
  },
};
