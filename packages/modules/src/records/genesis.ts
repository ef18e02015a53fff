import { addressBytes, encodeAddress, fromHex, toHex } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import type { Context, ModuleGenesis } from "../framework/module.ts";
import { recordFromJson, recordJson } from "./codec.ts";
import type { RecordsKeeper } from "./keeper.ts";
import { DEFAULT_RECORDS_PARAMS } from "./params.ts";
import {
  requireDataClass,
  requireJurisdiction,
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
  return { params, records, keys };
}

export function recordsGenesis(keeper: RecordsKeeper): ModuleGenesis<RecordsGenesis> {
  return {
    defaultGenesis: () => ({ params: DEFAULT_RECORDS_PARAMS, records: [], encryption_keys: [] }),
    validateGenesis(raw) {
      const g = parseGenesis(raw, keeper);
      return {
        params: g.params,
        records: g.records.map(recordJson),
        encryption_keys: g.keys.map((k) => ({ address: k.address, public_key: toHex(k.key) })),
      };
    },
    initGenesis(ctx: Context, raw) {
      // A genesis file written before this module existed has no section for it.
      const g = parseGenesis(raw ?? this.defaultGenesis(), keeper);
      keeper.params.write(ctx.kv, g.params);
      for (const r of g.records) keeper.put(ctx.kv, r);
      for (const k of g.keys) keeper.setEncryptionKeyRaw(ctx.kv, k.address, k.key);
    },
    exportGenesis(ctx: Context) {
      return {
        params: keeper.params.raw(ctx.kv),
        records: [...keeper.allRecords(ctx.kv)].map(recordJson),
        encryption_keys: [...keeper.allEncryptionKeys(ctx.kv)].map((b) => ({
          address: encodeAddress(b.subarray(0, 20)),
          public_key: toHex(b.subarray(20)),
        })),
      };
    },
  };
}
