// Transactions in JSON: the schema a JSON tx is checked against, built from the chain's message
// types. The JSON form itself (to and from the canonical bytes) is @btt/core's, shared with the SDK.
import type { Module } from "@btt/modules";
import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
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

// The routes that handle JSON txs import the JSON form from here, next to its schema.
export { encodeJsonTx, type JsonTx, publicKeyToJson, txToJson } from "@btt/core";
