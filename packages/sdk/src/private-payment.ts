// Private payments, client side (browser-safe). The amount is public and moves like bank/Send; the
// details (invoice lines, diagnosis codes) are encrypted once under a random key with
// XChaCha20-Poly1305, and that key is wrapped (records crypto: X25519 + HKDF + XChaCha20-Poly1305)
// for the sender, the recipient and every regulator the chain's `view_keys` rules require.
//
//   plaintext  = salt(32) ‖ details            commitment = SHA-256(details ‖ salt)
//   AAD        = "btt/private-payment/v1\n" ‖ sender ‖ "\n" ‖ to ‖ "\n" ‖ amount ("5ubtt,…")
//
// The AAD ties the ciphertext to the public transfer: copied into another payment it no longer
// decrypts. The commitment lets a party show the details to someone else later (details + salt).
import { BttError, coin, decodeAddress, type Msg, MsgPrivatePaymentSchema } from "@btt/core";
import { type Amount, formatCoins, parseCoins, validateDenom } from "@btt/modules/bank/denoms";
import { recordsMsg } from "@btt/modules/records/builders";
import { requirePrivatePayload, requireSortedRecipients } from "@btt/modules/records/validation";
import { fromBinary } from "@bufbuild/protobuf";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/ciphers/utils.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { type AmountInput, toBaseUnits } from "./amounts.ts";
import {
  type EncryptionKeyPair,
  unwrapContentKey,
  type WrappedKey,
  wrapContentKey,
  wrappedKeysFromJson,
} from "./records.ts";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const AAD_DOMAIN = "btt/private-payment/v1";
const SALT_BYTES = 32;
const NONCE_BYTES = 24;

/** A private payment as the chain stores it (query records/private_payment), or as a tx carries it. */
export interface PrivatePaymentView {
  sender: string;
  to: string;
  /** As the chain prints coins: "5000000ubtt" or "1ubtt,2uusd" (sorted by denomination). */
  amount: string;
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  wrappedKeys: WrappedKey[];
  commitment: Uint8Array;
}

/** The JSON of query records/private_payment (hex fields). */
export interface PrivatePaymentJson {
  tx_hash: string;
  sender: string;
  to: string;
  amount: string;
  ciphertext: string;
  nonce: string;
  wrapped_keys: Array<Record<string, string>>;
  commitment: string;
  view_rules: string[];
  height: string;
}

/** An account that can read the details: its address and its published X25519 key. */
export interface Reader {
  address: string;
  publicKey: Uint8Array;
}

export interface OpenedPayment {
  /** The details' bytes; `json` holds them parsed when they are JSON. */
  details: Uint8Array;
  json?: unknown;
  salt: Uint8Array;
}

const aad = (sender: string, to: string, amount: string) =>
  utf8.encode(`${AAD_DOMAIN}\n${sender}\n${to}\n${amount}`);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** SHA-256(details ‖ salt): what the chain stores and a revealed (details, salt) must match. */
export function paymentCommitment(details: Uint8Array, salt: Uint8Array): Uint8Array {
  return sha256(concat(details, salt));
}

function amountsOf(
  input: { denom: string; amount: AmountInput } | ReadonlyArray<{ denom: string; amount: AmountInput }>,
) {
  const list = Array.isArray(input) ? input : [input as { denom: string; amount: AmountInput }];
  const amounts: Amount[] = list.map((c, i) => {
    validateDenom(c.denom);
    return { denom: c.denom, amount: toBaseUnits(c.amount, undefined, `amount[${i}]`) };
  });
  amounts.sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
  return parseCoins(amounts.map((a) => coin(a.denom, a.amount)));
}

const detailBytes = (details: unknown) =>
  details instanceof Uint8Array ? details : utf8.encode(JSON.stringify(details));

export const privatePayment = {
  /**
   * Encrypts `details` for `readers` (the sender, the recipient and every required regulator:
   * ask the chain with query records/private_payment_viewers) and builds records/PrivatePayment.
   */
  build(p: {
    from: string;
    to: string;
    amount: { denom: string; amount: AmountInput } | ReadonlyArray<{ denom: string; amount: AmountInput }>;
    details: unknown;
    readers: readonly Reader[];
  }): { msg: Msg; view: PrivatePaymentView; salt: Uint8Array } {
    decodeAddress(p.from, "from");
    decodeAddress(p.to, "to");
    const amounts = amountsOf(p.amount);
    const amount = formatCoins(amounts);
    const details = detailBytes(p.details);
    const salt = randomBytes(SALT_BYTES);
    const key = randomBytes(32);
    const nonce = randomBytes(NONCE_BYTES);
    const ciphertext = xchacha20poly1305(key, nonce, aad(p.from, p.to, amount)).encrypt(
      concat(salt, details),
    );
    const unique = new Map(p.readers.map((r) => [r.address, r]));
    const wrappedKeys = [...unique.values()]
      .map((r) => wrapContentKey(key, r.address, r.publicKey))
      .sort((a, b) => (a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0));
    const view: PrivatePaymentView = {
      sender: p.from,
      to: p.to,
      amount,
      ciphertext,
      nonce,
      wrappedKeys,
      commitment: paymentCommitment(details, salt),
    };
    requirePrivatePayload(view);
    requireSortedRecipients(wrappedKeys);
    return { msg: recordsMsg.privatePayment({ ...view, amounts }), view, salt };
  },

  /** The stored payment from the query's JSON. */
  fromJson(j: PrivatePaymentJson): PrivatePaymentView {
    return {
      sender: j.sender,
      to: j.to,
      amount: j.amount,
      ciphertext: hexToBytes(j.ciphertext),
      nonce: hexToBytes(j.nonce),
      wrappedKeys: wrappedKeysFromJson(j.wrapped_keys),
      commitment: hexToBytes(j.commitment),
    };
  },

  /** The payment a tx message carries (its signer is the sender). */
  fromMsg(sender: string, m: Msg): PrivatePaymentView {
    if (m.type !== "records/PrivatePayment")
      throw new BttError("INVALID_MESSAGE", `${m.type} is not a private payment`);
    const v = fromBinary(MsgPrivatePaymentSchema, m.value);
    return {
      sender,
      to: v.to,
      amount: formatCoins(parseCoins(v.amount)),
      ciphertext: v.ciphertext,
      nonce: v.nonce,
      wrappedKeys: v.wrappedKeys.map((w) => ({ ...w })),
      commitment: v.commitment,
    };
  },

  /**
   * Decrypts the details with the key wrapped for `address`, and checks they open the
   * commitment. Throws NOT_FOUND when nothing is wrapped for `address`, INVALID_MESSAGE when the
   * key does not open, the ciphertext was tampered with, or the commitment does not match.
   */
  open(
    payment: PrivatePaymentView | PrivatePaymentJson,
    address: string,
    keys: EncryptionKeyPair,
  ): OpenedPayment {
    const p = "tx_hash" in payment ? privatePayment.fromJson(payment) : payment;
    const mine = p.wrappedKeys.find((w) => w.recipient === address);
    if (!mine) throw new BttError("NOT_FOUND", `the payment has no key wrapped for ${address}`);
    const key = unwrapContentKey(mine, keys);
    let plaintext: Uint8Array;
    try {
      plaintext = xchacha20poly1305(key, p.nonce, aad(p.sender, p.to, p.amount)).decrypt(p.ciphertext);
    } catch {
      throw new BttError("INVALID_MESSAGE", "the payment's details do not decrypt: tampered ciphertext");
    }
    const salt = plaintext.subarray(0, SALT_BYTES);
    const details = plaintext.subarray(SALT_BYTES);
    if (bytesToHex(paymentCommitment(details, salt)) !== bytesToHex(p.commitment)) {
      throw new BttError("INVALID_MESSAGE", "the details do not open the payment's commitment");
    }
    let json: unknown;
    try {
      json = JSON.parse(utf8Decoder.decode(details));
    } catch {
      json = undefined;
    }
    return { details, salt, ...(json === undefined ? {} : { json }) };
  },
};
