import { BttError, type DecodedTx, decodeTx, type SingleKeyCheck, signatureChecks, toHex } from "@btt/core";
import type { AnteOutcome, NonceWindow } from "@btt/modules";

export interface MempoolOptions {
  /** Most transactions held at once. */
  maxTxs: number;
  /** Most bytes of transactions held at once. */
  maxBytes: number;
  /** Largest single transaction accepted (the auth parameter can only lower it). */
  maxTxBytes: number;
}

export const DEFAULT_MEMPOOL_OPTIONS: MempoolOptions = {
  maxTxs: 200_000,
  maxBytes: 256 * 1024 * 1024,
  maxTxBytes: 128 * 1024,
};

/** What the mempool needs from the node: the ante checks on committed state, and verification. */
export interface MempoolDeps {
  check(decoded: DecodedTx, window: NonceWindow): AnteOutcome;
  verify(message: Uint8Array, checks: SingleKeyCheck[]): Promise<boolean>;
  /** The fee-denomination balance of an account in committed state. */
  feeBalance(address: string, denom: string): bigint;
  /** The next nonce of an account in committed state. */
  nextNonce(address: string): bigint;
}

export interface PendingTx {
  readonly decoded: DecodedTx;
  readonly outcome: AnteOutcome;
  readonly id: string;
  readonly arrival: number;
  verified: boolean;
  /** Reaped into a block that is not committed yet (it stays pending until `update`). */
  taken: boolean;
}

/** One sender's pending transactions, contiguous by nonce. */
interface SenderQueue {
  readonly sender: string;
  readonly txs: PendingTx[];
}

/**
 * Pending transactions: admitted after the ante checks and signature verification,
 * ordered by nonce per sender and by fee across senders, bounded by count and bytes.
 */
export class Mempool {
  private readonly byId = new Map<string, PendingTx>();
  private readonly queues = new Map<string, SenderQueue>();
  private bytes = 0;
  private arrivals = 0;

  constructor(
    private readonly opts: MempoolOptions,
    private readonly deps: MempoolDeps,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** True when at least one transaction is verified, not reaped, and next in its sender's nonce order. */
  hasReady(): boolean {
    for (const queue of this.queues.values()) if (queue.txs[firstUntaken(queue)]?.verified) return true;
    return false;
  }

  /** How many transactions of this sender are pending. */
  pendingOf(sender: string): number {
    return this.queues.get(sender)?.txs.length ?? 0;
  }

  has(hash: Uint8Array): boolean {
    return this.byId.has(toHex(hash));
  }

  /** The pending entry of a transaction (its decoding, checks and verification), if any. */
  pending(hash: Uint8Array): PendingTx | undefined {
    return this.byId.get(toHex(hash));
  }

  /** The pending transaction with this hash (lower-case hex), if any. */
  get(hashHex: string): DecodedTx | undefined {
    return this.byId.get(hashHex)?.decoded;
  }

  /** Admits a transaction or throws a BttError saying why not. Resolves once it is verified and pending. */
  async add(bytes: Uint8Array): Promise<DecodedTx> {
    const decoded = decodeTx(bytes, this.opts.maxTxBytes);
    const id = toHex(decoded.hash);
    if (this.byId.has(id)) throw new BttError("DUPLICATE_TX", `transaction ${id} is already pending`);
    if (this.byId.size >= this.opts.maxTxs || this.bytes + bytes.length > this.opts.maxBytes) {
      throw new BttError("MEMPOOL_FULL", "the mempool is full; retry later or offer a higher fee", {
        txs: this.byId.size,
        bytes: this.bytes,
      });
    }
    const sender = decoded.body.sender;
    const queue = this.queues.get(sender);
    const pending = queue?.txs.length ?? 0;
    const outcome = this.deps.check(decoded, { pending: BigInt(pending) });
    const pendingFees = (queue?.txs ?? []).reduce((sum, t) => sum + t.outcome.fee, 0n);
    const balance = this.deps.feeBalance(sender, outcome.feeDenom);
    if (pendingFees + outcome.fee > balance) {
      throw new BttError(
        "INSUFFICIENT_FUNDS",
        `${sender} cannot pay the fees of all its pending transactions`,
        {
          available: balance.toString(),
          required: (pendingFees + outcome.fee).toString(),
        },
      );
    }
    // Reserve the nonce now: later txs of this sender may arrive while this one verifies.
    const entry: PendingTx = {
      decoded,
      outcome,
      id,
      arrival: this.arrivals++,
      verified: false,
      taken: false,
    };
    this.insert(entry);
    const { checks } = signatureChecks(outcome.publicKey, decoded.tx.signature);
    const ok = await this.deps.verify(decoded.signBytes, checks);
    if (!this.byId.has(id))
      throw new BttError("NONCE_TOO_HIGH", "an earlier transaction of this sender was dropped");
    if (!ok) {
      this.dropFrom(entry);
      throw new BttError("BAD_SIGNATURE", "signature does not verify against the account's key");
    }
    entry.verified = true;
    return decoded;
  }

  /**
   * Transactions for the next block: highest fee first across senders, nonce order within
   * each, within the limits. They are marked taken (a later reap skips them, so a block can be
   * filled in several reaps) and stay pending until `update` sees them committed, or `release`.
   */
  reap(maxTxs: number, maxBytes: number): PendingTx[] {
    const heads: Array<{ queue: SenderQueue; next: number }> = [];
    for (const queue of this.queues.values()) {
      const next = firstUntaken(queue);
      if (queue.txs[next]?.verified) heads.push({ queue, next });
    }
    const heap = new MaxHeap(heads, (a, b) => higherPriority(a.queue.txs[a.next]!, b.queue.txs[b.next]!));
    const out: PendingTx[] = [];
    let bytes = 0;
    while (out.length < maxTxs) {
      const top = heap.peek();
      if (!top) break;
      const tx = top.queue.txs[top.next]!;
      if (bytes + tx.decoded.bytes.length > maxBytes) break;
      out.push(tx);
      tx.taken = true;
      bytes += tx.decoded.bytes.length;
      top.next++;
      const after = top.queue.txs[top.next];
      if (after?.verified && !after.taken) heap.replaceTop(top);
      else heap.pop();
    }
    return out;
  }

  /** Makes reaped transactions reapable again (their block was abandoned, not committed). */
  release(txs: readonly PendingTx[]): void {
    for (const tx of txs) tx.taken = false;
  }

  /**
   * After a block: drops what it committed, then re-checks every sender against the new
   * state (nonces that moved on, fees the balance no longer covers).
   */
  update(committed: readonly Uint8Array[]): void {
    for (const hash of committed) {
      const entry = this.byId.get(toHex(hash));
      if (entry) this.remove(entry);
    }
    for (const queue of [...this.queues.values()]) this.recheck(queue);
  }

  private recheck(queue: SenderQueue): void {
    const nonce = this.deps.nextNonce(queue.sender);
    while (queue.txs[0] && queue.txs[0].outcome.nonce < nonce) this.remove(queue.txs[0]);
    const head = queue.txs[0];
    if (!head) return;
    if (head.outcome.nonce !== nonce) {
      this.dropFrom(head);
      return;
    }
    const balance = this.deps.feeBalance(queue.sender, head.outcome.feeDenom);
    let fees = 0n;
    for (const tx of queue.txs) {
      fees += tx.outcome.fee;
      if (fees > balance) {
        this.dropFrom(tx);
        return;
      }
    }
  }

  private insert(entry: PendingTx): void {
    const sender = entry.decoded.body.sender;
    let queue = this.queues.get(sender);
    if (!queue) {
      queue = { sender, txs: [] };
      this.queues.set(sender, queue);
    }
    queue.txs.push(entry);
    this.byId.set(entry.id, entry);
    this.bytes += entry.decoded.bytes.length;
  }

  /** Removes one tx that was committed (always the head of its queue). */
  private remove(entry: PendingTx): void {
    const queue = this.queues.get(entry.decoded.body.sender);
    if (!queue) return;
    const index = queue.txs.indexOf(entry);
    if (index < 0) return;
    queue.txs.splice(index, 1);
    this.forget(entry);
    if (queue.txs.length === 0) this.queues.delete(queue.sender);
  }

  /** Drops a tx and every later tx of its sender (they would leave a nonce gap). */
  private dropFrom(entry: PendingTx): void {
    const queue = this.queues.get(entry.decoded.body.sender);
    if (!queue) return;
    const index = queue.txs.indexOf(entry);
    if (index < 0) return;
    for (const dropped of queue.txs.splice(index)) this.forget(dropped);
    if (queue.txs.length === 0) this.queues.delete(queue.sender);
  }

  private forget(entry: PendingTx): void {
    this.byId.delete(entry.id);
    this.bytes -= entry.decoded.bytes.length;
  }
}

/** Index of a sender's first tx not yet reaped into a block (taken txs are a prefix). */
function firstUntaken(queue: SenderQueue): number {
  let i = 0;
  while (queue.txs[i]?.taken) i++;
  return i;
}

function higherPriority(a: PendingTx, b: PendingTx): boolean {
  if (a.outcome.fee !== b.outcome.fee) return a.outcome.fee > b.outcome.fee;
  return a.arrival < b.arrival;
}

/** A binary max-heap by a "comes first" predicate. */
class MaxHeap<T> {
  constructor(
    private readonly items: T[],
    private readonly first: (a: T, b: T) => boolean,
  ) {
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  peek(): T | undefined {
    return this.items[0];
  }

  pop(): void {
    const last = this.items.pop();
    if (this.items.length > 0 && last !== undefined) {
      this.items[0] = last;
      this.down(0);
    }
  }

  /** The top's priority changed: restore order. */
  replaceTop(item: T): void {
    this.items[0] = item;
    this.down(0);
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.first(this.items[l]!, this.items[best]!)) best = l;
      if (r < n && this.first(this.items[r]!, this.items[best]!)) best = r;
      if (best === i) return;
      [this.items[i], this.items[best]] = [this.items[best]!, this.items[i]!];
      i = best;
    }
  }
}
