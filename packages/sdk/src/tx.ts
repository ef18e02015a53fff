// Transactions: body, fee from the chain's fee schedule, signature (@btt/core's txSignBytes, the one
// definition of what is signed), binary encoding, and the API's JSON form.
import {
  assembleTx,
  BttError,
  createTxBody,
  ED25519_SIGNATURE_BYTES,
  encodeTx,
  ML_DSA_65_SIGNATURE_BYTES,
  type Msg,
  type PublicKey,
  type Signer,
  signTx,
  type Tx,
  type TxBody,
  toHex,
  txHash,
} from "@btt/core";
import { type FeeSchedule, requiredFee } from "@btt/modules/auth/fee";
import type { JsonObject } from "@bufbuild/protobuf";
import { messageToJson } from "./messages.ts";

export type { FeeSchedule } from "@btt/modules/auth/fee";
export { parseFeeSchedule } from "@btt/modules/auth/fee";

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

function signatureBytesOf(signer: Pick<Signer, "type">): number {
  return signer.type === "ed25519" ? ED25519_SIGNATURE_BYTES : ML_DSA_65_SIGNATURE_BYTES;
}

/**
 * The smallest fee the schedule accepts for this tx once signed. The fee is part of the signed
 * body, so the size depends on it: iterate until the fee covers the size it produces.
 */
export function estimateFee(
  schedule: FeeSchedule,
  draft: { chainId: string; sender: string; nonce: bigint; messages: readonly Msg[]; memo?: string },
  signer: Pick<Signer, "type" | "publicKey">,
  includePublicKey = true,
): bigint {
  const placeholder = new Uint8Array(signatureBytesOf(signer));
  const types = draft.messages.map((m) => m.type);
  let fee = 0n;
  for (;;) {
    const body = createTxBody({
      ...draft,
      messages: [...draft.messages],
      fee: { denom: schedule.feeDenom, amount: fee },
    });
    const size = encodeTx(
      assembleTx(body, placeholder, includePublicKey ? signer.publicKey : undefined),
    ).length;
    const need = requiredFee(schedule, size, types);
    if (need <= fee) return fee;
    fee = need;
  }
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

export type PublicKeyJson =
  | { ed25519: string }
  | { ml_dsa_65: string }
  | { multisig: { threshold: number; keys: PublicKeyJson[] } };

export function publicKeyToJson(key: PublicKey): PublicKeyJson {
  switch (key.key.case) {
    case "ed25519":
      return { ed25519: toHex(key.key.value) };
    case "mlDsa65":
      return { ml_dsa_65: toHex(key.key.value) };
    case "multisig":
      return {
        multisig: { threshold: key.key.value.threshold, keys: key.key.value.keys.map(publicKeyToJson) },
      };
    default:
      throw new BttError("MISSING_PUBLIC_KEY", "public key has no key set");
  }
}

/** The API's JSON form of a signed tx (POST /v1/txs accepts it; the server re-encodes it canonically). */
export interface JsonTx {
  body: {
    chain_id: string;
    sender: string;
    nonce: string;
    fee: { denom: string; amount: string };
    messages: Array<{ type: string; value: JsonObject }>;
    memo: string;
  };
  public_key?: PublicKeyJson;
  signature: string;
}

export function txToJson(tx: Tx): JsonTx {
  const body = tx.body;
  if (!body?.fee) throw new BttError("TX_MALFORMED", "transaction has no body or no fee");
  return {
    body: {
      chain_id: body.chainId,
      sender: body.sender,
      nonce: body.nonce.toString(),
      fee: { denom: body.fee.denom, amount: body.fee.amount },
      messages: body.messages.map(messageToJson),
      memo: body.memo,
    },
    ...(tx.publicKey ? { public_key: publicKeyToJson(tx.publicKey) } : {}),
    signature: toHex(tx.signature),
  };
}
