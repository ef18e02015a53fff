// The per-account index: which committed txs touched an account, newest first, in pages.
//
// blocks.accounts: the head (key = the account's 20 bytes, see accountKey) is
//   [varint account id] ‖ [varint archived chunks] ‖ entries,
// entries being varint seqs (global tx sequence numbers, see tx-index.ts), the first absolute,
// then deltas (ascending). When the head's entries reach ACCOUNT_CHUNK_BYTES they move to archived
// chunk n (key = account ‖ u32 n, n from 1), which never changes again.
// blocks.accountids: u32 account id → the account's 20 bytes. Account ids number the accounts in
// order of first appearance; block records refer to addresses by them (see record.ts).
import { ADDRESS_BYTES, addressBytes, sha256 } from "@btt/core";
import type { Database } from "lmdb";
import { ByteReader, ByteWriter, CorruptRecordError, u32Key, varintSize } from "./bytes.ts";
import type { AccountCursor } from "./cursor.ts";

type Bytes = Uint8Array;

const ACCOUNT_CHUNK_BYTES = 192;
const ACCOUNT_KEY_DOMAIN = "btt/blockstore/account\n";

/** The 20-byte index key of an account: its address bytes (a hash for anything that is not a btt address). */
export function accountKey(address: string): Buffer {
  let bytes: Uint8Array;
  try {
    bytes = addressBytes(address);
  } catch {
    return Buffer.from(sha256(Buffer.from(ACCOUNT_KEY_DOMAIN + address, "utf8")).subarray(0, ADDRESS_BYTES));
  }
  return Buffer.from(bytes); // a copy: addressBytes returns its cached array
}

function decodeSeqs(r: ByteReader, into: number[] = []): number[] {
  if (r.done) return into;
  let seq = r.varint();
  into.push(seq);
  while (!r.done) {
    seq += r.varint();
    into.push(seq);
  }
  return into;
}

function encodeSeqs(w: ByteWriter, seqs: readonly number[], from: number, to: number): void {
  for (let i = from; i < to; i++) w.varint(i === from ? seqs[i]! : seqs[i]! - seqs[i - 1]!);
}

function archivedChunkKey(account: Uint8Array, chunk: number): Buffer {
  const key = Buffer.allocUnsafe(ADDRESS_BYTES + 4);
  key.set(account, 0);
  key.writeUInt32BE(chunk, ADDRESS_BYTES);
  return key;
}

/** An account's head chunk while a block is being stored. */
interface AccountHead {
  key: Buffer;
  id: number;
  archived: number;
  /** The head's entries as stored before this block (encoded, see decodeSeqs), and the last of them (-1: none). */
  stored: Uint8Array;
  lastStored: number;
  /** The seqs this block adds. */
  added: number[];
  isNew: boolean;
}

const NO_ENTRIES = new Uint8Array(0);

/** The last seq of encoded entries (their sum), or -1 when there are none. */
function lastSeqOf(entries: Uint8Array): number {
  const r = new ByteReader(entries, "account index");
  let seq = -1;
  while (!r.done) seq = seq < 0 ? r.varint() : seq + r.varint();
  return seq;
}

export class AccountIndex {
  constructor(
    private readonly accounts: Database<Bytes, Bytes>,
    private readonly accountIds: Database<Bytes, Bytes>,
  ) {}

  /** The 20 bytes of the account with this id (to decode block records), or undefined. */
  readonly addressOfId = (id: number): Uint8Array | undefined => {
    if (!Number.isSafeInteger(id) || id > 0xffffffff) return undefined;
    return this.accountIds.get(u32Key(id));
  };

  /** Collects the index changes of one block; its write() issues the puts. */
  startBlock(): AccountBatch {
    return new AccountBatch(this.accounts, this.accountIds);
  }

  /**
   * Up to `limit` entries of the account older than `start` (from the newest without it), newest
   * first; `more` when older ones remain. Undefined when the account has no entries.
   */
  page(
    address: string,
    start: AccountCursor | undefined,
    limit: number,
  ): { page: AccountCursor[]; more: boolean } | undefined {
    const account = accountKey(address);
    const headValue = this.accounts.get(account);
    if (!headValue) return undefined;
    const head = new ByteReader(headValue, "account index");
    head.varint(); // account id
    const archived = head.varint();
    const before = start ? start.seq : Number.POSITIVE_INFINITY;
    // Chunks newest first: the head (0), then archived chunks archived, archived - 1, …, 1.
    // A cursor names the chunk of its entry; when that was the head, which may have been archived
    // since, the walk restarts at the head and skips the newer entries.
    let chunk = start && start.chunk >= 1 && start.chunk <= archived ? start.chunk : 0;
    const page: AccountCursor[] = [];
    let more = false;
    for (;;) {
      const seqs = chunk === 0 ? decodeSeqs(head) : this.archivedChunk(account, chunk);
      for (let i = seqs.length - 1; i >= 0; i--) {
        const seq = seqs[i]!;
        if (seq >= before) continue;
        if (page.length === limit) {
          more = true;
          break;
        }
        page.push({ seq, chunk });
      }
      if (more) break;
      chunk = chunk === 0 ? archived : chunk - 1;
      if (chunk === 0) break;
    }
    return { page, more };
  }

  private archivedChunk(account: Uint8Array, chunk: number): number[] {
    const value = this.accounts.get(archivedChunkKey(account, chunk));
    if (!value) throw new CorruptRecordError(`account index (missing chunk ${chunk})`);
    return decodeSeqs(new ByteReader(value, "account index"));
  }
}

/** The account index changes of one block: the heads it touches, ids for new accounts. */
export class AccountBatch {
  private readonly heads = new Map<string, AccountHead>();
  private readonly byAddress = new Map<string, AccountHead>();
  private nextId = -1;

  constructor(
    private readonly accounts: Database<Bytes, Bytes>,
    private readonly accountIds: Database<Bytes, Bytes>,
  ) {}

  /** Records that tx `seq` touched `address` (a new account gets an id); seqs come in ascending order. */
  add(address: string, seq: number): void {
    let head = this.byAddress.get(address);
    if (!head) {
      head = this.headOf(accountKey(address), true)!;
      this.byAddress.set(address, head);
    }
    const added = head.added;
    if (added[added.length - 1] !== seq) added.push(seq);
  }

  /** The account id of each 20-byte address in `addresses` (see PreparedRecord.distinct), or -1. */
  idsOf(addresses: Uint8Array): Float64Array {
    const distinct = Buffer.from(addresses.buffer, addresses.byteOffset, addresses.length);
    const ids = new Float64Array(distinct.length / ADDRESS_BYTES);
    for (let j = 0; j < ids.length; j++) {
      const at = j * ADDRESS_BYTES;
      const touched = this.heads.get(distinct.toString("latin1", at, at + ADDRESS_BYTES));
      ids[j] = (touched ?? this.headOf(distinct.subarray(at, at + ADDRESS_BYTES), false))?.id ?? -1;
    }
    return ids;
  }

  /** Issues the puts: ids of the new accounts, the changed heads and the chunks they archive. */
  write(): void {
    const heads = [...this.heads.values()];
    // New ids in order (appends), then heads in key order (locality in the B-tree).
    const created = heads.filter((h) => h.isNew).sort((a, b) => a.id - b.id);
    if (created.length > 0 && created[created.length - 1]!.id > 0xffffffff)
      throw new Error("account ids exhausted");
    for (const head of created) this.accountIds.putSync(u32Key(head.id), head.key);
    const changed = heads.filter((h) => h.isNew || h.added.length > 0);
    const order = changed.map((h) => h.key.readUIntBE(0, 6));
    const sorted = changed
      .map((_, i) => i)
      .sort((a, b) => order[a]! - order[b]! || changed[a]!.key.compare(changed[b]!.key));
    const w = new ByteWriter(256);
    for (const i of sorted) {
      const head = changed[i]!;
      // Usually the new entries fit after the stored ones: their deltas are appended.
      w.pos = 0;
      let previous = head.lastStored;
      for (const seq of head.added) {
        w.varint(previous < 0 ? seq : seq - previous);
        previous = seq;
      }
      if (head.stored.length + w.pos <= ACCOUNT_CHUNK_BYTES) {
        const value = new ByteWriter(head.stored.length + w.pos + 10);
        value.varint(head.id);
        value.varint(head.archived);
        value.bytes(head.stored);
        value.bytes(w.view());
        this.accounts.putSync(head.key, Buffer.from(value.buf.buffer, value.buf.byteOffset, value.pos));
        continue;
      }
      // Else the head is full: what the chunking below makes of all its entries.
      const seqs = decodeSeqs(new ByteReader(head.stored, "account index"));
      for (const seq of head.added) seqs.push(seq);
      // Move full chunks out of the head, oldest entries first.
      let from = 0;
      for (;;) {
        let size = 0;
        let to = from;
        while (to < seqs.length) {
          const entry = varintSize(to === from ? seqs[to]! : seqs[to]! - seqs[to - 1]!);
          if (size + entry > ACCOUNT_CHUNK_BYTES) break;
          size += entry;
          to++;
        }
        if (to === seqs.length) break;
        w.pos = 0;
        encodeSeqs(w, seqs, from, to);
        this.accounts.putSync(archivedChunkKey(head.key, ++head.archived), Buffer.from(w.view()));
        from = to;
      }
      w.pos = 0;
      w.varint(head.id);
      w.varint(head.archived);
      encodeSeqs(w, seqs, from, seqs.length);
      this.accounts.putSync(head.key, Buffer.from(w.view()));
    }
  }

  /** The head of an account, read once per block; `create` gives an unknown account a new id. */
  private headOf(key: Buffer, create: boolean): AccountHead | undefined {
    const name = key.toString("latin1");
    let head = this.heads.get(name);
    if (head) return head;
    const value = this.accounts.getBinaryFast(key); // a reused buffer: decoded at once
    if (value) {
      const r = new ByteReader(value, "account index");
      const id = r.varint();
      const archived = r.varint();
      // A copy: the buffer is reused by the next read.
      const stored = new Uint8Array(value.length - r.pos);
      stored.set(value.subarray(r.pos));
      head = { key, id, archived, stored, lastStored: lastSeqOf(stored), added: [], isNew: false };
    } else if (create) {
      if (this.nextId < 0) this.nextId = this.nextAccountId();
      head = {
        key,
        id: this.nextId++,
        archived: 0,
        stored: NO_ENTRIES,
        lastStored: -1,
        added: [],
        isNew: true,
      };
    } else return undefined;
    this.heads.set(name, head);
    return head;
  }

  private nextAccountId(): number {
    for (const key of this.accountIds.getKeys({ reverse: true, limit: 1 }))
      return Buffer.from(key).readUInt32BE(0) + 1;
    return 0;
  }
}
