/** Fixtures shared by the block store's tests (not exported from index.ts): signed transfers and their results. */
import {
  type BlockResults,
  coin,
  createTxBody,
  ed25519Signer,
  encodeAddress,
  encodeTx,
  MsgSendSchema,
  msg,
  type Signer,
  sha256,
  signTx,
  type TxResult,
  TxResultSchema,
} from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { ADDRESS_CHARS, ADDRESS_PREFIX_BYTES } from "./address-scan.ts";

export const CHAIN = "btt-test-1";
export const signers = Array.from({ length: 6 }, (_, i) =>
  ed25519Signer(sha256(Buffer.from(`block-store-test-${i}`))),
);
const nonces = new Map<string, bigint>();

export interface TxSpec {
  from: Signer;
  to: string;
  amount: bigint;
}

/** A signed bank/Send (public key in the sender's first tx) with the result the app would give it. */
export function transfer({ from, to, amount }: TxSpec): {
  tx: Uint8Array;
  result: TxResult;
  accounts: string[];
} {
  const nonce = nonces.get(from.address) ?? 0n;
  nonces.set(from.address, nonce + 1n);
  const send = create(MsgSendSchema, { to, amount: [coin("ubtt", amount)] });
  const body = createTxBody({
    chainId: CHAIN,
    sender: from.address,
    nonce,
    fee: { denom: "ubtt", amount: 500n },
    messages: [msg("bank/Send", toBinary(MsgSendSchema, send))],
  });
  const tx = encodeTx(signTx(body, from, nonce === 0n));
  const result = create(TxResultSchema, {
    code: 0,
    fee: "500",
    events: [
      {
        type: "bank/transfer",
        attributes: [
          { key: "sender", value: from.address },
          { key: "recipient", value: to },
          { key: "amount", value: `${amount}ubtt` },
        ],
      },
      {
        type: "auth/fee",
        attributes: [
          { key: "payer", value: from.address },
          { key: "amount", value: "500ubtt" },
        ],
      },
    ],
  });
  return { tx, result, accounts: [from.address, to] };
}

export interface BlockInput {
  txs: Uint8Array[];
  results: TxResult[];
  accounts: string[][];
  begin?: BlockResults["beginBlockEvents"];
  end?: BlockResults["endBlockEvents"];
}

export function transfers(specs: TxSpec[]): BlockInput {
  const made = specs.map(transfer);
  return {
    txs: made.map((m) => m.tx),
    results: made.map((m) => m.result),
    accounts: made.map((m) => m.accounts),
  };
}

const BECH32_CHARS = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const twentyBytes = fc.uint8Array({ minLength: 20, maxLength: 20 });

/** 42-character "btt1…" strings: valid addresses, ones with a character changed or upper-cased, random ones. */
export const addressLike = fc.oneof(
  twentyBytes.map((b) => encodeAddress(b)),
  fc
    .tuple(
      twentyBytes,
      fc.integer({ min: ADDRESS_PREFIX_BYTES.length, max: ADDRESS_CHARS - 1 }),
      fc.oneof(
        fc.constantFrom(...BECH32_CHARS, "1", "b", "i", "o", "Q", " "),
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      ),
    )
    .map(([b, at, c]) => {
      const a = encodeAddress(b);
      return a.slice(0, at) + c + a.slice(at + 1);
    }),
  twentyBytes.map((b) => `btt1${encodeAddress(b).slice(4).toUpperCase()}`),
  fc
    .array(fc.constantFrom(...BECH32_CHARS), { minLength: 38, maxLength: 38 })
    .map((cs) => `btt1${cs.join("")}`),
);
