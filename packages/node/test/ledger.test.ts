import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAmount, decodeTx, toHex } from "@btt/core";
import { balanceStateKey, bankMsg } from "@btt/modules";
import { decodeProof, verifyProof } from "@btt/state";
import { afterAll, describe, expect, it } from "vitest";
import { Ledger } from "../src/ledger.ts";
import { signedTx, testChain } from "./helpers.ts";

const tx = (bytes: Uint8Array) => ({ decoded: decodeTx(bytes), signatureVerified: false });

describe("ledger", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-ledger-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { genesis, validator, accounts } = testChain(3);
  const [alice, bob] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];

  it("proves balances against the app hash in each block header, at retained heights only", async () => {
    const ledger = new Ledger({ dataDir: join(dir, "a"), genesis, keepRecent: 3 });
    ledger.commitBlock([], 1000n, validator.address);
    const key = balanceStateKey(bob.address, "ubtt");
    const before = ledger.prove(key);
    ledger.commitBlock(
      [tx(signedTx(alice, 0n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 77n }])]))],
      2000n,
      validator.address,
    );
    const after = ledger.prove(key);
    expect(decodeAmount(after.value) - decodeAmount(before.value)).toBe(77n);
    for (const p of [before, after]) {
      const header = ledger.blocks.header(p.height)!;
      expect(toHex(p.appHash)).toBe(toHex(header.appHash));
      expect(verifyProof(header.appHash, p.key, p.value, decodeProof(p.proof))).toBe(true);
    }
    // The old proof does not verify against the new root, nor a wrong value.
    expect(verifyProof(ledger.blocks.header(2)!.appHash, key, before.value, decodeProof(before.proof))).toBe(
      false,
    );
    const absent = ledger.prove(Buffer.from("bank/b-no-such-key"));
    expect(absent.value).toBeUndefined();
    expect(verifyProof(absent.appHash, absent.key, undefined, decodeProof(absent.proof))).toBe(true);
    for (let t = 3n; t <= 6n; t++) ledger.commitBlock([], t * 1000n, validator.address);
    expect(() => ledger.prove(key, 1)).toThrow(/pruned|VERSION/i);
    await ledger.close();
  });

  it("refuses a data directory of another genesis", async () => {
    const other = testChain(4);
    const ledger = new Ledger({ dataDir: join(dir, "b"), genesis, keepRecent: 3 });
    ledger.commitBlock([], 1000n, validator.address);
    await ledger.close();
    expect(() => new Ledger({ dataDir: join(dir, "b"), genesis: other.genesis, keepRecent: 3 })).toThrow(
      /different genesis/,
    );
  });
});
