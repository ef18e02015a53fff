// The JSON form of a transaction, both ways: the API accepts it (and shows stored txs in it), the
// SDK writes it. One definition, so the client's JSON and the server's canonical re-encoding of it
// cannot drift apart. Proto field names, integers as decimal strings, keys and the signature in
// lowercase hex; message values follow protobuf's JSON mapping (bytes fields in base64).
import {
  create,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonObject,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { base64 } from "@scure/base";
import { BttError } from "./errors.ts";
import { type Msg, type PublicKey, PublicKeySchema, type Tx } from "./gen/btt/tx/v1/tx_pb.ts";
import { fromHex, toHex } from "./hash.ts";
import { assembleTx, createTxBody, encodeTx, msg } from "./tx.ts";

export type PublicKeyJson =
  | { ed25519: string }
  | { ml_dsa_65: string }
  | { multisig: { threshold: number; keys: PublicKeyJson[] } };

export interface JsonMsg {
  type: string;
  value: JsonObject;
}

export interface JsonTx {
  body: {
    chain_id: string;
    sender: string;
    nonce: string;
    fee: { denom: string; amount: string };
    messages: JsonMsg[];
    /** Optional on input (empty); always written by txToJson. */
    memo?: string;
  };
  public_key?: PublicKeyJson;
  signature: string;
}

/** The protobuf schema of each message type, by type name. */
export type MessageTypes = ReadonlyMap<string, DescMessage>;

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

/** The key of a JSON public key whose hex is already checked (the API's schema does it). */
export function publicKeyFromJson(k: PublicKeyJson): PublicKey {
  if ("multisig" in k) {
    const { threshold, keys } = k.multisig;
    return create(PublicKeySchema, {
      key: { case: "multisig", value: { threshold, keys: keys.map(publicKeyFromJson) } },
    });
  }
  if ("ed25519" in k) return create(PublicKeySchema, { key: { case: "ed25519", value: fromHex(k.ed25519) } });
  return create(PublicKeySchema, { key: { case: "mlDsa65", value: fromHex(k.ml_dsa_65) } });
}

/**
 * The JSON form of a decoded tx, its messages decoded by `types`. Strict by default: what a client
 * submits must be whole (a fee, only messages it knows). `lenient` is for showing a tx a block
 * already holds, which may have failed the ante checks for lacking exactly that: a missing fee
 * shows as 0, an unknown or undecodable message as its raw bytes, `{"@bytes": base64}`.
 */
export function txToJson(tx: Tx, types: MessageTypes, opts: { lenient?: boolean } = {}): JsonTx {
  const body = tx.body;
  const lenient = opts.lenient ?? false;
  if (!body || (!body.fee && !lenient))
    throw new BttError("TX_MALFORMED", "transaction has no body or no fee");
  return {
    body: {
      chain_id: body.chainId,
      sender: body.sender,
      nonce: body.nonce.toString(),
      fee: { denom: body.fee?.denom ?? "", amount: body.fee?.amount ?? "0" },
      messages: body.messages.map((m) => messageToJson(m, types, lenient)),
      memo: body.memo,
    },
    ...(tx.publicKey ? { public_key: publicKeyToJson(tx.publicKey) } : {}),
    signature: toHex(tx.signature),
  };
}

/** A message as `{type, value}`; see txToJson for `lenient`. */
export function messageToJson(m: Msg, types: MessageTypes, lenient = false): JsonMsg {
  const desc = types.get(m.type);
  if (desc) {
    try {
      const value = toJson(desc, fromBinary(desc, m.value), { useProtoFieldName: true }) as JsonObject;
      return { type: m.type, value };
    } catch (err) {
      if (!lenient) throw err;
    }
  } else if (!lenient) {
    throw new BttError("UNKNOWN_MESSAGE", `message type "${m.type}" is not a known message type`, {
      type: m.type,
    });
  }
  return { type: m.type, value: { "@bytes": base64.encode(m.value) } };
}

/**
 * The canonical bytes of a JSON tx whose shape is already checked (the API's schema does it). The
 * body is encoded by the same code as `txSignBytes`, so a signature made over the canonical body
 * verifies. Message values that do not fit their type throw INVALID_REQUEST naming the field.
 */
export function encodeJsonTx(json: JsonTx, types: MessageTypes): Uint8Array {
  const messages: Msg[] = json.body.messages.map((m, i) => {
    const desc = types.get(m.type);
    if (!desc) {
      throw new BttError("UNKNOWN_MESSAGE", `body.messages[${i}].type "${m.type}" is not a message type`, {
        field: `body.messages[${i}].type`,
      });
    }
    let value: ReturnType<typeof fromJson>;
    try {
      value = fromJson(desc, m.value);
    } catch (err) {
      throw new BttError("INVALID_REQUEST", `body.messages[${i}].value: ${(err as Error).message}`, {
        field: `body.messages[${i}].value`,
      });
    }
    return msg(m.type, toBinary(desc, value));
  });
  const body = createTxBody({
    chainId: json.body.chain_id,
    sender: json.body.sender,
    nonce: BigInt(json.body.nonce),
    fee: { denom: json.body.fee.denom, amount: BigInt(json.body.fee.amount) },
    messages,
    memo: json.body.memo ?? "",
  });
  const key = json.public_key ? publicKeyFromJson(json.public_key) : undefined;
  return encodeTx(assembleTx(body, fromHex(json.signature), key));
}
