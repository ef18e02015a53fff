import { addressBytes, BttError, keyTypeOf, PublicKeySchema } from "@btt/core";
import { toJson } from "@bufbuild/protobuf";
import type { QueryType } from "../framework/module.ts";
import type { AuthKeeper } from "./keeper.ts";
import type { AuthParamsStore } from "./params.ts";

export function authQueries(keeper: AuthKeeper, params: AuthParamsStore): QueryType[] {
  return [
    {
      name: "account",
      description: "An account's key type, public key and next nonce: {address}",
      handle(ctx, p) {
        if (!p.address) throw new BttError("INVALID_MESSAGE", 'query parameter "address" is required');
        addressBytes(p.address);
        const key = keeper.publicKey(ctx.kv, p.address);
        return {
          address: p.address,
          nonce: keeper.nextNonce(ctx.kv, p.address).toString(),
          key_type: key ? keyTypeOf(key) : null,
          public_key: key ? toJson(PublicKeySchema, key) : null,
        };
      },
    },
    {
      name: "params",
      description: "Fee schedule and transaction limits",
      handle: (ctx) => params.raw(ctx.kv),
    },
  ];
}
