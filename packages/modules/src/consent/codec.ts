import type { DataClass } from "../compliance/index.ts";
import { canonicalJson } from "../framework/params.ts";
import type { ConsentGrant, EmergencyAccess, Purpose } from "./types.ts";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function grantJson(g: ConsentGrant): Record<string, unknown> {
  return {
    id: g.id.toString(),
    patient: g.patient,
    grantee: g.grantee,
    data_classes: g.dataClasses,
    purpose: g.purpose,
    record_ids: g.recordIds,
    granted_at_ms: g.grantedAtMs.toString(),
    expires_at_ms: g.expiresAtMs.toString(),
    ...(g.revokedAtMs === undefined ? {} : { revoked_at_ms: g.revokedAtMs.toString() }),
  };
}

export const encodeGrant = (g: ConsentGrant) => utf8.encode(canonicalJson(grantJson(g)));

// Decoded grants by their stored bytes (see identity/codec.ts: stored values are never mutated).
const decoded = new WeakMap<Uint8Array, ConsentGrant>();

export function decodeGrant(bytes: Uint8Array): ConsentGrant {
  const hit = decoded.get(bytes);
  if (hit) return hit;
  const o = JSON.parse(utf8Decoder.decode(bytes));
  const g: ConsentGrant = {
    id: BigInt(o.id),
    patient: o.patient,
    grantee: o.grantee,
    dataClasses: o.data_classes as DataClass[],
    purpose: o.purpose as Purpose,
    recordIds: o.record_ids,
    grantedAtMs: BigInt(o.granted_at_ms),
    expiresAtMs: BigInt(o.expires_at_ms),
  };
  if (o.revoked_at_ms !== undefined) g.revokedAtMs = BigInt(o.revoked_at_ms);
  decoded.set(bytes, g);
  return g;
}

export function emergencyJson(e: EmergencyAccess): Record<string, unknown> {
  return {
    id: e.id.toString(),
    patient: e.patient,
    practitioner: e.practitioner,
    data_class: e.dataClass,
    record_id: e.recordId,
    reason: e.reason,
    at_ms: e.atMs.toString(),
    height: e.height.toString(),
  };
}

export const encodeEmergency = (e: EmergencyAccess) => utf8.encode(canonicalJson(emergencyJson(e)));

export function decodeEmergency(bytes: Uint8Array): EmergencyAccess {
  const o = JSON.parse(utf8Decoder.decode(bytes));
  return {
    id: BigInt(o.id),
    patient: o.patient,
    practitioner: o.practitioner,
    dataClass: o.data_class,
    recordId: o.record_id,
    reason: o.reason,
    atMs: BigInt(o.at_ms),
    height: BigInt(o.height),
  };
}
