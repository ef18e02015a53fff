// The persisted chain history: headers, blocks with their results, and the indexes by block
// hash, tx hash and account. Everything lives in the caller's LMDB environment so a block,
// its indexes and the state tree commit in one transaction.
//
// Space is the main design constraint (a transfer must cost well under 200 bytes on disk):
//  - the txs and results of a block are one compressed record (see "Block records" below);
//  - the tx-hash index is one LMDB dup-sorted set of fixed-size values (LMDB packs those without
//    per-entry headers): 5 bytes of tx hash + 5 bytes of global tx sequence number;
//  - the per-account index appends varint deltas of tx sequence numbers into small chunks.
// LMDB copies every page a transaction changes and keeps the old copies as free pages for the next
// transactions, so the randomly updated indexes cost about three times their size on disk while
// they are smaller than what one block touches: keeping them compact matters more than anything.
//
// A global tx sequence number (seq) numbers every committed tx; `blocks.txseq` maps the first
// seq of each block to its height, so a seq resolves to (height, index) with one range lookup.
//
// Databases (all "binary"): blocks.headers (u32 height → encoded header), blocks.hashes (block
// hash → u32 height), blocks.bodies (u32 height → block record), blocks.txseq (5-byte first seq →
// u32 height ‖ varint tx count), blocks.txhash (see TX_INDEX_KEY), blocks.accounts (account index,
// see AccountHead), blocks.accountids (u32 account id → 20 address bytes).
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from "node:zlib";
import {
  type Block,
  type BlockHeader,
  BlockHeaderSchema,
  type BlockResults,
  BlockResultsSchema,
  BlockSchema,
  bytesEqual,
  type Event,
  sha256,
  type TxResult,
  TxResultSchema,
  txHash,
} from "@btt/core";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Database, RootDatabase } from "lmdb";

export interface CommittedBlock {
  block: Block;
  hash: Uint8Array;
  results: BlockResults;
}

export interface TxLocation {
  height: number;
  index: number;
}

export interface StoredTx {
  hash: Uint8Array;
  height: number;
  index: number;
  tx: Uint8Array;
  result: TxResult;
  blockTimeMs: bigint;
}

export interface BlockStoreOptions {
  /** Decoded blocks kept in memory for tx lookups (each holds the block's raw txs and results); default 4. */
  cachedBlocks: number;
  /** Bound on the memory of those blocks (the latest one is always kept); default 64 MiB. */
  cachedBytes: number;
}

/** Block hash: SHA-256 of the encoded header. */
export function blockHash(header: BlockHeader): Uint8Array {
  return sha256(toBinary(BlockHeaderSchema, header));
}

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * Merkle root of tx hashes, RFC 6962 style: leaf = SHA-256(0x00 ‖ hash), inner node =
 * SHA-256(0x01 ‖ left ‖ right), the left subtree holding the largest power of two of the leaves
 * (built bottom-up: an unpaired last node moves up a level unchanged). Empty: SHA-256("").
 */
export function txMerkleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha256(new Uint8Array(0));
  const scratch = new Uint8Array(65);
  let level: Uint8Array[] = hashes.map((h) => {
    const leaf = new Uint8Array(1 + h.length);
    leaf[0] = LEAF_PREFIX;
    leaf.set(h, 1);
    return sha256(leaf);
  });
  scratch[0] = NODE_PREFIX;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      scratch.set(level[i]!, 1);
      scratch.set(level[i + 1]!, 33);
      next.push(sha256(scratch));
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

// ---------------------------------------------------------------------------------------------
// Byte buffers and varints

class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    while (n > 0x7fffffff) {
      buf[pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    while (n > 0x7f) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A view of the written bytes (valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function varintSize(n: number): number {
  let size = 1;
  while (n > 0x7f) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

class CorruptRecordError extends Error {
  constructor(what: string) {
    super(`block store: corrupt ${what}`);
    this.name = "CorruptRecordError";
  }
}

class ByteReader {
  pos = 0;

  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    const buf = this.buf;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= buf.length) throw new CorruptRecordError(this.what);
      const b = buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
    throw new CorruptRecordError(this.what);
  }

  bytes(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) throw new CorruptRecordError(this.what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function u32Key(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}

const SEQ_BYTES = 5;
const MAX_SEQ = 2 ** (8 * SEQ_BYTES) - 1;

function seqKey(seq: number): Buffer {
  const b = Buffer.allocUnsafe(SEQ_BYTES);
  b.writeUIntBE(seq, 0, SEQ_BYTES);
  return b;
}

// ---------------------------------------------------------------------------------------------
// bech32 addresses ("btt1" + 32 data chars + 6 checksum chars), parsed without allocations.

const BECH32_CHARS = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_CODES = Uint8Array.from(BECH32_CHARS, (c) => c.charCodeAt(0));
const BECH32_VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < 32; i++) BECH32_VALUES[BECH32_CODES[i]!] = i;
const BECH32_GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
/** XOR of the generators selected by the 5 bits that leave the checksum state. */
const BECH32_STEP = new Int32Array(32);
for (let top = 0; top < 32; top++) {
  let x = 0;
  for (let i = 0; i < 5; i++) if ((top >> i) & 1) x ^= BECH32_GENERATORS[i]!;
  BECH32_STEP[top] = x;
}

function polymodStep(chk: number, value: number): number {
  return (((chk & 0x1ffffff) << 5) ^ value ^ BECH32_STEP[chk >>> 25]!) >>> 0;
}

const ADDRESS_HRP = "btt";
const ADDRESS_PREFIX_TEXT = `${ADDRESS_HRP}1`;
const ADDRESS_PREFIX = Buffer.from(ADDRESS_PREFIX_TEXT, "latin1");
const ADDRESS_CHARS = ADDRESS_PREFIX.length + 38;
const ADDRESS_BYTES = 20;
/** Checksum state after the expanded human-readable part. */
const HRP_STATE = (() => {
  let chk = 1;
  for (let i = 0; i < ADDRESS_HRP.length; i++) chk = polymodStep(chk, ADDRESS_HRP.charCodeAt(i) >> 5);
  chk = polymodStep(chk, 0);
  for (let i = 0; i < ADDRESS_HRP.length; i++) chk = polymodStep(chk, ADDRESS_HRP.charCodeAt(i) & 31);
  return chk;
})();

/**
 * When src[pos, pos + 42) is a "btt1…" address with a valid checksum, writes its 20 bytes into
 * out at outPos and returns true. Callers have checked the "btt1" prefix.
 */
function parseAddressAt(src: Uint8Array, pos: number, out: Uint8Array, outPos: number): boolean {
  if (pos + ADDRESS_CHARS > src.length) return false;
  let chk = HRP_STATE;
  let acc = 0;
  let bits = 0;
  let o = outPos;
  const start = pos + ADDRESS_PREFIX.length;
  for (let i = 0; i < 38; i++) {
    const v = BECH32_VALUES[src[start + i]!]!;
    if (v < 0) return false;
    chk = polymodStep(chk, v);
    if (i < 32) {
      acc = ((acc << 5) | v) & 0xfff;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (acc >>> bits) & 0xff;
      }
    }
  }
  return chk === 1;
}

/** Writes the 42 characters of the address whose 20 bytes are src[srcPos, srcPos + 20). */
function writeAddressAt(src: Uint8Array, srcPos: number, out: Uint8Array, pos: number): void {
  out.set(ADDRESS_PREFIX, pos);
  let o = pos + ADDRESS_PREFIX.length;
  let chk = HRP_STATE;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < ADDRESS_BYTES; i++) {
    acc = ((acc << 8) | src[srcPos + i]!) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      const v = (acc >>> bits) & 31;
      chk = polymodStep(chk, v);
      out[o++] = BECH32_CODES[v]!;
    }
  }
  for (let i = 0; i < 6; i++) chk = polymodStep(chk, 0);
  chk ^= 1;
  for (let i = 0; i < 6; i++) out[o++] = BECH32_CODES[(chk >>> (5 * (5 - i))) & 31]!;
}

const ACCOUNT_KEY_DOMAIN = "btt/blockstore/account\n";

const addressScratch = new Uint8Array(ADDRESS_CHARS);

/** The 20-byte index key of an account: its address bytes (a hash for anything that is not a btt address). */
function accountKey(address: string): Buffer {
  const key = Buffer.allocUnsafe(ADDRESS_BYTES);
  if (address.length === ADDRESS_CHARS && address.startsWith(ADDRESS_PREFIX_TEXT)) {
    let ascii = true;
    for (let i = 0; i < ADDRESS_CHARS; i++) {
      const c = address.charCodeAt(i);
      if (c >= 0x80) {
        ascii = false;
        break;
      }
      addressScratch[i] = c;
    }
    if (ascii && parseAddressAt(addressScratch, 0, key, 0)) return key;
  }
  return Buffer.from(sha256(Buffer.from(ACCOUNT_KEY_DOMAIN + address, "utf8")).subarray(0, ADDRESS_BYTES));
}

// ---------------------------------------------------------------------------------------------
// Fast canonical encoding of results. protobuf-es' reflective toBinary takes ~25 µs per TxResult,
// a quarter of a second for a 10,000-tx block; this writes the same bytes in a fraction of that.

const utf8Encoder = new TextEncoder();

function hasUnknown(m: object): boolean {
  const unknown = (m as { $unknown?: unknown[] }).$unknown;
  return unknown !== undefined && unknown.length > 0;
}

function writeStringField(w: ByteWriter, tag: number, s: string): void {
  const n = s.length;
  if (n === 0) return;
  if (n < 128) {
    w.ensure(n + 2);
    const buf = w.buf;
    const start = w.pos + 2;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + i] = c;
    }
    if (i === n) {
      buf[w.pos] = tag;
      buf[w.pos + 1] = n;
      w.pos = start + n;
      return;
    }
  }
  const bytes = utf8Encoder.encode(s);
  w.byte(tag);
  w.varint(bytes.length);
  w.bytes(bytes);
}

/** Starts a length-delimited field; returns where its (1-byte, fixed up later) length goes. */
function beginMessage(w: ByteWriter, tag: number): number {
  w.ensure(2);
  w.buf[w.pos++] = tag;
  return w.pos++;
}

function endMessage(w: ByteWriter, lengthAt: number): void {
  const len = w.pos - lengthAt - 1;
  if (len < 128) {
    w.buf[lengthAt] = len;
    return;
  }
  const size = varintSize(len);
  w.ensure(size - 1);
  w.buf.copyWithin(lengthAt + size, lengthAt + 1, w.pos);
  w.pos += size - 1;
  let p = lengthAt;
  let n = len;
  while (n > 0x7f) {
    w.buf[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  w.buf[p] = n;
}

function writeEvent(w: ByteWriter, tag: number, e: Event): void {
  if (hasUnknown(e) || e.attributes.some(hasUnknown)) {
    const bytes = toBinary(BlockResultsSchema, create(BlockResultsSchema, { beginBlockEvents: [e] }));
    // bytes = 0x12 ‖ len ‖ event: re-tag it
    w.byte(tag);
    w.bytes(bytes.subarray(1));
    return;
  }
  const at = beginMessage(w, tag);
  writeStringField(w, 0x0a, e.type);
  for (const a of e.attributes) {
    const attrAt = beginMessage(w, 0x12);
    writeStringField(w, 0x0a, a.key);
    writeStringField(w, 0x12, a.value);
    endMessage(w, attrAt);
  }
  endMessage(w, at);
}

function writeTxResult(w: ByteWriter, r: TxResult): void {
  if (hasUnknown(r)) {
    w.bytes(toBinary(TxResultSchema, r));
    return;
  }
  if (r.code !== 0) {
    w.byte(0x08);
    w.varint(r.code >>> 0);
  }
  writeStringField(w, 0x12, r.log);
  for (const e of r.events) writeEvent(w, 0x1a, e);
  writeStringField(w, 0x22, r.fee);
}

/**
 * The canonical protobuf encoding of block results, byte-identical to
 * `toBinary(BlockResultsSchema, results)` and about ten times faster (for results_hash).
 */
export function encodeBlockResults(results: BlockResults): Uint8Array {
  if (hasUnknown(results)) return toBinary(BlockResultsSchema, results);
  const w = new ByteWriter(results.txResults.length * 256 + 64);
  for (const r of results.txResults) {
    const at = beginMessage(w, 0x0a);
    writeTxResult(w, r);
    endMessage(w, at);
  }
  for (const e of results.beginBlockEvents) writeEvent(w, 0x12, e);
  for (const e of results.endBlockEvents) writeEvent(w, 0x1a, e);
  return w.buf.slice(0, w.pos);
}

// ---------------------------------------------------------------------------------------------
// Block records: a block's txs and results in one compressed value.
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
interface PreparedRecord {
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

function prepareRecord(input: BodyInput): PreparedRecord {
  const { txs, results, extra } = input;
  const count = txs.length;
  if (results.length !== count) throw new Error("block record: one result per tx is needed");
  let textSize = extra.length;
  let sigSize = 0;
  const sigAt = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const tx = txs[i]!;
    const at = signatureStart(tx);
    sigAt[i] = at;
    if (at >= 0) {
      textSize += at;
      sigSize += tx.length - at;
    } else textSize += tx.length;
    textSize += results[i]!.length;
  }
  const layout = new ByteWriter(count * 6 + 16);
  const text = new Uint8Array(textSize);
  const sigs = new Uint8Array(sigSize);
  layout.varint(count);
  let t = 0;
  let s = 0;
  for (let i = 0; i < count; i++) {
    const tx = txs[i]!;
    const at = sigAt[i]!;
    const result = results[i]!;
    if (at >= 0) {
      text.set(tx.subarray(0, at), t);
      t += at;
      sigs.set(tx.subarray(at), s);
      s += tx.length - at;
      layout.varint(at);
      layout.varint(tx.length - at);
    } else {
      text.set(tx, t);
      t += tx.length;
      layout.varint(tx.length);
      layout.varint(0);
    }
    text.set(result, t);
    t += result.length;
    layout.varint(result.length);
  }
  text.set(extra, t);
  layout.varint(extra.length);

  // Cut the addresses out of the text, compacting it in place.
  const distinct = new ByteWriter(count * 24 + 32);
  const gaps: number[] = [];
  const which: number[] = [];
  /** First 30 address bits (a small integer) → distinct index; a mismatch of the other bits just adds an entry. */
  const seen = new Map<number, number>();
  const textBuf = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  let kept = 0;
  let from = 0;
  let p = textBuf.indexOf(ADDRESS_PREFIX, 0);
  while (p >= 0) {
    distinct.ensure(ADDRESS_BYTES);
    const d = distinct.pos;
    const b = distinct.buf;
    if (!parseAddressAt(text, p, b, d)) {
      p = textBuf.indexOf(ADDRESS_PREFIX, p + 1);
      continue;
    }
    gaps.push(p - from);
    if (kept !== from) text.copyWithin(kept, from, p);
    kept += p - from;
    from = p + ADDRESS_CHARS;
    const id = ((b[d]! << 22) | (b[d + 1]! << 14) | (b[d + 2]! << 6) | (b[d + 3]! >>> 2)) & 0x3fffffff;
    const known = seen.get(id);
    if (known !== undefined && sameAddress(b, known * ADDRESS_BYTES, b, d)) which.push(known);
    else {
      const index = d / ADDRESS_BYTES;
      seen.set(id, index);
      which.push(index);
      distinct.pos += ADDRESS_BYTES;
    }
    p = textBuf.indexOf(ADDRESS_PREFIX, from);
  }
  if (kept !== from) text.copyWithin(kept, from);
  const stripped = text.subarray(0, kept + text.length - from);
  return { layout: layout.view(), sigs, stripped, gaps, which, distinct: distinct.view() };
}

/** Compresses a prepared record; `ids[j]` is the account id of distinct address j, or -1 to store it inline. */
function finishRecord(prepared: PreparedRecord, ids: ArrayLike<number>): Uint8Array {
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

// ---------------------------------------------------------------------------------------------
// Account index. The head (key = the account's 20 bytes) is
//   [varint account id] ‖ [varint archived chunks] ‖ entries,
// entries being varint seqs, the first absolute, then deltas (ascending). When the head's entries
// reach ACCOUNT_CHUNK_BYTES they move to archived chunk n (key = account ‖ u32 n, n from 1), which
// never changes again. Account ids number the accounts in order of first appearance; block records
// refer to addresses by them (blocks.accountids maps an id back to the 20 bytes).

const ACCOUNT_CHUNK_BYTES = 192;

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
  /** Entries stored before this block, and the seqs this block adds. */
  stored: number[];
  added: number[];
  isNew: boolean;
}

interface AccountCursor {
  seq: number;
  /** Chunk of that entry: 0 = head chunk, n ≥ 1 = archived chunk n. */
  chunk: number;
}

function encodeCursor(c: AccountCursor): string {
  const w = new ByteWriter(16);
  w.varint(c.seq);
  w.varint(c.chunk);
  return Buffer.from(w.view()).toString("base64url");
}

function decodeCursor(cursor: string): AccountCursor {
  const bytes = Buffer.from(cursor, "base64url");
  try {
    const r = new ByteReader(bytes, "cursor");
    const c = { seq: r.varint(), chunk: r.varint() };
    if (r.done && bytes.toString("base64url") === cursor && c.chunk <= 0xffffffff) return c;
  } catch {
    // fall through to the error
  }
  throw new RangeError("invalid cursor");
}

// ---------------------------------------------------------------------------------------------

/**
 * Tx index: dup-sorted sets of fixed-size values (LMDB packs those without per-entry headers):
 * key = seq / 2^32 (one byte; one set for the first 4 billion txs), value = 5 bytes of tx hash ‖
 * u32 seq % 2^32. A lookup finds every value with the hash's prefix and confirms the full hash
 * against the stored tx, so prefix collisions only cost a read.
 */
const TX_PREFIX_BYTES = 5;
const TX_INDEX_VALUE_BYTES = TX_PREFIX_BYTES + 4;
const SEQ_LOW = 2 ** 32;

/** lmdb-js value encoder that stores and returns raw bytes (what `encoding: "binary"` does; lmdb-js 3
 *  only supports start/end value ranges in getValues with an encoder). */
const RAW_VALUES = {
  encode: (value: Uint8Array): Uint8Array => value,
  decode: (bytes: Uint8Array, size: number): Uint8Array => Uint8Array.prototype.slice.call(bytes, 0, size),
};

interface LoadedBlock {
  headerBytes: Uint8Array;
  header: BlockHeader;
  body: BlockBody;
}

type Bytes = Uint8Array;

export class BlockStore {
  private readonly headers: Database<Bytes, Bytes>;
  private readonly hashes: Database<Bytes, Bytes>;
  private readonly bodies: Database<Bytes, Bytes>;
  private readonly txSeqs: Database<Bytes, Bytes>;
  private readonly txIndex: Database<Bytes, Bytes>;
  private readonly accounts: Database<Bytes, Bytes>;
  private readonly accountIds: Database<Bytes, Bytes>;
  /** Recently decoded blocks, least recently used first. */
  private readonly cache = new Map<number, LoadedBlock>();
  private readonly cachedBlocks: number;
  private readonly cachedBytes: number;
  private cacheSize = 0;

  constructor(
    private readonly root: RootDatabase,
    opts: Partial<BlockStoreOptions> = {},
  ) {
    const binary = { encoding: "binary", keyEncoding: "binary" } as const;
    this.headers = root.openDB<Bytes, Bytes>("blocks.headers", binary);
    this.hashes = root.openDB<Bytes, Bytes>("blocks.hashes", binary);
    this.bodies = root.openDB<Bytes, Bytes>("blocks.bodies", binary);
    this.txSeqs = root.openDB<Bytes, Bytes>("blocks.txseq", binary);
    this.accounts = root.openDB<Bytes, Bytes>("blocks.accounts", binary);
    this.accountIds = root.openDB<Bytes, Bytes>("blocks.accountids", binary);
    const txIndexOptions = {
      keyEncoding: "binary",
      dupSort: true,
      dupFixed: true,
      encoder: RAW_VALUES,
    } as const;
    this.txIndex = root.openDB<Bytes, Bytes>("blocks.txhash", txIndexOptions);
    this.cachedBlocks = Math.max(1, opts.cachedBlocks ?? 4);
    this.cachedBytes = opts.cachedBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Issues the puts for one block. Must be called INSIDE the caller's transactionSync; writes
   * nothing else. `txAccounts[i]` = the addresses (bech32 strings) tx i touched, for the
   * per-account index.
   */
  putBlock(committed: CommittedBlock, txAccounts: string[][]): void {
    try {
      this.root.getWriteTxnId();
    } catch {
      throw new Error("putBlock must be called inside root.transactionSync()");
    }
    const { block, results } = committed;
    const header = block.header;
    if (!header) throw new Error("putBlock: the block has no header");
    const height = Number(header.height);
    if (!validHeight(height)) throw new Error(`putBlock: invalid height ${header.height}`);
    const latest = this.latestHeight();
    if (latest !== 0 && height !== latest + 1) {
      throw new Error(`putBlock: height ${height} does not follow the latest stored block ${latest}`);
    }
    const headerBytes = toBinary(BlockHeaderSchema, header);
    if (!bytesEqual(sha256(headerBytes), committed.hash))
      throw new Error("putBlock: hash is not the header's hash");
    const txs = block.txs;
    const count = txs.length;
    if (results.txResults.length !== count) {
      throw new Error(`putBlock: ${count} txs but ${results.txResults.length} results`);
    }
    if (txAccounts.length !== count)
      throw new Error(`putBlock: ${count} txs but ${txAccounts.length} account lists`);
    const firstSeq = this.nextSeq();
    if (firstSeq + count > MAX_SEQ) throw new Error("putBlock: tx sequence numbers exhausted");

    // Results, encoded one by one (the record keeps each next to its tx).
    const w = new ByteWriter(count * 256 + 64);
    const ends = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      writeTxResult(w, results.txResults[i]!);
      ends[i] = w.pos;
    }
    const resultBytes: Uint8Array[] = new Array(count);
    for (let i = 0; i < count; i++) resultBytes[i] = w.buf.subarray(i === 0 ? 0 : ends[i - 1]!, ends[i]!);
    const extra = new ByteWriter(64);
    for (const e of results.beginBlockEvents) writeEvent(extra, 0x12, e);
    for (const e of results.endBlockEvents) writeEvent(extra, 0x1a, e);
    const prepared = prepareRecord({ txs, results: resultBytes, extra: extra.view() });

    // Account heads of the touched accounts (new accounts get ids), then the ids of the record's addresses.
    const heads = new Map<string, AccountHead>();
    let nextId = -1;
    const headOf = (key: Buffer, create: boolean): AccountHead | undefined => {
      const name = key.toString("latin1");
      let head = heads.get(name);
      if (head) return head;
      const value = this.accounts.getBinaryFast(key); // a reused buffer: decoded at once
      if (value) {
        const r = new ByteReader(value, "account index");
        const id = r.varint();
        const archived = r.varint();
        head = { key, id, archived, stored: decodeSeqs(r), added: [], isNew: false };
      } else if (create) {
        if (nextId < 0) nextId = this.nextAccountId();
        head = { key, id: nextId++, archived: 0, stored: [], added: [], isNew: true };
      } else return undefined;
      heads.set(name, head);
      return head;
    };
    const byAddress = new Map<string, AccountHead>();
    for (let i = 0; i < count; i++) {
      const seq = firstSeq + i;
      for (const address of txAccounts[i]!) {
        let head = byAddress.get(address);
        if (!head) {
          head = headOf(accountKey(address), true)!;
          byAddress.set(address, head);
        }
        const added = head.added;
        if (added[added.length - 1] !== seq) added.push(seq);
      }
    }
    const distinct = Buffer.from(
      prepared.distinct.buffer,
      prepared.distinct.byteOffset,
      prepared.distinct.length,
    );
    const ids = new Float64Array(distinct.length / ADDRESS_BYTES);
    for (let j = 0; j < ids.length; j++) {
      const at = j * ADDRESS_BYTES;
      const touched = heads.get(distinct.toString("latin1", at, at + ADDRESS_BYTES));
      ids[j] = (touched ?? headOf(distinct.subarray(at, at + ADDRESS_BYTES), false))?.id ?? -1;
    }
    const record = finishRecord(prepared, ids);

    const heightKey = u32Key(height);
    this.uncache(height);
    this.headers.putSync(heightKey, headerBytes);
    this.hashes.putSync(Buffer.from(committed.hash), heightKey);
    this.bodies.putSync(heightKey, record);
    if (count > 0) {
      const seqValue = new ByteWriter(12);
      seqValue.bytes(heightKey);
      seqValue.varint(count);
      this.txSeqs.putSync(seqKey(firstSeq), Buffer.from(seqValue.view()));
    }
    this.indexTxs(txs, firstSeq);
    this.writeAccountHeads([...heads.values()]);
  }

  latestHeight(): number {
    for (const key of this.headers.getKeys({ reverse: true, limit: 1 }))
      return Buffer.from(key).readUInt32BE(0);
    return 0;
  }

  header(height: number): BlockHeader | undefined {
    if (!validHeight(height)) return undefined;
    const bytes = this.headers.get(u32Key(height));
    return bytes ? fromBinary(BlockHeaderSchema, bytes) : undefined;
  }

  block(height: number): CommittedBlock | undefined {
    const loaded = this.load(height);
    if (!loaded) return undefined;
    const { header, headerBytes, body } = loaded;
    const txs: Uint8Array[] = new Array(body.count);
    for (let i = 0; i < body.count; i++) txs[i] = body.tx(i);
    return {
      block: create(BlockSchema, { header, txs }),
      hash: sha256(headerBytes),
      results: body.results(),
    };
  }

  blockByHash(hash: Uint8Array): CommittedBlock | undefined {
    if (hash.length !== 32) return undefined;
    const height = this.hashes.get(Buffer.from(hash));
    return height ? this.block(Buffer.from(height).readUInt32BE(0)) : undefined;
  }

  tx(hash: Uint8Array): StoredTx | undefined {
    if (hash.length !== 32) return undefined;
    for (const seq of this.txCandidates(hash)) {
      const location = this.blockOfSeq(seq);
      if (!location) continue;
      const loaded = this.load(location.height);
      const index = seq - location.firstSeq;
      if (!loaded || index >= loaded.body.count) continue;
      const tx = loaded.body.tx(index);
      if (bytesEqual(txHash(tx), hash))
        return this.storedTx(loaded, { height: location.height, index }, tx, hash);
    }
    return undefined;
  }

  /** Newest first; cursor-based pagination; `cursor` is opaque (string) from the previous page. */
  txsOfAccount(
    address: string,
    opts: { limit: number; cursor?: string },
  ): { txs: StoredTx[]; nextCursor?: string } {
    const limit = opts.limit;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
    const start = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor);
    const account = accountKey(address);
    const headValue = this.accounts.get(account);
    if (!headValue) return { txs: [] };
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
    const txs: StoredTx[] = [];
    let located: { firstSeq: number; height: number; count: number } | undefined;
    for (const { seq } of page) {
      if (!located || seq < located.firstSeq || seq >= located.firstSeq + located.count)
        located = this.blockOfSeq(seq);
      if (!located) throw new CorruptRecordError(`account index (tx ${seq} is in no block)`);
      const loaded = this.load(located.height);
      const index = seq - located.firstSeq;
      if (!loaded || index >= loaded.body.count) throw new CorruptRecordError(`account index (tx ${seq})`);
      const tx = loaded.body.tx(index);
      txs.push(this.storedTx(loaded, { height: located.height, index }, tx, txHash(tx)));
    }
    const last = page[page.length - 1];
    return more && last ? { txs, nextCursor: encodeCursor(last) } : { txs };
  }

  // -------------------------------------------------------------------------------------------

  private storedTx(loaded: LoadedBlock, location: TxLocation, tx: Uint8Array, hash: Uint8Array): StoredTx {
    return {
      hash: Uint8Array.from(hash),
      height: location.height,
      index: location.index,
      tx,
      result: loaded.body.result(location.index),
      blockTimeMs: loaded.header.timeMs,
    };
  }

  private indexTxs(txs: readonly Uint8Array[], firstSeq: number): void {
    const count = txs.length;
    const entries = Buffer.allocUnsafe(count * TX_INDEX_VALUE_BYTES);
    // The prefix (≤ 6 bytes) is exact as a double; inserting in value order is faster for LMDB,
    // and equal prefixes keep seq order (the sort is stable).
    const prefixes = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const at = i * TX_INDEX_VALUE_BYTES;
      entries.set(txHash(txs[i]!).subarray(0, TX_PREFIX_BYTES), at);
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
      this.txIndex.putSync(key, values.subarray(at, at + TX_INDEX_VALUE_BYTES));
    }
  }

  /** Seqs of the committed txs whose hash starts like `hash` (usually one; more on a prefix collision). */
  private txCandidates(hash: Uint8Array): number[] {
    const start = Buffer.alloc(TX_INDEX_VALUE_BYTES, 0x00);
    const end = Buffer.alloc(TX_INDEX_VALUE_BYTES, 0xff);
    start.set(hash.subarray(0, TX_PREFIX_BYTES), 0);
    end.set(hash.subarray(0, TX_PREFIX_BYTES), 0);
    const seqs: number[] = [];
    for (const key of this.txIndex.getKeys()) {
      const high = Buffer.from(key).readUInt8(0) * SEQ_LOW;
      for (const value of this.txIndex.getValues(key, { start, end, inclusiveEnd: true })) {
        seqs.push(
          high + Buffer.from(value.buffer, value.byteOffset, value.byteLength).readUInt32BE(TX_PREFIX_BYTES),
        );
      }
    }
    return seqs;
  }

  private blockOfSeq(seq: number): { firstSeq: number; height: number; count: number } | undefined {
    for (const { key, value } of this.txSeqs.getRange({ start: seqKey(seq), reverse: true, limit: 1 })) {
      const firstSeq = Buffer.from(key).readUIntBE(0, SEQ_BYTES);
      const r = new ByteReader(value, "tx sequence index");
      const height = Buffer.from(r.bytes(4)).readUInt32BE(0);
      const count = r.varint();
      return seq < firstSeq + count ? { firstSeq, height, count } : undefined;
    }
    return undefined;
  }

  /** The seq the next committed tx gets. */
  private nextSeq(): number {
    for (const { key, value } of this.txSeqs.getRange({ reverse: true, limit: 1 })) {
      const r = new ByteReader(value, "tx sequence index");
      r.bytes(4);
      return Buffer.from(key).readUIntBE(0, SEQ_BYTES) + r.varint();
    }
    return 0;
  }

  private nextAccountId(): number {
    for (const key of this.accountIds.getKeys({ reverse: true, limit: 1 }))
      return Buffer.from(key).readUInt32BE(0) + 1;
    return 0;
  }

  private archivedChunk(account: Uint8Array, chunk: number): number[] {
    const value = this.accounts.get(archivedChunkKey(account, chunk));
    if (!value) throw new CorruptRecordError(`account index (missing chunk ${chunk})`);
    return decodeSeqs(new ByteReader(value, "account index"));
  }

  private writeAccountHeads(heads: AccountHead[]): void {
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
      const seqs = head.stored;
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

  private uncache(height: number): void {
    const cached = this.cache.get(height);
    if (!cached) return;
    this.cache.delete(height);
    this.cacheSize -= cached.body.size;
  }

  private addressOfId = (id: number): Uint8Array | undefined => {
    if (!Number.isSafeInteger(id) || id > 0xffffffff) return undefined;
    return this.accountIds.get(u32Key(id));
  };

  private load(height: number): LoadedBlock | undefined {
    if (!validHeight(height)) return undefined;
    const key = u32Key(height);
    const headerBytes = this.headers.get(key);
    if (!headerBytes) return undefined;
    const cached = this.cache.get(height);
    // Comparing headers keeps a block read inside a transaction that was then aborted from being served.
    if (cached && bytesEqual(cached.headerBytes, headerBytes)) {
      this.cache.delete(height);
      this.cache.set(height, cached);
      return cached;
    }
    const record = this.bodies.get(key);
    if (!record) throw new CorruptRecordError(`store (block ${height} has a header but no body)`);
    const loaded = {
      headerBytes: Uint8Array.from(headerBytes),
      header: fromBinary(BlockHeaderSchema, headerBytes),
      body: decodeBlockRecord(record, this.addressOfId),
    };
    this.uncache(height);
    this.cache.set(height, loaded);
    this.cacheSize += loaded.body.size;
    for (const [h, old] of this.cache) {
      if (
        this.cache.size <= 1 ||
        (this.cache.size <= this.cachedBlocks && this.cacheSize <= this.cachedBytes)
      )
        break;
      this.cache.delete(h);
      this.cacheSize -= old.body.size;
    }
    return loaded;
  }
}

function validHeight(height: number): boolean {
  return Number.isSafeInteger(height) && height >= 1 && height <= 0xffffffff;
}
