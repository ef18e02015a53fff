// Verification of one signature by one raw public key. Plain JavaScript on purpose:
// the signature-verification worker threads import it directly, without a TS loader.
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ed25519Verify } from "#platform";

/** Key kinds as numbers, for compact worker messages. */
export const KIND_ED25519 = 1;
export const KIND_ML_DSA_65 = 2;

export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const ML_DSA_65_PUBLIC_KEY_BYTES = 1952;
export const ML_DSA_65_SIGNATURE_BYTES = 3309;

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
        ed25519Verify(publicKey, message, signature)
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
