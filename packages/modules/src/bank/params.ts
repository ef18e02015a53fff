import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";

export interface BankParams {
  /** Governance can halt transfers (mint and burn stay available to minters). */
  sendEnabled: boolean;
}

export const DEFAULT_BANK_PARAMS = { send_enabled: true };

function validateBankParams(raw: unknown): BankParams {
  const f = new JsonFields("INVALID_PARAMS", "bank.params");
  const o = f.object(raw);
  f.check(typeof o.send_enabled === "boolean", "must be true or false", "send_enabled");
  return { sendEnabled: o.send_enabled as boolean };
}

export class BankParamsStore {
  private readonly store = new ParamsStore("bank", validateBankParams);
  read(kv: KVStore): BankParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, "bank"));
  }
  write(kv: KVStore, raw: unknown): BankParams {
    return this.store.set(new PrefixStore(kv, "bank"), raw);
  }
}
