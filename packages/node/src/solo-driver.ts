import type { BlockLimits, BttNode } from "./node.ts";

export interface SoloDriverOptions {
  /** Milliseconds between blocks; 0 = "instant": a block as soon as transactions are pending. */
  blockIntervalMs: number;
  limits: BlockLimits;
  /** Address of the one validator, named as every block's proposer. */
  proposer: string;
  /** Block time source (the wall clock by default); the ledger keeps block times increasing. */
  now?: () => bigint;
}

/** How often an overdue block looks whether the signature checks are done. */
const OVERDUE_POLL_MS = 5;

/**
 * The embedded consensus driver: one validator that proposes and commits a block every
 * interval. The time it stamps is consensus input, so the state machine never reads a clock.
 */
export class SoloDriver {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** When the last block ended, if it took longer than the interval. */
  private overdueSince: number | undefined;
  private readonly now: () => bigint;

  constructor(
    private readonly node: BttNode,
    private readonly opts: SoloDriverOptions,
  ) {
    this.now = opts.now ?? (() => BigInt(Date.now()));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(this.opts.blockIntervalMs);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Produces one block now (tests and tools). */
  produce() {
    return this.node.produceBlock(this.opts.limits, this.now(), this.opts.proposer);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    if (!this.running) return;
    const started = Date.now();
    const instant = this.opts.blockIntervalMs === 0;
    // A block that overran the interval makes the next one due at once, while the txs that came
    // in during it are still being verified: a block now would hold few of them and make the rest
    // wait a whole interval more. So an overdue block waits (polling) until the signature checks
    // are done, for at most one interval.
    if (!instant && this.overdueSince !== undefined && this.node.verifying) {
      if (started - this.overdueSince < this.opts.blockIntervalMs) {
        this.schedule(OVERDUE_POLL_MS);
        return;
      }
    }
    this.overdueSince = undefined;
    if (!instant || this.node.mempool.hasReady()) this.produce();
    // Keep the cadence: the next block is due one interval after this one started.
    const elapsed = Date.now() - started;
    if (!instant && elapsed >= this.opts.blockIntervalMs) this.overdueSince = Date.now();
    this.schedule(
      instant ? (this.node.mempool.hasReady() ? 0 : 5) : Math.max(0, this.opts.blockIntervalMs - elapsed),
    );
  }
}
