import { addressBytes } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";
import { CREDENTIAL_TYPES, type CredentialType, isCredentialType } from "./types.ts";

export const IDENTITY = "identity";

export interface IdentityParams {
  /** Root authorities per credential type: they may issue, and authorise (delegably) others. */
  authorities: ReadonlyMap<CredentialType, ReadonlySet<string>>;
  /** Longest chain of delegations below a root (root → d1 → … → dN issues). */
  maxDelegationDepth: number;
  /** Listed (unrevoked, unexpired) credentials a subject may hold of one type. */
  maxCredentialsPerType: number;
}

export const DEFAULT_IDENTITY_PARAMS = {
  authorities: {},
  max_delegation_depth: 4,
  max_credentials_per_type: 16,
};

export function validateIdentityParams(raw: unknown): IdentityParams {
  const f = new JsonFields("INVALID_PARAMS", "identity.params");
  const o = f.object(raw);
  const af = f.at("authorities");
  const ao = af.object(o.authorities);
  const authorities = new Map<CredentialType, Set<string>>();
  for (const type of Object.keys(ao).sort()) {
    af.check(isCredentialType(type), `names "${type}", which is not a credential type`);
    const list = af.array(ao, type);
    const set = new Set<string>();
    list.forEach((address, i) => {
      const at = `${type}[${i}]`;
      af.check(typeof address === "string", "must be an address", at);
      try {
        addressBytes(address as string);
      } catch {
        af.check(false, "is not an address", at);
      }
      af.check(!set.has(address as string), "lists an address twice", at);
      set.add(address as string);
    });
    authorities.set(type as CredentialType, set);
  }
  return {
    authorities,
    maxDelegationDepth: f.integer(o, "max_delegation_depth", 0, 16),
    maxCredentialsPerType: f.integer(o, "max_credentials_per_type", 1, 256),
  };
}

export class IdentityParamsStore {
  private readonly store = new ParamsStore(IDENTITY, validateIdentityParams);
  read(kv: KVStore): IdentityParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, IDENTITY));
  }
  write(kv: KVStore, raw: unknown): IdentityParams {
    return this.store.set(new PrefixStore(kv, IDENTITY), raw);
  }
}

export { CREDENTIAL_TYPES };
