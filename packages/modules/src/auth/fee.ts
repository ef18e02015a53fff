// The fee schedule: pure and browser-safe, so a wallet computes the same required fee the ante
// handler checks (exported as @btt/modules/auth/fee).
import {
  assembleTx,
  createTxBody,
  ED25519_SIGNATURE_BYTES,
  encodeTx,
  ML_DSA_65_SIGNATURE_BYTES,
  type Msg,
  type Signer,
} from "@btt/core";
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

/**
 * The smallest fee the schedule accepts for this tx once signed. The fee is part of the signed
 * body, so the size depends on it: iterate until the fee covers the size it produces.
 */
export function estimateFee(
  schedule: FeeSchedule,
  draft: { chainId: string; sender: string; nonce: bigint; messages: readonly Msg[]; memo?: string },
  signer: Pick<Signer, "type" | "publicKey">,
  includePublicKey = true,
): bigint {
  const placeholder = new Uint8Array(
    signer.type === "ed25519" ? ED25519_SIGNATURE_BYTES : ML_DSA_65_SIGNATURE_BYTES,
  );
  const types = draft.messages.map((m) => m.type);
  let fee = 0n;
  for (;;) {
    const body = createTxBody({
      ...draft,
      messages: [...draft.messages],
      fee: { denom: schedule.feeDenom, amount: fee },
    });
    const size = encodeTx(
      assembleTx(body, placeholder, includePublicKey ? signer.publicKey : undefined),
    ).length;
    const need = requiredFee(schedule, size, types);
    if (need <= fee) return fee;
    fee = need;
  }
}
