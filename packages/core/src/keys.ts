import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ed25519KeyPair, randomBytes } from "#platform";
import { addressOf } from "./address.ts";
import { BttError } from "./errors.ts";
import {
  type MultisigKey,
  MultisigSignatureSchema,
  type PublicKey,
  PublicKeySchema,
} from "./gen/btt/tx/v1/tx_pb.ts";
import {
  ED25519_PUBLIC_KEY_BYTES,
  KIND_ED25519,
  KIND_ML_DSA_65,
  ML_DSA_65_PUBLIC_KEY_BYTES,
  verifySingleKey,
} from "./single-key-verify.js";

export type KeyType = "ed25519" | "ml-dsa-65" | "multisig";

export const MAX_MULTISIG_KEYS = 16;

/** Something that can sign for an account: a single key. Multisig accounts combine several. */
export interface Signer {
  readonly type: Exclude<KeyType, "multisig">;
  readonly publicKey: PublicKey;
  readonly address: string;
  /** Secret material: a 32-byte seed (Ed25519, ML-DSA-65). */
  readonly seed: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function keyTypeOf(key: PublicKey): KeyType {
  switch (key.key.case) {
    case "ed25519":
      return "ed25519";
    case "mlDsa65":
      return "ml-dsa-65";
    case "multisig":
      return "multisig";
    default:
      throw new BttError("MISSING_PUBLIC_KEY", "public key has no key set");
  }
}

export function ed25519Signer(seed: Uint8Array = randomBytes(32)): Signer {
  if (seed.length !== 32) throw new BttError("INVALID_MESSAGE", "an Ed25519 seed has 32 bytes");
  const pair = ed25519KeyPair(seed);
  const publicKey = create(PublicKeySchema, { key: { case: "ed25519", value: pair.publicKey } });
  return { type: "ed25519", publicKey, address: addressOf(publicKey), seed, sign: pair.sign };
}

export function mlDsa65Signer(seed: Uint8Array = randomBytes(32)): Signer {
  if (seed.length !== 32) throw new BttError("INVALID_MESSAGE", "an ML-DSA-65 seed has 32 bytes");
  const keys = ml_dsa65.keygen(seed);
  const publicKey = create(PublicKeySchema, { key: { case: "mlDsa65", value: keys.publicKey } });
  return {
    type: "ml-dsa-65",
    publicKey,
    address: addressOf(publicKey),
    seed,
    sign: (message) => ml_dsa65.sign(message, keys.secretKey),
  };
}

/** An m-of-n multisig public key over single keys (no nesting). */
export function multisigKey(threshold: number, keys: PublicKey[]): PublicKey {
  const multisig: MultisigKey = { $typeName: "btt.tx.v1.MultisigKey", threshold, keys };
  const key = create(PublicKeySchema, { key: { case: "multisig", value: multisig } });
  validatePublicKey(key);
  return key;
}

/** Combines single-key signatures (by key index) into a multisig signature. */
export function combineMultisig(key: PublicKey, signatures: Map<number, Uint8Array>): Uint8Array {
  if (key.key.case !== "multisig") throw new BttError("INVALID_MESSAGE", "not a multisig key");
  const n = key.key.value.keys.length;
  const signers = new Uint8Array(Math.ceil(n / 8));
  const ordered: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const sig = signatures.get(i);
    if (!sig) continue;
    signers[i >> 3]! |= 1 << (i & 7);
    ordered.push(sig);
  }
  return toBinary(MultisigSignatureSchema, create(MultisigSignatureSchema, { signers, signatures: ordered }));
}

/** Stateless checks of a public key: sizes, multisig threshold and shape. */
export function validatePublicKey(key: PublicKey, nested = false): void {
  switch (key.key.case) {
    case "ed25519":
      if (key.key.value.length !== ED25519_PUBLIC_KEY_BYTES) {
        throw new BttError("INVALID_MESSAGE", "an Ed25519 public key has 32 bytes");
      }
      return;
    case "mlDsa65":
      if (key.key.value.length !== ML_DSA_65_PUBLIC_KEY_BYTES) {
        throw new BttError("INVALID_MESSAGE", "an ML-DSA-65 public key has 1952 bytes");
      }
      return;
    case "multisig": {
      if (nested) throw new BttError("INVALID_MESSAGE", "multisig keys cannot be nested");
      const { threshold, keys } = key.key.value;
      if (keys.length < 1 || keys.length > MAX_MULTISIG_KEYS) {
        throw new BttError("INVALID_MESSAGE", `a multisig key has 1 to ${MAX_MULTISIG_KEYS} keys`);
      }
      if (threshold < 1 || threshold > keys.length) {
        throw new BttError("INVALID_MESSAGE", "multisig threshold must be between 1 and the number of keys");
      }
      for (const k of keys) validatePublicKey(k, true);
      return;
    }
    default:
      throw new BttError("MISSING_PUBLIC_KEY", "public key has no key set");
  }
}

/** One (key, signature) pair to check; a multisig signature expands into several. */
export interface SingleKeyCheck {
  kind: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/**
 * The single-key checks a signature needs, and how many must pass. Throws BAD_SIGNATURE
 * when the signature's shape cannot be right (so callers can skip the expensive part).
 */
export function signatureChecks(
  key: PublicKey,
  signature: Uint8Array,
): { checks: SingleKeyCheck[]; threshold: number } {
  switch (key.key.case) {
    case "ed25519":
      return { checks: [{ kind: KIND_ED25519, publicKey: key.key.value, signature }], threshold: 1 };
    case "mlDsa65":
      return { checks: [{ kind: KIND_ML_DSA_65, publicKey: key.key.value, signature }], threshold: 1 };
    case "multisig":
      return multisigChecks(key.key.value, signature);
    default:
      throw new BttError("MISSING_PUBLIC_KEY", "public key has no key set");
  }
}

function multisigChecks(
  key: MultisigKey,
  encoded: Uint8Array,
): { checks: SingleKeyCheck[]; threshold: number } {
  let sig: ReturnType<typeof fromBinary<typeof MultisigSignatureSchema>>;
  try {
    sig = fromBinary(MultisigSignatureSchema, encoded, { readUnknownFields: false });
  } catch {
    throw new BttError("BAD_SIGNATURE", "multisig signature does not decode");
  }
  const n = key.keys.length;
  if (sig.signers.length !== Math.ceil(n / 8)) {
    throw new BttError("BAD_SIGNATURE", "multisig signer bitmap has the wrong length");
  }
  const checks: SingleKeyCheck[] = [];
  for (let i = 0; i < sig.signers.length * 8; i++) {
    if (!(sig.signers[i >> 3]! & (1 << (i & 7)))) continue;
    const part = sig.signatures[checks.length];
    const single = key.keys[i];
    if (!single || !part)
      throw new BttError("BAD_SIGNATURE", "multisig signer bitmap and signatures disagree");
    checks.push(...signatureChecks(single, part).checks);
  }
  if (checks.length !== sig.signatures.length) {
    throw new BttError("BAD_SIGNATURE", "multisig signer bitmap and signatures disagree");
  }
  if (checks.length < key.threshold) {
    throw new BttError("BAD_SIGNATURE", `multisig needs ${key.threshold} signatures, has ${checks.length}`);
  }
  return { checks, threshold: key.threshold };
}

/** Verifies a signature by a public key over `message`, in this thread. Never throws. */
export function verifySignature(key: PublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const { checks } = signatureChecks(key, signature);
    return checks.every((c) => verifySingleKey(c.kind, c.publicKey, message, c.signature));
  } catch {
    return false;
  }
}
