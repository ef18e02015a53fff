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
  /** The root of the record's salted field tree (selective disclosure), when the owner set one. */
  disclosureRoot?: Uint8Array;
}

/**
 * A private payment as the chain keeps it: the public transfer, and details only the wrapped-key
 * recipients (the parties and the required regulators) can decrypt.
 */
export interface PrivatePayment {
  /** The hash of the tx that carried it (its id). */
  txHash: Uint8Array;
  sender: string;
  to: string;
  /** `<amount><denom>` coins, comma-separated, as bank events print them. */
  amount: string;
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  /** Sorted by recipient, each once. */
  wrappedKeys: WrappedKeyEntry[];
  commitment: Uint8Array;
  /** The `view_keys` rules that named the required regulators. */
  viewRules: string[];
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
export const DISCLOSURE_ROOT_BYTES = 32;
export const COMMITMENT_BYTES = 32;
export const AEAD_TAG_BYTES = 16;
export const SHA256_HEX = /^[0-9a-f]{64}$/;
