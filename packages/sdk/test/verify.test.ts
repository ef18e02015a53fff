// Proofs from a real Ledger (LMDB in a temp dir), in the API's JSON shapes, through the SDK's
// verifiers: every honest answer passes, every tampered variant throws ProofError.
import { decodeAmount, decodeTx, encodeAmount, toHex } from "@btt/core";
import { balanceStateKey } from "@btt/modules/bank/keys";
import { Ledger } from "@btt/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
// GET /v1/blocks/{height} exactly as the API writes it.
import { blockJson } from "../../api/src/views.ts";
import {
  type BalanceJson,
  type BlockJson,
  bank,
  ProofError,
  type StateJson,
  signerFromSeedHex,
  signTransaction,
  verifyBalance,
  verifyState,
} from "../src/index.ts";
import { codeOf, devGenesis, tempDir } from "./helpers.ts";

const CHAIN = "btt-sdk-verify-1";
const alice = signerFromSeedHex("11".repeat(32));
const bob = signerFromSeedHex("22".repeat(32));
const nobody = signerFromSeedHex("33".repeat(32)).address;
const validator = signerFromSeedHex("44".repeat(32));

const flipEachByte = (hex: string): string[] => {
  const out: string[] = [];
  for (let i = 0; i < hex.length; i += 2) {
    const byte = Number.parseInt(hex.slice(i, i + 2), 16) ^ 0x01;
    out.push(hex.slice(0, i) + byte.toString(16).padStart(2, "0") + hex.slice(i + 2));
  }
  return out;
};

describe("verified queries against a real ledger", () => {
  const dir = tempDir("verify");
  let ledger: Ledger;
  const blocks = new Map<number, BlockJson>();

  function balanceJson(address: string, denom: string, height?: number): BalanceJson {
    const key = balanceStateKey(address, denom);
    const p = ledger.prove(key, height);
    return {
      address,
      denom,
      amount: decodeAmount(p.value).toString(),
      height: String(p.height),
      app_hash: toHex(p.appHash),
      proof: toHex(p.proof),
      key: toHex(key),
      value: p.value ? toHex(p.value) : null,
    };
  }

  function stateJson(module: string, keyHex: string, height?: number): StateJson {
    const full = Buffer.concat([Buffer.from(`${module}/`), Buffer.from(keyHex, "hex")]);
    const p = ledger.prove(full, height);
    return {
      module,
      key: keyHex,
      state_key: toHex(full),
      value: p.value ? toHex(p.value) : null,
      height: String(p.height),
      app_hash: toHex(p.appHash),
      proof: toHex(p.proof),
    };
  }

  beforeAll(() => {
    const genesis = devGenesis(CHAIN, validator, [
      { signer: alice, ubtt: 5_000_000n },
      { signer: bob, ubtt: 1_000n },
    ]);
    ledger = new Ledger({ dataDir: dir.path, genesis, keepRecent: 10 });
    const commit = (txs: Uint8Array[], t: bigint) => {
      const c = ledger.commitBlock(
        txs.map((bytes) => ({ decoded: decodeTx(bytes), signatureVerified: false })),
        t,
        validator.address,
      );
      blocks.set(Number(c.block.header!.height), blockJson(c));
    };
    commit([], 1000n);
    const send = (nonce: bigint, amount: bigint) =>
      signTransaction(alice, {
        chainId: CHAIN,
        nonce,
        messages: [bank.send({ to: bob.address, amount: { denom: "ubtt", amount } })],
        fee: { denom: "ubtt", amount: 10_000n },
        includePublicKey: false,
      }).bytes;
    commit([send(0n, 77n), send(1n, 23n)], 2000n);
    commit([send(2n, 400n)], 3000n);
  });
  afterAll(async () => {
    await ledger?.close();
    dir.remove();
  });

  test("honest answers verify: inclusion, exclusion, old heights, raw state", () => {
    const now = balanceJson(bob.address, "ubtt");
    expect(verifyBalance(now, blocks.get(3)!, bob.address, "ubtt", CHAIN)).toMatchObject({
      amount: 1_500n,
      height: 3n,
      appHash: blocks.get(3)!.header.app_hash,
      blockHash: blocks.get(3)!.hash,
    });
    const before = balanceJson(bob.address, "ubtt", 1);
    expect(verifyBalance(before, blocks.get(1)!, bob.address, "ubtt").amount).toBe(1_000n);
    const absent = balanceJson(nobody, "ubtt");
    expect(absent.value).toBeNull();
    expect(verifyBalance(absent, blocks.get(3)!, nobody, "ubtt").amount).toBe(0n);
    // bank supply of ubtt: key "s" ‖ "ubtt" inside the bank prefix.
    const supplyKey = Buffer.from("subtt").toString("hex");
    const supply = verifyState(stateJson("bank", supplyKey), blocks.get(3)!, "bank", supplyKey, CHAIN);
    expect(decodeAmount(supply.value)).toBe(5_001_000n);
    const missing = Buffer.from("snothing").toString("hex");
    expect(verifyState(stateJson("bank", missing), blocks.get(3)!, "bank", missing).value).toBeUndefined();
  });

  test("every tampered balance answer is refused", () => {
    const block = blocks.get(3)!;
    const honest = balanceJson(bob.address, "ubtt");
    const check = (resp: BalanceJson, b: BlockJson = block, chain?: string) =>
      codeOf(() => verifyBalance(resp, b, bob.address, "ubtt", chain), ProofError);
    expect(check(honest)).toBe("no error");

    // Any bit flipped in the proof.
    for (const proof of flipEachByte(honest.proof!)) {
      expect(["PROOF_INVALID", "PROOF_MALFORMED"]).toContain(check({ ...honest, proof }));
    }
    expect(check({ ...honest, proof: honest.proof!.slice(0, -2) })).toBe("PROOF_MALFORMED");
    expect(check({ ...honest, proof: `${honest.proof}00` })).toBe("PROOF_MALFORMED");
    expect(check({ ...honest, proof: "" })).toBe("PROOF_MALFORMED");
    // A different value, consistent with the amount it claims.
    expect(check({ ...honest, amount: "1501", value: toHex(encodeAmount(1501n)) })).toBe("PROOF_INVALID");
    for (const value of flipEachByte(honest.value!)) {
      expect(check({ ...honest, value, amount: decodeAmount(Buffer.from(value, "hex")).toString() })).toBe(
        "PROOF_INVALID",
      );
    }
    // The amount alone changed, or a claim of absence.
    expect(check({ ...honest, amount: "1501" })).toBe("RESPONSE_MISMATCH");
    expect(check({ ...honest, amount: "0", value: null })).toBe("PROOF_INVALID");
    // Another account's balance and proof passed off as this one.
    const alices = balanceJson(alice.address, "ubtt");
    expect(check({ ...alices, address: bob.address })).toBe("RESPONSE_MISMATCH");
    expect(check({ ...alices, address: bob.address, key: undefined })).toBe("PROOF_INVALID");
    expect(check({ ...honest, key: toHex(balanceStateKey(alice.address, "ubtt")) })).toBe(
      "RESPONSE_MISMATCH",
    );
    expect(check({ ...honest, denom: "uusd" })).toBe("RESPONSE_MISMATCH");
    // Any bit of the app hash flipped.
    for (const app_hash of flipEachByte(honest.app_hash!))
      expect(check({ ...honest, app_hash })).toBe("PROOF_INVALID");
    // An honest old proof presented as the latest: its app hash is not block 3's.
    const old = balanceJson(bob.address, "ubtt", 2);
    expect(check({ ...old, height: "3" })).toBe("APP_HASH_MISMATCH");
    // The header: any field changed breaks its hash; a header of another height or chain; a wrong hash.
    for (const field of Object.keys(block.header) as (keyof BlockJson["header"])[]) {
      const value = block.header[field];
      const forged = /^[0-9a-f]{64}$/.test(value)
        ? flipEachByte(value)[0]!
        : field === "height" || field === "time_ms"
          ? String(BigInt(value) + 1n)
          : `${value}x`;
      expect(check(honest, { ...block, header: { ...block.header, [field]: forged } })).toBe(
        "HEADER_MISMATCH",
      );
    }
    expect(check(honest, { ...block, hash: flipEachByte(block.hash)[5]! })).toBe("HEADER_MISMATCH");
    expect(check(honest, blocks.get(2)!)).toBe("HEADER_MISMATCH");
    expect(check(honest, { ...block, tx_hashes: [...block.tx_hashes, block.hash] })).toBe("HEADER_MISMATCH");
    expect(check(honest, { ...block, tx_hashes: [] })).toBe("HEADER_MISMATCH");
    expect(check(honest, block, "btt-other-chain")).toBe("HEADER_MISMATCH");
    // Malformed fields.
    expect(check({ ...honest, app_hash: "zz" })).toBe("RESPONSE_MALFORMED");
    expect(check({ ...honest, app_hash: honest.app_hash!.slice(2) })).toBe("RESPONSE_MALFORMED");
    expect(check({ ...honest, proof: undefined })).toBe("RESPONSE_MALFORMED");
    expect(check({ ...honest, height: "3.0" })).toBe("RESPONSE_MALFORMED");
    expect(check({ ...honest, amount: "-1" })).toBe("RESPONSE_MALFORMED");
    expect(check({ ...honest, value: "ABC" })).toBe("RESPONSE_MALFORMED");
  });

  test("an exclusion proof cannot hide a balance, nor be turned into one", () => {
    const block = blocks.get(3)!;
    const absent = balanceJson(nobody, "ubtt");
    const check = (resp: BalanceJson, address = nobody) =>
      codeOf(() => verifyBalance(resp, block, address, "ubtt"), ProofError);
    expect(check(absent)).toBe("no error");
    expect(check({ ...absent, amount: "5", value: toHex(encodeAmount(5n)) })).toBe("PROOF_INVALID");
    for (const proof of flipEachByte(absent.proof!)) {
      expect(["PROOF_INVALID", "PROOF_MALFORMED"]).toContain(check({ ...absent, proof }));
    }
    // bob's balance exists: nobody's exclusion proof does not show bob has nothing.
    const claim = { ...absent, address: bob.address, key: toHex(balanceStateKey(bob.address, "ubtt")) };
    expect(check(claim, bob.address)).toBe("PROOF_INVALID");
  });

  test("tampered raw state answers are refused", () => {
    const block = blocks.get(3)!;
    const key = Buffer.from("subtt").toString("hex");
    const honest = stateJson("bank", key);
    const check = (resp: StateJson, module = "bank", k = key) =>
      codeOf(() => verifyState(resp, block, module, k), ProofError);
    expect(check(honest)).toBe("no error");
    for (const proof of flipEachByte(honest.proof)) {
      expect(["PROOF_INVALID", "PROOF_MALFORMED"]).toContain(check({ ...honest, proof }));
    }
    expect(check({ ...honest, value: toHex(encodeAmount(1n)) })).toBe("PROOF_INVALID");
    expect(check({ ...honest, value: null })).toBe("PROOF_INVALID");
    // The same key bytes under another module's prefix are another state key.
    expect(check({ ...honest, module: "auth", state_key: undefined }, "auth")).toBe("PROOF_INVALID");
    expect(check({ ...honest, state_key: toHex(Buffer.from("auth/subtt")) })).toBe("RESPONSE_MISMATCH");
    expect(check(honest, "bank", Buffer.from("sother").toString("hex"))).toBe("RESPONSE_MISMATCH");
    expect(check({ ...honest, app_hash: blocks.get(2)!.header.app_hash })).toBe("PROOF_INVALID");
  });
});
