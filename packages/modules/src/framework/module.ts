import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { EventSink, LedgerEvent } from "./events.ts";
import type { KVStore } from "./store.ts";

/** What every block-level and transaction-level call can see. Consensus code: no clock but `timeMs`. */
export interface BlockInfo {
  readonly chainId: string;
  readonly height: bigint;
  /** Block time in ms since the Unix epoch, as agreed by consensus (never the local clock). */
  readonly timeMs: bigint;
  readonly proposer: string;
  /**
   * The previous block's commit as the driver reports it: each validator of that block's set
   * and whether its vote was committed (CometBFT's decided_last_commit; the solo driver lists
   * its one validator as signed). Undefined when the driver has none: nothing is recorded.
   */
  readonly signers?: readonly BlockSigner[];
  /**
   * Evidence of misbehavior CometBFT committed in this block (FinalizeBlock's `misbehavior`):
   * who, of what, at which height. Undefined or empty when there is none (always, under solo).
   */
  readonly misbehavior?: readonly BlockMisbehavior[];
}

/** One piece of evidence against a validator. */
export interface BlockMisbehavior {
  /** "DUPLICATE_VOTE" or "LIGHT_CLIENT_ATTACK" (CometBFT's MisbehaviorType names). */
  readonly type: string;
  /** CometBFT's validator address: upper-case hex, as in BlockSigner. */
  readonly address: string;
  /** The height of the offence. */
  readonly height: bigint;
}

/** One vote of a commit. */
export interface BlockSigner {
  /** CometBFT's validator address: upper-case hex of the first 20 bytes of SHA-256(Ed25519 key). */
  readonly address: string;
  readonly signed: boolean;
}

export interface Context {
  readonly block: BlockInfo;
  /** The whole state as this call sees it; keepers derive their own prefixed view. */
  readonly kv: KVStore;
  readonly emit: EventSink;
}

export interface TxContext extends Context {
  /** The transaction's signer: every message acts on its behalf. */
  readonly sender: string;
  readonly txHash: Uint8Array;
}

/** A message type a module handles: decode (by schema), stateless validation, execution. */
export interface MessageType<Desc extends DescMessage = DescMessage> {
  /** `<module>/<Name>`, the `type` field of a tx's Msg. */
  readonly type: string;
  readonly schema: Desc;
  /**
   * A fast decoder for the canonical encoding (what `toBinary` writes), for the hottest message
   * types: it returns what `fromBinary` would, or undefined for any other encoding, which
   * `fromBinary` then decodes. So it changes the speed of decoding, never what is accepted.
   */
  readonly decodeCanonical?: (bytes: Uint8Array) => MessageShape<Desc> | undefined;
  /** Stateless checks; throws a BttError saying what is wrong. */
  validate(message: MessageShape<Desc>, sender: string): void;
  /** Executes against state; throws a BttError to fail (its writes are then dropped). */
  execute(ctx: TxContext, message: MessageShape<Desc>): void;
}

/** A message type bound to its schema, so a module's list can hold several kinds. */
export function messageType<Desc extends DescMessage>(def: MessageType<Desc>): MessageType {
  return def as unknown as MessageType;
}

/** A read-only query: JSON parameters in, JSON-ready value out. */
export interface QueryType {
  /** The query's name within its module, e.g. "balance". */
  readonly name: string;
  readonly description: string;
  handle(ctx: QueryContext, params: Record<string, string>): unknown;
}

export interface QueryContext {
  readonly kv: KVStore;
  readonly height: bigint;
  /** Block time of `height`, when a block has been committed. */
  readonly timeMs?: bigint;
  /**
   * The state as it was at an earlier height still in the node's retention window (point reads
   * only: prefix scans of past state are not kept). Throws HEIGHT_UNAVAILABLE outside it.
   */
  readonly at?: (height: bigint) => HistoricalState;
}

export interface HistoricalState {
  readonly kv: KVStore;
  readonly height: bigint;
  readonly timeMs: bigint;
}

export interface ModuleGenesis<G> {
  defaultGenesis(): G;
  /** Checks a genesis section (parsed JSON) and returns it typed; throws INVALID_GENESIS. */
  validateGenesis(raw: unknown): G;
  initGenesis(ctx: Context, genesis: G): void;
  exportGenesis(ctx: Context): G;
}

/** A named check over the whole state that must always hold (e.g. supply = sum of balances). */
export interface Invariant {
  readonly name: string;
  /** Returns a description of the violation, or undefined when it holds. */
  check(kv: KVStore): string | undefined;
}

/**
 * A module: owns the state under `<name>/`, its messages, queries, genesis and
 * parameters, and block hooks. Other modules reach it only through its keeper.
 */
export interface Module<G = unknown> {
  readonly name: string;
  readonly messages: readonly MessageType[];
  readonly queries: readonly QueryType[];
  readonly genesis: ModuleGenesis<G>;
  readonly invariants?: readonly Invariant[];
  beginBlock?(ctx: Context): void;
  endBlock?(ctx: Context): void;
}

export type { LedgerEvent };
