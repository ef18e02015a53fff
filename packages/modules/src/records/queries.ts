import { addressBytes, toHex } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import { requiredParam } from "../identity/queries.ts";
import { recordJson } from "./codec.ts";
import type { RecordsKeeper } from "./keeper.ts";
import { RECORDS } from "./params.ts";
import { requireRecordId } from "./validation.ts";

export function recordsQueries(keeper: RecordsKeeper): QueryType[] {
  return [
    {
      name: "record",
      description: "One encrypted record pointer with its access counts: {id}",
      handle(ctx, p) {
        const id = requireRecordId(requiredParam(p, "id"), "id");
        const record = keeper.record(ctx.kv, id);
        const counts = keeper.accessCounts(ctx.kv, id);
        return {
          record: record ? recordJson(record) : null,
          accesses: { allowed: counts.allowed.toString(), refused: counts.refused.toString() },
        };
      },
    },
    {
      name: "records",
      description: "The records an account owns: {owner}",
      handle(ctx, p) {
        const owner = requiredParam(p, "owner");
        addressBytes(owner, "owner");
        return { owner, records: keeper.recordsOf(ctx.kv, owner).map(recordJson) };
      },
    },
    {
      name: "encryption_key",
      description: "An account's published X25519 public key (hex, or null): {address}",
      handle(ctx, p) {
        const address = requiredParam(p, "address");
        addressBytes(address, "address");
        const key = keeper.encryptionKey(ctx.kv, address);
        return { address, public_key: key ? toHex(key) : null };
      },
    },
    {
      name: "params",
      description: `The ${RECORDS} module's parameters`,
      handle: (ctx) => keeper.params.raw(ctx.kv),
    },
  ];
}
