import { BttError, type DecodedTx, ErrorCode, signatureChecks, toBttError, verifySingleKey } from "@btt/core";
import {
  type AiModule,
  type AnteHandler,
  type AnteOutcome,
  type AuthModule,
  type BankModule,
  type BlockInfo,
  BranchStore,
  type ComplianceModule,
  type ComputeModule,
  type ConsentModule,
  type Context,
  createAiModule,
  createAuthModule,
  createBankModule,
  createComplianceModule,
  createComputeModule,
  createConsentModule,
  createIdentityModule,
  createRecordsModule,
  createStakingModule,
  type DecodedMessage,
  type IdentityModule,
  type KVStore,
  type LedgerEvent,
  MessageRouter,
  type Module,
  type NonceWindow,
  type RecordsModule,
  type StakingModule,
} from "@btt/modules";

/** A transaction as the executor receives it: decoded, and verified if the mempool already did it. */
export interface BlockTx {
  readonly decoded: DecodedTx;
  readonly signatureVerified: boolean;
  /** The messages as the mempool decoded and validated them (stateless work not to repeat). */
  readonly messages?: readonly DecodedMessage[];
}

export interface ExecutedTx {
  readonly code: number;
  readonly log: string;
  readonly events: LedgerEvent[];
  /** Fee charged in the fee denomination (0 when the tx was rejected before its fee). */
  readonly fee: bigint;
  /** Accounts the tx touched (sender, recipients…), for the per-account index. */
  readonly accounts: string[];
  /**
   * Rejected by the ante checks or its signature, before the fee: the tx changed nothing,
   * so a block without it executes the same (a proposer may leave it out).
   */
  readonly rejected: boolean;
}

export interface BlockExecution {
  readonly txs: ExecutedTx[];
  readonly beginBlockEvents: LedgerEvent[];
  readonly endBlockEvents: LedgerEvent[];
  /** The block's state writes, for the authenticated tree (undefined = delete). */
  readonly changes: Array<[Uint8Array, Uint8Array | undefined]>;
}

/**
 * Event attributes that name an account: the per-account tx index follows them (and CometBFT's
 * tx indexer indexes only these, see @btt/abci).
 */
export const ACCOUNT_ATTRIBUTES: ReadonlySet<string> = new Set([
  "sender",
  "recipient",
  "payer",
  "minter",
  "burner",
  "owner",
  "grantee",
  "patient",
  "subject",
  "issuer",
  "requester",
  "operator",
  "node",
]);

/**
 * The state machine: modules, message routing, the ante checks and block execution.
 * It knows nothing of consensus or storage: drivers hand it blocks, it hands back writes.
 */
export class Application {
  readonly auth: AuthModule;
  readonly bank: BankModule;
  readonly identity: IdentityModule;
  readonly compliance: ComplianceModule;
  readonly consent: ConsentModule;
  readonly ai: AiModule;
  readonly staking: StakingModule;
  readonly records: RecordsModule;
  readonly compute: ComputeModule;
  readonly modules: readonly Module[];
  readonly router: MessageRouter;
  readonly ante: AnteHandler;

  constructor(readonly chainId: string) {
    this.bank = createBankModule();
    this.auth = createAuthModule(this.bank.keeper);
    this.identity = createIdentityModule();
    this.compliance = createComplianceModule();
    this.consent = createConsentModule(this.identity.keeper, this.compliance.keeper);
    // Genesis runs in this order: balances before anything that escrows them.
    this.ai = createAiModule(this.identity.keeper);
    this.records = createRecordsModule(this.identity.keeper, this.compliance.keeper, this.bank.keeper);
    this.staking = createStakingModule(this.bank.keeper, this.identity.keeper);
    this.compute = createComputeModule({
      bank: this.bank.keeper,
      identity: this.identity.keeper,
      compliance: this.compliance.keeper,
      consent: this.consent.keeper,
      records: this.records.keeper,
      ai: this.ai.keeper,
    });
    // Staking bonds from bank balances at genesis, and ends the block last (the epoch's set).
    this.modules = [
      this.auth,
      this.bank,
      this.identity,
      this.compliance,
      this.consent,
      this.ai,
      this.records,
      this.compute,
      this.staking,
    ];
    this.router = new MessageRouter(this.modules);
    this.ante = this.auth.createAnteHandler(chainId, this.router);
  }

  module(name: string): Module {
    const found = this.modules.find((m) => m.name === name);
    if (!found) throw new BttError("NOT_FOUND", `no module named "${name}"`);
    return found;
  }

  /** Validates every module's genesis section, filling in defaults for missing ones. */
  validateAppState(raw: Record<string, unknown>): Record<string, unknown> {
    const known = new Set(this.modules.map((m) => m.name));
    for (const name of Object.keys(raw)) {
      if (!known.has(name))
        throw new BttError("INVALID_GENESIS", `app_state has a section for unknown module "${name}"`);
    }
    const out: Record<string, unknown> = {};
    for (const m of this.modules) {
      out[m.name] = m.genesis.validateGenesis(raw[m.name] ?? m.genesis.defaultGenesis());
    }
    return out;
  }

  /** Mempool admission: the ante checks against committed state, nothing written. */
  checkTx(kv: KVStore, decoded: DecodedTx, window: NonceWindow): AnteOutcome {
    return this.ante.check(kv, decoded, window);
  }

  /**
   * Executes one block over `committed`. With `appState`, the genesis state is written
   * first (the first block carries it). Returns results and the block's state writes.
   */
  executeBlock(
    committed: KVStore,
    block: BlockInfo,
    txs: readonly BlockTx[],
    appState?: Record<string, unknown>,
  ): BlockExecution {
    const open = this.openBlock(committed, block, appState);
    for (const tx of txs) open.add(tx);
    return open.close();
  }

  /**
   * Starts a block over `committed`: genesis (with `appState`) and the begin-block hooks run
   * now, txs execute one by one as they are added, and `close` runs the end-block hooks.
   * Nothing reaches `committed`: the block's writes are in the returned execution.
   */
  openBlock(committed: KVStore, block: BlockInfo, appState?: Record<string, unknown>): OpenBlock {
    return new OpenBlock(this, committed, block, appState);
  }

  /** @internal OpenBlock's tx step: one tx over the block's branch. */
  executeTx(state: BranchStore, block: BlockInfo, tx: BlockTx): ExecutedTx {
    const events: LedgerEvent[] = [];
    const sender = tx.decoded.body.sender;
    let outcome: AnteOutcome;
    try {
      outcome = this.ante.check(state, tx.decoded, undefined, tx.messages);
      if (!tx.signatureVerified && !verifyInline(outcome, tx.decoded)) {
        throw new BttError("BAD_SIGNATURE", "signature does not verify against the account's key");
      }
    } catch (err) {
      // Rejected before the fee: nothing changes, not even the nonce.
      return { ...failed(err, [], 0n, [sender]), rejected: true };
    }

    const emit = (e: LedgerEvent) => events.push(e);
    this.ante.apply({ block, kv: state, emit }, outcome);
    // The messages write to the block's branch after a savepoint, taken back if one fails.
    const ctx = { block, kv: state, emit, sender, txHash: tx.decoded.hash };
    const feeEvents = events.length;
    state.savepoint();
    try {
      for (const m of outcome.messages) m.handler.execute(ctx, m.value);
      state.release();
    } catch (err) {
      // The messages' writes and events are dropped; the fee and nonce stay.
      state.rollback();
      return failed(err, events.slice(0, feeEvents), outcome.fee, [sender]);
    }
    return {
      code: ErrorCode.OK,
      log: "",
      events,
      fee: outcome.fee,
      accounts: accountsOf(sender, events),
      rejected: false,
    };
  }
}

/**
 * A block being executed: the begin-block hooks have run over a branch of the committed state,
 * and txs execute as they are added. Drivers that learn the block's txs over time (the solo
 * driver executes them while the block's interval runs) add them as they come; `close` ends it.
 */
export class OpenBlock {
  private readonly state: BranchStore;
  private readonly executed: ExecutedTx[] = [];
  private readonly beginBlockEvents: LedgerEvent[] = [];
  private closed = false;

  constructor(
    private readonly app: Application,
    committed: KVStore,
    readonly info: BlockInfo,
    appState?: Record<string, unknown>,
  ) {
    this.state = new BranchStore(committed);
    const ctx = this.context(this.beginBlockEvents);
    if (appState) for (const m of app.modules) m.genesis.initGenesis(ctx, appState[m.name]);
    for (const m of app.modules) m.beginBlock?.(ctx);
  }

  add(tx: BlockTx): ExecutedTx {
    if (this.closed) throw new Error("the block is closed");
    const result = this.app.executeTx(this.state, this.info, tx);
    this.executed.push(result);
    return result;
  }

  close(): BlockExecution {
    if (this.closed) throw new Error("the block is closed");
    this.closed = true;
    const endBlockEvents: LedgerEvent[] = [];
    const ctx = this.context(endBlockEvents);
    for (const m of this.app.modules) m.endBlock?.(ctx);
    return {
      txs: this.executed,
      beginBlockEvents: this.beginBlockEvents,
      endBlockEvents,
      changes: this.state.changes(),
    };
  }

  private context(events: LedgerEvent[]): Context {
    return { block: this.info, kv: this.state, emit: (e) => events.push(e) };
  }
}

function verifyInline(outcome: AnteOutcome, decoded: DecodedTx): boolean {
  try {
    const { checks } = signatureChecks(outcome.publicKey, decoded.tx.signature);
    return checks.every((c) => verifySingleKey(c.kind, c.publicKey, decoded.signBytes, c.signature));
  } catch {
    return false;
  }
}

function failed(err: unknown, events: LedgerEvent[], fee: bigint, accounts: string[]): ExecutedTx {
  const e = toBttError(err);
  return { code: e.codeNumber, log: e.message, events, fee, accounts, rejected: false };
}

function accountsOf(sender: string, events: readonly LedgerEvent[]): string[] {
  const out = [sender];
  for (const e of events) {
    for (const a of e.attributes) {
      if (ACCOUNT_ATTRIBUTES.has(a.key) && !out.includes(a.value)) out.push(a.value);
    }
  }
  return out;
}
