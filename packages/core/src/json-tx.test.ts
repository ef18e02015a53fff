import { create, type DescMessage, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MsgBurnSchema, MsgSendSchema } from "./gen/btt/bank/v1/bank_pb.ts";
import { type Msg, type PublicKey, PublicKeySchema, TxBodySchema, TxSchema } from "./gen/btt/tx/v1/tx_pb.ts";
import { toHex } from "./hash.ts";
import {
  encodeJsonTx,
  type JsonTx,
  type MessageTypes,
  publicKeyFromJson,
  publicKeyToJson,
  txToJson,
} from "./json-tx.ts";
import { ed25519Signer, mlDsa65Signer, multisigKey } from "./keys.ts";
import { coin, createTxBody, decodeTx, encodeTx, msg, signTx } from "./tx.ts";

const TYPES: MessageTypes = new Map<string, DescMessage>([
  ["bank/Send", MsgSendSchema],
  ["bank/Burn", MsgBurnSchema],
]);
const alice = ed25519Signer(new Uint8Array(32).fill(1));
const quantum = mlDsa65Signer(new Uint8Array(32).fill(2));
const bob = ed25519Signer(new Uint8Array(32).fill(3));

const send = (amount: bigint) =>
  msg(
    "bank/Send",
    toBinary(MsgSendSchema, create(MsgSendSchema, { to: bob.address, amount: [coin("ubtt", amount)] })),
  );
const burn = (amount: bigint) =>
  msg("bank/Burn", toBinary(MsgBurnSchema, create(MsgBurnSchema, { amount: coin("ubtt", amount) })));

/** A matcher for a BttError with this code. */
const bttError = (code: string) => expect.objectContaining({ name: "BttError", code });

/** The JSON a client would send: through JSON text, as it crosses the wire. */
const wire = (json: JsonTx): JsonTx => JSON.parse(JSON.stringify(json));

describe("JSON form of a tx", () => {
  it("round-trips to the same canonical bytes, so the same hash and signature", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.array(fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }), { minLength: 1, maxLength: 3 }),
        fc.string({ maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        (nonce, amounts, memo, pq, withKey) => {
          const signer = pq ? quantum : alice;
          const body = createTxBody({
            chainId: "btt-test-1",
            sender: signer.address,
            nonce,
            fee: { denom: "ubtt", amount: 5000n },
            messages: amounts.map((a, i) => (i % 2 ? burn(a) : send(a))),
            memo,
          });
          const bytes = encodeTx(signTx(body, signer, withKey));
          const json = txToJson(decodeTx(bytes).tx, TYPES);
          expect(json.body.nonce).toBe(nonce.toString());
          expect("public_key" in json).toBe(withKey);
          expect(toHex(encodeJsonTx(wire(json), TYPES))).toBe(toHex(bytes));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("writes messages with proto field names and amounts as strings; memo may be left out", () => {
    const body = createTxBody({
      chainId: "btt-test-1",
      sender: alice.address,
      nonce: 3n,
      fee: { denom: "ubtt", amount: 3000n },
      messages: [send(7n), burn(5n)],
    });
    const tx = signTx(body, alice, false);
    const json = txToJson(tx, TYPES);
    expect(json).toEqual({
      body: {
        chain_id: "btt-test-1",
        sender: alice.address,
        nonce: "3",
        fee: { denom: "ubtt", amount: "3000" },
        messages: [
          { type: "bank/Send", value: { to: bob.address, amount: [{ denom: "ubtt", amount: "7" }] } },
          { type: "bank/Burn", value: { amount: { denom: "ubtt", amount: "5" } } },
        ],
        memo: "",
      },
      signature: toHex(tx.signature),
    });
    delete json.body.memo;
    expect(encodeJsonTx(json, TYPES)).toEqual(encodeTx(tx));
  });

  it("public keys: single, ML-DSA-65 and multisig round-trip; an empty key is refused", () => {
    const multi = multisigKey(2, [alice.publicKey, quantum.publicKey, bob.publicKey]);
    for (const key of [alice.publicKey, quantum.publicKey, multi]) {
      const json = publicKeyToJson(key);
      expect(toHex(toBinary(PublicKeySchema, publicKeyFromJson(JSON.parse(JSON.stringify(json)))))).toBe(
        toHex(toBinary(PublicKeySchema, key)),
      );
    }
    expect(publicKeyToJson(alice.publicKey)).toEqual({
      ed25519: toHex(alice.publicKey.key.value as Uint8Array),
    });
    const multiJson = publicKeyToJson(multi) as { multisig: { threshold: number; keys: unknown[] } };
    expect(multiJson.multisig.threshold).toBe(2);
    expect(multiJson.multisig.keys[1]).toEqual({
      ml_dsa_65: toHex(quantum.publicKey.key.value as Uint8Array),
    });
    const empty: PublicKey = create(PublicKeySchema, {});
    expect(() => publicKeyToJson(empty)).toThrow(bttError("MISSING_PUBLIC_KEY"));
  });

  it("strict by default: no fee, an unknown or undecodable message throw; lenient shows them", () => {
    const strange = msg("bank/Steal", Uint8Array.of(1, 2, 3));
    const broken = msg("bank/Send", Uint8Array.of(0xff, 0xff));
    const tx = create(TxSchema, {
      body: create(TxBodySchema, {
        chainId: "c",
        sender: alice.address,
        messages: [strange, broken, burn(1n)],
      }),
      signature: Uint8Array.of(9),
    });
    expect(() => txToJson(tx, TYPES)).toThrow(bttError("TX_MALFORMED"));
    expect(() => txToJson(create(TxSchema, {}), TYPES, { lenient: true })).toThrow(bttError("TX_MALFORMED"));
    const withFee = (messages: Msg[]) =>
      create(TxSchema, { ...tx, body: { ...tx.body!, fee: coin("ubtt", 1n), messages } });
    expect(() => txToJson(withFee([strange]), TYPES)).toThrow(bttError("UNKNOWN_MESSAGE"));
    expect(() => txToJson(withFee([broken]), TYPES)).toThrow();
    expect(txToJson(withFee([burn(1n)]), TYPES).body.fee).toEqual({ denom: "ubtt", amount: "1" });

    const shown = txToJson(tx, TYPES, { lenient: true });
    expect(shown.body.fee).toEqual({ denom: "", amount: "0" });
    expect(shown.body.messages).toEqual([
      { type: "bank/Steal", value: { "@bytes": "AQID" } },
      { type: "bank/Send", value: { "@bytes": "//8=" } },
      { type: "bank/Burn", value: { amount: { denom: "ubtt", amount: "1" } } },
    ]);
  });

  it("re-encoding names the message that does not fit its type", () => {
    const tx = signTx(
      createTxBody({
        chainId: "btt-test-1",
        sender: alice.address,
        nonce: 0n,
        fee: { denom: "ubtt", amount: 1n },
        messages: [send(1n)],
      }),
      alice,
    );
    const json = txToJson(tx, TYPES);
    const unknown = wire(json);
    unknown.body.messages[0]!.type = "bank/Steal";
    expect(() => encodeJsonTx(unknown, TYPES)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_MESSAGE", details: { field: "body.messages[0].type" } }),
    );
    const misfit = wire(json);
    misfit.body.messages[0]!.value = { to: bob.address, colour: "red" };
    expect(() => encodeJsonTx(misfit, TYPES)).toThrow(
      expect.objectContaining({ code: "INVALID_REQUEST", details: { field: "body.messages[0].value" } }),
    );
  });
});
