// Verification of one signature by one raw public key. Plain JavaScript on purpose:
// the signature-verification worker threads import it directly, without a TS loader.
import { createPublicKey, verify } from "node:crypto";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";

/** Key kinds as numbers, for compact worker messages. */
export const KIND_ED25519 = 1;
export const KIND_ML_DSA_65 = 2;

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const ML_DSA_65_PUBLIC_KEY_BYTES = 1952;
export const ML_DSA_65_SIGNATURE_BYTES = 3309;

// DER prefix that wraps a raw Ed25519 public key for node:crypto (RFC 8410).
export const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

// Parsing a DER key costs about as much as a verification, so parsed keys are kept.
const KEY_CACHE_LIMIT = 100_000;
/** @type {Map<string, import("node:crypto").KeyObject>} */
const ed25519Keys = new Map();

/** @param {Uint8Array} raw */
function ed25519KeyObject(raw) {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("latin1");
  let key = ed25519Keys.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
    if (ed25519Keys.size >= KEY_CACHE_LIMIT)
      ed25519Keys.delete(/** @type {string} */ (ed25519Keys.keys().next().value));
    ed25519Keys.set(id, key);
  }
  return key;
}

/**
 * True when `signature` is a valid signature of `message` by the raw key. Never throws.
 * @param {number} kind KIND_ED25519 or KIND_ML_DSA_65
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 * @returns {boolean}
 */
export function verifySingleKey(kind, publicKey, message, signature) {
  try {
    if (kind === KIND_ED25519) {
      return (
        publicKey.length === ED25519_PUBLIC_KEY_BYTES &&
        signature.length === ED25519_SIGNATURE_BYTES &&
        verify(null, message, ed25519KeyObject(publicKey), signature)
      );
    }
    if (kind === KIND_ML_DSA_65) {
      return (
        publicKey.length === ML_DSA_65_PUBLIC_KEY_BYTES &&
        signature.length === ML_DSA_65_SIGNATURE_BYTES &&
        ml_dsa65.verify(signature, message, publicKey)
      );
    }
    return false;
  } catch {
    return false;
  }
}
