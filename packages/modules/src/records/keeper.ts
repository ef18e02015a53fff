import { BttError, bytesEqual, toHex } from "@btt/core";
import type { DataClass } from "../compliance/rules.ts";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";
import { readU64, u64 } from "../identity/keys.ts";
import { decodeRecord, encodeRecord } from "./codec.ts";
import type { ComplianceKeeperForRecords, IdentityKeeperForRecords } from "./expected-keepers.ts";
import {
  accessKey,
  encryptionKeyKey,
  KEYS_PREFIX,
  ownerKey,
  ownerPrefix,
  RECORDS_PREFIX,
  recordKey,
} from "./keys.ts";
import type { RecordsParamsStore } from "./params.ts";
import type { AccessCounts, EncryptedRecord, WrappedKeyEntry } from "./types.ts";

export interface RecordDraft {
  id: string;
  blobSha256: string;
  dataClass: DataClass;
  jurisdiction: string;
  wrappedKeys: WrappedKeyEntry[];
  /** The root of the record's salted field tree, if committed at registration. */
  disclosureRoot?: Uint8Array;
}

export interface AccessEntry {
  id: string;
  accessor: string;
  allowed: boolean;
  purpose: string;
  code: string;
  reason: string;
}

/** Encrypted record pointers, published encryption keys and the gateway's access counters. */
export class RecordsKeeper {
  constructor(
    readonly params: RecordsParamsStore,
    private readonly identity: IdentityKeeperForRecords,
    private readonly compliance: ComplianceKeeperForRecords,
  ) {}

  record(kv: KVStore, id: string): EncryptedRecord | undefined {
    const bytes = kv.get(recordKey(id));
    return bytes ? decodeRecord(bytes) : undefined;
  }

  recordsOf(kv: KVStore, owner: string): EncryptedRecord[] {
    const prefix = ownerPrefix(owner);
    const out: EncryptedRecord[] = [];
    for (const [key] of kv.iterate(prefix)) {
      const r = this.record(kv, new TextDecoder().decode(key.subarray(prefix.length)));
      if (r) out.push(r);
    }
    return out;
  }

  *allRecords(kv: KVStore): Iterable<EncryptedRecord> {
    for (const [, bytes] of kv.iterate(RECORDS_PREFIX)) yield decodeRecord(bytes);
  }

  encryptionKey(kv: KVStore, account: string): Uint8Array | undefined {
    return kv.get(encryptionKeyKey(account));
  }

  *allEncryptionKeys(kv: KVStore): Iterable<Uint8Array> {
    for (const [key, value] of kv.iterate(KEYS_PREFIX))
      yield Uint8Array.of(...key.subarray(KEYS_PREFIX.length), ...value);
  }

  accessCounts(kv: KVStore, id: string): AccessCounts {
    const bytes = kv.get(accessKey(id));
    return bytes ? { allowed: readU64(bytes), refused: readU64(bytes, 8) } : { allowed: 0n, refused: 0n };
  }

  /**
   * The data's origin is the owner's patient jurisdiction (the first valid patient credential);
   * an owner without one (a clinic's own files) stores data of the record's jurisdiction itself.
   */
  register(ctx: Context, owner: string, draft: RecordDraft): EncryptedRecord {
    if (ctx.kv.get(recordKey(draft.id))) {
      throw new BttError("CONFLICT", `record ${draft.id} already exists`, { id: draft.id });
    }
    this.checkRecipients(ctx.kv, draft.wrappedKeys.length);
    const now = ctx.block.timeMs;
    const patient = this.identity.validCredentials(ctx.kv, owner, "patient", { atMs: now })[0];
    const origin = patient?.jurisdiction ?? draft.jurisdiction;
    const d = this.compliance.decide(ctx.kv, {
      kind: "data",
      dataClass: draft.dataClass,
      origin,
      destination: draft.jurisdiction,
    });
    if (!d.allowed) {
      throw new BttError(
        "UNAUTHORIZED",
        `${draft.dataClass} data of ${origin} may not be stored in ${draft.jurisdiction}: ${d.reason.detail}`,
        { code: d.reason.code, rule: d.reason.rule, field: "jurisdiction" },
      );
    }
    const record: EncryptedRecord = {
      ...draft,
      owner,
      rule: d.rule,
      createdAtMs: now,
      height: ctx.block.height,
    };
    this.put(ctx.kv, record);
    ctx.emit(
      ledgerEvent("records/registered", {
        id: draft.id,
        owner,
        blob_sha256: draft.blobSha256,
        data_class: draft.dataClass,
        jurisdiction: draft.jurisdiction,
        recipients: draft.wrappedKeys.map((w) => w.recipient).join(","),
        rule: d.rule,
        ...(draft.disclosureRoot ? { disclosure_root: toHex(draft.disclosureRoot) } : {}),
      }),
    );
    return record;
  }

  put(kv: KVStore, record: EncryptedRecord): void {
    kv.set(recordKey(record.id), encodeRecord(record));
    kv.set(ownerKey(record.owner, record.id), Uint8Array.of(1));
  }

  setEncryptionKeyRaw(kv: KVStore, account: string, publicKey: Uint8Array): void {
    kv.set(encryptionKeyKey(account), publicKey);
  }

  private checkRecipients(kv: KVStore, count: number): void {
    const max = this.params.read(kv).maxRecipients;
    if (count > max) throw new BttError("INVALID_MESSAGE", `a record has at most ${max} recipients`);
  }

  private owned(kv: KVStore, sender: string, id: string): EncryptedRecord {
    const record = this.record(kv, id);
    if (!record) throw new BttError("NOT_FOUND", `no record ${id}`, { id });
    if (record.owner !== sender) {
      throw new BttError("UNAUTHORIZED", `only the owner ${record.owner} may change record ${id}`, { id });
    }
    return record;
  }

  addRecipient(ctx: Context, sender: string, id: string, wrapped: WrappedKeyEntry): void {
    const record = this.owned(ctx.kv, sender, id);
    if (record.wrappedKeys.some((w) => w.recipient === wrapped.recipient)) {
      throw new BttError("CONFLICT", `${wrapped.recipient} already has a key to record ${id}`, { id });
    }
    this.checkRecipients(ctx.kv, record.wrappedKeys.length + 1);
    const wrappedKeys = [...record.wrappedKeys, wrapped].sort((a, b) =>
      a.recipient < b.recipient ? -1 : a.recipient > b.recipient ? 1 : 0,
    );
    this.put(ctx.kv, { ...record, wrappedKeys });
    ctx.emit(ledgerEvent("records/recipient_added", { id, owner: sender, recipient: wrapped.recipient }));
  }

  /** The owner commits (or replaces) the root its field disclosures are verified against. */
  setDisclosureRoot(ctx: Context, sender: string, id: string, root: Uint8Array): void {
    const record = this.owned(ctx.kv, sender, id);
    this.put(ctx.kv, { ...record, disclosureRoot: root });
    ctx.emit(ledgerEvent("records/disclosure_root_set", { id, owner: sender, disclosure_root: toHex(root) }));
  }

  removeRecipient(ctx: Context, sender: string, id: string, recipient: string): void {
    const record = this.owned(ctx.kv, sender, id);
    const wrappedKeys = record.wrappedKeys.filter((w) => w.recipient !== recipient);
    if (wrappedKeys.length === record.wrappedKeys.length) {
      throw new BttError("NOT_FOUND", `${recipient} has no key to record ${id}`, { id });
    }
    this.put(ctx.kv, { ...record, wrappedKeys });
    ctx.emit(ledgerEvent("records/recipient_removed", { id, owner: sender, recipient }));
  }

  setEncryptionKey(ctx: Context, account: string, publicKey: Uint8Array): void {
    const old = this.encryptionKey(ctx.kv, account);
    if (old && bytesEqual(old, publicKey)) return;
    this.setEncryptionKeyRaw(ctx.kv, account, publicKey);
    ctx.emit(ledgerEvent("records/encryption_key_set", { owner: account, public_key: toHex(publicKey) }));
  }

  /**
   * A gateway's audit entry. The event names the gateway (the sender) so readers judge whom to
   * trust; the record's owner and the accessor are account attributes, so both see it.
   */
  recordAccess(ctx: Context, gateway: string, e: AccessEntry): void {
    const record = this.record(ctx.kv, e.id);
    const counts = this.accessCounts(ctx.kv, e.id);
    const next = e.allowed
      ? { ...counts, allowed: counts.allowed + 1n }
      : { ...counts, refused: counts.refused + 1n };
    if (record) {
      const bytes = new Uint8Array(16);
      bytes.set(u64(next.allowed), 0);
      bytes.set(u64(next.refused), 8);
      ctx.kv.set(accessKey(e.id), bytes);
    }
    ctx.emit(
      ledgerEvent(e.allowed ? "records/access_granted" : "records/access_refused", {
        id: e.id,
        gateway,
        grantee: e.accessor,
        ...(record ? { owner: record.owner } : {}),
        purpose: e.purpose,
        code: e.code,
        reason: e.reason,
      }),
    );
  }
}
