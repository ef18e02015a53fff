// Block records: a block's txs and results in one compressed value (blocks.bodies).
//
// Format 1 = [0x01] ‖ brotli(body). Before compression the block is rearranged so brotli sees
// long similar runs and no random bytes amid text:
//  - "text": for each tx its bytes up to the signature, then its encoded TxResult; finally the
//    block-level events (an encoded BlockResults without tx_results);
//  - "sigs": the signature of each tx (the content of the last top-level field when it is field 3,
//    as in a canonical Tx): random bytes that would only pollute the text's statistics;
//  - every bech32 "btt1…" address in the text (a transfer and its result hold five) is cut out and
//    replaced by a reference: to an earlier occurrence in the block (the distance in occurrences,
//    small when a result repeats its tx's addresses), to an account id of the store (accounts the
//    chain has touched get a number, so an address costs its 20 random bytes once, not once per
//    block), or to the next "inline" 20-byte entry. The checksum is recomputed on decoding, and an
//    address is only cut out when that reproduces its characters, so this is lossless for any bytes.
// body = varint occurrences, varint lengths of [layout, refs, inline, sigs, stripped text], sections.
// layout = varint txCount, per tx varint (bytes before the signature, signature bytes, result
//   bytes), varint extra-events bytes.
// refs = per occurrence varint gap (text bytes since the end of the previous address), varint ref:
//   0 = next inline entry; 2d - 1 (odd) = the address of d occurrences ago; 2id + 2 = account id.
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from "node:zlib";
import {
  ADDRESS_BYTES,
  type BlockResults,
  BlockResultsSchema,
  type TxResult,
  TxResultSchema,
} from "@btt/core";
import { fromBinary } from "@bufbuild/protobuf";
import { ADDRESS_CHARS, ADDRESS_PREFIX_BYTES, parseAddressAt, writeAddressAt } from "./address-scan.ts";
import { ByteReader, ByteWriter, CorruptRecordError } from "./bytes.ts";

const FORMAT_BROTLI_V1 = 1;
/**
 * Brotli settings, measured on rearranged 10,000-transfer blocks (~2 MB): quality 5 compresses in
 * ~30 ms to ~78 bytes/tx; quality 4 takes ~20 ms for ~1 byte/tx more, 6 gains nothing for more time.
 * The window (22-24) makes no measurable difference; the size hint helps a little.
 */
const BROTLI_QUALITY = 5;
const BROTLI_LGWIN = 22;

export interface BodyInput {
  txs: readonly Uint8Array[];
  /** The encoded TxResult of each tx. */
  results: readonly Uint8Array[];
  /** Encoded BlockResults holding only the begin/end block events. */
  extra: Uint8Array;
}

/** A block's txs and results rearranged, with its addresses found; ready for ids and compression. */
export interface PreparedRecord {
  layout: Uint8Array;
  sigs: Uint8Array;
  stripped: Uint8Array;
  /** Per address occurrence: text bytes since the previous one. */
  gaps: number[];
  /** Per address occurrence: index of its address among the distinct ones. */
  which: number[];
  /** The distinct addresses, 20 bytes each, in order of first occurrence. */
  distinct: Uint8Array;
}

function sameAddress(a: Uint8Array, at: number, b: Uint8Array, bt: number): boolean {
  for (let i = 0; i < ADDRESS_BYTES; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}

/** Offset of the signature content when the last top-level field of tx is a length-delimited field 3, else -1. */
function signatureStart(tx: Uint8Array): number {
  let p = 0;
  const n = tx.length;
  while (p < n) {
    const tag = tx[p]!;
    if (tag >= 0x80 || (tag & 7) !== 2) return -1;
    p++;
    let len = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (p >= n || i > 4) return -1;
      const b = tx[p++]!;
      len += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    if (len > n - p) return -1;
    if (p + len === n) return tag === 0x1a ? p : -1;
    p += len;
  }
  return -1;
}

/** Rearranges a block (layout, sigs, text) and cuts the addresses out of its text. */
export function prepareRecord(input: BodyInput): PreparedRecord {
  const { txs, results, extra } = input;
  if (results.length !== txs.length) throw new Error("block record: one result per tx is needed");
  const builder = new RecordBuilder();
  for (let i = 0; i < txs.length; i++) builder.add(txs[i]!, results[i]!);
  return builder.finish(extra);
}

/**
 * prepareRecord one tx at a time, so a block producer can do it while the block executes. The
 * text is scanned for addresses as it grows; an address prefix too close to the end waits for
 * the bytes that follow, so the cuts are those of one scan over the whole text.
 */
export class RecordBuilder {
  /** Per tx: varint bytes before the signature, signature bytes, result bytes (count goes first at finish). */
  private readonly perTx = new ByteWriter(1024);
  private readonly text = new ByteWriter(16 * 1024);
  private readonly sigs = new ByteWriter(4 * 1024);
  private readonly distinct = new ByteWriter(1024);
  private readonly gaps: number[] = [];
  private readonly which: number[] = [];
  /** First 30 address bits (a small integer) → distinct index; a mismatch of the other bits just adds an entry. */
  private readonly seen = new Map<number, number>();
  private count = 0;
  /** Text bytes kept so far, compacted at the front of the text. */
  private kept = 0;
  /** Where the text not yet compacted starts (just after the last address cut out). */
  private from = 0;
  /** Where the next search for an address prefix starts. */
  private scanAt = 0;
  private finished = false;

  /** Appends a tx and its encoded TxResult (both copied). */
  add(tx: Uint8Array, result: Uint8Array): void {
    if (this.finished) throw new Error("block record: finished");
    const at = signatureStart(tx);
    if (at >= 0) {
      this.text.bytes(tx.subarray(0, at));
      this.sigs.bytes(tx.subarray(at));
      this.perTx.varint(at);
      this.perTx.varint(tx.length - at);
    } else {
      this.text.bytes(tx);
      this.perTx.varint(tx.length);
      this.perTx.varint(0);
    }
    this.text.bytes(result);
    this.perTx.varint(result.length);
    this.count++;
    this.scan(false);
  }

  /** Appends the block-level events (an encoded BlockResults without tx results) and ends the record. */
  finish(extra: Uint8Array): PreparedRecord {
    if (this.finished) throw new Error("block record: finished");
    this.finished = true;
    this.text.bytes(extra);
    this.scan(true);
    const layout = new ByteWriter(this.perTx.pos + 16);
    layout.varint(this.count);
    layout.bytes(this.perTx.view());
    layout.varint(extra.length);
    const text = this.text.buf;
    const end = this.text.pos;
    if (this.kept !== this.from) text.copyWithin(this.kept, this.from, end);
    return {
      layout: layout.view(),
      sigs: this.sigs.view(),
      stripped: text.subarray(0, this.kept + end - this.from),
      gaps: this.gaps,
      which: this.which,
      distinct: this.distinct.view(),
    };
  }

  /** Cuts out the addresses found since the last scan, compacting the text in place. */
  private scan(final: boolean): void {
    const text = this.text.buf;
    const end = this.text.pos;
    const textBuf = Buffer.from(text.buffer, text.byteOffset, end);
    let p = textBuf.indexOf(ADDRESS_PREFIX_BYTES, this.scanAt);
    while (p >= 0) {
      if (p + ADDRESS_CHARS > end) {
        if (!final) {
          this.scanAt = p; // the rest of it may come with the next tx
          return;
        }
        p = textBuf.indexOf(ADDRESS_PREFIX_BYTES, p + 1);
        continue;
      }
      const distinct = this.distinct;
      distinct.ensure(ADDRESS_BYTES);
      const d = distinct.pos;
      const b = distinct.buf;
      if (!parseAddressAt(text, p, b, d)) {
        p = textBuf.indexOf(ADDRESS_PREFIX_BYTES, p + 1);
        continue;
      }
      this.gaps.push(p - this.from);
      if (this.kept !== this.from) text.copyWithin(this.kept, this.from, p);
      this.kept += p - this.from;
      this.from = p + ADDRESS_CHARS;
      const id = ((b[d]! << 22) | (b[d + 1]! << 14) | (b[d + 2]! << 6) | (b[d + 3]! >>> 2)) & 0x3fffffff;
      const known = this.seen.get(id);
      if (known !== undefined && sameAddress(b, known * ADDRESS_BYTES, b, d)) this.which.push(known);
      else {
        const index = d / ADDRESS_BYTES;
        this.seen.set(id, index);
        this.which.push(index);
        distinct.pos += ADDRESS_BYTES;
      }
      p = textBuf.indexOf(ADDRESS_PREFIX_BYTES, this.from);
    }
    // No prefix from here on; one may start in the last few bytes and end in the next tx's.
    this.scanAt = Math.max(this.from, end - (ADDRESS_PREFIX_BYTES.length - 1));
  }
}

/** Compresses a prepared record; `ids[j]` is the account id of distinct address j, or -1 to store it inline. */
export function finishRecord(prepared: PreparedRecord, ids: ArrayLike<number>): Uint8Array {
  const { layout, sigs, stripped, gaps, which, distinct } = prepared;
  const occurrences = which.length;
  const refs = new ByteWriter(occurrences * 4 + 16);
  const inline = new ByteWriter(256);
  const lastOccurrence = new Int32Array(distinct.length / ADDRESS_BYTES).fill(-1);
  for (let k = 0; k < occurrences; k++) {
    const j = which[k]!;
    refs.varint(gaps[k]!);
    const previous = lastOccurrence[j]!;
    if (previous >= 0) refs.varint(2 * (k - previous) - 1);
    else if (ids[j]! >= 0) refs.varint(2 * ids[j]! + 2);
    else {
      refs.varint(0);
      inline.bytes(distinct.subarray(j * ADDRESS_BYTES, (j + 1) * ADDRESS_BYTES));
    }
    lastOccurrence[j] = k;
  }
  const sections = [layout, refs.view(), inline.view(), sigs, stripped];
  const body = new ByteWriter(sections.reduce((n, x) => n + x.length, 64));
  body.varint(occurrences);
  for (const section of sections) body.varint(section.length);
  for (const section of sections) body.bytes(section);
  const raw = body.view();
  const compressed = brotliCompressSync(raw, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [zlib.BROTLI_PARAM_LGWIN]: BROTLI_LGWIN,
      [zlib.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  const record = new Uint8Array(1 + compressed.length);
  record[0] = FORMAT_BROTLI_V1;
  record.set(compressed, 1);
  return record;
}

/**
 * Encodes a block record. `idOf` gives the store's account id of an address (20 bytes) or -1 to
 * keep it inline; without it every address is inline (a self-contained record).
 */
export function encodeBlockRecord(input: BodyInput, idOf?: (address: Uint8Array) => number): Uint8Array {
  const prepared = prepareRecord(input);
  const n = prepared.distinct.length / ADDRESS_BYTES;
  const ids = new Float64Array(n).fill(-1);
  if (idOf)
    for (let j = 0; j < n; j++)
      ids[j] = idOf(prepared.distinct.subarray(j * ADDRESS_BYTES, (j + 1) * ADDRESS_BYTES));
  return finishRecord(prepared, ids);
}

/** A decoded block record: txs and encoded results, sliced on demand. */
export class BlockBody {
  constructor(
    private readonly text: Uint8Array,
    private readonly sigs: Uint8Array,
    readonly count: number,
    /** Per tx: text offset, bytes before the signature, signature offset, signature bytes, result offset, result bytes. */
    private readonly offsets: Float64Array,
    private readonly extraAt: number,
    private readonly extraBytes: number,
  ) {}

  /** Approximate memory held. */
  get size(): number {
    return this.text.length + this.sigs.length + this.offsets.length * 8;
  }

  tx(i: number): Uint8Array {
    const o = this.offsets;
    const k = i * 6;
    const head = o[k + 1]!;
    const sig = o[k + 3]!;
    const out = new Uint8Array(head + sig);
    out.set(this.text.subarray(o[k]!, o[k]! + head), 0);
    out.set(this.sigs.subarray(o[k + 2]!, o[k + 2]! + sig), head);
    return out;
  }

  resultBytes(i: number): Uint8Array {
    const k = i * 6;
    const at = this.offsets[k + 4]!;
    return this.text.subarray(at, at + this.offsets[k + 5]!);
  }

  result(i: number): TxResult {
    return fromBinary(TxResultSchema, this.resultBytes(i));
  }

  /** All results as one BlockResults message. */
  results(): BlockResults {
    const w = new ByteWriter(this.text.length + this.count * 4);
    for (let i = 0; i < this.count; i++) {
      const r = this.resultBytes(i);
      w.byte(0x0a);
      w.varint(r.length);
      w.bytes(r);
    }
    w.bytes(this.text.subarray(this.extraAt, this.extraAt + this.extraBytes));
    return fromBinary(BlockResultsSchema, w.view());
  }
}

/** Decodes a block record; `addressOf` resolves account ids (20 bytes, or undefined when unknown). */
export function decodeBlockRecord(
  record: Uint8Array,
  addressOf: (id: number) => Uint8Array | undefined = () => undefined,
): BlockBody {
  if (record.length === 0 || record[0] !== FORMAT_BROTLI_V1) {
    throw new CorruptRecordError(`block record (unknown format ${record[0]})`);
  }
  let raw: Uint8Array;
  try {
    raw = brotliDecompressSync(record.subarray(1));
  } catch {
    throw new CorruptRecordError("block record (does not decompress)");
  }
  const r = new ByteReader(raw, "block record");
  const occurrences = r.varint();
  const sizes = [r.varint(), r.varint(), r.varint(), r.varint(), r.varint()];
  const layout = new ByteReader(r.bytes(sizes[0]!), "block record layout");
  const refs = new ByteReader(r.bytes(sizes[1]!), "block record refs");
  const inline = r.bytes(sizes[2]!);
  const sigs = r.bytes(sizes[3]!);
  const stripped = r.bytes(sizes[4]!);

  // Put the addresses back.
  const text = new Uint8Array(stripped.length + occurrences * ADDRESS_CHARS);
  const occurrenceAt = new Float64Array(occurrences);
  let t = 0;
  let s = 0;
  let nextInline = 0;
  for (let k = 0; k < occurrences; k++) {
    const gap = refs.varint();
    if (gap > stripped.length - s) throw new CorruptRecordError("block record refs");
    text.set(stripped.subarray(s, s + gap), t);
    s += gap;
    t += gap;
    const ref = refs.varint();
    if (ref === 0) {
      if ((nextInline + 1) * ADDRESS_BYTES > inline.length)
        throw new CorruptRecordError("block record inline addresses");
      writeAddressAt(inline, nextInline * ADDRESS_BYTES, text, t);
      nextInline++;
    } else if (ref % 2 === 1) {
      const distance = (ref + 1) / 2;
      if (distance > k) throw new CorruptRecordError("block record refs");
      const at = occurrenceAt[k - distance]!;
      text.copyWithin(t, at, at + ADDRESS_CHARS);
    } else {
      const address = addressOf(ref / 2 - 1);
      if (!address || address.length !== ADDRESS_BYTES) {
        throw new CorruptRecordError(`block record (unknown account id ${ref / 2 - 1})`);
      }
      writeAddressAt(address, 0, text, t);
    }
    occurrenceAt[k] = t;
    t += ADDRESS_CHARS;
  }
  if (stripped.length - s !== text.length - t) throw new CorruptRecordError("block record refs");
  text.set(stripped.subarray(s), t);

  const count = layout.varint();
  const offsets = new Float64Array(count * 6);
  let at = 0;
  let sigAt = 0;
  for (let i = 0; i < count; i++) {
    const head = layout.varint();
    const sig = layout.varint();
    const result = layout.varint();
    const k = i * 6;
    offsets[k] = at;
    offsets[k + 1] = head;
    offsets[k + 2] = sigAt;
    offsets[k + 3] = sig;
    offsets[k + 4] = at + head;
    offsets[k + 5] = result;
    at += head + result;
    sigAt += sig;
  }
  const extraBytes = layout.varint();
  if (at + extraBytes !== text.length || sigAt !== sigs.length)
    throw new CorruptRecordError("block record layout");
  return new BlockBody(text, sigs, count, offsets, at, extraBytes);
}
