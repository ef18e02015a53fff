/**
 * Undo log of the flat values: what each key held before the version that changed it.
 *
 * Record key: version u64 | keyHash of its first entry (32); value: entries sorted by key hash,
 * `keyHash(32) | len u32 (ABSENT = the key did not exist) | value`. A commit appends its records
 * at the end of the db, and pruning deletes the oldest versions as one contiguous key range,
 * so both touch few pages (deleting scattered records was the main cost of the old design).
 * The state at version v of a key is the first undo entry after v, or the latest value if none.
 */
import type { Database } from "lmdb";
import { compare32, readU64, writeU64 } from "./node-codec.ts";

const ABSENT = 0xffffffff;
/** Records stay below LMDB's overflow threshold (~2 KB with 4 KB pages) unless one value is bigger. */
const CHUNK_BYTES = 1900;
const ENTRY_HEADER = 36;

export function undoKey(version: number, kh: Uint8Array | null, khOff = 0): Buffer {
  const k = Buffer.alloc(40);
  writeU64(k, 0, version);
  if (kh !== null) k.set(kh.subarray(khOff, khOff + 32), 8);
  return k;
}

/** Collects the undo entries of one version (in key-hash order) into records. */
export class UndoWriter {
  readonly keys: Buffer[] = [];
  readonly records: Buffer[] = [];
  private buf: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private len = 0;
  private first: Buffer | null = null;

  constructor(private readonly version: number) {}

  /** The key (hash kh) held `value` (a view, copied here) or nothing (null) before this version. */
  add(kh: Uint8Array, khOff: number, value: Uint8Array | null): void {
    const size = ENTRY_HEADER + (value === null ? 0 : value.length);
    if (this.len > 0 && this.len + size > CHUNK_BYTES) this.flush();
    if (this.len + size > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, size));
    if (this.len === 0) this.first = undoKey(this.version, kh, khOff);
    this.buf.set(kh.subarray(khOff, khOff + 32), this.len);
    this.buf.writeUInt32BE(value === null ? ABSENT : value.length, this.len + 32);
    if (value !== null) this.buf.set(value, this.len + ENTRY_HEADER);
    this.len += size;
  }

  /** Close the last record; keys and records are then complete (keys ascending). */
  finish(): void {
    if (this.len > 0) this.flush();
  }

  private flush(): void {
    this.keys.push(this.first!);
    this.records.push(Buffer.from(this.buf.subarray(0, this.len)));
    this.len = 0;
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
  }
}

/** Calls fn(keyHash, keyHashOffset, value-or-null) for each entry of a record. */
function forEachEntry(
  rec: Buffer,
  fn: (rec: Buffer, khOff: number, value: Buffer | null) => boolean | undefined,
): void {
  for (let o = 0; o < rec.length; ) {
    const len = rec.readUInt32BE(o + 32);
    const absent = len === ABSENT;
    const end = o + ENTRY_HEADER + (absent ? 0 : len);
    if (fn(rec, o, absent ? null : rec.subarray(o + ENTRY_HEADER, end)) === false) return;
    o = end;
  }
}

/**
 * State of key hash `kh` before version `r`, if version r changed it: a copy of the value, null
 * (the key did not exist), or undefined (r did not change this key).
 */
export function undoEntry(
  db: Database<Buffer, Buffer>,
  r: number,
  kh: Uint8Array,
): Buffer | null | undefined {
  // The record holding kh is the last one of version r starting at or before kh.
  for (const { key, value } of db.getRange({ start: undoKey(r, kh), reverse: true, limit: 1 })) {
    if (readU64(key, 0) !== r) return undefined;
    let found: Buffer | null | undefined;
    forEachEntry(value, (rec, o, v) => {
      const c = compare32(rec, o, kh, 0);
      if (c === 0) found = v === null ? null : Buffer.from(v);
      return c < 0;
    });
    return found;
  }
  return undefined;
}

/** Calls fn for every entry of version r with key hash in [start, end) (end null = no bound). */
export function scanUndo(
  db: Database<Buffer, Buffer>,
  r: number,
  start: Buffer,
  end: Buffer | null,
  fn: (kh: Buffer, value: Buffer | null) => void,
): void {
  let from = undoKey(r, start);
  for (const { key } of db.getRange({ start: from, reverse: true, limit: 1 })) {
    if (readU64(key, 0) === r) from = key;
  }
  const to = end === null ? undoKey(r + 1, null) : undoKey(r, end);
  for (const { value } of db.getRange({ start: from, end: to })) {
    forEachEntry(value, (rec, o, v) => {
      if (compare32(rec, o, start, 0) >= 0 && (end === null || compare32(rec, o, end, 0) < 0)) {
        fn(Buffer.from(rec.subarray(o, o + 32)), v === null ? null : Buffer.from(v));
      }
      return undefined;
    });
  }
}
