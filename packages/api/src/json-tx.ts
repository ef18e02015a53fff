// Transactions in JSON: the schema of a JSON tx (built from the chain's message types), its
// canonical binary encoding (the same bytes, so the same hash and signature, as the binary form),
// and the JSON view of a stored tx.
import {
  assembleTx,
  BttError,
  createTxBody,
  encodeTx,
  fromHex,
  type Msg,
  msg,
  type PublicKey,
  PublicKeySchema,
  type Tx,
  toHex,
} from "@btt/core";
import type { Module } from "@btt/modules";
import {
  create,
  type DescField,
  type DescMessage,
  fromBinary,
  fromJson,
  type JsonValue,
  ScalarType,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { type TSchema, Type } from "@sinclair/typebox";
import { Address, Amount, Coin, Denom, PublicKeyJson, U64 } from "./schemas.ts";

const COIN_TYPE = "btt.tx.v1.Coin";
const MAX_NESTING = 8;

/** A message type's JSON schema from its protobuf descriptor (proto field names; bigints as strings). */
export function messageJsonSchema(desc: DescMessage, depth = 0): TSchema {
  if (desc.typeName === COIN_TYPE) return Coin;
  if (depth > MAX_NESTING) return Type.Object({});
  const properties: Record<string, TSchema> = {};
  for (const field of desc.fields) properties[field.name] = Type.Optional(fieldSchema(field, depth));
  return Type.Object(properties, { additionalProperties: false });
}

function scalarSchema(scalar: ScalarType, name: string): TSchema {
  switch (scalar) {
    case ScalarType.STRING:
      return name === "denom" ? Denom : name === "amount" ? Amount : Type.String();
    case ScalarType.BOOL:
      return Type.Boolean();
    case ScalarType.BYTES:
      return Type.String({ pattern: "^[A-Za-z0-9+/]*={0,2}$", description: "bytes in base64" });
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return Type.Integer({ minimum: 0, maximum: 0xffffffff });
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return Type.Integer({ minimum: -0x80000000, maximum: 0x7fffffff });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return U64;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return Type.String({
        pattern: "^-?(0|[1-9][0-9]{0,18})$",
        description: "an integer written as a string",
      });
    default:
      // Floats have no place in ledger messages; accept nothing rather than guess.
      return Type.Never({ description: "not a supported field type" });
  }
}

function fieldSchema(field: DescField, depth: number): TSchema {
  switch (field.fieldKind) {
    case "scalar":
      return scalarSchema(field.scalar, field.name);
    case "enum":
      return Type.Union(field.enum.values.map((v) => Type.Literal(v.name)));
    case "message":
      return messageJsonSchema(field.message, depth + 1);
    case "list":
      return Type.Array(
        field.listKind === "message"
          ? messageJsonSchema(field.message, depth + 1)
          : field.listKind === "enum"
            ? Type.String()
            : scalarSchema(field.scalar, field.name),
      );
    case "map":
      return Type.Record(Type.String(), Type.Unknown());
  }
}

/** Every message type the chain handles, by type name. */
export function messageTypes(modules: readonly Module[]): Map<string, DescMessage> {
  const out = new Map<string, DescMessage>();
  for (const m of modules) for (const t of m.messages) out.set(t.type, t.schema);
  return out;
}

/** The JSON tx schema: `messages` is a union discriminated by `type`. */
export function jsonTxSchema(types: Map<string, DescMessage>, maxMessages = 64): TSchema {
  const variants = [...types].map(([type, desc]) =>
    Type.Object(
      { type: Type.Literal(type), value: messageJsonSchema(desc) },
      { additionalProperties: false, title: type },
    ),
  );
  const message = Type.Unsafe({
    oneOf: variants,
    discriminator: { propertyName: "type" },
    description: `a message: {"type": one of ${[...types.keys()].join(", ")}, "value": {…}}`,
  });
  return Type.Object(
    {
      body: Type.Object(
        {
          chain_id: Type.String({ minLength: 1, maxLength: 64 }),
          sender: Address,
          nonce: U64,
          fee: Coin,
          messages: Type.Array(message, { minItems: 1, maxItems: maxMessages }),
          memo: Type.Optional(Type.String({ maxLength: 1024 })),
        },
        { additionalProperties: false },
      ),
      public_key: Type.Optional(PublicKeyJson),
      signature: Type.String({
        pattern: "^([0-9a-f]{2}){1,8192}$",
        description: "the signature in lower-case hex",
      }),
    },
    { additionalProperties: false, title: "JsonTx" },
  );
}

export interface JsonTx {
  body: {
    chain_id: string;
    sender: string;
    nonce: string;
    fee: { denom: string; amount: string };
    messages: Array<{ type: string; value: Record<string, unknown> }>;
    memo?: string;
  };
  public_key?: PublicKeyJsonValue;
  signature: string;
}

type SingleKeyJson = { ed25519: string } | { ml_dsa_65: string };
type PublicKeyJsonValue = SingleKeyJson | { multisig: { threshold: number; keys: SingleKeyJson[] } };

function singleKeyFromJson(k: SingleKeyJson): PublicKey {
  if ("ed25519" in k) return create(PublicKeySchema, { key: { case: "ed25519", value: fromHex(k.ed25519) } });
  return create(PublicKeySchema, { key: { case: "mlDsa65", value: fromHex(k.ml_dsa_65) } });
}

export function publicKeyFromJson(k: PublicKeyJsonValue): PublicKey {
  if ("multisig" in k) {
    const { threshold, keys } = k.multisig;
    return create(PublicKeySchema, {
      key: { case: "multisig", value: { threshold, keys: keys.map(singleKeyFromJson) } },
    });
  }
  return singleKeyFromJson(k);
}

export function publicKeyToJson(key: PublicKey): Record<string, unknown> {
  switch (key.key.case) {
    case "ed25519":
      return { ed25519: toHex(key.key.value) };
    case "mlDsa65":
      return { ml_dsa_65: toHex(key.key.value) };
    case "multisig":
      return {
        multisig: {
          threshold: key.key.value.threshold,
          keys: key.key.value.keys.map(publicKeyToJson),
        },
      };
    default:
      return {};
  }
}

/**
 * The canonical bytes of a JSON tx (already checked against jsonTxSchema). The body is encoded by
 * the same code as `txSignBytes`, so the signature a client made over the canonical body verifies.
 */
export function encodeJsonTx(json: JsonTx, types: Map<string, DescMessage>): Uint8Array {
  const messages: Msg[] = json.body.messages.map((m, i) => {
    const desc = types.get(m.type);
    if (!desc) {
      throw new BttError("UNKNOWN_MESSAGE", `body.messages[${i}].type "${m.type}" is not a message type`, {
        field: `body.messages[${i}].type`,
      });
    }
    let value: ReturnType<typeof fromJson>;
    try {
      value = fromJson(desc, m.value as JsonValue);
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

/** The JSON form of a decoded tx (messages decoded by their types; unknown ones as base64). */
export function txToJson(tx: Tx, types: Map<string, DescMessage>): JsonTx {
  const body = tx.body!;
  return {
    body: {
      chain_id: body.chainId,
      sender: body.sender,
      nonce: body.nonce.toString(),
      fee: { denom: body.fee?.denom ?? "", amount: body.fee?.amount ?? "0" },
      messages: body.messages.map((m) => ({ type: m.type, value: messageValueJson(m, types) })),
      memo: body.memo,
    },
    ...(tx.publicKey ? { public_key: publicKeyToJson(tx.publicKey) as PublicKeyJsonValue } : {}),
    signature: toHex(tx.signature),
  };
}

function messageValueJson(m: Msg, types: Map<string, DescMessage>): Record<string, unknown> {
  const desc = types.get(m.type);
  if (desc) {
    try {
      return toJson(desc, fromBinary(desc, m.value), { useProtoFieldName: true }) as Record<string, unknown>;
    } catch {
      // fall through: shown as raw bytes
    }
  }
  return { "@bytes": Buffer.from(m.value).toString("base64") };
}
