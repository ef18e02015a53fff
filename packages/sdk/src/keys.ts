// Keys from a BIP-39 mnemonic. Ed25519 keys follow SLIP-0010 (the ed25519 variant of BIP-32: hardened
// derivation only); ML-DSA-65 has no HD scheme, so its 32-byte key seed is HKDF-derived from the
// same BIP-39 seed. The signers are @btt/core's, so they sign exactly as the node verifies.
import { BttError, ed25519Signer, fromHex, mlDsa65Signer, type Signer } from "@btt/core";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import {
  generateMnemonic as bip39Generate,
  validateMnemonic as bip39Validate,
  mnemonicToSeedSync,
} from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";

/**
 * BTT's BIP-44 coin type. PROVISIONAL: 9999 is not registered in SLIP-0044; if a registered number
 * replaces it, keys derived under this one stay reachable by passing `coinType: 9999`.
 */
export const BTT_COIN_TYPE = 9999;

/** HKDF info prefix of ML-DSA-65 key seeds (followed by the u32 big-endian account index). */
export const ML_DSA_65_DOMAIN = "btt/ml-dsa-65/v1";

export type SingleKeyType = Signer["type"];

const HARDENED = 0x80000000;
const utf8 = new TextEncoder();

function invalid(field: string, message: string): never {
  throw new BttError("INVALID_MESSAGE", message, { field });
}

/** A new English BIP-39 mnemonic: 24 words (256 bits) by default, or 12 (128 bits). */
export function generateMnemonic(words: 12 | 24 = 24): string {
  if (words !== 12 && words !== 24) invalid("words", "a mnemonic has 12 or 24 words");
  return bip39Generate(wordlist, words === 24 ? 256 : 128);
}

/** Single spaces, lower case: how a person's typing becomes the BIP-39 sentence. */
export function normalizeMnemonic(mnemonic: string): string {
  return mnemonic.trim().toLowerCase().split(/\s+/).join(" ");
}

export function validateMnemonic(mnemonic: string): boolean {
  return bip39Validate(normalizeMnemonic(mnemonic), wordlist);
}

/** The 64-byte BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds) of a checked mnemonic and optional passphrase. */
export function mnemonicToSeed(mnemonic: string, passphrase = ""): Uint8Array {
  const sentence = normalizeMnemonic(mnemonic);
  if (!bip39Validate(sentence, wordlist)) {
    invalid("mnemonic", "mnemonic is not a valid English BIP-39 phrase (unknown word or bad checksum)");
  }
  return mnemonicToSeedSync(sentence, passphrase);
}

/** Parses "m/44'/9999'/0'/0'/0'" (hardened marks ' or h) into child indexes; SLIP-0010 ed25519 allows only hardened ones. */
export function parsePath(path: string): number[] {
  const parts = path.split("/");
  if (parts[0] !== "m") invalid("path", `derivation path "${path}" must start with "m"`);
  return parts.slice(1).map((part) => {
    const m = /^(0|[1-9][0-9]{0,9})['hH]$/.exec(part);
    const index = m ? Number(m[1]) : Number.NaN;
    if (!m || index >= HARDENED) {
      invalid("path", `"${part}" in "${path}" must be a hardened index below 2^31, like 0'`);
    }
    return index + HARDENED;
  });
}

/** SLIP-0010 ed25519 derivation: the 32-byte private key (an Ed25519 seed) and chain code at `path`. */
export function slip10Ed25519(
  seed: Uint8Array,
  path: string | readonly number[],
): {
  key: Uint8Array;
  chainCode: Uint8Array;
} {
  if (seed.length < 16 || seed.length > 64) invalid("seed", "a SLIP-0010 seed has 16 to 64 bytes");
  const indexes = typeof path === "string" ? parsePath(path) : path;
  let node = hmac(sha512, utf8.encode("ed25519 seed"), seed);
  for (const index of indexes) {
    if (!Number.isInteger(index) || index < HARDENED || index > 0xffffffff) {
      invalid("path", "SLIP-0010 ed25519 derives hardened children only (index ≥ 2^31)");
    }
    const data = new Uint8Array(37);
    data.set(node.subarray(0, 32), 1);
    new DataView(data.buffer).setUint32(33, index, false);
    node = hmac(sha512, node.subarray(32), data);
  }
  return { key: node.slice(0, 32), chainCode: node.slice(32) };
}

export interface DeriveOptions {
  /** Account index, the last path element (default 0). */
  index?: number;
  /** BIP-39 passphrase (default none). */
  passphrase?: string;
  /** Defaults to BTT_COIN_TYPE. */
  coinType?: number;
}

function checkIndex(index: number, field: string): number {
  if (!Number.isInteger(index) || index < 0 || index >= HARDENED) {
    invalid(field, `${field} must be an integer from 0 to 2^31-1`);
  }
  return index;
}

/** m/44'/<coin type>'/0'/0'/<index>': every level hardened, as SLIP-0010 ed25519 requires. */
export function ed25519Path(index = 0, coinType = BTT_COIN_TYPE): string {
  return `m/44'/${checkIndex(coinType, "coinType")}'/0'/0'/${checkIndex(index, "index")}'`;
}

/**
 * The ML-DSA-65 key seed of account `index`:
 * HKDF-SHA256(ikm = BIP-39 seed, salt = none, info = "btt/ml-dsa-65/v1" ‖ u32 BE index, 32 bytes).
 */
export function mlDsa65SeedFromBip39Seed(seed: Uint8Array, index = 0): Uint8Array {
  const domain = utf8.encode(ML_DSA_65_DOMAIN);
  const info = new Uint8Array(domain.length + 4);
  info.set(domain, 0);
  new DataView(info.buffer).setUint32(domain.length, checkIndex(index, "index"), false);
  return hkdf(sha256, seed, undefined, info, 32);
}

/** The signer of account `index` of a mnemonic, Ed25519 (SLIP-0010) or ML-DSA-65 (HKDF). */
export function signerFromMnemonic(
  mnemonic: string,
  opts: DeriveOptions & { type?: SingleKeyType } = {},
): Signer {
  const seed = mnemonicToSeed(mnemonic, opts.passphrase);
  const index = opts.index ?? 0;
  if ((opts.type ?? "ed25519") === "ed25519") {
    return ed25519Signer(slip10Ed25519(seed, ed25519Path(index, opts.coinType)).key);
  }
  if (opts.type === "ml-dsa-65") return mlDsa65Signer(mlDsa65SeedFromBip39Seed(seed, index));
  return invalid("type", `key type must be "ed25519" or "ml-dsa-65", not "${opts.type}"`);
}

/** A signer from its raw 32-byte key seed in hex (what `Signer.seed` holds, e.g. a key export). */
export function signerFromSeedHex(seedHex: string, type: SingleKeyType = "ed25519"): Signer {
  const hex = seedHex.trim().replace(/^0x/i, "");
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) invalid("seed", "a key seed is 32 bytes written as 64 hex digits");
  const seed = fromHex(hex);
  if (type === "ed25519") return ed25519Signer(seed);
  if (type === "ml-dsa-65") return mlDsa65Signer(seed);
  return invalid("type", `key type must be "ed25519" or "ml-dsa-65", not "${type}"`);
}

/** A signer with a fresh random key (not recoverable from a mnemonic). */
export function randomSigner(type: SingleKeyType = "ed25519"): Signer {
  if (type === "ed25519") return ed25519Signer(randomBytes(32));
  if (type === "ml-dsa-65") return mlDsa65Signer(randomBytes(32));
  return invalid("type", `key type must be "ed25519" or "ml-dsa-65", not "${type}"`);
}
