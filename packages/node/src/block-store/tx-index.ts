// Finding committed txs: by global sequence number (blocks.txseq) and by hash (blocks.txhash).
//
// A global tx sequence number (seq) numbers every committed tx; blocks.txseq maps the first seq
// of each block (5 bytes, big-endian) to u32 height ‖ varint tx count, so a seq resolves to
// (height, index) with one range lookup.
//
// blocks.txhash: dup-sorted sets of fixed-size values (LMDB packs those without per-entry headers):
// key = seq / 2^32 (one byte; one set for the first 4 billion txs), value = 5 bytes of tx hash ‖
// u32 seq % 2^32. A lookup finds every value with the hash's prefix and confirms the full hash
// against the stored tx, so prefix collisions only cost a read.
import { txHash } from "@btt/core";
import type { Database } from "lmdb";
import { ByteReader, ByteWriter } from "./bytes.ts";

type Bytes = Uint8Array;

const SEQ_BYTES = 5;
/** The largest seq. */
export const MAX_SEQ = 2 ** (8 * SEQ_BYTES) - 1;
const TX_PREFIX_BYTES = 5;
const TX_INDEX_VALUE_BYTES = TX_PREFIX_BYTES + 4;
const SEQ_LOW = 2 ** 32;

/** lmdb-js value encoder that stores and returns raw bytes (what `encoding: "binary"` does; lmdb-js 3
 *  only supports start/end value ranges in getValues with an encoder). */
const RAW_VALUES = {
  encode: (value: Uint8Array): Uint8Array => value,
  decode: (bytes: Uint8Array, size: number): Uint8Array => Uint8Array.prototype.slice.call(bytes, 0, size),
};

/** Options to open blocks.txhash with. */
export const TX_HASH_DB_OPTIONS = {
  keyEncoding: "binary",
  dupSort: true,
  dupFixed: true,
  encoder: RAW_VALUES,
} as const;

function seqKey(seq: number): Buffer {
  const b = Buffer.allocUnsafe(SEQ_BYTES);
  b.writeUIntBE(seq, 0, SEQ_BYTES);
  return b;
}

export class TxIndex {
  constructor(
    private readonly txSeqs: Database<Bytes, Bytes>,
    private readonly txHashes: Database<Bytes, Bytes>,
  ) {}

  /** The seq the next committed tx gets. */
  nextSeq(): number {
    for (const { key, value } of this.txSeqs.getRange({ reverse: true, limit: 1 })) {
      const r = new ByteReader(value, "tx sequence index");
      r.bytes(4);
      return Buffer.from(key).readUIntBE(0, SEQ_BYTES) + r.varint();
    }
    return 0;
  }

  /**
   * Issues the puts indexing the txs of a block (at `heightKey`, a u32 key), numbered from
   * firstSeq. `hashes` are the txs' hashes when the caller has them already.
   */
  add(heightKey: Buffer, txs: readonly Uint8Array[], firstSeq: number, hashes?: readonly Uint8Array[]): void {
    const count = txs.length;
    if (count > 0) {
      const seqValue = new ByteWriter(12);
      seqValue.bytes(heightKey);
      seqValue.varint(count);
      this.txSeqs.putSync(seqKey(firstSeq), Buffer.from(seqValue.view()));
    }
    const entries = Buffer.allocUnsafe(count * TX_INDEX_VALUE_BYTES);
    // The prefix (≤ 6 bytes) is exact as a double; inserting in value order is faster for LMDB,
    // and equal prefixes keep seq order (the sort is stable).
    const prefixes = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const at = i * TX_INDEX_VALUE_BYTES;
      entries.set((hashes?.[i] ?? txHash(txs[i]!)).subarray(0, TX_PREFIX_BYTES), at);
      entries.writeUInt32BE((firstSeq + i) % SEQ_LOW, at + TX_PREFIX_BYTES);
      prefixes[i] = entries.readUIntBE(at, TX_PREFIX_BYTES);
    }
    const order = Array.from({ length: count }, (_, i) => i);
    order.sort((a, b) => prefixes[a]! - prefixes[b]!);
    const values = new Uint8Array(entries.buffer, entries.byteOffset, entries.length);
    const keys = new Map<number, Buffer>();
    for (const i of order) {
      const at = i * TX_INDEX_VALUE_BYTES;
      const high = Math.floor((firstSeq + i) / SEQ_LOW);
      let key = keys.get(high);
      if (!key) {
        key = Buffer.from([high]);
        keys.set(high, key);
      }
      this.txHashes.putSync(key, values.subarray(at, at + TX_INDEX_VALUE_BYTES));
    }
  }

  /** Seqs of the committed txs whose hash starts like `hash` (usually one; more on a prefix collision). */
  candidates(hash: Uint8Array): number[] {
    const start = Buffer.alloc(TX_INDEX_VALUE_BYTES, 0x00);
    const end = Buffer.alloc(TX_INDEX_VALUE_BYTES, 0xff);
    start.set(hash.subarray(0, TX_PREFIX_BYTES), 0);
    end.set(hash.subarray(0, TX_PREFIX_BYTES), 0);
    const seqs: number[] = [];
    for (const key of this.txHashes.getKeys()) {
      const high = Buffer.from(key).readUInt8(0) * SEQ_LOW;
      for (const value of this.txHashes.getValues(key, { start, end, inclusiveEnd: true })) {
        seqs.push(
          high + Buffer.from(value.buffer, value.byteOffset, value.byteLength).readUInt32BE(TX_PREFIX_BYTES),
        );
      }
    }
    return seqs;
  }

  /** The block holding tx `seq`: its first seq, height and tx count. */
  blockOfSeq(seq: number): { firstSeq: number; height: number; count: number } | undefined {
    for (const { key, value } of this.txSeqs.getRange({ start: seqKey(seq), reverse: true, limit: 1 })) {
      const firstSeq = Buffer.from(key).readUIntBE(0, SEQ_BYTES);
      const r = new ByteReader(value, "tx sequence index");
      const height = Buffer.from(r.bytes(4)).readUInt32BE(0);
      const count = r.varint();
      return seq < firstSeq + count ? { firstSeq, height, count } : undefined;
    }
    return undefined;
  }
}
