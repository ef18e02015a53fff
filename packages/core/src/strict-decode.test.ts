import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MsgSendSchema } from "./gen/btt/bank/v1/bank_pb.ts";
import { type PublicKey, PublicKeySchema, type Tx, TxSchema } from "./gen/btt/tx/v1/tx_pb.ts";
import { decodeMsgSendCanonical, decodeTxStrict } from "./strict-decode.ts";

const bytes = fc.uint8Array({ maxLength: 40 });
const text = fc.string({ unit: "grapheme", maxLength: 12 });
const singleKey = fc.oneof(
  bytes.map((value) => create(PublicKeySchema, { key: { case: "ed25519", value } })),
  bytes.map((value) => create(PublicKeySchema, { key: { case: "mlDsa65", value } })),
  fc.constant(create(PublicKeySchema, {})),
);
const publicKey: fc.Arbitrary<PublicKey> = fc.oneof(
  singleKey,
  fc
    .record({ threshold: fc.nat(5), keys: fc.array(singleKey, { maxLength: 3 }) })
    .map((multisig) => create(PublicKeySchema, { key: { case: "multisig", value: multisig } })),
);
const coin = fc.record({ denom: text, amount: text });
const tx: fc.Arbitrary<Tx> = fc
  .record({
    body: fc.option(
      fc.record({
        chainId: text,
        sender: text,
        nonce: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fee: fc.option(coin, { nil: undefined }),
        messages: fc.array(fc.record({ type: text, value: bytes }), { maxLength: 3 }),
        memo: text,
      }),
      { nil: undefined },
    ),
    publicKey: fc.option(publicKey, { nil: undefined }),
    signature: bytes,
  })
  .map((init) => create(TxSchema, init));

/** What the library says: the bytes decode and re-encode to themselves. */
function libraryCanonical(b: Uint8Array): Tx | undefined {
  try {
    const decoded = fromBinary(TxSchema, b, { readUnknownFields: false });
    return Buffer.from(toBinary(TxSchema, decoded)).equals(b) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

function strict(b: Uint8Array): Tx | undefined {
  try {
    return decodeTxStrict(b);
  } catch {
    return undefined;
  }
}

describe("strict transaction decoder", () => {
  it("decodes every canonical encoding exactly as protobuf-es does", () => {
    fc.assert(
      fc.property(tx, (t) => {
        const encoded = toBinary(TxSchema, t);
        expect(strict(encoded)).toEqual(fromBinary(TxSchema, encoded));
      }),
      { numRuns: 500 },
    );
  });

  it("accepts a mutated encoding exactly when protobuf-es would call it canonical", () => {
    fc.assert(
      fc.property(
        tx,
        fc.nat(),
        fc.nat(255),
        fc.constantFrom("flip", "insert", "delete"),
        (t, at, byte, how) => {
          const encoded = Buffer.from(toBinary(TxSchema, t));
          const i = encoded.length === 0 ? 0 : at % encoded.length;
          const flipped = Buffer.from(encoded);
          if (flipped.length > 0) flipped[i] = byte;
          const mutated =
            how === "flip"
              ? flipped
              : how === "insert"
                ? Buffer.concat([encoded.subarray(0, i), Buffer.of(byte), encoded.subarray(i)])
                : Buffer.concat([encoded.subarray(0, i), encoded.subarray(i + 1)]);
          const expected = libraryCanonical(mutated);
          const got = strict(mutated);
          expect(got === undefined).toBe(expected === undefined);
          if (expected) expect(got).toEqual(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("rejects non-minimal varints, repeated singular fields and unknown fields", () => {
    const t = create(TxSchema, { signature: Uint8Array.of(1, 2) });
    const good = toBinary(TxSchema, t); // 1a 02 01 02
    expect(strict(good)).toBeDefined();
    expect(strict(Uint8Array.of(0x1a, 0x82, 0x00, 1, 2))).toBeUndefined();
    expect(strict(Uint8Array.of(...good, ...good))).toBeUndefined();
    expect(strict(Uint8Array.of(...good, 0x20, 0x01))).toBeUndefined();
  });
});

describe("canonical MsgSend decoder", () => {
  const send = fc
    .record({ to: text, amount: fc.array(coin, { maxLength: 3 }) })
    .map((init) => create(MsgSendSchema, init));

  it("decodes every canonical encoding exactly as protobuf-es does", () => {
    fc.assert(
      fc.property(send, (m) => {
        const encoded = toBinary(MsgSendSchema, m);
        expect(decodeMsgSendCanonical(encoded)).toEqual(fromBinary(MsgSendSchema, encoded));
      }),
      { numRuns: 500 },
    );
  });

  it("returns a value for a mutated encoding only when protobuf-es decodes the same value", () => {
    fc.assert(
      fc.property(send, fc.nat(), fc.nat(255), fc.boolean(), (m, at, byte, insert) => {
        const encoded = Buffer.from(toBinary(MsgSendSchema, m));
        const i = encoded.length === 0 ? 0 : at % encoded.length;
        const mutated = insert
          ? Buffer.concat([encoded.subarray(0, i), Buffer.of(byte), encoded.subarray(i)])
          : Buffer.from(encoded);
        if (!insert && mutated.length > 0) mutated[i] = byte;
        const got = decodeMsgSendCanonical(mutated);
        if (got === undefined) return; // the caller falls back to protobuf-es: nothing changes
        const library = fromBinary(MsgSendSchema, mutated);
        expect(library.$unknown ?? []).toEqual([]);
        expect(got).toEqual(library);
      }),
      { numRuns: 3000 },
    );
  });

  it("leaves repeated, unknown and out-of-order fields to protobuf-es", () => {
    const good = toBinary(MsgSendSchema, create(MsgSendSchema, { to: "btt1x" }));
    expect(decodeMsgSendCanonical(good)).toMatchObject({ to: "btt1x", amount: [] });
    expect(decodeMsgSendCanonical(Uint8Array.of(...good, ...good))).toBeUndefined();
    expect(decodeMsgSendCanonical(Uint8Array.of(...good, 0x18, 0x01))).toBeUndefined();
    const coinField = Uint8Array.of(0x12, 0x03, 0x0a, 0x01, 0x61);
    expect(decodeMsgSendCanonical(Uint8Array.of(...coinField, ...good))).toBeUndefined();
  });
});
