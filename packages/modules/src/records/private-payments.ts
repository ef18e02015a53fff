// Private payments: the amount moves in the open (supply is conserved and auditable), the details
// travel encrypted to the parties and to every regulator the compliance `view_keys` rules name.
// The chain cannot read the details; it checks who can, and keeps ciphertext and commitment.
import { BttError, toHex } from "@btt/core";
import { type Amount, formatCoins } from "../bank/denoms.ts";
import { ledgerEvent } from "../framework/events.ts";
import type { TxContext } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";
import type { CredentialType } from "../identity/types.ts";
import { decodePrivatePayment, encodePrivatePayment } from "./codec.ts";
import type {
  BankKeeperForRecords,
  ComplianceKeeperForRecords,
  IdentityKeeperForRecords,
} from "./expected-keepers.ts";
import { PRIVATE_PAYMENTS_PREFIX, privatePaymentKey } from "./keys.ts";
import type { RecordsParamsStore } from "./params.ts";
import type { PrivatePayment, WrappedKeyEntry } from "./types.ts";

/** The data class whose `view_keys` rule applies to payments. */
export const PAYMENT_CLASS = "payment";

/** The credentials that place a party in a jurisdiction for the view-key rules. */
export const PARTY_CREDENTIALS: readonly CredentialType[] = [
  "clinic_licence",
  "insurer",
  "kyc",
  "patient",
  "practitioner_licence",
];

export interface PrivatePaymentDraft {
  to: string;
  amounts: readonly Amount[];
  ciphertext: Uint8Array;
  nonce: Uint8Array;
  wrappedKeys: WrappedKeyEntry[];
  commitment: Uint8Array;
}

export class PrivatePaymentsKeeper {
  constructor(
    private readonly params: RecordsParamsStore,
    private readonly identity: IdentityKeeperForRecords,
    private readonly compliance: ComplianceKeeperForRecords,
    private readonly bank: BankKeeperForRecords,
  ) {}

  get(kv: KVStore, txHash: Uint8Array): PrivatePayment | undefined {
    const bytes = kv.get(privatePaymentKey(txHash));
    return bytes ? decodePrivatePayment(bytes) : undefined;
  }

  *all(kv: KVStore): Iterable<PrivatePayment> {
    for (const [, bytes] of kv.iterate(PRIVATE_PAYMENTS_PREFIX)) yield decodePrivatePayment(bytes);
  }

  put(kv: KVStore, p: PrivatePayment): void {
    kv.set(privatePaymentKey(p.txHash), encodePrivatePayment(p));
  }

  /**
   * Every jurisdiction in which either party holds a valid party credential; `*` when neither
   * holds one (the catch-all rule then applies). Sorted, each once.
   */
  partyJurisdictions(kv: KVStore, parties: readonly string[], atMs: bigint): string[] {
    const codes = new Set<string>();
    for (const account of parties) {
      for (const type of PARTY_CREDENTIALS) {
        for (const c of this.identity.validCredentials(kv, account, type, { atMs }))
          codes.add(c.jurisdiction);
      }
    }
    return codes.size === 0 ? ["*"] : [...codes].sort();
  }

  /**
   * The accounts that must find a wrapped key: the two parties and the required regulators. A
   * `view_keys` account counts only while it holds a valid regulator credential: a regulator whose
   * credential expired or was revoked is not sent new details (it is listed in `uncredentialed`).
   */
  requiredRecipients(kv: KVStore, sender: string, to: string, atMs: bigint) {
    const jurisdictions = this.partyJurisdictions(kv, [sender, to], atMs);
    const named = this.compliance.requiredViewers(kv, PAYMENT_CLASS, jurisdictions);
    const isRegulator = (a: string) =>
      this.identity.validCredentials(kv, a, "regulator", { atMs }).length > 0;
    const viewers = { ...named, accounts: named.accounts.filter(isRegulator) };
    const uncredentialed = named.accounts.filter((a) => !isRegulator(a));
    return { jurisdictions, viewers, uncredentialed };
  }

  execute(ctx: TxContext, draft: PrivatePaymentDraft): PrivatePayment {
    const sender = ctx.sender;
    if (!this.bank.sendEnabled(ctx.kv))
      throw new BttError("UNAUTHORIZED", "transfers are disabled by governance");
    const params = this.params.read(ctx.kv);
    if (draft.ciphertext.length > params.maxPrivateCiphertextBytes) {
      throw new BttError(
        "INVALID_MESSAGE",
        `ciphertext has ${draft.ciphertext.length} bytes, more than the ${params.maxPrivateCiphertextBytes} allowed`,
        { field: "ciphertext", limit: params.maxPrivateCiphertextBytes },
      );
    }
    if (draft.wrappedKeys.length > params.maxRecipients) {
      throw new BttError("INVALID_MESSAGE", `at most ${params.maxRecipients} wrapped keys`, {
        field: "wrapped_keys",
      });
    }
    if (ctx.kv.get(privatePaymentKey(ctx.txHash))) {
      throw new BttError("CONFLICT", "a transaction carries at most one private payment", {
        field: "messages",
      });
    }
    const { jurisdictions, viewers } = this.requiredRecipients(ctx.kv, sender, draft.to, ctx.block.timeMs);
    const present = new Set(draft.wrappedKeys.map((w) => w.recipient));
    const missingParties = [...new Set([sender, draft.to])].filter((a) => !present.has(a)).sort();
    if (missingParties.length > 0) {
      throw new BttError(
        "UNAUTHORIZED",
        `MISSING_PARTY_KEY: no key is wrapped for party ${missingParties.join(", ")}`,
        {
          code: "MISSING_PARTY_KEY",
          missing: missingParties,
          field: "wrapped_keys",
        },
      );
    }
    const missingRegulators = viewers.accounts.filter((a) => !present.has(a));
    if (missingRegulators.length > 0) {
      throw new BttError(
        "UNAUTHORIZED",
        // The denial code leads the message: a committed tx keeps only its code and log.
        `MISSING_VIEW_KEY: the compliance rules (${viewers.rules.join(", ")}) require a view key for ` +
          `${missingRegulators.join(", ")}`,
        {
          code: "MISSING_VIEW_KEY",
          missing: missingRegulators,
          rules: viewers.rules,
          jurisdictions,
          field: "wrapped_keys",
        },
      );
    }
    this.bank.send(ctx, sender, draft.to, draft.amounts);
    const payment: PrivatePayment = {
      txHash: ctx.txHash,
      sender,
      to: draft.to,
      amount: formatCoins(draft.amounts),
      ciphertext: draft.ciphertext,
      nonce: draft.nonce,
      wrappedKeys: draft.wrappedKeys,
      commitment: draft.commitment,
      viewRules: [...viewers.rules],
      height: ctx.block.height,
    };
    this.put(ctx.kv, payment);
    ctx.emit(
      ledgerEvent("records/private_payment", {
        tx_hash: toHex(ctx.txHash),
        sender,
        recipient: draft.to,
        amount: payment.amount,
        commitment: toHex(draft.commitment),
        viewers: viewers.accounts.join(","),
      }),
    );
    return payment;
  }
}
