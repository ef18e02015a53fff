import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BttError, toHex } from "@btt/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Keyring } from "../src/keyring/keyring.ts";

const seed = (byte: number) => new Uint8Array(32).fill(byte);
const PASS = "correct horse battery";

async function rejection(p: Promise<unknown>): Promise<BttError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BttError);
  return err as BttError;
}

describe("Keyring", () => {
  let dir: string;
  let keyring: Keyring;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "btt-keyring-"));
    keyring = new Keyring(join(dir, "keyring"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("round-trips an Ed25519 key and its mnemonic; the file holds neither in clear", async () => {
    const mnemonic = "abandon ability able about above absent absorb abstract absurd abuse access accident";
    const file = await keyring.add("ana", "ed25519", { seed: seed(7), mnemonic }, PASS);
    const { signer, secret } = await keyring.unlock("ana", PASS);
    expect(secret.mnemonic).toBe(mnemonic);
    expect(toHex(secret.seed)).toBe(toHex(seed(7)));
    expect(signer.address).toBe(file.address);
    expect(keyring.list().map((k) => [k.name, k.type, k.address])).toEqual([
      ["ana", "ed25519", file.address],
    ]);

    const text = readFileSync(keyring.path("ana"), "utf8");
    expect(text).not.toContain(toHex(seed(7)));
    expect(text).not.toContain("abandon");
    expect(JSON.parse(text)).toMatchObject({
      format: "btt-keyring",
      version: 1,
      kdf: { name: "scrypt", n: 32768 },
    });
    expect(statSync(keyring.path("ana")).mode & 0o777).toBe(0o600);
  });

  it("round-trips an ML-DSA-65 key imported from a seed (no mnemonic)", async () => {
    const file = await keyring.add("pq", "ml-dsa-65", { seed: seed(9) }, PASS);
    expect(file.public_key.length).toBe(1952 * 2);
    const { signer, secret } = await keyring.unlock("pq", PASS);
    expect(secret.mnemonic).toBeUndefined();
    expect(signer.type).toBe("ml-dsa-65");
    expect(signer.address).toBe(file.address);
  });

  it("says 'wrong passphrase for key <name>' for a wrong passphrase", async () => {
    await keyring.add("ana", "ed25519", { seed: seed(1) }, PASS);
    const err = await rejection(keyring.unlock("ana", "not the passphrase"));
    expect(err.message).toBe("wrong passphrase for key ana");
    expect(err.code).toBe("UNAUTHORIZED");
  });

  it("refuses a file whose ciphertext, address or KDF salt was edited", async () => {
    const file = await keyring.add("ana", "ed25519", { seed: seed(2) }, PASS);
    const other = await new Keyring(join(dir, "other")).add("ana", "ed25519", { seed: seed(3) }, PASS);
    const edits: Array<Partial<typeof file>> = [
      // one flipped bit in the sealed secret
      { ciphertext: file.ciphertext.replace(/^./, (c) => (c === "0" ? "1" : "0")) },
      // someone swaps in another address to receive funds meant for this key
      { address: other.address },
      { public_key: other.public_key },
      { created_at: "2001-01-01T00:00:00.000Z" },
    ];
    for (const edit of edits) {
      writeFileSync(keyring.path("ana"), JSON.stringify({ ...file, ...edit }));
      const err = await rejection(keyring.unlock("ana", PASS));
      expect(err.message).toMatch(/^key file for ana is damaged or was tampered with/);
    }
    // a changed salt changes the derived key: it reads as a wrong passphrase, still no secret out
    writeFileSync(
      keyring.path("ana"),
      JSON.stringify({ ...file, kdf: { ...file.kdf, salt: other.kdf.salt } }),
    );
    await rejection(keyring.unlock("ana", PASS));
  });

  it("refuses malformed files naming the field, and a weakened KDF", async () => {
    const file = await keyring.add("ana", "ed25519", { seed: seed(4) }, PASS);
    const cases: Array<[unknown, RegExp]> = [
      ["not json", /not a JSON object/],
      [{ ...file, version: 2 }, /version 2 is not supported/],
      [{ ...file, name: "bob" }, /names key "bob"/],
      [{ ...file, type: "rsa" }, /"type" rsa is unknown/],
      [{ ...file, kdf: { ...file.kdf, n: 1024 } }, /"kdf.n" must be a power of two/],
      [{ ...file, cipher: { ...file.cipher, nonce: "00" } }, /"cipher.nonce" is not 12 bytes/],
    ];
    for (const [content, reason] of cases) {
      writeFileSync(keyring.path("ana"), typeof content === "string" ? content : JSON.stringify(content));
      expect(() => keyring.get("ana")).toThrow(reason);
    }
  });

  it("reports a missing key, refuses duplicates and names that could leave the directory", async () => {
    await expect(keyring.unlock("nobody", PASS)).rejects.toThrow(
      /^no key named "nobody" in .*; see btt keys list$/,
    );
    expect(() => keyring.delete("nobody")).toThrow(/no key named "nobody"/);
    await keyring.add("ana", "ed25519", { seed: seed(5) }, PASS);
    await expect(keyring.add("ana", "ed25519", { seed: seed(6) }, PASS)).rejects.toThrow(/already exists/);
    expect(() => keyring.get("../ana")).toThrow(/key name "..\/ana" must be/);
    keyring.delete("ana");
    expect(keyring.list()).toEqual([]);
  });
});
