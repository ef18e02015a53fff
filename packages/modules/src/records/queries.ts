import { addressBytes, BttError, fromHex, toHex } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import { requiredParam } from "../identity/queries.ts";
import { privatePaymentJson, recordJson } from "./codec.ts";
import type { RecordsKeeper } from "./keeper.ts";
import { RECORDS } from "./params.ts";
import type { PrivatePaymentsKeeper } from "./private-payments.ts";
import { requireRecordId } from "./validation.ts";

export function recordsQueries(keeper: RecordsKeeper, payments: PrivatePaymentsKeeper): QueryType[] {
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
      name: "private_payment",
      description: "A private payment (ciphertext, wrapped keys, commitment) by its tx hash: {tx_hash}",
      handle(ctx, p) {
        const hash = requiredParam(p, "tx_hash").toLowerCase();
        if (!/^[0-9a-f]{64}$/.test(hash))
          throw new BttError("INVALID_MESSAGE", "tx_hash must be 64 hex digits", { field: "tx_hash" });
        const payment = payments.get(ctx.kv, fromHex(hash));
        return { private_payment: payment ? privatePaymentJson(payment) : null };
      },
    },
    {
      name: "private_payment_viewers",
      description:
        "Who a private payment between two accounts must be readable by (parties and regulators): {from, to}",
      handle(ctx, p) {
        const from = requiredParam(p, "from");
        const to = requiredParam(p, "to");
        addressBytes(from, "from");
        addressBytes(to, "to");
        const { jurisdictions, viewers, uncredentialed } = payments.requiredRecipients(
          ctx.kv,
          from,
          to,
          ctx.timeMs ?? 0n,
        );
        return {
          parties: [from, to],
          jurisdictions,
          regulators: viewers.accounts,
          rules: viewers.rules,
          // Named by view_keys but holding no valid regulator credential: not sent the details.
          uncredentialed,
        };
      },
    },
    {
      name: "params",
      description: `The ${RECORDS} module's parameters`,
      handle: (ctx) => keeper.params.raw(ctx.kv),
    },
  ];
}
