import { create, toBinary } from "@bufbuild/protobuf";
import { parseAmount } from "./amount.ts";
import { BttError } from "./errors.ts";
import {
  type Coin,
  CoinSchema,
  type Msg,
  MsgSchema,
  type PublicKey,
  type Tx,
  type TxBody,
  TxBodySchema,
  TxSchema,
} from "./gen/btt/tx/v1/tx_pb.ts";
import { sha256, utf8 } from "./hash.ts";
import type { Signer } from "./keys.ts";
import { decodeTxStrict } from "./strict-decode.ts";

/** Domain prefix of the signed bytes, so a tx signature can never be replayed as another kind of signature. */
const SIGN_DOMAIN = utf8.encode("btt/tx/v1\n");
export const DEFAULT_MAX_TX_BYTES = 128 * 1024;

export interface TxDraft {
  chainId: string;
  sender: string;
  nonce: bigint;
  fee: { denom: string; amount: bigint };
  messages: Msg[];
  memo?: string;
}

/** A transaction that decoded canonically, with what every later stage needs. */
export interface DecodedTx {
  readonly tx: Tx;
  readonly body: TxBody;
  readonly bytes: Uint8Array;
  readonly hash: Uint8Array;
  /** The bytes the signature covers; a fresh array on each read. */
  readonly signBytes: Uint8Array;
}

export function coin(denom: string, amount: bigint): Coin {
  return create(CoinSchema, { denom, amount: amount.toString() });
}

export function msg(type: string, value: Uint8Array): Msg {
  return create(MsgSchema, { type, value });
}

export function createTxBody(draft: TxDraft): TxBody {
  return create(TxBodySchema, {
    chainId: draft.chainId,
    sender: draft.sender,
    nonce: draft.nonce,
    fee: coin(draft.fee.denom, draft.fee.amount),
    messages: draft.messages,
    memo: draft.memo ?? "",
  });
}

/** The one definition of the bytes a transaction's signature covers. */
export function txSignBytes(body: TxBody): Uint8Array {
  return signBytesOfEncodedBody(toBinary(TxBodySchema, body));
}

function signBytesOfEncodedBody(bodyBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGN_DOMAIN.length + bodyBytes.length);
  out.set(SIGN_DOMAIN, 0);
  out.set(bodyBytes, SIGN_DOMAIN.length);
  return out;
}

/** Builds a signed transaction. `includePublicKey` is needed on an account's first transaction. */
export function signTx(body: TxBody, signer: Signer, includePublicKey = true): Tx {
  return assembleTx(body, signer.sign(txSignBytes(body)), includePublicKey ? signer.publicKey : undefined);
}

/** A transaction from a body and a signature made elsewhere (a multisig, a hardware wallet). */
export function assembleTx(body: TxBody, signature: Uint8Array, publicKey?: PublicKey): Tx {
  return create(TxSchema, { body, signature, ...(publicKey ? { publicKey } : {}) });
}

export function encodeTx(tx: Tx): Uint8Array {
  return toBinary(TxSchema, tx);
}

export function txHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

/**
 * Decodes transaction bytes and insists they are the canonical encoding (fields in
 * order, no unknown fields, no default values written), so one transaction has one hash.
 */
export function decodeTx(bytes: Uint8Array, maxBytes = DEFAULT_MAX_TX_BYTES): DecodedTx {
  if (bytes.length > maxBytes) {
    throw new BttError("TX_TOO_LARGE", `transaction has ${bytes.length} bytes; the limit is ${maxBytes}`, {
      bytes: bytes.length,
      limit: maxBytes,
    });
  }
  let tx: Tx;
  try {
    tx = decodeTxStrict(bytes);
  } catch (err) {
    throw new BttError(
      "TX_MALFORMED",
      `transaction bytes are not a canonical transaction: ${(err as Error).message}`,
    );
  }
  const body = tx.body;
  if (!body) throw new BttError("TX_MALFORMED", "transaction has no body");
  return {
    tx,
    body,
    bytes,
    hash: txHash(bytes),
    // Built when asked (once, for the signature check): a pending tx need not keep a second copy
    // of its body alive in the mempool.
    get signBytes() {
      return signBytesOfEncodedBody(encodedBodyOf(bytes));
    },
  };
}

/** In canonical bytes the body (field 1, length-delimited) comes first: slice it instead of re-encoding. */
function encodedBodyOf(bytes: Uint8Array): Uint8Array {
  let offset = 1; // tag 0x0a
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const byte = bytes[offset++]!;
    length |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  return bytes.subarray(offset, offset + length);
}

/** Stateless checks of a body's fields (the ante handler does the stateful ones). */
export function validateTxBody(body: TxBody, limits: { maxMessages: number; maxMemoBytes: number }): void {
  if (!body.fee) throw new BttError("INSUFFICIENT_FEE", "transaction has no fee");
  parseAmount(body.fee.amount, "fee");
  if (body.messages.length === 0) throw new BttError("INVALID_MESSAGE", "transaction has no messages");
  if (body.messages.length > limits.maxMessages) {
    throw new BttError("INVALID_MESSAGE", `transaction has more than ${limits.maxMessages} messages`);
  }
  // A memo's UTF-8 length is at most 3 bytes per UTF-16 unit: most need no encoding to check.
  if (body.memo.length * 3 > limits.maxMemoBytes && utf8.encode(body.memo).length > limits.maxMemoBytes) {
    throw new BttError("INVALID_MESSAGE", `memo is longer than ${limits.maxMemoBytes} bytes`);
  }
}
