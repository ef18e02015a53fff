// The records crypto against node:crypto as an independent oracle: the X25519 key derivation
// (HKDF of the seed) and the shared secret; builders refuse bad input before signing.
import { createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import { describe, expect, test } from "vitest";
import { signerFromSeedHex } from "../src/index.ts";
import {
  encryptionKeyFromSeed,
  openRecord,
  records,
  sealRecord,
  unwrapContentKey,
  wrapContentKey,
} from "../src/records.ts";

const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");
const nodeSecret = (raw: Uint8Array) =>
  createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: "der", type: "pkcs8" });

describe("records crypto", () => {
  const seed = new Uint8Array(32).map((_, i) => i + 1);

  test("the X25519 key is HKDF-SHA256(seed, info btt/x25519/v1), as node:crypto computes it", () => {
    const keys = encryptionKeyFromSeed(seed);
    const expected = new Uint8Array(hkdfSync("sha256", seed, new Uint8Array(), "btt/x25519/v1", 32));
    expect(keys.secretKey).toEqual(expected);
    const pub = createPublicKey(nodeSecret(keys.secretKey)).export({ format: "der", type: "spki" });
    expect(keys.publicKey).toEqual(new Uint8Array(pub.subarray(SPKI_X25519.length)));
    expect(encryptionKeyFromSeed(seed)).toEqual(keys);
    expect(() => encryptionKeyFromSeed(new Uint8Array(31))).toThrow(/32 bytes/);
  });

  test("a wrapped key opens for its recipient only; every recipient reads the same plaintext", () => {
    const a = signerFromSeedHex("0a".repeat(32));
    const b = signerFromSeedHex("0b".repeat(32));
    const ka = encryptionKeyFromSeed(a.seed);
    const kb = encryptionKeyFromSeed(b.seed);
    const text = new Uint8Array(100_000).map((_, i) => i % 251);
    const sealed = sealRecord(text, [
      { address: a.address, publicKey: ka.publicKey },
      { address: b.address, publicKey: kb.publicKey },
    ]);
    expect(openRecord(sealed.blob, sealed.wrappedKeys, a.address, ka)).toEqual(text);
    expect(openRecord(sealed.blob, sealed.wrappedKeys, b.address, kb)).toEqual(text);
    // b's key cannot open a's wrapped key, even relabelled.
    expect(() => unwrapContentKey({ ...sealed.wrappedKeys[0]!, recipient: b.address }, kb)).toThrow(
      /does not open/,
    );
    // The ECDH underneath agrees with node:crypto.
    const w = wrapContentKey(sealed.contentKey, a.address, ka.publicKey);
    const shared = diffieHellman({
      privateKey: nodeSecret(ka.secretKey),
      publicKey: createPublicKey({
        key: Buffer.concat([SPKI_X25519, w.ephemeralPublicKey]),
        format: "der",
        type: "spki",
      }),
    });
    expect(new Uint8Array(shared)).toEqual(x25519.getSharedSecret(ka.secretKey, w.ephemeralPublicKey));
    expect(unwrapContentKey(w, ka)).toEqual(sealed.contentKey);
  });

  test("builders refuse bad input, naming the field", () => {
    const a = signerFromSeedHex("0a".repeat(32));
    const base = {
      id: "r1",
      blobSha256: "00".repeat(32),
      dataClass: "imaging",
      jurisdiction: "DE",
      wrappedKeys: [],
    };
    expect(records.register(base).type).toBe("records/Register");
    expect(() => records.register({ ...base, blobSha256: "zz" })).toThrow(/blobSha256/);
    expect(() => records.register({ ...base, dataClass: "genome" })).toThrow(/dataClass/);
    expect(() => records.register({ ...base, jurisdiction: "XX" })).toThrow(/ISO 3166-1/);
    expect(() => records.register({ ...base, id: "" })).toThrow(/id must match/);
    expect(() => records.setEncryptionKey(new Uint8Array(32))).toThrow(/must not be zero/);
    expect(() =>
      wrapContentKey(new Uint8Array(32), "btt1nope", encryptionKeyFromSeed(a.seed).publicKey),
    ).toThrow();
  });
});
