import { createHmac, hkdfSync } from "node:crypto";
import { addressOf, toHex, verifySignature } from "@btt/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  BTT_COIN_TYPE,
  ed25519Path,
  generateMnemonic,
  mnemonicToSeed,
  parsePath,
  randomSigner,
  signerFromMnemonic,
  signerFromSeedHex,
  slip10Ed25519,
  validateMnemonic,
} from "../src/index.ts";
import { codeOf } from "./helpers.ts";

const ABANDON =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

describe("BIP-39", () => {
  test("published vector: abandon…about with passphrase TREZOR", () => {
    expect(toHex(mnemonicToSeed(ABANDON, "TREZOR"))).toBe(
      "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04",
    );
    // Typing noise (case, extra spaces) does not change the seed.
    expect(toHex(mnemonicToSeed(`  ${ABANDON.toUpperCase().replaceAll(" ", "   ")} `, "TREZOR"))).toBe(
      toHex(mnemonicToSeed(ABANDON, "TREZOR")),
    );
  });

  test("generated mnemonics have 24 or 12 words and validate", () => {
    const m24 = generateMnemonic();
    const m12 = generateMnemonic(12);
    expect(m24.split(" ")).toHaveLength(24);
    expect(m12.split(" ")).toHaveLength(12);
    expect(validateMnemonic(m24) && validateMnemonic(m12)).toBe(true);
    expect(m24).not.toBe(generateMnemonic());
  });

  test("rejects a bad checksum, an unknown word, a wrong length", () => {
    const badChecksum = ABANDON.replace(/about$/, "abandon");
    for (const m of [badChecksum, ABANDON.replace("about", "aboutt"), "abandon about", ""]) {
      expect(validateMnemonic(m)).toBe(false);
      expect(codeOf(() => mnemonicToSeed(m))).toBe("INVALID_MESSAGE");
      expect(codeOf(() => signerFromMnemonic(m))).toBe("INVALID_MESSAGE");
    }
  });
});

describe("SLIP-0010 ed25519", () => {
  // SLIP-0010 test vector 1 for ed25519 (seed 000102030405060708090a0b0c0d0e0f).
  const seed = fromHex("000102030405060708090a0b0c0d0e0f");
  const vectors = [
    {
      path: "m",
      chainCode: "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb",
      key: "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7",
      publicKey: "00a4b2856bfec510abab89753fac1ac0e1112364e7d250545963f135f2a33188ed",
    },
    {
      path: "m/0'",
      chainCode: "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69",
      key: "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3",
      publicKey: "008c8a13df77a28f3445213a0f432fde644acaa215fc72dcdf300d5efaa85d350c",
    },
    {
      path: "m/0'/1'",
      chainCode: "a320425f77d1b5c2505a6b1b27382b37368ee640e3557c315416801243552f14",
      key: "b1d0bad404bf35da785a64ca1ac54b2617211d2777696fbffaf208f746ae84f2",
      publicKey: "001932a5270f335bed617d5b935c80aedb1a35bd9fc1e31acafd5372c30f5c1187",
    },
  ];

  test.each(vectors)("published vector 1, chain $path", (v) => {
    const node = slip10Ed25519(seed, v.path);
    expect(toHex(node.key)).toBe(v.key);
    expect(toHex(node.chainCode)).toBe(v.chainCode);
    // SLIP-0010 prints ed25519 public keys with a 0x00 prefix.
    const signer = signerFromSeedHex(v.key);
    const pub = signer.publicKey.key.value as Uint8Array;
    expect(`00${toHex(pub)}`).toBe(v.publicKey);
  });

  test("agrees with an independent derivation on node:crypto HMAC for random seeds and paths", () => {
    const reference = (s: Uint8Array, path: number[]) => {
      let I = createHmac("sha512", "ed25519 seed").update(s).digest();
      for (const i of path) {
        const data = Buffer.alloc(37);
        I.copy(data, 1, 0, 32);
        data.writeUInt32BE(i, 33);
        I = createHmac("sha512", I.subarray(32)).update(data).digest();
      }
      return I;
    };
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { maxLength: 6 }),
        (s, indexes) => {
          const path = `m${indexes.map((i) => `/${i}'`).join("")}`;
          const want = reference(
            s,
            indexes.map((i) => i + 0x80000000),
          );
          const got = slip10Ed25519(s, path);
          expect(toHex(got.key)).toBe(want.subarray(0, 32).toString("hex"));
          expect(toHex(got.chainCode)).toBe(want.subarray(32).toString("hex"));
        },
      ),
      { numRuns: 50 },
    );
  });

  test("paths: hardened only, below 2^31, starting at m", () => {
    expect(ed25519Path(3)).toBe(`m/44'/${BTT_COIN_TYPE}'/0'/0'/3'`);
    expect(parsePath("m/44h/1H/0'")).toEqual([0x8000002c, 0x80000001, 0x80000000]);
    for (const bad of ["m/0", "44'/0'", "m/2147483648'", "m/-1'", "m/01'", "m//0'", "m/0'/x'"]) {
      expect(codeOf(() => parsePath(bad))).toBe("INVALID_MESSAGE");
    }
    expect(codeOf(() => slip10Ed25519(seed, [0]))).toBe("INVALID_MESSAGE");
    expect(codeOf(() => slip10Ed25519(new Uint8Array(15), "m"))).toBe("INVALID_MESSAGE");
    expect(codeOf(() => ed25519Path(-1))).toBe("INVALID_MESSAGE");
    expect(codeOf(() => ed25519Path(2 ** 31))).toBe("INVALID_MESSAGE");
  });
});

describe("signers from a mnemonic", () => {
  test("Ed25519 account i is SLIP-0010 at m/44'/9999'/0'/0'/i' of the BIP-39 seed", () => {
    const seed = mnemonicToSeed(ABANDON);
    for (const index of [0, 1, 7]) {
      const signer = signerFromMnemonic(ABANDON, { index });
      expect(toHex(signer.seed)).toBe(toHex(slip10Ed25519(seed, ed25519Path(index)).key));
      expect(signer.address).toBe(addressOf(signer.publicKey));
      expect(signer.address).toMatch(/^btt1/);
    }
    expect(signerFromMnemonic(ABANDON).address).not.toBe(signerFromMnemonic(ABANDON, { index: 1 }).address);
    expect(signerFromMnemonic(ABANDON).address).not.toBe(
      signerFromMnemonic(ABANDON, { passphrase: "x" }).address,
    );
    // The coin type is part of the path.
    expect(signerFromMnemonic(ABANDON, { coinType: 118 }).address).not.toBe(
      signerFromMnemonic(ABANDON).address,
    );
  });

  test("ML-DSA-65 key seed is HKDF-SHA256(BIP-39 seed, info = domain ‖ u32 index), checked against node:crypto", () => {
    const seed = mnemonicToSeed(ABANDON);
    for (const index of [0, 5]) {
      const info = Buffer.concat([Buffer.from("btt/ml-dsa-65/v1"), Buffer.from([0, 0, 0, index])]);
      const want = Buffer.from(hkdfSync("sha256", seed, Buffer.alloc(0), info, 32)).toString("hex");
      const signer = signerFromMnemonic(ABANDON, { type: "ml-dsa-65", index });
      expect(signer.type).toBe("ml-dsa-65");
      expect(toHex(signer.seed)).toBe(want);
    }
    const a = signerFromMnemonic(ABANDON, { type: "ml-dsa-65" });
    const b = signerFromMnemonic(ABANDON, { type: "ml-dsa-65" });
    expect(a.address).toBe(b.address);
    expect(a.address).not.toBe(signerFromMnemonic(ABANDON).address);
  });

  test("signers sign what core verifies", () => {
    const message = new TextEncoder().encode("btt");
    for (const signer of [
      signerFromMnemonic(ABANDON),
      signerFromMnemonic(ABANDON, { type: "ml-dsa-65" }),
      randomSigner(),
      randomSigner("ml-dsa-65"),
    ]) {
      const sig = signer.sign(message);
      expect(verifySignature(signer.publicKey, message, sig)).toBe(true);
      expect(verifySignature(signer.publicKey, Uint8Array.of(1), sig)).toBe(false);
    }
  });

  test("import from a raw seed: 64 hex digits, either key type, round-trips the seed", () => {
    const signer = signerFromMnemonic(ABANDON);
    expect(signerFromSeedHex(toHex(signer.seed)).address).toBe(signer.address);
    expect(signerFromSeedHex(`0x${toHex(signer.seed).toUpperCase()}`).address).toBe(signer.address);
    const pq = signerFromMnemonic(ABANDON, { type: "ml-dsa-65" });
    expect(signerFromSeedHex(toHex(pq.seed), "ml-dsa-65").address).toBe(pq.address);
    for (const bad of ["", "00", "zz".repeat(32), "0".repeat(63), "0".repeat(66)]) {
      expect(codeOf(() => signerFromSeedHex(bad))).toBe("INVALID_MESSAGE");
    }
    expect(codeOf(() => signerFromSeedHex("0".repeat(64), "rsa" as "ed25519"))).toBe("INVALID_MESSAGE");
  });
});
