import {
  addressBytes,
  BttError,
  MsgGrantIssuerSchema,
  MsgIssueCredentialSchema,
  MsgRevokeCredentialSchema,
  MsgRevokeIssuerSchema,
} from "@btt/core";
import { messageType } from "../framework/module.ts";
import type { IdentityKeeper } from "./keeper.ts";
import { requireCredentialType } from "./types.ts";
import { parseAttributes, requireJurisdiction, requireReason } from "./validation.ts";

export function identityMessages(keeper: IdentityKeeper) {
  return [
    messageType({
      type: "identity/IssueCredential",
      schema: MsgIssueCredentialSchema,
      validate(m) {
        addressBytes(m.subject, "subject");
        const type = requireCredentialType(m.type);
        requireJurisdiction(m.jurisdiction);
        parseAttributes(type, m.attributes);
        if (m.expiresAtMs === 0n) throw new BttError("INVALID_MESSAGE", "expires_at_ms is required");
      },
      execute(ctx, m) {
        const type = requireCredentialType(m.type);
        keeper.issue(ctx, ctx.sender, {
          subject: m.subject,
          type,
          jurisdiction: m.jurisdiction,
          attributes: parseAttributes(type, m.attributes),
          expiresAtMs: m.expiresAtMs,
        });
      },
    }),
    messageType({
      type: "identity/RevokeCredential",
      schema: MsgRevokeCredentialSchema,
      validate(m) {
        if (m.id === 0n) throw new BttError("INVALID_MESSAGE", "id is required");
        requireReason(m.reason);
      },
      execute(ctx, m) {
        keeper.revoke(ctx, ctx.sender, m.id, m.reason);
      },
    }),
    messageType({
      type: "identity/GrantIssuer",
      schema: MsgGrantIssuerSchema,
      validate(m, sender) {
        addressBytes(m.grantee, "grantee");
        requireCredentialType(m.type);
        if (m.grantee === sender) throw new BttError("INVALID_MESSAGE", "an account cannot authorise itself");
      },
      execute(ctx, m) {
        keeper.grantIssuer(ctx, ctx.sender, m.grantee, requireCredentialType(m.type), m.delegable);
      },
    }),
    messageType({
      type: "identity/RevokeIssuer",
      schema: MsgRevokeIssuerSchema,
      validate(m) {
        addressBytes(m.grantee, "grantee");
        requireCredentialType(m.type);
      },
      execute(ctx, m) {
        keeper.revokeIssuer(ctx, ctx.sender, m.grantee, requireCredentialType(m.type));
      },
    }),
  ];
}
