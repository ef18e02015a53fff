/**
 * The changes of one prepare(), sorted by key hash, as a struct of arrays: keys and values are
 * copied into one buffer each and every per-change field is a typed-array slot, so no object
 * per change lives from prepare() to write() (those used to be promoted and cost major GCs).
 */
import { StateError } from "./errors.ts";
import { batchBuffer, batchOffsets, hashBatch } from "./hasher.ts";
import { ENTRY } from "./leaf-list.ts";
import { compare32 } from "./node-codec.ts";

/** LMDB's key size limit (lmdb-js default build). */
export const MAX_STATE_KEY_LEN = 1978;

export const OP_NONE = 0;
export const OP_INSERT = 1;
export const OP_UPDATE = 2;
export const OP_DELETE = 3;

export function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length === 0 || key.length > MAX_STATE_KEY_LEN) {
    throw new StateError("BAD_KEY", `state keys must be 1..${MAX_STATE_KEY_LEN} bytes`);
  }
}

function unshared(b: Buffer): Buffer {
  if (!(b.buffer instanceof SharedArrayBuffer)) return b;
  const copy = Buffer.allocUnsafeSlow(b.length);
  copy.set(b);
  return copy;
}

/** Indexes 0..n-1 ordered by the key hashes at raw[i * ENTRY]. */
export function sortByKeyHash(raw: Buffer, n: number): Int32Array {
  const order = new Int32Array(n);
  if (n >= 1 << 21) {
    for (let i = 0; i < n; i++) order[i] = i;
    return order.sort((a, b) => compare32(raw, ENTRY * a, raw, ENTRY * b));
  }
  // A native numeric sort of (first 32 bits of the hash) * 2^21 + index (exact in a double)
  // is several times faster than sorting with a comparator; equal first 32 bits are rare and
  // fixed up below by insertion sort on the full hash.
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = raw.readUInt32BE(ENTRY * i) * 2097152 + i;
  keys.sort();
  for (let c = 0; c < n; c++) order[c] = keys[c]! % 2097152;
  for (let c = 1; c < n; c++) {
    const i = order[c]!;
    let d = c;
    while (d > 0 && keys[d - 1]! - (keys[d - 1]! % 2097152) === keys[c]! - (keys[c]! % 2097152)) {
      if (compare32(raw, ENTRY * order[d - 1]!, raw, ENTRY * i) <= 0) break;
      order[d] = order[d - 1]!;
      d--;
    }
    order[d] = i;
  }
  return order;
}

export class Batch {
  /** Change c's entry `keyHash | new leafHash` (see leaf-list.ts) at ents[c * ENTRY]. */
  readonly ents: Buffer;
  /** 1 if change c deletes its key. */
  readonly del: Uint8Array;
  /** What change c turned out to be (OP_*); set by the tree updater. */
  readonly ops: Uint8Array;

  private constructor(
    readonly n: number,
    ents: Buffer,
    private readonly keyData: Buffer,
    private readonly keyAt: Int32Array,
    private readonly valData: Buffer,
    private readonly valAt: Int32Array,
  ) {
    this.ents = ents;
    this.del = new Uint8Array(n);
    this.ops = new Uint8Array(n);
    for (let c = 0; c < n; c++) this.del[c] = valAt[2 * c]! < 0 ? 1 : 0;
  }

  /** Validate, copy, hash and sort `changes` (value undefined = delete). */
  static of(changes: readonly (readonly [Uint8Array, Uint8Array | undefined])[]): Batch {
    const n = changes.length;
    let keyBytes = 0;
    let valBytes = 0;
    for (let i = 0; i < n; i++) {
      const [k, v] = changes[i]!;
      checkKey(k);
      keyBytes += k.length;
      if (v !== undefined) {
        if (!(v instanceof Uint8Array)) throw new StateError("BAD_VALUE", "values must be Uint8Arrays");
        valBytes += v.length;
      }
    }
    const keyData = batchBuffer(keyBytes, n);
    const valData = batchBuffer(valBytes, n);
    const raw = batchBuffer(ENTRY * n, n); // entries in input order
    const rawKeyAt = batchOffsets(n);
    const rawValAt = batchOffsets(n);
    let ko = 0;
    let vo = 0;
    for (let i = 0; i < n; i++) {
      const [k, v] = changes[i]!;
      keyData.set(k, ko);
      rawKeyAt[2 * i] = ko;
      ko += k.length;
      rawKeyAt[2 * i + 1] = ko;
      if (v === undefined) {
        rawValAt[2 * i] = -1;
        continue;
      }
      valData.set(v, vo);
      rawValAt[2 * i] = vo;
      vo += v.length;
      rawValAt[2 * i + 1] = vo;
    }
    hashBatch(keyData, rawKeyAt, valData, rawValAt, raw, n);
    const order = sortByKeyHash(raw, n);
    const ents = Buffer.allocUnsafeSlow(ENTRY * n);
    const keyAt = new Int32Array(2 * n);
    const valAt = new Int32Array(2 * n);
    for (let c = 0; c < n; c++) {
      const i = order[c]!;
      raw.copy(ents, ENTRY * c, ENTRY * i, ENTRY * i + ENTRY);
      keyAt[2 * c] = rawKeyAt[2 * i]!;
      keyAt[2 * c + 1] = rawKeyAt[2 * i + 1]!;
      valAt[2 * c] = rawValAt[2 * i]!;
      valAt[2 * c + 1] = rawValAt[2 * i + 1]!;
      if (c > 0 && compare32(ents, ENTRY * (c - 1), ents, ENTRY * c) === 0) {
        const key = keyData.subarray(keyAt[2 * c]!, keyAt[2 * c + 1]!);
        throw new StateError("DUPLICATE_KEY", `key ${key.toString("hex")} appears twice`);
      }
    }
    // Keys and values go to LMDB from here: never hand it shared memory (lmdb-js crashes on it).
    return new Batch(n, ents, unshared(keyData), keyAt, unshared(valData), valAt);
  }

  /** State key of change c (a view). */
  key(c: number): Buffer {
    return this.keyData.subarray(this.keyAt[2 * c]!, this.keyAt[2 * c + 1]!);
  }

  /** New value of change c (a view); only for changes that set a value. */
  value(c: number): Buffer {
    return this.valData.subarray(this.valAt[2 * c]!, this.valAt[2 * c + 1]!);
  }

  /** Key hash of change c (a view). */
  keyHash(c: number): Buffer {
    return this.ents.subarray(ENTRY * c, ENTRY * c + 32);
  }
}
