import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";

/** Fee schedule and transaction limits, all governance parameters. */
export interface AuthParams {
  /** Fees are paid in this denomination (BTT's base unit). */
  feeDenom: string;
  /** required fee = baseFee + feePerByte × tx bytes + Σ messageFees[message type] */
  baseFee: bigint;
  feePerByte: bigint;
  messageFees: ReadonlyMap<string, bigint>;
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
  const fees = f.at("message_fees");
  const feeTable = fees.object(o.message_fees ?? {});
  return {
    feeDenom: f.string(o, "fee_denom"),
    baseFee: f.amount(o, "base_fee"),
    feePerByte: f.amount(o, "fee_per_byte"),
    messageFees: new Map(Object.keys(feeTable).map((type) => [type, fees.amount(feeTable, type)])),
    maxTxBytes: f.integer(o, "max_tx_bytes", 256, 4 * 1024 * 1024),
    maxMessages: f.integer(o, "max_messages", 1, 1024),
    maxMemoBytes: f.integer(o, "max_memo_bytes", 0, 65536),
  };
}

export class AuthParamsStore {
  private readonly store = new ParamsStore("auth", validateAuthParams);
  read(kv: KVStore): AuthParams {
    return this.store.get(new PrefixStore(kv, "auth"));
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, "auth"));
  }
  write(kv: KVStore, raw: unknown): AuthParams {
    return this.store.set(new PrefixStore(kv, "auth"), raw);
  }
}

/** The smallest fee a transaction of this size and these message types must offer. */
export function requiredFee(params: AuthParams, txBytes: number, messageTypes: readonly string[]): bigint {
  let fee = params.baseFee + params.feePerByte * BigInt(txBytes);
  for (const type of messageTypes) fee += params.messageFees.get(type) ?? 0n;
  return fee;
}
