// Encrypted records, client side (browser-safe: @noble only). A blob is encrypted once under a
// random 32-byte content key; that key is wrapped for each recipient with X25519 + HKDF-SHA256 +
// XChaCha20-Poly1305, and the wrapped keys go on chain in the record pointer.
//
// Key derivation: an account's X25519 secret is HKDF-SHA256(ikm = the account's 32-byte signing
// seed, salt = empty, info = "btt/x25519/v1"), so the one secret a wallet keeps (its seed) also
// opens records. The public half is published with records/SetEncryptionKey.
import {
  BttError,
  decodeAddress,
  type Msg,
  MsgAddRecipientSchema,
  MsgPrivatePaymentSchema,
  MsgRecordAccessSchema,
  MsgRegisterRecordSchema,
  MsgRemoveRecipientSchema,
  MsgSetDisclosureRootSchema,
  MsgSetEncryptionKeySchema,
  type Signer,
  toHex,
} from "@btt/core";
import { recordsMsg } from "@btt/modules/records/builders";
import {
  requireDataClass,
  requireDisclosureRoot,
  requireJurisdiction,
  requireRecordId,
  requireSha256Hex,
  requireWrappedKey,
  requireX25519Key,
} from "@btt/modules/records/validation";
import type { DescMessage } from "@bufbuild/protobuf";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/ciphers/utils.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const RECORDS_MESSAGE_SCHEMAS: ReadonlyArray<[string, DescMessage]> = [
  ["records/Register", MsgRegisterRecordSchema],
  ["records/AddRecipient", MsgAddRecipientSchema],
  ["records/RemoveRecipient", MsgRemoveRecipientSchema],
  ["records/SetEncryptionKey", MsgSetEncryptionKeySchema],
  ["records/Access", MsgRecordAccessSchema],
  ["records/SetDisclosureRoot", MsgSetDisclosureRootSchema],
  ["records/PrivatePayment", MsgPrivatePaymentSchema],
];

const utf8 = new TextEncoder();
const X25519_INFO = utf8.encode("btt/x25519/v1");
const WRAP_INFO = utf8.encode("btt/wrap/v1");
const BLOB_AAD = utf8.encode("btt/blob/v1");
const NONCE = 24;

/** A content key wrapped for one recipient (the on-chain form). */
export interface WrappedKey {
  recipient: string;
  ephemeralPublicKey: Uint8Array;
  wrappedKey: Uint8Array;
  nonce: Uint8Array;
}

export interface EncryptionKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** The account's X25519 key pair, derived from its signing seed (see the top of this file). */
export function encryptionKeyFromSeed(seed: Uint8Array): EncryptionKeyPair {
  if (seed.length !== 32) throw new BttError("INVALID_MESSAGE", "an account seed has 32 bytes");
  const secretKey = hkdf(sha256, seed, new Uint8Array(), X25519_INFO, 32);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/** Encrypts a blob under a fresh content key: blob = nonce(24) ‖ ciphertext ‖ tag(16). */
export function encryptBlob(plaintext: Uint8Array, contentKey: Uint8Array = randomBytes(32)) {
  const nonce = randomBytes(NONCE);
  const sealed = xchacha20poly1305(contentKey, nonce, BLOB_AAD).encrypt(plaintext);
  const blob = new Uint8Array(NONCE + sealed.length);
  blob.set(nonce, 0);
  blob.set(sealed, NONCE);
  return { blob, contentKey, sha256: toHex(sha256(blob)) };
}

/** Decrypts a blob; a tampered byte (or the wrong key) throws INVALID_MESSAGE. */
export function decryptBlob(blob: Uint8Array, contentKey: Uint8Array): Uint8Array {
  if (blob.length < NONCE + 16) throw new BttError("INVALID_MESSAGE", "blob is too short to be a ciphertext");
  try {
    return xchacha20poly1305(contentKey, blob.subarray(0, NONCE), BLOB_AAD).decrypt(blob.subarray(NONCE));
  } catch {
    throw new BttError("INVALID_MESSAGE", "blob does not decrypt: tampered, or not this key");
  }
}

function kek(shared: Uint8Array, ephemeral: Uint8Array, recipientKey: Uint8Array): Uint8Array {
  const salt = new Uint8Array(64);
  salt.set(ephemeral, 0);
  salt.set(recipientKey, 32);
  return hkdf(sha256, shared, salt, WRAP_INFO, 32);
}

/** Wraps a content key for `recipient` (their published X25519 key); the address is authenticated. */
export function wrapContentKey(
  contentKey: Uint8Array,
  recipient: string,
  recipientKey: Uint8Array,
): WrappedKey {
  decodeAddress(recipient, "recipient");
  requireX25519Key(recipientKey, "recipient key");
  const ephemeralSecret = randomBytes(32);
  const ephemeralPublicKey = x25519.getPublicKey(ephemeralSecret);
  const key = kek(x25519.getSharedSecret(ephemeralSecret, recipientKey), ephemeralPublicKey, recipientKey);
  const nonce = randomBytes(NONCE);
  const wrappedKey = xchacha20poly1305(key, nonce, utf8.encode(recipient)).encrypt(contentKey);
  return { recipient, ephemeralPublicKey, wrappedKey, nonce };
}

/** Unwraps the content key with the recipient's X25519 key pair. */
export function unwrapContentKey(w: WrappedKey, keys: EncryptionKeyPair): Uint8Array {
  const shared = x25519.getSharedSecret(keys.secretKey, w.ephemeralPublicKey);
  try {
    return xchacha20poly1305(
      kek(shared, w.ephemeralPublicKey, keys.publicKey),
      w.nonce,
      utf8.encode(w.recipient),
    ).decrypt(w.wrappedKey);
  } catch {
    throw new BttError("INVALID_MESSAGE", `the key wrapped for ${w.recipient} does not open with this key`);
  }
}

/** Encrypts a blob and wraps its key for each recipient (include the owner to read it back). */
export function sealRecord(
  plaintext: Uint8Array,
  recipients: ReadonlyArray<{ address: string; publicKey: Uint8Array }>,
) {
  const { blob, contentKey, sha256: hash } = encryptBlob(plaintext);
  const wrappedKeys = recipients.map((r) => wrapContentKey(contentKey, r.address, r.publicKey));
  return { blob, sha256: hash, contentKey, wrappedKeys };
}

/** Opens a blob with the key wrapped for `address` among a record's wrapped keys. */
export function openRecord(
  blob: Uint8Array,
  wrappedKeys: readonly WrappedKey[],
  address: string,
  keys: EncryptionKeyPair,
): Uint8Array {
  const mine = wrappedKeys.find((w) => w.recipient === address);
  if (!mine) throw new BttError("NOT_FOUND", `the record has no key wrapped for ${address}`);
  return decryptBlob(blob, unwrapContentKey(mine, keys));
}

/**
 * Shares a record with one more account: opens the content key wrapped for `holder` (the owner,
 * or anyone the record already names) and wraps it for `recipient`'s published key. The blob is
 * not touched; the result goes into records.addRecipient.
 */
export function rewrapContentKey(
  wrappedKeys: readonly WrappedKey[],
  holder: string,
  holderKeys: EncryptionKeyPair,
  recipient: string,
  recipientKey: Uint8Array,
): WrappedKey {
  const mine = wrappedKeys.find((w) => w.recipient === holder);
  if (!mine) throw new BttError("NOT_FOUND", `the record has no key wrapped for ${holder}`);
  return wrapContentKey(unwrapContentKey(mine, holderKeys), recipient, recipientKey);
}

/** A record's wrapped keys from the API's JSON (hex fields). */
export function wrappedKeysFromJson(list: ReadonlyArray<Record<string, string>>): WrappedKey[] {
  const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
  return list.map((o) => ({
    recipient: o.recipient!,
    ephemeralPublicKey: hex(o.ephemeral_public_key!),
    wrappedKey: hex(o.wrapped_key!),
    nonce: hex(o.nonce!),
  }));
}

/** The domain prefix of a signed blob request: such a signature is useless as a tx signature. */
export const BLOB_REQUEST_DOMAIN = "btt/blob-request/v1";

/** The bytes a blob request's signature covers. */
export function blobRequestBytes(
  method: string,
  path: string,
  timestampMs: string,
  nonce: string,
): Uint8Array {
  return utf8.encode(`${BLOB_REQUEST_DOMAIN}\n${method.toUpperCase()}\n${path}\n${timestampMs}\n${nonce}`);
}

/**
 * Headers proving control of `signer`'s account for one request (GET /v1/blobs/…): the gateway
 * refuses a timestamp more than 60 s off and a nonce it has already seen.
 */
export function signedRequestHeaders(
  signer: Signer,
  method: string,
  path: string,
  opts: { nowMs?: number; nonce?: string; purpose?: string } = {},
): Record<string, string> {
  const timestamp = String(opts.nowMs ?? Date.now());
  const nonce = opts.nonce ?? toHex(randomBytes(16));
  const key = signer.publicKey.key.value as Uint8Array;
  return {
    "x-btt-address": signer.address,
    "x-btt-key-type": signer.type,
    "x-btt-public-key": toHex(key),
    "x-btt-timestamp": timestamp,
    "x-btt-nonce": nonce,
    "x-btt-signature": toHex(signer.sign(blobRequestBytes(method, path, timestamp, nonce))),
    ...(opts.purpose ? { "x-btt-purpose": opts.purpose } : {}),
  };
}

/** Builders of the records module's messages, checked with the chain's rules before signing. */
export const records = {
  register(p: {
    id: string;
    blobSha256: string;
    dataClass: string;
    jurisdiction: string;
    wrappedKeys: readonly WrappedKey[];
    /** The 32-byte root of the record's field commitment (see disclosure.ts), to commit it now. */
    disclosureRoot?: Uint8Array;
  }): Msg {
    for (const [i, w] of p.wrappedKeys.entries()) requireWrappedKey(w, `wrappedKeys[${i}]`);
    if (p.disclosureRoot) requireDisclosureRoot(p.disclosureRoot, "disclosureRoot");
    return recordsMsg.register({
      id: requireRecordId(p.id, "id"),
      blobSha256: requireSha256Hex(p.blobSha256, "blobSha256"),
      dataClass: requireDataClass(p.dataClass, "dataClass"),
      jurisdiction: requireJurisdiction(p.jurisdiction),
      wrappedKeys: p.wrappedKeys,
      ...(p.disclosureRoot ? { disclosureRoot: p.disclosureRoot } : {}),
    });
  },
  /** Commit (or replace) the root a record's field disclosures are checked against (owner only). */
  setDisclosureRoot(id: string, root: Uint8Array | string): Msg {
    const bytes = typeof root === "string" ? hexBytes(root) : root;
    return recordsMsg.setDisclosureRoot(requireRecordId(id, "id"), requireDisclosureRoot(bytes));
  },
  addRecipient(id: string, key: WrappedKey): Msg {
    return recordsMsg.addRecipient(requireRecordId(id, "id"), requireWrappedKey(key));
  },
  removeRecipient(id: string, recipient: string): Msg {
    decodeAddress(recipient, "recipient");
    return recordsMsg.removeRecipient(requireRecordId(id, "id"), recipient);
  },
  setEncryptionKey(publicKey: Uint8Array): Msg {
    return recordsMsg.setEncryptionKey(requireX25519Key(publicKey));
  },
};

function hexBytes(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex))
    throw new BttError("INVALID_MESSAGE", "root must be hex", { field: "root" });
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}
