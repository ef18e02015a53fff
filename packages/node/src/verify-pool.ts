// Signature verification in worker threads. Verifying is the most expensive step of admitting a
// transaction (Ed25519 ~60-110 µs, ML-DSA-65 more), so requests are batched (everything that arrives
// during one event-loop turn, up to batchSize checks per message), packed into one transferred
// ArrayBuffer per worker, and spread over the least-loaded workers. Without workers (threads: 0,
// e.g. several nodes sharing a machine's cores) the batches are verified in the calling thread,
// still one native batch per event-loop turn.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { SingleKeyCheck } from "@btt/core";
import { verifyPacked } from "./verify-batch.js";

export interface VerifyPoolOptions {
  /** Worker threads; 0 verifies in the calling thread (batched per event-loop turn). Default max(1, availableParallelism() - 1). */
  threads: number;
  /** Most checks sent to a worker in one message (default 512). */
  batchSize?: number;
  /**
   * How long a check may wait for others to join its batch (default 0: the end of the event-loop
   * turn). A native batch costs about half as much per signature at 64 checks as at 1; a node that
   * admits txs one or a few per turn (CheckTx under CometBFT) saves CPU by waiting a few ms.
   */
  lingerMs?: number;
}

const DEFAULT_BATCH_SIZE = 512;
/** Workers that die this many times in a row without answering make the pool verify inline. */
const MAX_CONSECUTIVE_CRASHES = 5;
/** Fewer checks than this are not split across workers (a message costs about as much as a few checks). */
const MIN_SPLIT = 32;
const WORKER_URL = new URL("./verify-worker.js", import.meta.url);

interface Request {
  message: Uint8Array;
  checks: SingleKeyCheck[];
  resolve: (ok: boolean) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Batches sent and not answered, by id. */
  inFlight: Map<number, Request[]>;
  /** Checks in flight (the load). */
  load: number;
}

export class VerifyPool {
  readonly threads: number;
  readonly batchSize: number;
  readonly lingerMs: number;
  private readonly slots: Slot[] = [];
  private queue: Request[] = [];
  private queuedChecks = 0;
  private flushScheduled = false;
  private nextBatchId = 1;
  private closed = false;
  private closing: Promise<void> | undefined;
  private batchesInFlight = 0;
  private drained: (() => void)[] = [];
  private consecutiveCrashes = 0;
  /** Set when workers keep dying (e.g. they cannot start): everything is verified inline. */
  private inline: boolean;
  /** Requests numbered in order (1, 2, …); those not answered yet; all below `lowestOpen` are. */
  private requested = 0;
  private readonly open = new Set<number>();
  private lowestOpen = 1;

  constructor(opts: Partial<VerifyPoolOptions> = {}) {
    const threads = opts.threads ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isSafeInteger(threads) || threads < 0)
      throw new RangeError("threads must be a non-negative integer");
    const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1)
      throw new RangeError("batchSize must be a positive integer");
    this.threads = threads;
    this.batchSize = batchSize;
    const lingerMs = opts.lingerMs ?? 0;
    if (!(lingerMs >= 0 && lingerMs <= 1000)) throw new RangeError("lingerMs must be within 0–1000");
    this.lingerMs = lingerMs;
    this.inline = threads === 0;
    for (let i = 0; i < threads; i++) this.slots.push(this.startWorker());
  }

  /** Resolves true when every check passes. checks come from @btt/core's signatureChecks(); message is the tx sign bytes. */
  verify(message: Uint8Array, checks: SingleKeyCheck[]): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error("VerifyPool is closed"));
    if (checks.length === 0) return Promise.resolve(true);
    const seq = ++this.requested;
    this.open.add(seq);
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({
        message,
        checks,
        resolve: (ok) => {
          this.open.delete(seq);
          resolve(ok);
        },
        reject: (err) => {
          this.open.delete(seq);
          reject(err);
        },
      });
      this.queuedChecks += checks.length;
      if (this.queuedChecks >= this.batchSize * Math.max(1, this.threads)) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        if (this.lingerMs > 0) setTimeout(() => this.flush(), this.lingerMs);
        else setImmediate(() => this.flush());
      }
    });
  }

  /** The number of requests made so far: a mark for `answeredThrough`. */
  get mark(): number {
    return this.requested;
  }

  /** True when every request up to `mark` (a value of `mark`) has its answer. */
  answeredThrough(mark: number): boolean {
    while (this.lowestOpen <= this.requested && !this.open.has(this.lowestOpen)) this.lowestOpen++;
    return this.lowestOpen > mark;
  }

  /** True while checks are queued or out with the workers. */
  get busy(): boolean {
    return this.queue.length > 0 || this.batchesInFlight > 0;
  }

  /** Stops the workers after the requests already made are answered; later verify() calls reject. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.flush();
      this.closing = (async () => {
        if (this.batchesInFlight > 0) await new Promise<void>((resolve) => this.drained.push(resolve));
        await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
      })();
    }
    return this.closing;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    const queue = this.queue;
    const total = this.queuedChecks;
    this.queue = [];
    this.queuedChecks = 0;
    if (this.inline) {
      // No workers: still one native batch for everything that arrived during the turn.
      let results: Uint8Array;
      try {
        results = new Uint8Array(verifyPacked(pack(queue)));
      } catch (err) {
        for (const r of queue) r.reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      settle(queue, results);
      return;
    }
    // Split into batches of at most batchSize checks, spread over the workers when there are enough.
    const target = Math.min(this.batchSize, Math.max(MIN_SPLIT, Math.ceil(total / this.slots.length)));
    let batch: Request[] = [];
    let checks = 0;
    for (const request of queue) {
      if (checks > 0 && checks + request.checks.length > target) {
        this.send(batch, checks);
        batch = [];
        checks = 0;
      }
      batch.push(request);
      checks += request.checks.length;
    }
    if (batch.length > 0) this.send(batch, checks);
  }

  private send(batch: Request[], checks: number): void {
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.load < slot.load) slot = s;
    const buffer = pack(batch);
    const id = this.nextBatchId++;
    slot.inFlight.set(id, batch);
    slot.load += checks;
    this.batchesInFlight++;
    if (slot.inFlight.size === 1) slot.worker.ref();
    slot.worker.postMessage({ id, buffer }, [buffer]);
  }

  private startWorker(): Slot {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker, inFlight: new Map(), load: 0 };
    worker.unref();
    worker.on("message", (msg: { id: number; results: ArrayBuffer }) => {
      const batch = slot.inFlight.get(msg.id);
      if (!batch) return;
      slot.inFlight.delete(msg.id);
      this.consecutiveCrashes = 0;
      for (const r of batch) slot.load -= r.checks.length;
      settle(batch, new Uint8Array(msg.results));
      if (slot.inFlight.size === 0) worker.unref();
      this.batchDone(1);
    });
    let failure: Error | undefined;
    worker.on("error", (err) => {
      failure = err;
    });
    worker.on("exit", (code) => {
      const index = this.slots.indexOf(slot);
      const reason = failure ? `: ${failure.message}` : ` with exit code ${code}`;
      const error = new Error(`signature verification worker stopped${reason}; its pending requests failed`);
      const lost = slot.inFlight.size;
      for (const batch of slot.inFlight.values()) for (const r of batch) r.reject(error);
      slot.inFlight.clear();
      slot.load = 0;
      if (index >= 0 && !this.closed) {
        if (++this.consecutiveCrashes >= MAX_CONSECUTIVE_CRASHES) {
          this.inline = true;
          this.slots.splice(index, 1);
        } else this.slots[index] = this.startWorker();
      }
      this.batchDone(lost);
    });
    return slot;
  }

  private batchDone(n: number): void {
    this.batchesInFlight -= n;
    if (this.batchesInFlight === 0 && this.drained.length > 0) {
      const waiters = this.drained;
      this.drained = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/** Packs requests into the batch format of verify-batch.js. */
function pack(batch: readonly Request[]): ArrayBuffer {
  let size = 4;
  for (const r of batch) {
    size += 8 + r.message.length;
    for (const c of r.checks) size += 9 + c.publicKey.length + c.signature.length;
  }
  const buffer = new ArrayBuffer(size);
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  let pos = 0;
  const u32 = (n: number) => {
    view.setUint32(pos, n, true);
    pos += 4;
  };
  const put = (b: Uint8Array) => {
    u32(b.length);
    bytes.set(b, pos);
    pos += b.length;
  };
  u32(batch.length);
  for (const r of batch) {
    put(r.message);
    u32(r.checks.length);
    for (const c of r.checks) {
      view.setUint8(pos++, c.kind);
      put(c.publicKey);
      put(c.signature);
    }
  }
  return buffer;
}

/** Resolves each request with whether all its checks passed (one result byte per check, in order). */
function settle(batch: readonly Request[], results: Uint8Array): void {
  let k = 0;
  for (const r of batch) {
    let ok = true;
    for (let c = 0; c < r.checks.length; c++) if (results[k++] !== 1) ok = false;
    r.resolve(ok);
  }
}
