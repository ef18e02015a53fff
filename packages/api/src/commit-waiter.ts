// `?wait=commit`: a submitted tx's hash → the block that commits it, or a timeout.
import { BttError } from "@btt/core";
import type { BlockFacts, BlockFeed } from "./block-feed.ts";

export interface CommitPosition {
  facts: BlockFacts;
  index: number;
}

interface Waiter {
  resolve: (p: CommitPosition) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class CommitWaiters {
  private readonly waiting = new Map<string, Set<Waiter>>();
  private readonly stopFeed: () => void;

  constructor(feed: BlockFeed) {
    this.stopFeed = feed.onBlock((facts) => this.onBlock(facts));
  }

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Waits for the tx with this hash (lower-case hex) to be committed. Register BEFORE submitting,
   * so a block committed right after admission cannot be missed. `cancel` forgets the wait.
   */
  wait(hashHex: string, timeoutMs: number): { promise: Promise<CommitPosition>; cancel: () => void } {
    let waiter!: Waiter;
    const promise = new Promise<CommitPosition>((resolve, reject) => {
      waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.forget(hashHex, waiter);
          reject(
            new BttError(
              "TIMEOUT",
              `transaction ${hashHex} was not committed within ${timeoutMs} ms; it may still be`,
              { hash: hashHex, timeout_ms: timeoutMs },
            ),
          );
        }, timeoutMs),
      };
    });
    let set = this.waiting.get(hashHex);
    if (!set) {
      set = new Set();
      this.waiting.set(hashHex, set);
    }
    set.add(waiter);
    return {
      promise,
      cancel: () => {
        clearTimeout(waiter.timer);
        this.forget(hashHex, waiter);
      },
    };
  }

  /** Fails every wait (the server is closing). */
  close(): void {
    this.stopFeed();
    for (const set of this.waiting.values()) {
      for (const w of set) {
        clearTimeout(w.timer);
        w.reject(new BttError("NOT_READY", "the API is shutting down"));
      }
    }
    this.waiting.clear();
  }

  private onBlock(facts: BlockFacts): void {
    if (this.waiting.size === 0) return;
    for (let i = 0; i < facts.txCount && this.waiting.size > 0; i++) {
      const hex = facts.hashHex(i);
      const set = this.waiting.get(hex);
      if (!set) continue;
      this.waiting.delete(hex);
      for (const w of set) {
        clearTimeout(w.timer);
        w.resolve({ facts, index: i });
      }
    }
  }

  private forget(hashHex: string, waiter: Waiter): void {
    const set = this.waiting.get(hashHex);
    if (!set) return;
    set.delete(waiter);
    if (set.size === 0) this.waiting.delete(hashHex);
  }
}
