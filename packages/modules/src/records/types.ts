import type { DataClass } from "../compliance/rules.ts";

/** A record's content key wrapped for one recipient (see the SDK's records crypto). */
export interface WrappedKeyEntry {
  recipient: string;
  ephemeralPublicKey: Uint8Array;
  wrappedKey: Uint8Array;
  nonce: Uint8Array;
}

/** The chain's pointer to an encrypted blob: who owns it, what it is, where it lives, who can open it. */
export interface EncryptedRecord {
  id: string;
  blobSha256: string;
  owner: string;
  dataClass: DataClass;
  jurisdiction: string;
  /** Sorted by recipient, each once. */
  wrappedKeys: WrappedKeyEntry[];
  /** The compliance rule that allowed storing the data class in the jurisdiction. */
  rule: string;
  createdAtMs: bigint;
  height: bigint;
}

/** How often a record's blob was served or refused (gateway audit entries). */
export interface AccessCounts {
  allowed: bigint;
  refused: bigint;
}

export const X25519_KEY_BYTES = 32;
export const WRAPPED_KEY_BYTES = 48;
export const WRAP_NONCE_BYTES = 24;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
