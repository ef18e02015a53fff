import { join } from "node:path";
import { BttError, type DecodedTx, decodeTx, ErrorCode, sha256, toBttError, toHex } from "@btt/core";
import {
  type BlockMisbehavior,
  type BlockSigner,
  canonicalJson,
  type LedgerEvent,
  moduleKey,
  validatorUpdatesOf,
} from "@btt/modules";
import {
  ACCOUNT_ATTRIBUTES,
  type ApplyOutcome,
  type BlockTx,
  type BttNode,
  type ExecutedBlock,
  type OfferOutcome,
  SnapshotRestorer,
  SnapshotStore,
  takeSnapshot,
} from "@btt/node";
import { MAX_STATE_KEY_LEN } from "@btt/state";
import type { Timestamp } from "cosmjs-types/google/protobuf/timestamp";
import {
  CheckTxType,
  type Event,
  type ExecTxResult,
  type Misbehavior,
  misbehaviorTypeToJSON,
  type Request,
  type RequestApplySnapshotChunk,
  type RequestCheckTx,
  type RequestFinalizeBlock,
  type RequestInitChain,
  type RequestLoadSnapshotChunk,
  type RequestOfferSnapshot,
  type RequestPrepareProposal,
  type RequestProcessProposal,
  type RequestQuery,
  type Response,
  type ResponseApplySnapshotChunk,
  ResponseApplySnapshotChunk_Result,
  type ResponseCheckTx,
  ResponseOfferSnapshot_Result,
  ResponseProcessProposal_ProposalStatus,
  type ResponseQuery,
  ResponseVerifyVoteExtension_VerifyStatus,
} from "cosmjs-types/tendermint/abci/types";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { constantResponse } from "./connection.ts";

export interface AbciAppOptions {
  /** CometBFT blocks to keep below the latest (Commit's retain_height); 0 keeps them all. */
  retainBlocks: number;
  /** Largest transaction a block may carry (txs above it make ProcessProposal reject). */
  maxTxBytes: number;
  version?: string;
  /** A state-sync snapshot every this many heights, written after Commit; 0 (the default) = none. */
  snapshotInterval?: number;
  /** Snapshots kept on disk, the newest ones (default 2). */
  snapshotKeep?: number;
  /** Where snapshots are written (default `<node data dir>/snapshots`). */
  snapshotDir?: string;
  /** Snapshot events: taken, restored, refused (a failed snapshot is logged, never thrown). */
  log?: (level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>) => void;
}

/** What Info reports as the application's version and its protocol version. */
export const APP_VERSION = 1n;
/** The codespace of every non-zero code we return: codes are @btt/core ErrorCode numbers. */
export const CODESPACE = "btt";
/** Query proofs: one op of this type, its data the @btt/state encodeProof bytes. */
export const PROOF_OP_TYPE = "btt:smt16";

const OFFER_RESULTS: Record<OfferOutcome, ResponseOfferSnapshot_Result> = {
  accept: ResponseOfferSnapshot_Result.ACCEPT,
  abort: ResponseOfferSnapshot_Result.ABORT,
  reject: ResponseOfferSnapshot_Result.REJECT,
  reject_format: ResponseOfferSnapshot_Result.REJECT_FORMAT,
};

const APPLY_RESULTS: Record<ApplyOutcome["result"], ResponseApplySnapshotChunk_Result> = {
  accept: ResponseApplySnapshotChunk_Result.ACCEPT,
  abort: ResponseApplySnapshotChunk_Result.ABORT,
  retry: ResponseApplySnapshotChunk_Result.RETRY,
  reject_snapshot: ResponseApplySnapshotChunk_Result.REJECT_SNAPSHOT,
};

/** CheckTx's answer for an admitted tx, encoded once (most CheckTx get it). */
const CHECK_TX_OK = constantResponse({ checkTx: checkTxResult(ErrorCode.OK, "") });

/** The app hash Info reports before the first block: nothing, as InitChain returns. */
const NO_APP_HASH = new Uint8Array(0);

/** A block executed for a proposal or a decision, kept until Commit or the next height. */
interface Candidate {
  key: string;
  executed: ExecutedBlock;
  /** For each of the request's txs, its index in the execution; -1 when it could not be decoded. */
  positions: number[];
  undecodable: Map<number, BttError>;
  executeMs: number;
}

/**
 * The BTT state machine behind CometBFT's ABCI 2.0: the node's Application and Ledger do
 * the work, exactly as under the solo driver; this class maps the requests onto them.
 *
 * - CheckTx (new) admits through the node's mempool: decoding, the ante checks, signature
 *   verification on the worker pool. The mempool keeps the verified txs, so FinalizeBlock
 *   skips their signatures; a recheck answers whether the mempool still holds the tx
 *   after the last block's re-check.
 * - PrepareProposal executes the candidate txs (no writes) and leaves out those the ante
 *   checks reject: they change nothing, so the block without them executes the same.
 * - ProcessProposal executes the proposal and rejects it when a tx cannot be decoded,
 *   repeats, or is rejected by the ante checks. The execution is kept and reused by
 *   FinalizeBlock for the same block.
 * - FinalizeBlock executes (Ledger.execute) and returns the app hash; Commit writes the
 *   block (Ledger.persist). A crash in between loses the block: Info then reports the
 *   previous height and CometBFT replays it.
 */
export class BttAbciApp {
  private candidate: Candidate | undefined;
  private finalized: Candidate | undefined;
  /** The snapshots this node serves to peers that join by state sync. */
  readonly snapshots: SnapshotStore;
  private readonly restorer: SnapshotRestorer;

  constructor(
    private readonly node: BttNode,
    private readonly opts: AbciAppOptions,
  ) {
    this.snapshots = new SnapshotStore(
      opts.snapshotDir ?? join(node.opts.dataDir, "snapshots"),
      opts.snapshotKeep ?? 2,
    );
    this.restorer = new SnapshotRestorer(node.ledger);
  }

  handle(request: Request): Response | Promise<Response> {
    if (request.echo) return { echo: { message: request.echo.message } };
    if (request.flush) return { flush: {} };
    if (request.info) return { info: this.info() };
    if (request.initChain) return { initChain: this.initChain(request.initChain) };
    if (request.checkTx) return this.checkTx(request.checkTx);
    if (request.prepareProposal) return { prepareProposal: this.prepareProposal(request.prepareProposal) };
    if (request.processProposal) return { processProposal: this.processProposal(request.processProposal) };
    if (request.finalizeBlock) return { finalizeBlock: this.finalizeBlock(request.finalizeBlock) };
    if (request.commit) return { commit: this.commit() };
    if (request.query) return { query: this.query(request.query) };
    if (request.extendVote) return { extendVote: { voteExtension: new Uint8Array(0) } };
    if (request.verifyVoteExtension) {
      return { verifyVoteExtension: { status: ResponseVerifyVoteExtension_VerifyStatus.ACCEPT } };
    }
    if (request.listSnapshots) return { listSnapshots: { snapshots: this.listSnapshots() } };
    if (request.offerSnapshot)
      return { offerSnapshot: { result: this.offerSnapshot(request.offerSnapshot) } };
    if (request.loadSnapshotChunk)
      return { loadSnapshotChunk: { chunk: this.loadSnapshotChunk(request.loadSnapshotChunk) } };
    if (request.applySnapshotChunk)
      return { applySnapshotChunk: this.applySnapshotChunk(request.applySnapshotChunk) };
    throw new BttError("INVALID_REQUEST", "unknown ABCI request");
  }

  info() {
    const { ledger } = this.node;
    return {
      data: "btt",
      version: this.opts.version ?? "0.1.0",
      appVersion: APP_VERSION,
      lastBlockHeight: BigInt(ledger.height),
      lastBlockAppHash: ledger.height === 0 ? NO_APP_HASH : ledger.appHash,
    };
  }

  /**
   * The BTT genesis (the home's genesis.json) is the authority: CometBFT's must name the
   * same chain and either carry no app_state or the same one. Genesis state is written with
   * the first block, as under the solo driver, so the app hash here is empty and CometBFT's
   * genesis validators stand.
   */
  initChain(req: RequestInitChain) {
    const genesis = this.node.ledger.opts.genesis;
    if (req.chainId !== genesis.chain_id) {
      throw new BttError(
        "INVALID_GENESIS",
        `CometBFT's chain id "${req.chainId}" is not this node's "${genesis.chain_id}"`,
      );
    }
    if (req.initialHeight > 1n) {
      throw new BttError(
        "INVALID_GENESIS",
        `initial_height ${req.initialHeight} is not supported (must be 1)`,
      );
    }
    if (req.appStateBytes.length > 0) {
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(req.appStateBytes).toString("utf8"));
      } catch {
        throw new BttError("INVALID_GENESIS", "CometBFT's app_state is not JSON");
      }
      if (raw !== null) {
        const given = this.node.ledger.app.validateAppState(raw as Record<string, unknown>);
        if (canonicalJson(given) !== canonicalJson(genesis.app_state)) {
          throw new BttError("INVALID_GENESIS", "CometBFT's app_state differs from this node's genesis.json");
        }
      }
    }
    return { validators: [], appHash: NO_APP_HASH };
  }

  /** Admission through the node's mempool; an accepted tx gets the one pre-encoded OK answer. */
  checkTx(req: RequestCheckTx): Response | Promise<Response> {
    const { mempool, ledger } = this.node;
    if (ledger.height === 0) {
      // Genesis state is written with block 1 (as under the solo driver), which CometBFT
      // always makes at once, even when it waits for txs before other blocks.
      return checkTxAnswer(ErrorCode.NOT_READY, "the chain has no block yet; retry after block 1");
    }
    // A recheck: the mempool re-checked every pending tx after the last block (Commit).
    if (req.type === CheckTxType.RECHECK && mempool.has(sha256(req.tx))) return CHECK_TX_OK;
    return mempool.add(req.tx).then(
      () => CHECK_TX_OK,
      (err) => {
        const e = toBttError(err);
        return checkTxAnswer(e.codeNumber, e.message);
      },
    );
  }

  prepareProposal(req: RequestPrepareProposal) {
    const picked: Uint8Array[] = [];
    let bytes = 0;
    for (const tx of req.txs) {
      // CometBFT counts each tx with its protobuf field overhead against max_tx_bytes.
      const size = tx.length + protoOverhead(tx.length);
      if (bytes + size > Number(req.maxTxBytes)) break;
      picked.push(tx);
      bytes += size;
    }
    const candidate = this.execute(
      picked,
      req.height,
      req.time,
      req.proposerAddress,
      signersOf(req.localLastCommit?.votes),
      misbehaviorOf(req.misbehavior),
    );
    const txs = picked.filter((_, i) => {
      const at = candidate.positions[i]!;
      return at >= 0 && !candidate.executed.execution.txs[at]!.rejected;
    });
    return { txs };
  }

  processProposal(req: RequestProcessProposal) {
    const reject = { status: ResponseProcessProposal_ProposalStatus.REJECT };
    if (req.height !== BigInt(this.node.ledger.height + 1)) return reject;
    const seen = new Set<string>();
    for (const tx of req.txs) {
      if (tx.length > this.opts.maxTxBytes) return reject;
      const id = toHex(sha256(tx));
      if (seen.has(id)) return reject;
      seen.add(id);
    }
    const candidate = this.execute(
      req.txs,
      req.height,
      req.time,
      req.proposerAddress,
      signersOf(req.proposedLastCommit?.votes),
      misbehaviorOf(req.misbehavior),
    );
    if (candidate.undecodable.size > 0) return reject;
    if (candidate.executed.execution.txs.some((t) => t.rejected)) return reject;
    return { status: ResponseProcessProposal_ProposalStatus.ACCEPT };
  }

  finalizeBlock(req: RequestFinalizeBlock) {
    const expected = this.node.ledger.height + 1;
    if (req.height !== BigInt(expected)) {
      throw new BttError(
        "INTERNAL",
        `FinalizeBlock for height ${req.height}; the ledger expects ${expected}`,
      );
    }
    const candidate = this.execute(
      req.txs,
      req.height,
      req.time,
      req.proposerAddress,
      signersOf(req.decidedLastCommit?.votes),
      misbehaviorOf(req.misbehavior),
    );
    this.finalized = candidate;
    const { execution } = candidate.executed;
    const txResults: ExecTxResult[] = req.txs.map((_, i) => {
      const bad = candidate.undecodable.get(i);
      if (bad) return execResult(bad.codeNumber, bad.message, []);
      const t = execution.txs[candidate.positions[i]!]!;
      return execResult(t.code, t.log, t.events);
    });
    return {
      events: [...execution.beginBlockEvents, ...execution.endBlockEvents].map(toAbciEvent),
      txResults,
      // The staking module's epoch end: power changes of the active set (see @btt/modules staking).
      validatorUpdates: validatorUpdatesOf(execution.endBlockEvents).map((u) => ({
        pubKey: { ed25519: u.pubKey },
        power: u.power,
      })),
      appHash: candidate.executed.appHash,
    };
  }

  commit() {
    const finalized = this.finalized;
    if (!finalized) throw new BttError("INTERNAL", "Commit without a finalized block");
    this.finalized = undefined;
    this.candidate = undefined;
    const committed = this.node.commitExecuted(finalized.executed, finalized.executeMs);
    const height = Number(committed.block.header!.height);
    const retain = this.opts.retainBlocks > 0 ? Math.max(0, height - this.opts.retainBlocks + 1) : 0;
    const interval = this.opts.snapshotInterval ?? 0;
    if (interval > 0 && height % interval === 0) this.takeSnapshot();
    return { retainHeight: BigInt(retain) };
  }

  /**
   * Writes the snapshot of the height just committed. Synchronous, inside Commit: it reads and
   * encodes the whole state (the README gives its cost). A failure is logged; consensus goes on.
   */
  private takeSnapshot(): void {
    try {
      const taken = takeSnapshot(this.node.ledger, this.snapshots);
      this.opts.log?.("info", "Snapshot taken", { ...taken, ms: Math.round(taken.ms) });
    } catch (err) {
      this.opts.log?.("error", "Snapshot failed", { height: this.node.ledger.height, err: String(err) });
    }
  }

  listSnapshots() {
    return this.snapshots.list().map((s) => ({ ...s, height: BigInt(s.height) }));
  }

  /** Accepts a snapshot of format 1 whose metadata names the app hash CometBFT's light client trusts. */
  offerSnapshot(req: RequestOfferSnapshot): ResponseOfferSnapshot_Result {
    if (!req.snapshot) return ResponseOfferSnapshot_Result.REJECT;
    const { snapshot } = req;
    const { result, reason } = this.restorer.offer(
      { ...snapshot, height: Number(snapshot.height) },
      req.appHash,
    );
    this.opts.log?.(result === "accept" ? "info" : "warn", `Snapshot offer: ${result}`, {
      height: Number(snapshot.height),
      ...(reason ? { reason } : {}),
    });
    return OFFER_RESULTS[result];
  }

  loadSnapshotChunk(req: RequestLoadSnapshotChunk): Uint8Array {
    return this.snapshots.loadChunk(Number(req.height), req.format, req.chunk) ?? new Uint8Array(0);
  }

  /** Chunks in order, each checked against the metadata; the last one rebuilds and checks the state. */
  applySnapshotChunk(req: RequestApplySnapshotChunk): ResponseApplySnapshotChunk {
    const { result, refetchChunks, rejectSenders, reason } = this.restorer.apply(
      req.index,
      req.chunk,
      req.sender,
    );
    if (result !== "accept") this.opts.log?.("warn", `Snapshot chunk ${req.index}: ${result}`, { reason });
    else if (this.restorer.restoredHeight === this.node.ledger.height && this.node.ledger.height > 0) {
      this.opts.log?.("info", "State restored from a snapshot", {
        height: this.node.ledger.height,
        app_hash: toHex(this.node.ledger.appHash),
      });
    }
    return { result: APPLY_RESULTS[result], refetchChunks, rejectSenders };
  }

  /**
   * `/store/<module>/key`, data = the key inside the module's prefix: the value at `height`
   * (0 = latest) and, with `prove`, one proof op of type "btt:smt16" whose key is the full
   * state key ("<module>/" + key) and whose data is the @btt/state encodeProof bytes, to
   * check with verifyProof against the app hash CometBFT's header at height + 1 carries.
   */
  query(req: RequestQuery): ResponseQuery {
    try {
      const match = /^\/store\/([a-z][a-z0-9_]*)\/key$/.exec(req.path);
      if (!match)
        throw new BttError("NOT_FOUND", `unknown query path "${req.path}" (try /store/<module>/key)`);
      const module = match[1]!;
      const { ledger } = this.node;
      if (!ledger.app.modules.some((m) => m.name === module)) {
        throw new BttError("NOT_FOUND", `no module "${module}"`);
      }
      const full = moduleKey(module, req.data);
      if (req.data.length === 0 || full.length > MAX_STATE_KEY_LEN) {
        throw new BttError("INVALID_REQUEST", "the key must be 1 byte or more, within the state key limit");
      }
      const latest = ledger.height;
      const height = req.height === 0n ? latest : Number(req.height);
      if (latest === 0 || height > latest) {
        throw new BttError(
          "HEIGHT_UNAVAILABLE",
          `height ${height} is not committed; the latest is ${latest}`,
        );
      }
      const p = ledger.prove(full, height);
      return {
        code: 0,
        log: p.value ? "exists" : "does not exist",
        info: "",
        index: 0n,
        key: req.data,
        value: p.value ?? new Uint8Array(0),
        ...(req.prove ? { proofOps: { ops: [{ type: PROOF_OP_TYPE, key: full, data: p.proof }] } } : {}),
        height: BigInt(p.height),
        codespace: "",
      };
    } catch (err) {
      const e = toBttError(err);
      return {
        code: e.codeNumber,
        log: e.message,
        info: "",
        index: 0n,
        key: req.data,
        value: new Uint8Array(0),
        height: 0n,
        codespace: CODESPACE,
      };
    }
  }

  /**
   * Executes a block on the committed state (nothing written), or returns the execution of
   * the same block done moments ago for another request of this height.
   */
  private execute(
    txs: Uint8Array[],
    height: bigint,
    time: Timestamp,
    proposer: Uint8Array,
    signers: BlockSigner[],
    misbehavior: BlockMisbehavior[] = [],
  ): Candidate {
    const timeMs = time.seconds * 1000n + BigInt(Math.floor(time.nanos / 1e6));
    const proposerHex = toHex(proposer).toUpperCase();
    const hashes = txs.map((t) => sha256(t));
    const signed = signers.map((v) => `${v.address}${v.signed ? "+" : "-"}`).join(",");
    const evidence = misbehavior.map((m) => `${m.type}@${m.address}@${m.height}`).join(",");
    const key = `${height}:${timeMs}:${proposerHex}:${toHex(sha256(Buffer.concat(hashes)))}:${signed}:${evidence}`;
    if (this.candidate?.key === key) return this.candidate;
    const { ledger, mempool } = this.node;
    if (height !== BigInt(ledger.height + 1)) {
      throw new BttError("INTERNAL", `a block for height ${height}; the ledger expects ${ledger.height + 1}`);
    }
    const blockTxs: BlockTx[] = [];
    const positions: number[] = [];
    const undecodable = new Map<number, BttError>();
    txs.forEach((bytes, i) => {
      const pending = mempool.pending(hashes[i]!);
      if (pending) {
        blockTxs.push({
          decoded: pending.decoded,
          signatureVerified: pending.verified,
          messages: pending.outcome.messages,
        });
        positions.push(blockTxs.length - 1);
        return;
      }
      let decoded: DecodedTx;
      try {
        decoded = decodeTx(bytes, Number.MAX_SAFE_INTEGER);
      } catch (err) {
        undecodable.set(i, toBttError(err));
        positions.push(-1);
        return;
      }
      blockTxs.push({ decoded, signatureVerified: false });
      positions.push(blockTxs.length - 1);
    });
    const started = performance.now();
    const executed = ledger.execute(blockTxs, timeMs, proposerHex, signers, misbehavior);
    this.candidate = { key, executed, positions, undecodable, executeMs: performance.now() - started };
    return this.candidate;
  }
}

/**
 * The previous block's commit as the staking module reads it: every validator of that block's
 * set, signed unless its vote was absent (a vote for nil still shows it online).
 */
function signersOf(
  votes: ReadonlyArray<{ validator?: { address: Uint8Array }; blockIdFlag: BlockIDFlag }> | undefined,
): BlockSigner[] {
  return (votes ?? []).map((v) => ({
    address: toHex(v.validator?.address ?? new Uint8Array(0)).toUpperCase(),
    signed:
      v.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_COMMIT || v.blockIdFlag === BlockIDFlag.BLOCK_ID_FLAG_NIL,
  }));
}

/** The block's evidence as the staking module reads it (it slashes and tombstones the offender). */
function misbehaviorOf(evidence: readonly Misbehavior[] | undefined): BlockMisbehavior[] {
  return (evidence ?? []).map((m) => ({
    type: misbehaviorTypeToJSON(m.type),
    address: toHex(m.validator?.address ?? new Uint8Array(0)).toUpperCase(),
    height: m.height,
  }));
}

function checkTxAnswer(code: number, log: string): Response {
  return { checkTx: checkTxResult(code, log) };
}

function checkTxResult(code: number, log: string): ResponseCheckTx {
  return {
    code,
    data: new Uint8Array(0),
    log,
    info: "",
    gasWanted: 0n,
    gasUsed: 0n,
    events: [],
    codespace: code === 0 ? "" : CODESPACE,
  };
}

function execResult(code: number, log: string, events: readonly LedgerEvent[]): ExecTxResult {
  return {
    code,
    data: new Uint8Array(0),
    log,
    info: "",
    gasWanted: 0n,
    gasUsed: 0n,
    events: events.map(toAbciEvent),
    codespace: code === 0 ? "" : CODESPACE,
  };
}

/**
 * CometBFT's kv tx indexer writes one entry per attribute marked `index` (besides tx.hash and
 * tx.height, always indexed): only the accounts are, so `tx_search` finds an account's txs, and
 * amounts and other values, which BTT's own API serves, cost the validators no index writes.
 */
function toAbciEvent(e: LedgerEvent): Event {
  return {
    type: e.type,
    attributes: e.attributes.map((a) => ({
      key: a.key,
      value: a.value,
      index: ACCOUNT_ATTRIBUTES.has(a.key),
    })),
  };
}

/** Bytes protobuf adds to a `repeated bytes` element: the tag and the length varint. */
function protoOverhead(length: number): number {
  let n = 1;
  for (let v = length; v >= 0x80; v = Math.floor(v / 0x80)) n++;
  return 1 + n;
}
