import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  BlockHeaderSchema,
  BlockResultsSchema,
  BlockSchema,
  BttError,
  bytesEqual,
  type Event,
  PublicKeySchema,
  sha256,
  TxMerkleTree,
  type TxResult,
  toHex,
} from "@btt/core";
import {
  type BlockInfo,
  type BlockMisbehavior,
  type BlockSigner,
  CommittedStore,
  canonicalJson,
  consensusAddress,
  type HistoricalState,
  type LedgerEvent,
} from "@btt/modules";
import { AuthenticatedState, type PreparedCommit } from "@btt/state";
import { create, fromJson } from "@bufbuild/protobuf";
import { open, type RootDatabase } from "lmdb";
import { Application, type BlockExecution, type BlockTx, type ExecutedTx, type OpenBlock } from "./app.ts";
import {
  type BlockAccounts,
  BlockStore,
  blockHash,
  blockResultsFromParts,
  type CommittedBlock,
  type PreparedRecord,
  RecordBuilder,
  type ResultParts,
  TxResultsEncoder,
} from "./block-store/index.ts";
import type { GenesisDoc } from "./genesis.ts";
import { PastStateStore } from "./past-state.ts";

export interface LedgerOptions {
  /** Directory of the LMDB environment (state, blocks, indexes: one atomic store). */
  dataDir: string;
  genesis: GenesisDoc;
  /** State versions kept readable with proofs; older ones are pruned. */
  keepRecent: number;
}

const META_GENESIS = "genesis";

/** A block executed by `Ledger.execute`, not yet written. */
export interface ExecutedBlock extends CommittedBlock {
  readonly execution: BlockExecution;
  /** The state root after this block (the header's app hash). */
  readonly appHash: Uint8Array;
  /** The txs' hashes, in block order. */
  readonly txHashes: Uint8Array[];
  readonly prepared: PreparedCommit;
  /** The results encoded (for the results hash, and the block record). */
  readonly resultParts: ResultParts;
  /** The txs' per-account index entries, collected as they executed. */
  readonly accounts: BlockAccounts;
  /** The block-store record, laid out as the txs executed. */
  readonly record: PreparedRecord;
}

export interface StateProof {
  height: number;
  key: Uint8Array;
  /** undefined: the proof shows the key is absent. */
  value: Uint8Array | undefined;
  /** Encoded MerkleProof (@btt/state decodeProof / verifyProof). */
  proof: Uint8Array;
  appHash: Uint8Array;
}

/**
 * The chain on disk: authenticated state, blocks, results and indexes in one LMDB
 * environment, so each block commits in one transaction; a crash at any point leaves
 * the previous block or this one, never part of it.
 */
export class Ledger {
  readonly app: Application;
  readonly state: AuthenticatedState;
  readonly blocks: BlockStore;
  /** The committed state for reads, cached between commits. */
  readonly committed: CommittedStore;
  private readonly root: RootDatabase;
  private readonly meta;

  constructor(readonly opts: LedgerOptions) {
    mkdirSync(opts.dataDir, { recursive: true });
    this.root = open({
      path: join(opts.dataDir, "chain.lmdb"),
      maxDbs: 32,
      mapSize: 64 * 1024 ** 3,
      // Large pages keep the state tree's buckets on one page.
      pageSize: 32 * 1024,
    });
    this.meta = this.root.openDB<string, string>({ name: "meta", encoding: "string" });
    this.state = new AuthenticatedState(this.root, { keepRecent: opts.keepRecent });
    this.blocks = new BlockStore(this.root);
    this.app = new Application(opts.genesis.chain_id);
    this.committed = new CommittedStore(this.state);
    this.checkConsistency();
  }

  get chainId(): string {
    return this.opts.genesis.chain_id;
  }

  get height(): number {
    return this.blocks.latestHeight();
  }

  get appHash(): Uint8Array {
    return this.state.rootHash();
  }

  private soloSignerList?: BlockSigner[];
  private soloSigners(): BlockSigner[] {
    this.soloSignerList ??= this.opts.genesis.validators.map((v) => {
      const key = fromJson(PublicKeySchema, v.public_key).key.value as Uint8Array;
      return { address: toHex(consensusAddress(key)).toUpperCase(), signed: true };
    });
    return this.soloSignerList;
  }

  /** Executes a block of transactions on the committed state and commits it. */
  commitBlock(
    txs: readonly BlockTx[],
    timeMs: bigint,
    proposer: string,
  ): CommittedBlock & { execution: BlockExecution } {
    return this.persist(this.execute(txs, timeMs, proposer));
  }

  /**
   * Executes the next block on the committed state without writing anything: the block,
   * its results and its app hash, to be written by `persist`, or dropped. Consensus drivers
   * that answer the app hash before they commit (CometBFT's FinalizeBlock, then Commit) use
   * the two halves; a crash between them leaves the previous block in force.
   */
  execute(
    txs: readonly BlockTx[],
    timeMs: bigint,
    proposer: string,
    signers?: readonly BlockSigner[],
    misbehavior?: readonly BlockMisbehavior[],
  ): ExecutedBlock {
    const open = this.open(timeMs, proposer, signers, misbehavior);
    for (const tx of txs) open.add(tx);
    return this.finish(open);
  }

  /**
   * Opens the next block on the committed state (its begin-block hooks run now); txs are
   * executed as they are added, and `finish` closes it into an ExecutedBlock. Nothing is
   * written until `persist`, and the block must be finished before anything else commits.
   */
  open(
    timeMs: bigint,
    proposer: string,
    signers?: readonly BlockSigner[],
    misbehavior?: readonly BlockMisbehavior[],
  ): LedgerBlock {
    const height = this.height + 1;
    const previous = height > 1 ? this.blocks.header(height - 1) : undefined;
    if (previous && timeMs <= previous.timeMs) timeMs = previous.timeMs + 1n;
    const info: BlockInfo = {
      chainId: this.chainId,
      height: BigInt(height),
      timeMs,
      proposer,
      // Without a commit to read (solo driver, replay), every genesis validator signed the
      // previous block; block 1 has no previous block.
      signers: signers ?? (height === 1 ? [] : this.soloSigners()),
      ...(misbehavior && misbehavior.length > 0 ? { misbehavior } : {}),
    };
    const open = this.app.openBlock(
      this.committed,
      info,
      height === 1 ? this.opts.genesis.app_state : undefined,
    );
    return new LedgerBlock(
      open,
      previous ? blockHash(previous) : new Uint8Array(32),
      this.blocks.startAccounts(),
    );
  }

  /** Closes an open block: end-block hooks, the state root, results and header. Nothing written. */
  finish(open: LedgerBlock): ExecutedBlock {
    const { info } = open.block;
    const height = Number(info.height);
    this.requireNext(height);
    const { txs } = open;
    const execution = open.block.close();
    const prepared = this.state.prepare(height, execution.changes);
    const beginBlockEvents = execution.beginBlockEvents.map(toEvent);
    const endBlockEvents = execution.endBlockEvents.map(toEvent);
    const results = create(BlockResultsSchema, {
      txResults: open.txResults,
      beginBlockEvents,
      endBlockEvents,
    });
    const resultParts = open.resultsEncoder.finish(beginBlockEvents, endBlockEvents);
    const record = open.record.finish(resultParts.extra);
    const txHashes = txs.map((t) => t.decoded.hash);
    const header = create(BlockHeaderSchema, {
      chainId: this.chainId,
      height: BigInt(height),
      timeMs: info.timeMs,
      previousHash: open.previousHash,
      txRoot: open.txTree.root(),
      appHash: prepared.root,
      resultsHash: sha256(blockResultsFromParts(resultParts)),
      proposer: info.proposer,
    });
    const block = create(BlockSchema, { header, txs: txs.map((t) => t.decoded.bytes) });
    return {
      block,
      hash: blockHash(header),
      results,
      execution,
      appHash: prepared.root,
      txHashes,
      prepared,
      resultParts,
      accounts: open.accounts,
      record,
    };
  }

  /**
   * Writes an executed block in one LMDB transaction. It must be the next block, executed on
   * the current state (else INTERNAL, or the state's STALE_PREPARE, and nothing is written).
   */
  persist(executed: ExecutedBlock): CommittedBlock & { execution: BlockExecution } {
    const { block, hash, results, execution, prepared, txHashes, resultParts, accounts, record } = executed;
    const committed = { block, hash, results, execution };
    const height = Number(block.header!.height);
    this.requireNext(height);
    this.root.transactionSync(() => {
      this.state.write(prepared);
      this.blocks.putBlock(
        committed,
        execution.txs.map((t) => t.accounts),
        { txHashes, resultParts, accounts, record },
      );
      if (height === 1) this.meta.putSync(META_GENESIS, toHex(genesisFingerprint(this.opts.genesis)));
    });
    this.committed.committedChanges(execution.changes);
    return committed;
  }

  /** Throws INTERNAL unless `height` is the block after the ledger's latest. */
  private requireNext(height: number): void {
    if (height !== this.height + 1) {
      throw new BttError(
        "INTERNAL",
        `block ${height} is not the next block (the ledger is at ${this.height})`,
      );
    }
  }

  /**
   * A state entry (full key, module prefix included) at a height, latest by default, with
   * its Merkle proof against that height's app hash, which is in the block header. Heights
   * older than the retention window are refused (VERSION_PRUNED).
   */
  prove(key: Uint8Array, height?: number): StateProof {
    // The state's latest version is the latest block's height (they commit together).
    const { value, proof, root, version } = this.state.proveEncoded(key, height);
    return { height: version, key, value, proof, appHash: root };
  }

  /** The state at a retained height and that block's time, for point reads (queries "at height H"). */
  stateAt(height: number): HistoricalState {
    const header = Number.isSafeInteger(height) && height >= 1 ? this.blocks.header(height) : undefined;
    if (!header || height < this.state.oldestVersion) {
      throw new BttError(
        "HEIGHT_UNAVAILABLE",
        `height ${height} is outside the retained window ${this.state.oldestVersion}..${this.height}`,
        { height: String(height) },
      );
    }
    return { kv: new PastStateStore(this.state, height), height: BigInt(height), timeMs: header.timeMs };
  }

  /**
   * What a state-sync snapshot of the latest height holds: that block, and every state entry
   * in key order. Read synchronously right after a commit, so it is that height's state.
   */
  snapshotSource(): { block: CommittedBlock; entries: Iterable<[Uint8Array, Uint8Array]> } {
    const block = this.blocks.block(this.height);
    if (!block) throw new BttError("NOT_FOUND", "no committed block to snapshot");
    return { block, entries: this.state.iteratePrefix(new Uint8Array(0)) };
  }

  /**
   * State sync: fills an empty ledger with a snapshot's block and state, in one LMDB
   * transaction. The rebuilt state root must equal the block's app hash (else INVALID_REQUEST,
   * nothing written). Blocks before it are never stored: the block store starts there.
   */
  restoreSnapshot(committed: CommittedBlock, entries: Array<[Uint8Array, Uint8Array]>): void {
    const header = committed.block.header;
    if (!header) throw new BttError("INVALID_REQUEST", "the snapshot's block has no header");
    if (this.height !== 0) {
      throw new BttError("CONFLICT", `state sync needs an empty ledger; this one is at ${this.height}`);
    }
    const height = Number(header.height);
    const prepared = this.state.prepareRestore(height, entries);
    if (!bytesEqual(prepared.root, header.appHash)) {
      throw new BttError("INVALID_REQUEST", `the snapshot's state root is not block ${height}'s app hash`);
    }
    this.root.transactionSync(() => {
      this.state.write(prepared);
      this.blocks.putBlock(
        committed,
        committed.block.txs.map(() => []),
      );
      this.meta.putSync(META_GENESIS, toHex(genesisFingerprint(this.opts.genesis)));
    });
    this.committed.invalidate();
  }

  close(): Promise<void> {
    return this.root.close();
  }

  private checkConsistency(): void {
    const height = this.blocks.latestHeight();
    if (height !== this.state.latestVersion) {
      throw new BttError(
        "INTERNAL",
        `store is inconsistent: blocks at ${height}, state at ${this.state.latestVersion}`,
      );
    }
    const stored = this.meta.get(META_GENESIS);
    if (stored && stored !== toHex(genesisFingerprint(this.opts.genesis))) {
      throw new BttError("INVALID_GENESIS", "the data directory belongs to a chain with a different genesis");
    }
    const header = height > 0 ? this.blocks.header(height) : undefined;
    if (header && !bytesEqual(header.appHash, this.state.rootHash())) {
      throw new BttError("INTERNAL", `state root differs from block ${height}'s app hash`);
    }
  }
}

/** A block opened by `Ledger.open`: the txs added so far, executed in that order. */
export class LedgerBlock {
  readonly txs: BlockTx[] = [];
  /** The txs' results, built and encoded as each executes: the close has less left to do. */
  readonly txResults: TxResult[] = [];
  readonly resultsEncoder = new TxResultsEncoder();
  /** The block-store record, laid out as the txs come. */
  readonly record = new RecordBuilder();
  readonly txTree = new TxMerkleTree();
  private bytes = 0;

  constructor(
    readonly block: OpenBlock,
    readonly previousHash: Uint8Array,
    /** The per-account index entries of its txs, for the block store. */
    readonly accounts: BlockAccounts,
  ) {}

  /** Bytes of the txs added so far. */
  get sizeBytes(): number {
    return this.bytes;
  }

  add(tx: BlockTx): ExecutedTx {
    const result = this.block.add(tx);
    this.txs.push(tx);
    this.bytes += tx.decoded.bytes.length;
    const txResult: TxResult = {
      $typeName: "btt.node.v1.TxResult",
      code: result.code,
      log: result.log,
      events: result.events.map(toEvent),
      fee: result.fee.toString(),
    };
    this.txResults.push(txResult);
    this.record.add(tx.decoded.bytes, this.resultsEncoder.add(txResult));
    this.txTree.add(tx.decoded.hash);
    this.accounts.addTx(result.accounts);
    return result;
  }
}

// Literal messages: create() walks the schema for every field, and a block has ~30,000 events.
function toEvent(e: LedgerEvent): Event {
  return {
    $typeName: "btt.node.v1.Event",
    type: e.type,
    attributes: e.attributes.map((a) => ({
      $typeName: "btt.node.v1.EventAttribute",
      key: a.key,
      value: a.value,
    })),
  };
}

export function genesisFingerprint(doc: GenesisDoc): Uint8Array {
  return sha256(Buffer.from(canonicalJson(doc), "utf8"));
}
