import { addressBytes, encodeAddress, fromHex, toHex } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import type { Context, ModuleGenesis } from "../framework/module.ts";
import { privatePaymentFromJson, privatePaymentJson, recordFromJson, recordJson } from "./codec.ts";
import type { RecordsKeeper } from "./keeper.ts";
import { DEFAULT_RECORDS_PARAMS } from "./params.ts";
import type { PrivatePaymentsKeeper } from "./private-payments.ts";
import type { PrivatePayment } from "./types.ts";
import {
  requireDataClass,
  requireDisclosureRoot,
  requireJurisdiction,
  requirePrivatePayload,
  requireRecordId,
  requireSha256Hex,
  requireSortedRecipients,
  requireX25519Key,
} from "./validation.ts";

/** The records section of a genesis file: parameters, record pointers, published keys. */
export interface RecordsGenesis {
  params: unknown;
  records: Array<Record<string, unknown>>;
  encryption_keys: Array<{ address: string; public_key: string }>;
  /** Absent in genesis files written before private payments existed. */
  private_payments?: Array<Record<string, unknown>>;
}

function parseGenesis(raw: unknown, keeper: RecordsKeeper) {
  const f = new JsonFields("INVALID_GENESIS", "records");
  const o = f.object(raw);
  const params = o.params ?? DEFAULT_RECORDS_PARAMS;
  keeper.params.validate(params);
  const check = (field: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      f.check(false, (err as Error).message, field);
    }
  };
  const seen = new Set<string>();
  const records = f.array(o, "records", []).map((r, i) => {
    let record = undefined as unknown as ReturnType<typeof recordFromJson>;
    check(`records[${i}]`, () => {
      record = recordFromJson(r as Record<string, unknown>);
      requireRecordId(record.id, "id");
      requireSha256Hex(record.blobSha256);
      requireDataClass(record.dataClass);
      requireJurisdiction(record.jurisdiction);
      requireSortedRecipients(record.wrappedKeys);
      if (record.disclosureRoot) requireDisclosureRoot(record.disclosureRoot, "disclosure_root");
    });
    f.check(!seen.has(record.id), "record ids must be unique", `records[${i}].id`);
    seen.add(record.id);
    return record;
  });
  const keys = f.array(o, "encryption_keys", []).map((k, i) => {
    const ko = k as { address: string; public_key: string };
    const out: { address: string; key: Uint8Array } = { address: "", key: new Uint8Array() };
    check(`encryption_keys[${i}]`, () => {
      addressBytes(ko.address);
      out.address = ko.address;
      out.key = requireX25519Key(fromHex(ko.public_key));
    });
    return out;
  });
  const paid = new Set<string>();
  const payments = f.array(o, "private_payments", []).map((r, i) => {
    let payment = undefined as unknown as PrivatePayment;
    check(`private_payments[${i}]`, () => {
      payment = privatePaymentFromJson(r as Record<string, unknown>);
      addressBytes(payment.sender, "sender");
      addressBytes(payment.to, "to");
      if (payment.txHash.length !== 32) throw new Error("tx_hash must have 32 bytes");
      requirePrivatePayload(payment);
      requireSortedRecipients(payment.wrappedKeys);
    });
    const hash = privatePaymentJson(payment).tx_hash as string;
    f.check(!paid.has(hash), "tx hashes must be unique", `private_payments[${i}].tx_hash`);
    paid.add(hash);
    return payment;
  });
  return { params, records, keys, payments };
}

export function recordsGenesis(
  keeper: RecordsKeeper,
  payments: PrivatePaymentsKeeper,
): ModuleGenesis<RecordsGenesis> {
  return {
    defaultGenesis: () => ({ params: DEFAULT_RECORDS_PARAMS, records: [], encryption_keys: [] }),
    validateGenesis(raw) {
      const g = parseGenesis(raw, keeper);
      return {
        params: g.params,
        records: g.records.map(recordJson),
        encryption_keys: g.keys.map((k) => ({ address: k.address, public_key: toHex(k.key) })),
        ...(g.payments.length > 0 ? { private_payments: g.payments.map(privatePaymentJson) } : {}),
      };
    },
    initGenesis(ctx: Context, raw) {
      // A genesis file written before this module existed has no section for it.
      const g = parseGenesis(raw ?? this.defaultGenesis(), keeper);
      keeper.params.write(ctx.kv, g.params);
      for (const r of g.records) keeper.put(ctx.kv, r);
      for (const k of g.keys) keeper.setEncryptionKeyRaw(ctx.kv, k.address, k.key);
      for (const p of g.payments) payments.put(ctx.kv, p);
    },
    exportGenesis(ctx: Context) {
      const paymentsJson = [...payments.all(ctx.kv)].map(privatePaymentJson);
      return {
        params: keeper.params.raw(ctx.kv),
        records: [...keeper.allRecords(ctx.kv)].map(recordJson),
        encryption_keys: [...keeper.allEncryptionKeys(ctx.kv)].map((b) => ({
          address: encodeAddress(b.subarray(0, 20)),
          public_key: toHex(b.subarray(20)),
        })),
        ...(paymentsJson.length > 0 ? { private_payments: paymentsJson } : {}),
      };
    },
  };
}
