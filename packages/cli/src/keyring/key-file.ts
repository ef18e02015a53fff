import { createCipheriv, createDecipheriv, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { BttError } from "@btt/core";

/**
 * One key of the keyring on disk, format `btt-keyring` version 1 (see packages/cli/README.md):
 * public fields in clear, the secret (seed and mnemonic) sealed with AES-256-GCM under a key
 * that scrypt derives from the passphrase. The public fields are the cipher's associated
 * data, so editing the address or type breaks the seal like editing the ciphertext does.
 */
export interface KeyFile {
  format: "btt-keyring";
  version: 1;
  name: string;
  type: KeyType;
  address: string;
  /** Raw public key, hex. */
  public_key: string;
  created_at: string;
  kdf: { name: "scrypt"; n: number; r: number; p: number; salt: string };
  /** 16 bytes of the scrypt output that the cipher key does not use: tells a wrong passphrase from damage. */
  passphrase_check: string;
  cipher: { name: "aes-256-gcm"; nonce: string };
  /** Ciphertext of the secret's JSON followed by the 16-byte GCM tag, hex. */
  ciphertext: string;
}

export type KeyType = "ed25519" | "ml-dsa-65";
export const KEY_TYPES: readonly KeyType[] = ["ed25519", "ml-dsa-65"];

/** What the file keeps secret: the 32-byte key seed, and the mnemonic it came from if any. */
export interface KeySecret {
  seed: Uint8Array;
  mnemonic?: string;
}

export interface KeyPublic {
  name: string;
  type: KeyType;
  address: string;
  publicKey: string;
}

/** scrypt cost: N = 2^15, r = 8 (32 MiB, ~0.1 s here), per the OWASP minimum for interactive use. */
export const DEFAULT_SCRYPT = { n: 2 ** 15, r: 8, p: 1 } as const;
const MIN_N = 2 ** 15;
const MAX_N = 2 ** 20;

export async function sealKeyFile(
  pub: KeyPublic,
  secret: KeySecret,
  passphrase: string,
  now: Date = new Date(),
): Promise<KeyFile> {
  const salt = randomBytes(32);
  const nonce = randomBytes(12);
  const header = {
    format: "btt-keyring" as const,
    version: 1 as const,
    name: pub.name,
    type: pub.type,
    address: pub.address,
    public_key: pub.publicKey,
    created_at: now.toISOString(),
    kdf: { name: "scrypt" as const, ...DEFAULT_SCRYPT, salt: salt.toString("hex") },
    cipher: { name: "aes-256-gcm" as const, nonce: nonce.toString("hex") },
  };
  const derived = await deriveKey(passphrase, salt, DEFAULT_SCRYPT);
  const cipher = createCipheriv("aes-256-gcm", derived.subarray(0, 32), nonce);
  cipher.setAAD(associatedData(header));
  const plaintext = Buffer.from(JSON.stringify(secretJson(secret)));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  plaintext.fill(0);
  const check = derived.subarray(32, 48).toString("hex");
  derived.fill(0);
  return { ...header, passphrase_check: check, ciphertext: sealed.toString("hex") };
}

/** Opens a key file: throws "wrong passphrase for key <name>" or says the file is damaged. */
export async function openKeyFile(file: KeyFile, passphrase: string): Promise<KeySecret> {
  const derived = await deriveKey(passphrase, Buffer.from(file.kdf.salt, "hex"), file.kdf);
  try {
    const check = Buffer.from(file.passphrase_check, "hex");
    if (!timingSafeEqual(derived.subarray(32, 48), check)) {
      throw new BttError("UNAUTHORIZED", `wrong passphrase for key ${file.name}`, { key: file.name });
    }
    const sealed = Buffer.from(file.ciphertext, "hex");
    const decipher = createDecipheriv(
      "aes-256-gcm",
      derived.subarray(0, 32),
      Buffer.from(file.cipher.nonce, "hex"),
    );
    decipher.setAAD(associatedData(file));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
    } catch {
      throw damaged(file.name, "its contents do not match their seal");
    }
    return parseSecret(file.name, plaintext);
  } finally {
    derived.fill(0);
  }
}

/** Checks the shape of a parsed key file, so later steps can trust its fields. */
export function validateKeyFile(raw: unknown, name: string): KeyFile {
  const o = raw as Partial<KeyFile> | null;
  const fail = (what: string): never => {
    throw damaged(name, what);
  };
  if (!o || typeof o !== "object") return fail("it is not a JSON object");
  if (o.format !== "btt-keyring") fail('"format" is not "btt-keyring"');
  if (o.version !== 1) fail(`version ${String(o.version)} is not supported (this btt reads version 1)`);
  if (o.name !== name) fail(`it names key "${String(o.name)}"`);
  if (!KEY_TYPES.includes(o.type as KeyType)) fail(`"type" ${String(o.type)} is unknown`);
  for (const field of ["address", "public_key", "created_at", "passphrase_check", "ciphertext"] as const) {
    if (typeof o[field] !== "string") fail(`"${field}" is missing`);
  }
  const hex = (value: unknown, bytes: number | [number, number], field: string) => {
    const [min, max] = typeof bytes === "number" ? [bytes, bytes] : bytes;
    if (
      typeof value !== "string" ||
      !/^([0-9a-f]{2})*$/.test(value) ||
      value.length < 2 * min ||
      value.length > 2 * max
    )
      fail(`"${field}" is not ${min === max ? min : `${min} to ${max}`} bytes of hex`);
  };
  const kdf = o.kdf;
  if (kdf?.name !== "scrypt") return fail('"kdf.name" is not "scrypt"');
  const n = kdf.n;
  if (!Number.isInteger(n) || n < MIN_N || n > MAX_N || (n & (n - 1)) !== 0)
    fail(`"kdf.n" must be a power of two from 2^15 to 2^20`);
  if (!Number.isInteger(kdf.r) || kdf.r < 1 || kdf.r > 32) fail('"kdf.r" must be 1 to 32');
  if (!Number.isInteger(kdf.p) || kdf.p < 1 || kdf.p > 16) fail('"kdf.p" must be 1 to 16');
  hex(kdf.salt, [16, 64], "kdf.salt");
  if (o.cipher?.name !== "aes-256-gcm") fail('"cipher.name" is not "aes-256-gcm"');
  hex(o.cipher!.nonce, 12, "cipher.nonce");
  hex(o.passphrase_check, 16, "passphrase_check");
  hex(o.ciphertext, [17, 1 << 16], "ciphertext");
  hex(o.public_key, [32, 4096], "public_key");
  return o as KeyFile;
}

function damaged(name: string, why: string): BttError {
  return new BttError("INVALID_MESSAGE", `key file for ${name} is damaged or was tampered with: ${why}`, {
    key: name,
  });
}

// The public fields in a fixed order: what the seal authenticates besides the secret.
function associatedData(f: Omit<KeyFile, "passphrase_check" | "ciphertext">): Buffer {
  return Buffer.from(
    JSON.stringify([
      f.format,
      f.version,
      f.name,
      f.type,
      f.address,
      f.public_key,
      f.created_at,
      [f.kdf.name, f.kdf.n, f.kdf.r, f.kdf.p, f.kdf.salt],
      [f.cipher.name, f.cipher.nonce],
    ]),
  );
}

function deriveKey(
  passphrase: string,
  salt: Buffer,
  cost: { n: number; r: number; p: number },
): Promise<Buffer> {
  // NFKC so the same passphrase typed on two keyboards gives the same key.
  const password = Buffer.from(passphrase.normalize("NFKC"));
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      salt,
      64,
      { N: cost.n, r: cost.r, p: cost.p, maxmem: 256 * cost.n * cost.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

function secretJson(secret: KeySecret): Record<string, string> {
  return {
    seed: Buffer.from(secret.seed).toString("hex"),
    ...(secret.mnemonic ? { mnemonic: secret.mnemonic } : {}),
  };
}

function parseSecret(name: string, plaintext: Buffer): KeySecret {
  try {
    const o = JSON.parse(plaintext.toString("utf8")) as { seed?: unknown; mnemonic?: unknown };
    if (typeof o.seed !== "string" || !/^[0-9a-f]{64}$/.test(o.seed)) throw new Error();
    if (o.mnemonic !== undefined && typeof o.mnemonic !== "string") throw new Error();
    return {
      seed: new Uint8Array(Buffer.from(o.seed, "hex")),
      ...(o.mnemonic ? { mnemonic: o.mnemonic } : {}),
    };
  } catch {
    throw damaged(name, "the sealed secret is not a key seed");
  } finally {
    plaintext.fill(0);
  }
}
