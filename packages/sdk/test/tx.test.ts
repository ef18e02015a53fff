import { BttError, decodeTx, toHex, verifySignature } from "@btt/core";
import { DEFAULT_AUTH_PARAMS, requiredFee } from "@btt/modules";
import type { BttNode } from "@btt/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  bank,
  estimateFee,
  parseFeeSchedule,
  signerFromMnemonic,
  signTransaction,
  txToJson,
} from "../src/index.ts";
import { codeOf, devGenesis, openTestNode } from "./helpers.ts";

const MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow";
const CHAIN = "btt-sdk-test-1";
const schedule = parseFeeSchedule({ ...DEFAULT_AUTH_PARAMS, message_fees: { "bank/MultiSend": "500" } });

describe("transactions signed by the SDK", () => {
  const ed = signerFromMnemonic(MNEMONIC);
  const pq = signerFromMnemonic(MNEMONIC, { type: "ml-dsa-65" });
  const bob = signerFromMnemonic(MNEMONIC, { index: 1 });

  test("decode canonically and verify with core's node-side decoder and verifier", () => {
    for (const signer of [ed, pq]) {
      for (const includePublicKey of [true, false]) {
        const signed = signTransaction(signer, {
          chainId: CHAIN,
          nonce: 7n,
          messages: [bank.send({ to: bob.address, amount: { denom: "ubtt", amount: "2.5", decimals: 6 } })],
          memo: "hello",
          feeSchedule: schedule,
          includePublicKey,
        });
        const decoded = decodeTx(signed.bytes);
        expect(toHex(decoded.hash)).toBe(signed.hash);
        expect(decoded.body.sender).toBe(signer.address);
        expect(decoded.body.nonce).toBe(7n);
        expect(decoded.body.memo).toBe("hello");
        expect(verifySignature(signer.publicKey, decoded.signBytes, decoded.tx.signature)).toBe(true);
        expect(decoded.tx.publicKey !== undefined).toBe(includePublicKey);
        // The estimated fee is exactly the schedule's fee for the tx's real size.
        expect(BigInt(decoded.body.fee!.amount)).toBe(
          requiredFee(
            schedule,
            signed.bytes.length,
            decoded.body.messages.map((m) => m.type),
          ),
        );
        // Another signer's key does not verify it.
        expect(verifySignature(bob.publicKey, decoded.signBytes, decoded.tx.signature)).toBe(false);
      }
    }
  });

  test("fee estimation covers message fees and converges when the fee's own digits grow the tx", () => {
    const big = parseFeeSchedule({ ...DEFAULT_AUTH_PARAMS, base_fee: "999999", fee_per_byte: "1000000" });
    for (const s of [schedule, big]) {
      const messages = [
        bank.multiSend({ outputs: [{ to: bob.address, amount: { denom: "ubtt", amount: 1n } }] }),
      ];
      const draft = { chainId: CHAIN, sender: ed.address, nonce: 0n, messages };
      const fee = estimateFee(s, draft, ed, true);
      const signed = signTransaction(ed, { ...draft, fee: { denom: "ubtt", amount: fee } });
      expect(fee).toBe(requiredFee(s, signed.bytes.length, ["bank/MultiSend"]));
    }
  });

  test("JSON form per the API README", () => {
    const signed = signTransaction(ed, {
      chainId: CHAIN,
      nonce: "3",
      messages: [bank.burn({ amount: { denom: "ubtt", amount: 5n } })],
      fee: { denom: "ubtt", amount: 3000n },
    });
    expect(txToJson(signed.tx)).toEqual({
      body: {
        chain_id: CHAIN,
        sender: ed.address,
        nonce: "3",
        fee: { denom: "ubtt", amount: "3000" },
        messages: [{ type: "bank/Burn", value: { amount: { denom: "ubtt", amount: "5" } } }],
        memo: "",
      },
      public_key: { ed25519: toHex(ed.publicKey.key.value as Uint8Array) },
      signature: toHex(signed.tx.signature),
    });
  });

  test("bad inputs: no messages, no fee source, bad nonce", () => {
    const base = { chainId: CHAIN, nonce: 0n, feeSchedule: schedule };
    const msgs = [bank.send({ to: bob.address, amount: { denom: "ubtt", amount: 1n } })];
    expect(codeOf(() => signTransaction(ed, { ...base, messages: [] }))).toBe("INVALID_MESSAGE");
    expect(codeOf(() => signTransaction(ed, { chainId: CHAIN, nonce: 0n, messages: msgs }))).toBe(
      "INSUFFICIENT_FEE",
    );
    for (const nonce of [-1n, 2n ** 64n, 1.5, "01", "x"]) {
      expect(codeOf(() => signTransaction(ed, { ...base, nonce, messages: msgs }))).toBe("INVALID_MESSAGE");
    }
  });
});

describe("a node admits and executes what the SDK signs", () => {
  const ed = signerFromMnemonic(MNEMONIC);
  const pq = signerFromMnemonic(MNEMONIC, { type: "ml-dsa-65" });
  const fresh = signerFromMnemonic(MNEMONIC, { index: 9 });
  const validator = signerFromMnemonic(MNEMONIC, { index: 100 });
  let testNode: ReturnType<typeof openTestNode>;
  let node: BttNode;
  let time = 1000n;
  const produce = () => {
    time += 1000n;
    return node.produceBlock({ maxTxs: 100, maxBytes: 1 << 20 }, time, validator.address);
  };

  beforeAll(() => {
    const genesis = devGenesis(CHAIN, validator, [
      { signer: ed, ubtt: 10_000_000n },
      { signer: pq, ubtt: 10_000_000n },
    ]);
    testNode = openTestNode("tx", genesis, 10);
    node = testNode.node;
    produce();
  });
  afterAll(async () => {
    await testNode?.close();
  });

  test("estimated fees pass the ante handler; one unit less is refused; a new account's first tx carries its key", async () => {
    const chainFees = parseFeeSchedule(DEFAULT_AUTH_PARAMS);
    const send = (signer: typeof ed, nonce: bigint, to: string, amount: bigint, includePublicKey = false) =>
      signTransaction(signer, {
        chainId: CHAIN,
        nonce,
        messages: [bank.send({ to, amount: { denom: "ubtt", amount } })],
        feeSchedule: chainFees,
        includePublicKey,
      });
    const a = send(ed, 0n, fresh.address, 1_000_000n);
    const b = send(pq, 0n, fresh.address, 1_000_000n);
    const fee = BigInt(decodeTx(a.bytes).body.fee!.amount);
    // The same tx for one unit less (same size: the fee has as many digits).
    expect(String(fee - 1n).length).toBe(String(fee).length);
    const short = signTransaction(ed, {
      chainId: CHAIN,
      nonce: 0n,
      messages: [bank.send({ to: fresh.address, amount: { denom: "ubtt", amount: 1_000_000n } })],
      fee: { denom: "ubtt", amount: fee - 1n },
      includePublicKey: false,
    });
    expect(short.bytes.length).toBe(a.bytes.length);
    await expect(node.submit(short.bytes)).rejects.toMatchObject({ code: "INSUFFICIENT_FEE" });
    expect(await node.submit(a.bytes)).toBe(a.hash);
    expect(await node.submit(b.bytes)).toBe(b.hash);
    const block = produce();
    expect(block.results.txResults.map((r) => r.code)).toEqual([0, 0]);

    // The fresh account's first tx must carry its public key; without it the node refuses it.
    const withoutKey = send(fresh, 0n, ed.address, 1000n, false);
    await expect(node.submit(withoutKey.bytes)).rejects.toBeInstanceOf(BttError);
    const withKey = send(fresh, 0n, ed.address, 1000n, true);
    expect(await node.submit(withKey.bytes)).toBe(withKey.hash);
    expect(produce().results.txResults.map((r) => r.code)).toEqual([0]);
    expect(node.ledger.app.bank.keeper.balance(node.ledger.committed, fresh.address, "ubtt")).toBe(
      2_000_000n - 1000n - BigInt(decodeTx(withKey.bytes).body.fee!.amount),
    );
  });
});
