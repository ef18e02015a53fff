import { toHex } from "@btt/core";
import type { QueryContext } from "@btt/modules";
import type { CommittedBlock } from "./block-store/index.ts";
import type { GenesisDoc } from "./genesis.ts";
import { type ExecutedBlock, Ledger, type LedgerBlock } from "./ledger.ts";
import { DEFAULT_MEMPOOL_OPTIONS, Mempool, type MempoolOptions, type PendingTx } from "./mempool.ts";
import { VerifyPool } from "./verify-pool.ts";

export interface NodeOptions {
  dataDir: string;
  genesis: GenesisDoc;
  /** State versions kept readable with proofs. */
  keepRecent: number;
  mempool: MempoolOptions;
  /** Signature-verification worker threads (0 = verify in the main thread). */
  verifyThreads?: number;
  /** How long a signature check may wait to join a larger batch (VerifyPool's lingerMs; default 0). */
  verifyLingerMs?: number;
}

export const DEFAULT_KEEP_RECENT = 100;

export interface BlockLimits {
  maxTxs: number;
  maxBytes: number;
}

export const DEFAULT_BLOCK_LIMITS: BlockLimits = { maxTxs: 50_000, maxBytes: 16 * 1024 * 1024 };

/** How long producing a block took, for metrics. */
export interface BlockTiming {
  /** Milliseconds to execute and commit the block (Ledger.commitBlock). */
  commitMs: number;
  /**
   * Of those, the milliseconds from closing the block to its commit: the stretch in which the
   * node admits nothing (the solo driver executes txs while the block is open, before this).
   */
  closeMs: number;
}

/** A block the node is producing (solo driver): opened, filled over time, then committed. */
export interface ProducingBlock {
  readonly ledger: LedgerBlock;
  /** The mempool entries executed into it, given back if the block is abandoned. */
  readonly reaped: PendingTx[];
  /** Milliseconds spent opening and filling it so far. */
  executeMs: number;
}

export type BlockListener = (block: CommittedBlock, timing: BlockTiming) => void;

/**
 * A full node minus its consensus driver: the ledger, the mempool that feeds it,
 * signature verification, and notifications of committed blocks.
 */
export class BttNode {
  readonly ledger: Ledger;
  readonly mempool: Mempool;
  private readonly verifier: VerifyPool;
  private readonly listeners = new Set<BlockListener>();
  private submitter: ((bytes: Uint8Array) => Promise<string>) | undefined;

  constructor(readonly opts: NodeOptions) {
    this.ledger = new Ledger({ dataDir: opts.dataDir, genesis: opts.genesis, keepRecent: opts.keepRecent });
    this.verifier = new VerifyPool({
      ...(opts.verifyThreads === undefined ? {} : { threads: opts.verifyThreads }),
      ...(opts.verifyLingerMs === undefined ? {} : { lingerMs: opts.verifyLingerMs }),
    });
    const { app, committed } = this.ledger;
    this.mempool = new Mempool(
      { ...DEFAULT_MEMPOOL_OPTIONS, ...opts.mempool },
      {
        check: (decoded, window) => app.checkTx(committed, decoded, window),
        verify: (message, checks) => this.verifier.verify(message, checks),
        feeBalance: (address, denom) => app.bank.keeper.balance(committed, address, denom),
        nextNonce: (address) => app.auth.keeper.nextNonce(committed, address),
      },
    );
  }

  /** True while admitted transactions still wait for their signature checks. */
  get verifying(): boolean {
    return this.verifier.busy;
  }

  /** A mark of the signature checks requested so far, for `verifiedThrough`. */
  get verificationMark(): number {
    return this.verifier.mark;
  }

  /** True when every signature check requested before `mark` was taken has been answered. */
  verifiedThrough(mark: number): boolean {
    return this.verifier.answeredThrough(mark);
  }

  get height(): number {
    return this.ledger.height;
  }

  /** Admits a transaction to the mempool; resolves with its hash, or rejects with a BttError. */
  async submit(bytes: Uint8Array): Promise<string> {
    if (this.submitter) return this.submitter(bytes);
    const decoded = await this.mempool.add(bytes);
    return toHex(decoded.hash);
  }

  /**
   * Sends `submit`'s transactions elsewhere: under CometBFT they enter through its mempool
   * (its RPC), which admits them with CheckTx into this node's mempool too.
   */
  routeSubmissions(submitter: ((bytes: Uint8Array) => Promise<string>) | undefined): void {
    this.submitter = submitter;
  }

  /** Takes the best pending transactions, executes and commits them as the next block. */
  produceBlock(limits: BlockLimits, timeMs: bigint, proposer: string): CommittedBlock {
    const block = this.openBlock(timeMs, proposer);
    this.fillBlock(block, limits);
    return this.commitBlock(block);
  }

  /**
   * Opens the next block (its begin-block hooks run now). `fillBlock` executes pending txs into
   * it, as often as wanted; `commitBlock` closes and writes it. Between the two, nothing else
   * may commit.
   */
  openBlock(timeMs: bigint, proposer: string): ProducingBlock {
    const started = performance.now();
    const ledger = this.ledger.open(timeMs, proposer);
    return { ledger, reaped: [], executeMs: performance.now() - started };
  }

  /** Executes the best pending txs not yet in the block, within its limits; returns how many. */
  fillBlock(block: ProducingBlock, limits: BlockLimits): number {
    const { ledger } = block;
    const room = limits.maxTxs - ledger.txs.length;
    if (room <= 0) return 0;
    const started = performance.now();
    const pending = this.mempool.reap(room, limits.maxBytes - ledger.sizeBytes);
    try {
      for (const p of pending) {
        ledger.add({ decoded: p.decoded, signatureVerified: p.verified, messages: p.outcome.messages });
        block.reaped.push(p);
      }
    } catch (err) {
      this.abandonBlock(block);
      throw err;
    } finally {
      block.executeMs += performance.now() - started;
    }
    return pending.length;
  }

  /** Closes an open block and commits it. */
  commitBlock(block: ProducingBlock): CommittedBlock {
    const started = performance.now();
    try {
      const executed = this.ledger.finish(block.ledger);
      return this.commitExecuted(executed, block.executeMs, started);
    } catch (err) {
      // Nothing was written (persist is one transaction): the txs may go into another block.
      this.abandonBlock(block);
      throw err;
    }
  }

  /** Drops an open block: its txs go back to the mempool, to be reaped again. */
  abandonBlock(block: ProducingBlock): void {
    this.mempool.release(block.reaped);
    block.reaped.length = 0;
  }

  /**
   * Writes a block executed with `ledger.execute`, drops its txs from the mempool (re-checking
   * the rest) and tells the listeners. The solo driver and CometBFT's Commit both end here.
   */
  commitExecuted(executed: ExecutedBlock, executeMs = 0, closedAt = performance.now()): CommittedBlock {
    const committed = this.ledger.persist(executed);
    const closeMs = performance.now() - closedAt;
    const timing: BlockTiming = { commitMs: executeMs + closeMs, closeMs };
    this.mempool.update(executed.txHashes);
    for (const listener of this.listeners) listener(committed, timing);
    return committed;
  }

  onBlock(listener: BlockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a module's query against the latest committed state. */
  query(module: string, name: string, params: Record<string, string>): unknown {
    const m = this.ledger.app.module(module);
    const query = m.queries.find((q) => q.name === name);
    if (!query) throw new Error(`module ${module} has no query "${name}"`);
    const height = this.height;
    const ctx: QueryContext = {
      kv: this.ledger.committed,
      height: BigInt(height),
      ...(height > 0 ? { timeMs: this.ledger.blocks.header(height)!.timeMs } : {}),
      at: (h) => this.ledger.stateAt(Number(h)),
    };
    return query.handle(ctx, params);
  }

  async close(): Promise<void> {
    await this.verifier.close();
    await this.ledger.close();
  }
}
