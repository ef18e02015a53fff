// JSON schemas shared by the routes (TypeBox). `description` doubles as the error text: a value
// that fails a schema is reported as "<field> must be <description>" (see errors.ts).
import { type TSchema, Type } from "@sinclair/typebox";

export const Amount = Type.String({
  pattern: "^(0|[1-9][0-9]{0,77})$",
  description: "a non-negative integer in base 10 written as a string, without decimals or leading zeros",
  examples: ["1000"],
});

/** A uint64 (nonce, height, time): decimal string. */
export const U64 = Type.String({
  pattern: "^(0|[1-9][0-9]{0,19})$",
  description: "a non-negative integer in base 10 written as a string",
  examples: ["42"],
});

export const Height = Type.String({
  pattern: "^[1-9][0-9]{0,9}$",
  description: "a block height: a positive integer in base 10 written as a string",
  examples: ["1"],
});

export const Address = Type.String({
  pattern: "^btt1[02-9ac-hj-np-z]{38}$",
  description: 'a bech32 account address: "btt1" and 38 lower-case bech32 characters',
  examples: ["btt1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn7cq8gk"],
});

export const Denom = Type.String({
  pattern: "^[a-z][a-z0-9/._-]{2,63}$",
  description: "a denomination: 3 to 64 characters of a-z 0-9 / . _ -, starting with a letter",
  examples: ["ubtt"],
});

export const Hash = Type.String({
  pattern: "^[0-9a-f]{64}$",
  description: "a 32-byte hash in lower-case hex (64 characters)",
});

export const Hex = Type.String({ pattern: "^([0-9a-f]{2})*$", description: "bytes in lower-case hex" });

export const ModuleName = Type.String({
  pattern: "^[a-z][a-z0-9_]{0,31}$",
  description: "a module name (lower-case letters, digits, _)",
  examples: ["bank"],
});

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: "stable error name (@btt/core ErrorCode)" }),
    message: Type.String(),
    details: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: "Error", description: "An error: stable code, what was wrong, details" },
);

export const Coin = Type.Object({ denom: Type.String(), amount: Amount }, { additionalProperties: false });

export const Attribute = Type.Object({ key: Type.String(), value: Type.String() });
export const EventView = Type.Object({ type: Type.String(), attributes: Type.Array(Attribute) });

export const TxResultView = Type.Object({
  code: Type.Integer({ description: "0 = success; otherwise an ErrorCode number" }),
  code_name: Type.String(),
  log: Type.String(),
  events: Type.Array(EventView),
});

/** A public key in JSON: exactly one of the three forms. */
export const PublicKeyJson: TSchema = Type.Union(
  [
    Type.Object(
      { ed25519: Type.String({ pattern: "^[0-9a-f]{64}$", description: "32 bytes in lower-case hex" }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        ml_dsa_65: Type.String({
          pattern: "^[0-9a-f]{3904}$",
          description: "a 1952-byte ML-DSA-65 key in lower-case hex",
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        multisig: Type.Object(
          {
            threshold: Type.Integer({ minimum: 1, maximum: 16 }),
            keys: Type.Array(
              Type.Union([
                Type.Object(
                  { ed25519: Type.String({ pattern: "^[0-9a-f]{64}$" }) },
                  { additionalProperties: false },
                ),
                Type.Object(
                  { ml_dsa_65: Type.String({ pattern: "^[0-9a-f]{3904}$" }) },
                  { additionalProperties: false },
                ),
              ]),
              { minItems: 1, maxItems: 16 },
            ),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'a public key: {"ed25519": hex} or {"ml_dsa_65": hex} or {"multisig": {threshold, keys}}' },
);

/** The public key as the API returns it (no validation patterns: it is ours). */
export const PublicKeyOut = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]);

/** Pagination query: `limit` 1..100 (default 20) and the opaque `cursor` of the previous page. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: "an integer from 1 to 100" }),
  ),
  cursor: Type.Optional(
    Type.String({
      pattern: "^[A-Za-z0-9_-]{1,64}$",
      description: "the next_cursor of the previous page",
    }),
  ),
};

/** 4xx/5xx responses of every route. */
export const errorResponses = {
  "4xx": { $ref: "Error#" },
  "5xx": { $ref: "Error#" },
} as const;
