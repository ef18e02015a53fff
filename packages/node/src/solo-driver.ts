import type { BlockLimits, BttNode, ProducingBlock } from "./node.ts";

export interface SoloDriverOptions {
  /** Milliseconds between blocks; 0 = "instant": a block as soon as transactions are pending. */
  blockIntervalMs: number;
  limits: BlockLimits;
  /** Address of the one validator, named as every block's proposer. */
  proposer: string;
  /** Block time source (the wall clock by default); the ledger keeps block times increasing. */
  now?: () => bigint;
  /**
   * While a block's interval runs, the txs that became ready are executed into it every this
   * many milliseconds (default: a twentieth of the interval, at least 5), so that the end of
   * the interval only has to close and write the block.
   */
  fillEveryMs?: number;
  /**
   * At the end of the interval, how long the close may wait for the signature checks of txs
   * submitted before it (default: a twentieth of the interval, at least 5 ms). Without the wait, a
   * tx whose check is answered just after the close waits a whole further block.
   */
  verifyWaitMs?: number;
}

/** How often an overdue block looks whether the signature checks are done. */
const OVERDUE_POLL_MS = 5;
/** How often a due block looks whether the checks it waits for are answered. */
const VERIFY_WAIT_POLL_MS = 2;

/**
 * The embedded consensus driver: one validator that proposes and commits a block every
 * interval. The time it stamps is consensus input, so the state machine never reads a clock.
 *
 * A block opens when the previous one is committed, and its time is the time it opened. While
 * its interval runs, the ready txs are executed into it a few at a time; at the end of the
 * interval it is closed and written. A tx thus waits for the rest of the interval and the
 * block's close, not for the execution of every tx in the block after the interval: at high
 * rates that halves the time from submission to commit, for the same work.
 */
export class SoloDriver {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** When the last block ended, if it took longer than the interval. */
  private overdueSince: number | undefined;
  /** The block being filled (timed mode, while running). */
  private open: ProducingBlock | undefined;
  /** When (Date.now()) the open block is due to be closed. */
  private dueAt = 0;
  private readonly now: () => bigint;
  private readonly fillEveryMs: number;
  private readonly verifyWaitMs: number;
  /** The signature checks requested before the open block was due (see `verifyWaitMs`). */
  private dueMark: number | undefined;

  constructor(
    private readonly node: BttNode,
    private readonly opts: SoloDriverOptions,
  ) {
    this.now = opts.now ?? (() => BigInt(Date.now()));
    this.fillEveryMs = Math.max(5, opts.fillEveryMs ?? Math.floor(opts.blockIntervalMs / 20));
    this.verifyWaitMs = Math.max(0, opts.verifyWaitMs ?? Math.max(5, Math.floor(opts.blockIntervalMs / 20)));
  }

  private get instant(): boolean {
    return this.opts.blockIntervalMs === 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.instant) {
      this.schedule(0);
      return;
    }
    this.dueAt = Date.now() + this.opts.blockIntervalMs;
    this.openNext();
    this.scheduleFill();
  }

  /** Stops producing; the open block is dropped (its txs stay pending). */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    if (this.open) this.node.abandonBlock(this.open);
    this.open = undefined;
  }

  /** Produces one block now (tests and tools): the open block when there is one. */
  produce() {
    if (!this.open) return this.node.produceBlock(this.opts.limits, this.now(), this.opts.proposer);
    const block = this.open;
    this.open = undefined;
    try {
      this.node.fillBlock(block, this.opts.limits);
      return this.node.commitBlock(block);
    } finally {
      if (this.running) this.openNext();
    }
  }

  private openNext(): void {
    this.open = this.node.openBlock(this.now(), this.opts.proposer);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    if (!this.running) return;
    if (this.instant) {
      if (this.node.mempool.hasReady()) this.produce();
      this.schedule(this.node.mempool.hasReady() ? 0 : 5);
      return;
    }
    const now = Date.now();
    if (now < this.dueAt) {
      this.fill();
      this.scheduleFill();
      return;
    }
    // A block that overran the interval makes the next one due at once, while the txs that came
    // in during it are still being verified: closing it now would leave most of them for a
    // whole interval more. So an overdue block waits (polling) until the signature checks are
    // done, for at most one interval.
    if (this.overdueSince !== undefined && this.node.verifying) {
      if (now - this.overdueSince < this.opts.blockIntervalMs) {
        this.fill();
        this.schedule(OVERDUE_POLL_MS);
        return;
      }
    }
    if (this.overdueSince === undefined && this.waitingForChecks(now)) {
      this.fill();
      this.schedule(VERIFY_WAIT_POLL_MS);
      return;
    }
    this.dueMark = undefined;
    this.overdueSince = undefined;
    this.produce();
    // Keep the cadence: the next block is due one interval after this one was closed.
    const elapsed = Date.now() - now;
    this.dueAt = now + this.opts.blockIntervalMs;
    if (elapsed >= this.opts.blockIntervalMs) this.overdueSince = Date.now();
    this.scheduleFill();
  }

  /** True while the due block waits for the checks of txs submitted before it was due. */
  private waitingForChecks(now: number): boolean {
    this.dueMark ??= this.node.verificationMark;
    return now - this.dueAt < this.verifyWaitMs && !this.node.verifiedThrough(this.dueMark);
  }

  /** The next tick: the next fill, or the close when that comes first. */
  private scheduleFill(): void {
    this.schedule(Math.max(0, Math.min(this.fillEveryMs, this.dueAt - Date.now())));
  }

  /** Executes the ready txs into the open block; a failure drops the block and opens another. */
  private fill(): void {
    if (!this.open) return;
    try {
      this.node.fillBlock(this.open, this.opts.limits);
    } catch (err) {
      this.open = undefined;
      this.openNext();
      throw err;
    }
  }
}
