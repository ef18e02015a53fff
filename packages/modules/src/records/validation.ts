import { addressBytes, BttError } from "@btt/core";
import { requireDataClass, requireRecordId } from "../consent/validation.ts";
import { requireJurisdiction } from "../identity/validation.ts";
import {
  AEAD_TAG_BYTES,
  COMMITMENT_BYTES,
  DISCLOSURE_ROOT_BYTES,
  SHA256_HEX,
  WRAP_NONCE_BYTES,
  WRAPPED_KEY_BYTES,
  type WrappedKeyEntry,
  X25519_KEY_BYTES,
} from "./types.ts";

export { requireDataClass, requireJurisdiction, requireRecordId };

export function requireSha256Hex(hex: string, field = "blob_sha256"): string {
  if (!SHA256_HEX.test(hex))
    throw new BttError("INVALID_MESSAGE", `${field} must be 64 lowercase hex digits`, { field });
  return hex;
}

function length(bytes: Uint8Array, n: number, field: string): void {
  if (bytes.length !== n) throw new BttError("INVALID_MESSAGE", `${field} must have ${n} bytes`, { field });
}

export function requireWrappedKey(w: WrappedKeyEntry, field = "wrapped_key"): WrappedKeyEntry {
  addressBytes(w.recipient, `${field}.recipient`);
  length(w.ephemeralPublicKey, X25519_KEY_BYTES, `${field}.ephemeral_public_key`);
  length(w.wrappedKey, WRAPPED_KEY_BYTES, `${field}.wrapped_key`);
  length(w.nonce, WRAP_NONCE_BYTES, `${field}.nonce`);
  return w;
}

export function requireX25519Key(key: Uint8Array, field = "public_key"): Uint8Array {
  length(key, X25519_KEY_BYTES, field);
  if (key.every((b) => b === 0))
    throw new BttError("INVALID_MESSAGE", `${field} must not be zero`, { field });
  return key;
}

/** Recipients sorted, each once. */
export function requireSortedRecipients(keys: readonly WrappedKeyEntry[]): void {
  keys.forEach((w, i) => {
    requireWrappedKey(w, `wrapped_keys[${i}]`);
    if (i > 0 && w.recipient <= keys[i - 1]!.recipient) {
      throw new BttError("INVALID_MESSAGE", "wrapped_keys must be sorted by recipient, each once", {
        field: "wrapped_keys",
      });
    }
  });
}

export function requireDisclosureRoot(root: Uint8Array, field = "root"): Uint8Array {
  length(root, DISCLOSURE_ROOT_BYTES, field);
  return root;
}

/** A private payment's encrypted part: nonce, commitment, and a ciphertext holding at least salt and tag. */
export function requirePrivatePayload(m: {
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  commitment: Uint8Array;
}) {
  length(m.nonce, WRAP_NONCE_BYTES, "nonce");
  length(m.commitment, COMMITMENT_BYTES, "commitment");
  if (m.ciphertext.length < COMMITMENT_BYTES + AEAD_TAG_BYTES)
    throw new BttError("INVALID_MESSAGE", "ciphertext is too short to hold a salt and a tag", {
      field: "ciphertext",
    });
}
