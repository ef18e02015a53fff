/**
 * Hashing of a batch's keys and values (key hash, and leaf hash of each new value), split between
 * the main thread and one worker thread for large batches: ~90k SHA-256 calls per 30k-change
 * prepare were a fifth of a commit while the second core sat idle. The worker is started on
 * first use, unref'd (it never keeps the process alive), and any failure or delay of it falls
 * back to hashing on the main thread.
 */
import { hash } from "node:crypto";
import { Worker } from "node:worker_threads";

/** Batches smaller than this are hashed on the main thread only. */
export const PARALLEL_MIN = 4096;
const WAIT_MS = 10_000;

type HashFn = typeof hash;

/**
 * For changes [from, to): out[64i..] = SHA256(key i) (latin1 strings written into Buffers);
 * if change i sets a value, out[64i+32..] = SHA256(0x00 | keyHash | SHA256(value)).
 * Key i is keys[keyAt[2i]..keyAt[2i+1]); value i likewise, valAt[2i] < 0 for a delete.
 * Self-contained (only its parameters and Buffer): its source is also the worker's.
 */
function hashRange(
  sha: HashFn,
  keys: Buffer,
  keyAt: Int32Array,
  vals: Buffer,
  valAt: Int32Array,
  out: Buffer,
  from: number,
  to: number,
): void {
  const leaf = Buffer.alloc(65);
  for (let i = from; i < to; i++) {
    const at = 64 * i;
    out.write(sha("sha256", keys.subarray(keyAt[2 * i]!, keyAt[2 * i + 1]!), "binary"), at, 32, "latin1");
    const v = valAt[2 * i]!;
    if (v < 0) continue;
    out.copy(leaf, 1, at, at + 32);
    leaf.write(sha("sha256", vals.subarray(v, valAt[2 * i + 1]!), "binary"), 33, 32, "latin1");
    out.write(sha("sha256", leaf, "binary"), at + 32, 32, "latin1");
  }
}

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { hash } = require("node:crypto");
const hashRange = ${hashRange.toString()};
parentPort.on("message", (m) => {
  const done = new Int32Array(m.done);
  try {
    hashRange(hash, Buffer.from(m.keys), new Int32Array(m.keyAt), Buffer.from(m.vals),
      new Int32Array(m.valAt), Buffer.from(m.out), m.from, m.to);
    Atomics.store(done, 0, 1);
  } catch {
    Atomics.store(done, 0, 2);
  }
  Atomics.notify(done, 0);
});
`;

let worker: Worker | null = null;
let broken = false;

function getWorker(): Worker | null {
  if (worker === null && !broken) {
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      worker.on("error", () => {
        broken = true;
        worker = null;
      });
    } catch {
      broken = true;
    }
  }
  return worker;
}

/** Memory for a batch: shared (so the worker can hash in place) when it is large enough. */
export function batchBuffer(bytes: number, n: number): Buffer {
  return n >= PARALLEL_MIN && !broken
    ? Buffer.from(new SharedArrayBuffer(Math.max(bytes, 1)), 0, bytes)
    : Buffer.allocUnsafeSlow(bytes);
}

export function batchOffsets(n: number): Int32Array {
  return n >= PARALLEL_MIN && !broken ? new Int32Array(new SharedArrayBuffer(8 * n)) : new Int32Array(2 * n);
}

/** Hash changes [0, n) into out (see hashRange); in parallel if the buffers are shared. */
export function hashBatch(
  keys: Buffer,
  keyAt: Int32Array,
  vals: Buffer,
  valAt: Int32Array,
  out: Buffer,
  n: number,
): void {
  const shared = out.buffer instanceof SharedArrayBuffer;
  const w = shared && n >= PARALLEL_MIN ? getWorker() : null;
  if (w === null) {
    hashRange(hash, keys, keyAt, vals, valAt, out, 0, n);
    return;
  }
  const half = n >> 1;
  const done = new Int32Array(new SharedArrayBuffer(4));
  w.postMessage({
    keys: keys.buffer,
    keyAt: keyAt.buffer,
    vals: vals.buffer,
    valAt: valAt.buffer,
    out: out.buffer,
    from: half,
    to: n,
    done: done.buffer,
  });
  hashRange(hash, keys, keyAt, vals, valAt, out, 0, half);
  if (Atomics.wait(done, 0, 0, WAIT_MS) === "timed-out" || Atomics.load(done, 0) !== 1) {
    // The worker failed or hangs: do its half here (a late worker writes the same bytes).
    broken = true;
    hashRange(hash, keys, keyAt, vals, valAt, out, half, n);
  }
}
