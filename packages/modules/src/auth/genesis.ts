import {
  addressBytes,
  addressOf,
  type BttError,
  encodeAddress,
  type PublicKey,
  PublicKeySchema,
  validatePublicKey,
} from "@btt/core";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { JsonFields } from "../framework/fields.ts";
import type { ModuleGenesis } from "../framework/module.ts";
import type { AuthKeeper } from "./keeper.ts";
import { type AuthParamsStore, DEFAULT_AUTH_PARAMS } from "./params.ts";

export interface AuthGenesis {
  params: unknown;
  /** Accounts known at genesis; `public_key` (protobuf JSON, e.g. {"ed25519": "<base64>"}) is optional. */
  accounts: Array<{ address: string; public_key?: JsonValue; nonce?: string }>;
}

export function authGenesis(keeper: AuthKeeper, params: AuthParamsStore): ModuleGenesis<AuthGenesis> {
  return {
    defaultGenesis: () => ({ params: DEFAULT_AUTH_PARAMS, accounts: [] }),

    validateGenesis(raw) {
      const f = new JsonFields("INVALID_GENESIS", "auth");
      const o = f.object(raw);
      const seen = new Set<string>();
      const accounts = f.array(o, "accounts", []).map((a, i) => {
        const af = f.at("accounts").at(i);
        const ao = af.object(a);
        const address = af.string(ao, "address");
        try {
          addressBytes(address);
        } catch (err) {
          af.check(false, `is not an address: ${(err as BttError).message}`, "address");
        }
        af.check(!seen.has(address), "repeats an address listed earlier", "address");
        seen.add(address);
        if (ao.public_key !== undefined) {
          const key = parsePublicKey(af, ao.public_key as JsonValue);
          af.check(addressOf(key) === address, "is not the key of this address", "public_key");
        }
        const nonce = ao.nonce === undefined ? undefined : af.amount(ao, "nonce").toString();
        return {
          address,
          ...(ao.public_key !== undefined ? { public_key: ao.public_key as JsonValue } : {}),
          ...(nonce ? { nonce } : {}),
        };
      });
      return { params: o.params ?? DEFAULT_AUTH_PARAMS, accounts };
    },

    initGenesis(ctx, g) {
      params.write(ctx.kv, g.params);
      for (const a of g.accounts) {
        const key = a.public_key === undefined ? undefined : fromJson(PublicKeySchema, a.public_key);
        if (key) keeper.setPublicKey(ctx.kv, a.address, key);
        if (a.nonce !== undefined) keeper.setNextNonce(ctx.kv, a.address, BigInt(a.nonce));
      }
    },

    exportGenesis(ctx) {
      return {
        params: params.raw(ctx.kv),
        accounts: [...keeper.accounts(ctx.kv)].map((a) => ({
          address: encodeAddress(a.address),
          ...(a.publicKey ? { public_key: toJson(PublicKeySchema, a.publicKey) } : {}),
          nonce: a.nonce.toString(),
        })),
      };
    },
  };
}

function parsePublicKey(f: JsonFields, raw: JsonValue): PublicKey {
  let key: PublicKey | undefined;
  try {
    key = fromJson(PublicKeySchema, raw);
    validatePublicKey(key);
  } catch (err) {
    f.check(false, `is not a valid public key: ${(err as Error).message}`, "public_key");
  }
  return key!;
}
