// Transactions: body, fee from the chain's fee schedule, signature (@btt/core's txSignBytes, the one
// definition of what is signed), binary encoding, and the API's JSON form (@btt/core's, which the
// server also decodes with).
import {
  BttError,
  txToJson as coreTxToJson,
  createTxBody,
  encodeTx,
  type JsonTx,
  type Msg,
  type Signer,
  signTx,
  type Tx,
  type TxBody,
  toHex,
  txHash,
} from "@btt/core";
import { estimateFee, type FeeSchedule } from "@btt/modules/auth/fee";
import { MESSAGE_SCHEMAS } from "./messages.ts";

export { type JsonTx, type PublicKeyJson, publicKeyToJson } from "@btt/core";
export type { FeeSchedule } from "@btt/modules/auth/fee";
export { estimateFee, parseFeeSchedule } from "@btt/modules/auth/fee";

export interface TxInput {
  chainId: string;
  /** The sender's next nonce (GET /v1/accounts/{address} → nonce). */
  nonce: bigint | number | string;
  messages: readonly Msg[];
  memo?: string;
  /** A fixed fee; without it the fee is estimated from `feeSchedule`. */
  fee?: { denom: string; amount: bigint };
  /** The auth module's fee schedule (GET /v1/params/auth, parsed with parseFeeSchedule). */
  feeSchedule?: FeeSchedule;
  /**
   * Carry the public key in the tx: required on an account's first transaction (the chain learns
   * the key from it), optional later. Default true.
   */
  includePublicKey?: boolean;
}

export interface SignedTx {
  tx: Tx;
  bytes: Uint8Array;
  /** Lowercase hex SHA-256 of the bytes: the hash the API knows the tx by. */
  hash: string;
}

function nonceOf(nonce: bigint | number | string): bigint {
  const value =
    typeof nonce === "bigint"
      ? nonce
      : typeof nonce === "number" && Number.isSafeInteger(nonce)
        ? BigInt(nonce)
        : typeof nonce === "string" && /^(0|[1-9][0-9]{0,19})$/.test(nonce)
          ? BigInt(nonce)
          : -1n;
  if (value < 0n || value >= 1n << 64n) {
    throw new BttError("INVALID_MESSAGE", "nonce must be an integer from 0 to 2^64-1", {
      nonce: String(nonce),
    });
  }
  return value;
}

/** The unsigned body, with the fee fixed or estimated. */
export function buildTxBody(signer: Pick<Signer, "type" | "publicKey" | "address">, input: TxInput): TxBody {
  if (input.messages.length === 0) throw new BttError("INVALID_MESSAGE", "a transaction needs a message");
  const draft = {
    chainId: input.chainId,
    sender: signer.address,
    nonce: nonceOf(input.nonce),
    messages: [...input.messages],
    memo: input.memo ?? "",
  };
  let fee = input.fee;
  if (!fee) {
    if (!input.feeSchedule) {
      throw new BttError("INSUFFICIENT_FEE", "give a fee, or the fee schedule to estimate one from");
    }
    fee = {
      denom: input.feeSchedule.feeDenom,
      amount: estimateFee(input.feeSchedule, draft, signer, input.includePublicKey ?? true),
    };
  }
  return createTxBody({ ...draft, fee });
}

/** Builds, signs and encodes a transaction. */
export function signTransaction(signer: Signer, input: TxInput): SignedTx {
  const tx = signTx(buildTxBody(signer, input), signer, input.includePublicKey ?? true);
  const bytes = encodeTx(tx);
  return { tx, bytes, hash: toHex(txHash(bytes)) };
}

/** The API's JSON form of a signed tx (POST /v1/txs accepts it; the server re-encodes it canonically). */
export function txToJson(tx: Tx): JsonTx {
  return coreTxToJson(tx, MESSAGE_SCHEMAS);
}
