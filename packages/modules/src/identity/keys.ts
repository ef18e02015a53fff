// The identity module's full state keys ("identity/" prefix included, so hot reads need no
// PrefixStore): c ‖ id (u64 BE) → credential; s ‖ subject(20) ‖ type → the subject's listed
// credential ids of that type (u64 BE each); a ‖ type ‖ 0 ‖ grantee(20) → issuer authorisation;
// n → next id.
import { addressBytes } from "@btt/core";

const utf8 = new TextEncoder();
const MODULE = utf8.encode("identity/");

/** One allocation for a key of byte parts. */
export function joinKey(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Type and class names are few: encode each once.
const names = new Map<string, Uint8Array>();
export function nameBytes(name: string): Uint8Array {
  let bytes = names.get(name);
  if (!bytes) {
    bytes = utf8.encode(name);
    if (names.size < 1024) names.set(name, bytes);
  }
  return bytes;
}

export function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  writeU64(out, 0, value);
  return out;
}

function writeU64(out: Uint8Array, at: number, value: bigint): void {
  let hi = Number(value >> 32n);
  let lo = Number(value & 0xffffffffn);
  for (let i = 7; i >= 4; i--) {
    out[at + i] = lo & 0xff;
    lo >>>= 8;
  }
  for (let i = 3; i >= 0; i--) {
    out[at + i] = hi & 0xff;
    hi >>>= 8;
  }
}

export function readU64(bytes: Uint8Array, offset = 0): bigint {
  const hi =
    ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>>
    0;
  const lo =
    ((bytes[offset + 4]! << 24) |
      (bytes[offset + 5]! << 16) |
      (bytes[offset + 6]! << 8) |
      bytes[offset + 7]!) >>>
    0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

const CREDENTIAL = Uint8Array.of(0x63); // "c"
const SUBJECT = Uint8Array.of(0x73); // "s"
const AUTHORISATION = Uint8Array.of(0x61); // "a"
const ZERO = Uint8Array.of(0);

export const NEXT_ID_KEY = joinKey(MODULE, Uint8Array.of(0x6e)); // "n"
export const ALL_CREDENTIALS_PREFIX = joinKey(MODULE, CREDENTIAL);
export const ALL_AUTHORISATIONS_PREFIX = joinKey(MODULE, AUTHORISATION);

export function credentialKey(id: bigint): Uint8Array {
  const out = new Uint8Array(ALL_CREDENTIALS_PREFIX.length + 8);
  out.set(ALL_CREDENTIALS_PREFIX, 0);
  writeU64(out, ALL_CREDENTIALS_PREFIX.length, id);
  return out;
}

export function subjectPrefix(subject: string): Uint8Array {
  return joinKey(MODULE, SUBJECT, addressBytes(subject));
}

export function subjectTypeKey(subject: string, type: string): Uint8Array {
  return joinKey(MODULE, SUBJECT, addressBytes(subject), nameBytes(type));
}

export function authorisationKey(type: string, grantee: string): Uint8Array {
  return joinKey(MODULE, AUTHORISATION, nameBytes(type), ZERO, addressBytes(grantee));
}

/** A packed list of u64 ids. */
export function encodeIds(ids: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(ids.length * 8);
  ids.forEach((id, i) => {
    writeU64(out, i * 8, id);
  });
  return out;
}

// Decoded lists by their stored bytes (stored values are never mutated).
const decodedIds = new WeakMap<Uint8Array, bigint[]>();

/** The ids of a packed list; the result is shared, so callers copy before changing it. */
export function decodeIds(bytes: Uint8Array | undefined): readonly bigint[] {
  if (!bytes) return [];
  let ids = decodedIds.get(bytes);
  if (!ids) {
    ids = [];
    for (let i = 0; i + 8 <= bytes.length; i += 8) ids.push(readU64(bytes, i));
    decodedIds.set(bytes, ids);
  }
  return ids;
}
