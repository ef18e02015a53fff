// Accounts (nonce, key, balances), one balance with its Merkle proof, an account's txs.
import { addressBytes, BttError, decodeAmount, keyTypeOf, toHex } from "@btt/core";
import { balanceStateKey } from "@btt/modules";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { publicKeyToJson } from "../json-tx.ts";
import { Address, Coin, Denom, errorResponses, PageQuery, PublicKeyOut } from "../schemas.ts";
import type { ApiContext } from "../server.ts";
import { storedTxJson, TxSchema } from "../views.ts";

/** Checks an address's checksum (the schema checked its shape); INVALID_ADDRESS names the field. */
export function checkAddress(address: string, field = "address"): void {
  try {
    addressBytes(address, field);
  } catch (err) {
    if (err instanceof BttError) throw new BttError(err.code, err.message, { ...err.details, field });
    throw err;
  }
}

const Account = Type.Object({
  address: Type.String(),
  nonce: Type.String({ description: "the nonce the account's next transaction must carry" }),
  key_type: Type.Union([Type.String(), Type.Null()]),
  public_key: PublicKeyOut,
  balances: Type.Array(Coin),
});

const Balance = Type.Object({
  address: Type.String(),
  denom: Type.String(),
  amount: Type.String(),
  height: Type.String({ description: "the state height the amount is read (and proven) at" }),
  app_hash: Type.Optional(Type.String({ description: "app hash of that height's block header" })),
  proof: Type.Optional(Type.String({ description: "@btt/state encodeProof, hex" })),
  key: Type.Optional(Type.String({ description: "the full state key, hex" })),
  value: Type.Optional(
    Type.Union([Type.String(), Type.Null()], { description: "the raw state value, hex (null: absent)" }),
  ),
});

const BalanceQuery = Type.Object(
  { prove: Type.Optional(Type.Boolean({ description: "true or false" })) },
  { additionalProperties: false },
);

const AccountTxsQuery = Type.Object(PageQuery, { additionalProperties: false });

export async function accountRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node, types } = ctx;
  const { auth, bank } = node.ledger.app;

  app.get<{ Params: { address: string } }>(
    "/accounts/:address",
    {
      schema: {
        tags: ["accounts"],
        summary: "An account: next nonce, key type, public key, balances",
        params: Type.Object({ address: Address }),
        response: { 200: Account, ...errorResponses },
      },
    },
    async (request) => {
      const { address } = request.params;
      checkAddress(address);
      const kv = node.ledger.committed;
      const key = auth.keeper.publicKey(kv, address);
      return {
        address,
        nonce: auth.keeper.nextNonce(kv, address).toString(),
        key_type: key ? keyTypeOf(key) : null,
        public_key: key ? publicKeyToJson(key) : null,
        balances: bank.keeper
          .balances(kv, address)
          .map((c) => ({ denom: c.denom, amount: c.amount.toString() })),
      };
    },
  );

  app.get<{ Params: { address: string; denom: string }; Querystring: Static<typeof BalanceQuery> }>(
    "/bank/balances/:address/:denom",
    {
      schema: {
        tags: ["accounts"],
        summary: "One balance; with ?prove=true, its Merkle proof against the app hash of the height read",
        params: Type.Object({ address: Address, denom: Denom }),
        querystring: BalanceQuery,
        response: { 200: Balance, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { address, denom } = request.params;
      checkAddress(address);
      if (!request.query.prove) {
        const amount = bank.keeper.balance(node.ledger.committed, address, denom);
        return { address, denom, amount: amount.toString(), height: String(ctx.feed.height) };
      }
      const key = balanceStateKey(address, denom);
      const p = node.ledger.prove(key);
      // The hot read of wallets and light clients: written directly (every field is an address,
      // a denomination, digits or hex, all checked or produced here: nothing needs escaping).
      reply.type("application/json; charset=utf-8");
      return (
        `{"address":"${address}","denom":"${denom}","amount":"${decodeAmount(p.value)}",` +
        `"height":"${p.height}","app_hash":"${toHex(p.appHash)}","proof":"${toHex(p.proof)}",` +
        `"key":"${toHex(key)}","value":${p.value ? `"${toHex(p.value)}"` : "null"}}`
      );
    },
  );

  app.get<{ Params: { address: string }; Querystring: Static<typeof AccountTxsQuery> }>(
    "/accounts/:address/txs",
    {
      schema: {
        tags: ["accounts"],
        summary: "Transactions that touched the account (sent, received…), newest first",
        params: Type.Object({ address: Address }),
        querystring: AccountTxsQuery,
        response: {
          200: Type.Object({ txs: Type.Array(TxSchema), next_cursor: Type.Optional(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { address } = request.params;
      checkAddress(address);
      const { limit = 20, cursor } = request.query;
      let page: ReturnType<typeof node.ledger.blocks.txsOfAccount>;
      try {
        page = node.ledger.blocks.txsOfAccount(address, { limit, ...(cursor ? { cursor } : {}) });
      } catch (err) {
        if (err instanceof RangeError) {
          throw new BttError("INVALID_REQUEST", "query.cursor is not a cursor of this list", {
            field: "query.cursor",
          });
        }
        throw err;
      }
      return {
        txs: page.txs.map((t) => storedTxJson(t, types)),
        ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}),
      };
    },
  );
}
