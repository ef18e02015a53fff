import { fromHex, toHex } from "@btt/core";
import type { DataClass } from "../compliance/rules.ts";
import { canonicalJson } from "../framework/params.ts";
import type { EncryptedRecord, PrivatePayment, WrappedKeyEntry } from "./types.ts";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

export function wrappedKeyJson(w: WrappedKeyEntry): Record<string, string> {
  return {
    recipient: w.recipient,
    ephemeral_public_key: toHex(w.ephemeralPublicKey),
    wrapped_key: toHex(w.wrappedKey),
    nonce: toHex(w.nonce),
  };
}

export function wrappedKeyFromJson(o: Record<string, string>): WrappedKeyEntry {
  return {
    recipient: o.recipient!,
    ephemeralPublicKey: fromHex(o.ephemeral_public_key!),
    wrappedKey: fromHex(o.wrapped_key!),
    nonce: fromHex(o.nonce!),
  };
}

export function recordJson(r: EncryptedRecord): Record<string, unknown> {
  return {
    id: r.id,
    blob_sha256: r.blobSha256,
    owner: r.owner,
    data_class: r.dataClass,
    jurisdiction: r.jurisdiction,
    wrapped_keys: r.wrappedKeys.map(wrappedKeyJson),
    rule: r.rule,
    created_at_ms: r.createdAtMs.toString(),
    height: r.height.toString(),
    // Only when set, so records without one keep their original encoding.
    ...(r.disclosureRoot ? { disclosure_root: toHex(r.disclosureRoot) } : {}),
  };
}

export const encodeRecord = (r: EncryptedRecord) => utf8.encode(canonicalJson(recordJson(r)));

export function recordFromJson(o: Record<string, unknown>): EncryptedRecord {
  return {
    id: o.id as string,
    blobSha256: o.blob_sha256 as string,
    owner: o.owner as string,
    dataClass: o.data_class as DataClass,
    jurisdiction: o.jurisdiction as string,
    wrappedKeys: (o.wrapped_keys as Array<Record<string, string>>).map(wrappedKeyFromJson),
    rule: o.rule as string,
    createdAtMs: BigInt(o.created_at_ms as string),
    height: BigInt(o.height as string),
    ...(typeof o.disclosure_root === "string" ? { disclosureRoot: fromHex(o.disclosure_root) } : {}),
  };
}

export const decodeRecord = (bytes: Uint8Array) => recordFromJson(JSON.parse(utf8Decoder.decode(bytes)));

export function privatePaymentJson(p: PrivatePayment): Record<string, unknown> {
  return {
    tx_hash: toHex(p.txHash),
    sender: p.sender,
    to: p.to,
    amount: p.amount,
    ciphertext: toHex(p.ciphertext),
    nonce: toHex(p.nonce),
    wrapped_keys: p.wrappedKeys.map(wrappedKeyJson),
    commitment: toHex(p.commitment),
    view_rules: p.viewRules,
    height: p.height.toString(),
  };
}

export function privatePaymentFromJson(o: Record<string, unknown>): PrivatePayment {
  return {
    txHash: fromHex(o.tx_hash as string),
    sender: o.sender as string,
    to: o.to as string,
    amount: o.amount as string,
    ciphertext: fromHex(o.ciphertext as string),
    nonce: fromHex(o.nonce as string),
    wrappedKeys: (o.wrapped_keys as Array<Record<string, string>>).map(wrappedKeyFromJson),
    commitment: fromHex(o.commitment as string),
    viewRules: o.view_rules as string[],
    height: BigInt(o.height as string),
  };
}

export const encodePrivatePayment = (p: PrivatePayment) => utf8.encode(canonicalJson(privatePaymentJson(p)));
export const decodePrivatePayment = (bytes: Uint8Array) =>
  privatePaymentFromJson(JSON.parse(utf8Decoder.decode(bytes)));
