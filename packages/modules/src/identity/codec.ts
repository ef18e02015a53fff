import { canonicalJson } from "../framework/params.ts";
import type { Credential, CredentialType, IssuerAuthorisation } from "./types.ts";

// Stored as canonical JSON (sorted keys at every level: attributes in canonical order), times as
// decimal strings. Every node writes the same bytes for the same credential.

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function credentialJson(c: Credential): Record<string, unknown> {
  return {
    id: c.id.toString(),
    subject: c.subject,
    type: c.type,
    jurisdiction: c.jurisdiction,
    attributes: c.attributes,
    issued_at_ms: c.issuedAtMs.toString(),
    expires_at_ms: c.expiresAtMs.toString(),
    issuer: c.issuer,
    ...(c.revoked
      ? {
          revoked: {
            at_ms: c.revoked.atMs.toString(),
            by: c.revoked.by,
            reason: c.revoked.reason,
          },
        }
      : {}),
  };
}

export function encodeCredential(c: Credential): Uint8Array {
  return utf8.encode(canonicalJson(credentialJson(c)));
}

// Decoded values by their stored bytes: the committed store hands back the same byte array for
// the same key until the next commit, so hot decisions parse each credential once. A stored
// value is never mutated, so the cache cannot go stale.
const decoded = new WeakMap<Uint8Array, Credential>();

export function decodeCredential(bytes: Uint8Array): Credential {
  const hit = decoded.get(bytes);
  if (hit) return hit;
  const o = JSON.parse(utf8Decoder.decode(bytes));
  const c: Credential = {
    id: BigInt(o.id),
    subject: o.subject,
    type: o.type as CredentialType,
    jurisdiction: o.jurisdiction,
    attributes: o.attributes,
    issuedAtMs: BigInt(o.issued_at_ms),
    expiresAtMs: BigInt(o.expires_at_ms),
    issuer: o.issuer,
  };
  if (o.revoked) c.revoked = { atMs: BigInt(o.revoked.at_ms), by: o.revoked.by, reason: o.revoked.reason };
  decoded.set(bytes, c);
  return c;
}

export function authorisationJson(a: IssuerAuthorisation): Record<string, unknown> {
  return {
    grantee: a.grantee,
    type: a.type,
    delegable: a.delegable,
    granted_by: a.grantedBy,
    granted_at_ms: a.grantedAtMs.toString(),
  };
}

export function encodeAuthorisation(a: IssuerAuthorisation): Uint8Array {
  return utf8.encode(canonicalJson(authorisationJson(a)));
}

export function decodeAuthorisation(bytes: Uint8Array): IssuerAuthorisation {
  const o = JSON.parse(utf8Decoder.decode(bytes));
  return {
    grantee: o.grantee,
    type: o.type as CredentialType,
    delegable: o.delegable,
    grantedBy: o.granted_by,
    grantedAtMs: BigInt(o.granted_at_ms),
  };
}
