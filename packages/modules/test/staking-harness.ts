// The staking tests' chain: bank, identity and staking in memory, blocks advanced by hand.
import {
  BttError,
  encodeAddress,
  MsgCreateValidatorSchema,
  MsgDelegateSchema,
  MsgUndelegateSchema,
} from "@btt/core";
import { create } from "@bufbuild/protobuf";
import { FEE_COLLECTOR } from "../src/auth/ante.ts";
import { BTT_DENOM, createBankModule } from "../src/bank/index.ts";
import type { LedgerEvent } from "../src/framework/events.ts";
import { MemoryState } from "../src/framework/memory-store.ts";
import type { BlockMisbehavior, BlockSigner, Context, TxContext } from "../src/framework/module.ts";
import { BranchStore, CommittedStore } from "../src/framework/store.ts";
import { createIdentityModule } from "../src/identity/index.ts";
import { consensusAddress, createStakingModule, DEFAULT_STAKING_PARAMS } from "./staking-exports.ts";

export const address = (i: number) => encodeAddress(new Uint8Array(20).fill(i));
export const ROOT = address(200);
export const REGULATOR = address(201);
export const consKey = (i: number) => new Uint8Array(32).fill(i);
export const consHex = (i: number) =>
  Buffer.from(consensusAddress(consKey(i)))
    .toString("hex")
    .toUpperCase();
export const DAY = 86_400_000n;

/** An in-memory chain of bank, identity and staking, blocks advanced by hand. */
export function chain(params: Record<string, unknown> = {}, funded: number[] = [1, 2, 3, 4, 5]) {
  const bank = createBankModule();
  const identity = createIdentityModule();
  const staking = createStakingModule(bank.keeper, identity.keeper);
  const kv = new BranchStore(new CommittedStore(new MemoryState()));
  const events: LedgerEvent[] = [];
  let height = 1n;
  let signers: BlockSigner[] | undefined;
  let misbehavior: BlockMisbehavior[] | undefined;
  const block = () => ({
    chainId: "t",
    height,
    timeMs: 1_000_000n + height * 1000n,
    proposer: address(250),
    signers,
    ...(misbehavior ? { misbehavior } : {}),
  });
  const ctx = (sender = address(250)): TxContext => ({
    block: block(),
    kv,
    emit: (e) => events.push(e),
    sender,
    txHash: new Uint8Array(32),
  });
  bank.genesis.initGenesis(
    ctx(),
    bank.genesis.validateGenesis({
      params: { send_enabled: true },
      denoms: [BTT_DENOM],
      balances: funded.map((i) => ({ address: address(i), coins: [{ denom: "ubtt", amount: "1000000" }] })),
    }),
  );
  identity.genesis.initGenesis(
    ctx(),
    identity.genesis.validateGenesis({
      params: { ...(identity.genesis.defaultGenesis().params as object), authorities: { regulator: [ROOT] } },
    }),
  );
  staking.genesis.initGenesis(
    ctx(),
    staking.genesis.validateGenesis({ params: { ...DEFAULT_STAKING_PARAMS, ...params } }),
  );
  const all = [...identity.messages, ...staking.messages];
  const c = {
    bank,
    staking,
    keeper: staking.keeper,
    kv,
    events,
    get height() {
      return height;
    },
    /** Runs a message through validate and execute, as the router does (failures write nothing). */
    run(type: string, sender: string, value: unknown) {
      const handler = all.find((m) => m.type === type)!;
      // biome-ignore lint/suspicious/noExplicitAny: test harness feeds plain message shapes
      handler.validate(value as any, sender);
      const branch = new BranchStore(kv);
      // biome-ignore lint/suspicious/noExplicitAny: as above
      handler.execute({ ...ctx(sender), kv: branch }, value as any);
      branch.writeToParent();
    },
    /**
     * Ends this block (begin-block hooks of the next one take `nextSigners` and `evidence`) and
     * starts the next.
     */
    endBlock(nextSigners?: BlockSigner[], evidence?: BlockMisbehavior[]): LedgerEvent[] {
      const out: LedgerEvent[] = [];
      const blockCtx: Context = { block: block(), kv, emit: (e) => out.push(e) };
      staking.endBlock!(blockCtx);
      height += 1n;
      signers = nextSigners;
      misbehavior = evidence;
      staking.beginBlock!({ block: block(), kv, emit: (e) => out.push(e) });
      return out;
    },
    /** A context at the current height, for calling keepers directly. */
    context: (sender?: string): TxContext => ctx(sender),
    /** Moves coins as a fee would: into the auth module's fee collector. */
    payFee(from: string, amount: bigint) {
      bank.keeper.send(ctx(from), from, FEE_COLLECTOR, [{ denom: "ubtt", amount }], false);
    },
    balance: (a: string) => bank.keeper.balance(kv, a, "ubtt"),
    supply: () => bank.keeper.supply(kv, "ubtt"),
  };
  return c;
}

export const createMsg = (i: number, more: Record<string, unknown> = {}) =>
  create(MsgCreateValidatorSchema, {
    consensusPubkey: consKey(i),
    description: { moniker: `v${i}` },
    commissionRatePpm: 100_000,
    commissionMaxRatePpm: 200_000,
    commissionMaxChangePpm: 10_000,
    selfDelegation: "1000",
    ...more,
  });
export const delegate = (validator: string, amount: string) =>
  create(MsgDelegateSchema, { validator, amount });
export const undelegate = (validator: string, amount: string) =>
  create(MsgUndelegateSchema, { validator, amount });

export function failure(fn: () => unknown): { code: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    if (err instanceof BttError) return { code: err.code, details: err.details as Record<string, unknown> };
    throw err;
  }
  return { code: "OK" };
}
