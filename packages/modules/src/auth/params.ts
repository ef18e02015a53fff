import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";
import { type FeeSchedule, parseFeeSchedule } from "./fee.ts";

/** Fee schedule and transaction limits, all governance parameters. */
export interface AuthParams extends FeeSchedule {
  maxTxBytes: number;
  maxMessages: number;
  maxMemoBytes: number;
}

export const DEFAULT_AUTH_PARAMS = {
  fee_denom: "ubtt",
  base_fee: "1000",
  fee_per_byte: "10",
  message_fees: {} as Record<string, string>,
  max_tx_bytes: 131072,
  max_messages: 64,
  max_memo_bytes: 256,
};

function validateAuthParams(raw: unknown): AuthParams {
  const f = new JsonFields("INVALID_PARAMS", "auth.params");
  const o = f.object(raw);
  return {
    ...parseFeeSchedule(o, f),
    maxTxBytes: f.integer(o, "max_tx_bytes", 256, 4 * 1024 * 1024),
    maxMessages: f.integer(o, "max_messages", 1, 1024),
    maxMemoBytes: f.integer(o, "max_memo_bytes", 0, 65536),
  };
}

export class AuthParamsStore {
  private readonly store = new ParamsStore("auth", validateAuthParams);
  read(kv: KVStore): AuthParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, "auth"));
  }
  write(kv: KVStore, raw: unknown): AuthParams {
    return this.store.set(new PrefixStore(kv, "auth"), raw);
  }
}
