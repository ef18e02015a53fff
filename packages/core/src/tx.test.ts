import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressOf, decodeAddress, encodeAddress } from "./address.ts";
import { BttError } from "./errors.ts";
import { MsgSendSchema } from "./gen/btt/bank/v1/bank_pb.ts";
import { TxSchema } from "./gen/btt/tx/v1/tx_pb.ts";
import { combineMultisig, ed25519Signer, mlDsa65Signer, multisigKey, verifySignature } from "./keys.ts";
import { coin, createTxBody, decodeTx, encodeTx, msg, signTx, txSignBytes } from "./tx.ts";

const alice = ed25519Signer(new Uint8Array(32).fill(1));
const bob = ed25519Signer(new Uint8Array(32).fill(2));

function sendBody(nonce: bigint, amount: bigint, memo = "") {
  const send = create(MsgSendSchema, { to: bob.address, amount: [coin("ubtt", amount)] });
  return createTxBody({
    chainId: "btt-test-1",
    sender: alice.address,
    nonce,
    fee: { denom: "ubtt", amount: 5000n },
    messages: [msg("bank/Send", toBinary(MsgSendSchema, send))],
    memo,
  });
}

function expectCode(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BttError);
    expect((err as BttError).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

describe("transaction codec", () => {
  it("round-trips any envelope, and the decoded tx has the same hash and sign bytes", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }),
        fc.string({ maxLength: 64 }),
        fc.boolean(),
        (nonce, amount, memo, withKey) => {
          const body = sendBody(nonce, amount, memo);
          const bytes = encodeTx(signTx(body, alice, withKey));
          const decoded = decodeTx(bytes);
          expect(encodeTx(decoded.tx)).toEqual(bytes);
          expect(decoded.signBytes).toEqual(txSignBytes(body));
          expect(decoded.body.nonce).toBe(nonce);
          expect(decoded.body.memo).toBe(memo);
          expect(verifySignature(alice.publicKey, decoded.signBytes, decoded.tx.signature)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects bytes that do not decode", () => {
    expectCode(() => decodeTx(Uint8Array.from([0x0a, 0xff, 0xff, 0xff])), "TX_MALFORMED");
  });

  it("rejects a non-canonical encoding of a valid tx (unknown field appended)", () => {
    const bytes = encodeTx(signTx(sendBody(0n, 10n), alice));
    const withUnknown = Buffer.concat([bytes, Uint8Array.from([0xf8, 0x01, 0x01])]); // field 31, varint 1
    expectCode(() => decodeTx(withUnknown), "TX_MALFORMED");
  });

  it("rejects fields out of order", () => {
    const tx = signTx(sendBody(0n, 10n), alice);
    const sig = toBinary(TxSchema, create(TxSchema, { signature: tx.signature }));
    const body = toBinary(TxSchema, create(TxSchema, { body: tx.body }));
    expectCode(() => decodeTx(Buffer.concat([sig, body])), "TX_MALFORMED");
  });

  it("rejects oversize transactions before decoding", () => {
    expectCode(() => decodeTx(new Uint8Array(2000), 1000), "TX_TOO_LARGE");
  });
});

describe("keys and signatures", () => {
  it("any flipped byte of message or signature fails Ed25519 verification", () => {
    const message = txSignBytes(sendBody(1n, 1n));
    const sig = alice.sign(message);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (pos, flip, inSig) => {
        const m = Uint8Array.from(message);
        const s = Uint8Array.from(sig);
        if (inSig) s[pos % s.length]! ^= flip;
        else m[pos % m.length]! ^= flip;
        expect(verifySignature(alice.publicKey, m, s)).toBe(false);
      }),
      { numRuns: 100 },
    );
    expect(verifySignature(bob.publicKey, message, sig)).toBe(false);
  });

  it("ML-DSA-65 accounts sign and verify", () => {
    const pq = mlDsa65Signer(new Uint8Array(32).fill(7));
    const message = txSignBytes(sendBody(0n, 1n));
    const sig = pq.sign(message);
    expect(verifySignature(pq.publicKey, message, sig)).toBe(true);
    sig[10]! ^= 1;
    expect(verifySignature(pq.publicKey, message, sig)).toBe(false);
    expect(pq.address.startsWith("btt1")).toBe(true);
  });

  it("multisig needs the threshold of valid signatures from the listed keys", () => {
    const carol = mlDsa65Signer(new Uint8Array(32).fill(3));
    const key = multisigKey(2, [alice.publicKey, bob.publicKey, carol.publicKey]);
    const message = Uint8Array.from([1, 2, 3]);
    const two = combineMultisig(
      key,
      new Map([
        [0, alice.sign(message)],
        [2, carol.sign(message)],
      ]),
    );
    expect(verifySignature(key, message, two)).toBe(true);
    const one = combineMultisig(key, new Map([[1, bob.sign(message)]]));
    expect(verifySignature(key, message, one)).toBe(false);
    const wrongSlot = combineMultisig(
      key,
      new Map([
        [0, bob.sign(message)],
        [1, alice.sign(message)],
      ]),
    );
    expect(verifySignature(key, message, wrongSlot)).toBe(false);
    expect(() => multisigKey(4, [alice.publicKey, bob.publicKey])).toThrow(BttError);
  });
});

describe("addresses", () => {
  it("round-trip and reject wrong prefix, case, length and checksum", () => {
    const bytes = decodeAddress(alice.address);
    expect(encodeAddress(bytes)).toBe(alice.address);
    expect(addressOf(alice.publicKey)).toBe(alice.address);
    expectCode(() => decodeAddress(alice.address.replace("btt1", "cosmos1")), "INVALID_ADDRESS");
    expectCode(() => decodeAddress(alice.address.toUpperCase()), "INVALID_ADDRESS");
    const last = alice.address.at(-1) === "q" ? "p" : "q";
    expectCode(() => decodeAddress(alice.address.slice(0, -1) + last), "INVALID_ADDRESS");
    expectCode(() => decodeAddress("btt1qqqqqqqqqqqqqqqq"), "INVALID_ADDRESS");
  });
});
