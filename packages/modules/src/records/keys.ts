// The records module's state keys ("records/" prefix included): r ‖ id → record; o ‖ owner(20) ‖
// id → 1 (records of an owner); k ‖ account(20) → X25519 public key; a ‖ id → access counts;
// t ‖ tx hash(32) → private payment ("p" would share a prefix with "params").
import { addressBytes } from "@btt/core";
import { joinKey } from "../identity/keys.ts";

const MODULE = new TextEncoder().encode("records/");
const utf8 = new TextEncoder();

export const RECORDS_PREFIX = joinKey(MODULE, Uint8Array.of(0x72));
export const KEYS_PREFIX = joinKey(MODULE, Uint8Array.of(0x6b));
export const PRIVATE_PAYMENTS_PREFIX = joinKey(MODULE, Uint8Array.of(0x74));

export const recordKey = (id: string) => joinKey(RECORDS_PREFIX, utf8.encode(id));
export const ownerPrefix = (owner: string) => joinKey(MODULE, Uint8Array.of(0x6f), addressBytes(owner));
export const ownerKey = (owner: string, id: string) => joinKey(ownerPrefix(owner), utf8.encode(id));
export const encryptionKeyKey = (account: string) => joinKey(KEYS_PREFIX, addressBytes(account));
export const accessKey = (id: string) => joinKey(MODULE, Uint8Array.of(0x61), utf8.encode(id));
export const privatePaymentKey = (txHash: Uint8Array) => joinKey(PRIVATE_PAYMENTS_PREFIX, txHash);
