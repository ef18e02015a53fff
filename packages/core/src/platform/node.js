// Node's platform: node:crypto and Buffer, the fast paths the node's hot loops depend on.
// Plain JavaScript on purpose: the signature-verification worker threads import it (through
// single-key-verify.js) without a TypeScript loader. browser.ts is its twin for bundles; the
// "#platform" import in package.json picks one by condition, and a test checks they agree.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  hash,
  randomBytes as nodeRandomBytes,
  sign,
} from "node:crypto";
import { ed25519Native } from "@btt/ed25519-native";
import { ed25519 } from "@noble/curves/ed25519.js";

/**
 * SHA-256 of the concatenated parts.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function sha256(...parts) {
  // The one-shot hash is about twice as fast for the common single-buffer case.
  if (parts.length === 1) return hash("sha256", /** @type {Uint8Array} */ (parts[0]), "buffer");
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * @param {number} length
 * @returns {Uint8Array}
 */
export function randomBytes(length) {
  return nodeRandomBytes(length);
}

/** @param {Uint8Array} bytes */
const asBuffer = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Lowercase hex of the bytes.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function bytesToHex(bytes) {
  return asBuffer(bytes).toString("hex");
}

/**
 * Bytes of an even-length hex string the caller has already checked.
 * @param {string} hex
 * @returns {Uint8Array}
 */
export function hexToBytes(hex) {
  return Buffer.from(hex, "hex");
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 * @returns {boolean}
 */
export function bytesEqual(a, b) {
  return asBuffer(a).equals(b);
}

// DER prefixes that wrap raw Ed25519 keys for node:crypto (RFC 8410).
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * An Ed25519 key pair from a 32-byte seed; the parsed private key is kept for signing.
 * @param {Uint8Array} seed
 * @returns {{ publicKey: Uint8Array; sign: (message: Uint8Array) => Uint8Array }}
 */
export function ed25519KeyPair(seed) {
  const privateKey = createPrivateKey({
    key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return {
    publicKey: new Uint8Array(spki.subarray(ED25519_SPKI_PREFIX.length)),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/**
 * Ed25519 verification of a 64-byte signature by a 32-byte raw key (sizes checked by the caller),
 * under ZIP-215, the chain's rule (see packages/ed25519-native/README.md): through the native addon
 * when it is built, else @noble/curves in ZIP-215 mode (same answers, much slower). OpenSSL is not
 * used: it applies RFC 8032's cofactorless check, which disagrees with ZIP-215 on crafted keys.
 * @param {Uint8Array} publicKey
 * @param {Uint8Array} message
 * @param {Uint8Array} signature
 * @returns {boolean}
 */
export function ed25519Verify(publicKey, message, signature) {
  if (!ed25519Native) return ed25519.verify(signature, message, publicKey, { zip215: true });
  const data = Buffer.allocUnsafe(96 + message.length);
  data.set(publicKey, 0);
  data.set(signature, 32);
  data.set(message, 96);
  return ed25519Native.verifyEach(data, Uint32Array.of(0, 32, 96, data.length))[0] === 1;
}
