// The fee schedule: pure and browser-safe, so a wallet computes the same required fee the ante
// handler checks (exported as @btt/modules/auth/fee).
import { JsonFields } from "../framework/fields.ts";

/** required fee = baseFee + feePerByte × tx bytes + Σ messageFees[message type], in feeDenom. */
export interface FeeSchedule {
  /** Fees are paid in this denomination (BTT's base unit). */
  feeDenom: string;
  baseFee: bigint;
  feePerByte: bigint;
  messageFees: ReadonlyMap<string, bigint>;
}

/** The fee fields of the auth parameters' JSON (`fee_denom`, `base_fee`, …); other fields are ignored. */
export function parseFeeSchedule(
  raw: unknown,
  f = new JsonFields("INVALID_PARAMS", "auth.params"),
): FeeSchedule {
  const o = f.object(raw);
  const fees = f.at("message_fees");
  const feeTable = fees.object(o.message_fees ?? {});
  return {
    feeDenom: f.string(o, "fee_denom"),
    baseFee: f.amount(o, "base_fee"),
    feePerByte: f.amount(o, "fee_per_byte"),
    messageFees: new Map(Object.keys(feeTable).map((type) => [type, fees.amount(feeTable, type)])),
  };
}

/** The smallest fee a transaction of this size (encoded, signature included) and these message types must offer. */
export function requiredFee(schedule: FeeSchedule, txBytes: number, messageTypes: readonly string[]): bigint {
  let fee = schedule.baseFee + schedule.feePerByte * BigInt(txBytes);
  for (const type of messageTypes) fee += schedule.messageFees.get(type) ?? 0n;
  return fee;
}
