import { addressBytes, BttError, encodeAddress, moduleAddress, sha256 } from "@btt/core";
import type { BankKeeper } from "../bank/keeper.ts";
import { ledgerEvent } from "../framework/events.ts";
import type { BlockSigner, Context } from "../framework/module.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";
import {
  ACTIVE_SET_KEY,
  consensusKey,
  DELEGATION,
  delegationKey,
  delegationsPrefix,
  NEXT_SEQ_KEY,
  REDELEGATION,
  redelegationKey,
  signingKey,
  UNBONDING,
  unbondingKey,
  VALIDATOR,
  validatorKey,
} from "./keys.ts";
import { STAKING, type StakingParams, type StakingParamsStore } from "./params.ts";
import { activeSet, type Score, scoreAll, votingPower } from "./score.ts";

/** The module account holding every bonded and unbonding token. */
export const STAKING_POOL = moduleAddress(STAKING);

export interface Description {
  moniker: string;
  website: string;
  details: string;
}

export interface Validator {
  operator: string;
  /** Ed25519 consensus public key, hex. */
  consensusPubkey: string;
  description: Description;
  commissionRatePpm: bigint;
  commissionMaxRatePpm: bigint;
  commissionMaxChangePpm: bigint;
  /** Bonded tokens: the sum of its delegations. */
  tokens: bigint;
  jailed: boolean;
  /** Compliance rating C in ppm; undefined until a regulator rates it (params.default_rating_ppm). */
  ratingPpm?: bigint;
  /** The first height at which a validator jailed for downtime may unjail. */
  jailedUntil?: bigint;
  /** Jailed for good (double signing): Unjail is refused forever. */
  tombstoned?: boolean;
}

/**
 * A redelegation within its unbonding period: the stake that moved from `src` to `dst` still
 * answers for offences `src` committed before it moved (so moving cannot dodge a slash).
 */
export interface RedelegationEntry {
  delegator: string;
  src: string;
  dst: string;
  amount: bigint;
  creationHeight: bigint;
  matureHeight: bigint;
}

export interface UnbondingEntry {
  delegator: string;
  validator: string;
  amount: bigint;
  matureHeight: bigint;
  /** The height the undelegation was made at: slashes for offences at or before it reach it. */
  creationHeight?: bigint;
}

/** A consensus key's ring of the last W blocks. */
export interface SigningInfo {
  /** Position of the next block in the ring. */
  offset: number;
  /** Ones in the ring: blocks missed among the last W. */
  missed: number;
  /** Blocks recorded since the ring started (saturates at W): downtime is judged only at W. */
  tracked: number;
  /** W bits, 1 = missed. */
  bitmap: Uint8Array;
}

export interface ValidatorUpdate {
  /** Ed25519 public key, 32 bytes. */
  pubKey: Uint8Array;
  /** 0 removes the validator from the consensus set. */
  power: bigint;
}

export interface ActiveMember {
  operator: string;
  consensusPubkey: string;
  power: bigint;
}

/** CometBFT's address of an Ed25519 consensus key: the first 20 bytes of its SHA-256. */
export function consensusAddress(pubkey: Uint8Array): Uint8Array {
  return sha256(pubkey).subarray(0, 20);
}

export const VALIDATOR_UPDATE_EVENT = "staking/validator_update";

/**
 * The validator updates a block's end-block events carry, in the order emitted: what ABCI's
 * FinalizeBlock returns to CometBFT as `validator_updates`.
 */
export function validatorUpdatesOf(
  events: ReadonlyArray<{ type: string; attributes: ReadonlyArray<{ key: string; value: string }> }>,
): ValidatorUpdate[] {
  const out: ValidatorUpdate[] = [];
  for (const e of events) {
    if (e.type !== VALIDATOR_UPDATE_EVENT) continue;
    const attr = (k: string) => e.attributes.find((a) => a.key === k)?.value ?? "";
    out.push({ pubKey: Buffer.from(attr("pubkey"), "hex"), power: BigInt(attr("power")) });
  }
  return out;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");
const parse = (bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString("utf8"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** Signing info header: offset, missed, tracked (u32 each), then the ring. */
const SIGNING_HEADER = 12;

/**
 * Validators, delegations, unbonding entries, signing windows and the active set. Every token
 * bonded or unbonding sits in STAKING_POOL's bank balance (the `staking-pool` invariant).
 */
export class StakingKeeper {
  constructor(
    readonly params: StakingParamsStore,
    private readonly bank: BankKeeper,
  ) {}

  private view(kv: KVStore): PrefixStore {
    return new PrefixStore(kv, STAKING);
  }

  validator(kv: KVStore, operator: string): Validator | undefined {
    const bytes = this.view(kv).get(validatorKey(operator));
    return bytes ? decodeValidator(bytes) : undefined;
  }

  /** Every validator, in operator-address byte order. */
  *validators(kv: KVStore): Iterable<Validator> {
    for (const [, bytes] of this.view(kv).iterate(VALIDATOR)) yield decodeValidator(bytes);
  }

  setValidator(kv: KVStore, v: Validator): void {
    this.view(kv).set(validatorKey(v.operator), encodeValidator(v));
  }

  operatorOfConsensus(kv: KVStore, consAddr: Uint8Array): string | undefined {
    const bytes = this.view(kv).get(consensusKey(consAddr));
    return bytes ? encodeAddress(bytes) : undefined;
  }

  /** A validator that may take delegations: it exists and is not jailed. */
  requireActiveValidator(kv: KVStore, operator: string): Validator {
    const v = this.validator(kv, operator);
    if (!v)
      throw new BttError("NOT_FOUND", `no validator with operator ${operator}`, { validator: operator });
    if (v.jailed) {
      throw new BttError("UNAUTHORIZED", `validator ${operator} is jailed`, {
        validator: operator,
        reason: "jailed",
      });
    }
    return v;
  }

  createValidator(ctx: Context, v: Omit<Validator, "tokens" | "jailed">, selfDelegation: bigint): void {
    if (this.validator(ctx.kv, v.operator)) {
      throw new BttError("CONFLICT", `${v.operator} already operates a validator`, { validator: v.operator });
    }
    const pubkey = Buffer.from(v.consensusPubkey, "hex");
    const consAddr = consensusAddress(pubkey);
    if (this.view(ctx.kv).get(consensusKey(consAddr))) {
      throw new BttError("CONFLICT", "another validator already uses this consensus key", {
        consensus_pubkey: v.consensusPubkey,
      });
    }
    this.view(ctx.kv).set(consensusKey(consAddr), addressBytes(v.operator));
    this.setValidator(ctx.kv, { ...v, tokens: 0n, jailed: false });
    ctx.emit(
      ledgerEvent("staking/create_validator", {
        validator: v.operator,
        consensus_address: hex(consAddr).toUpperCase(),
      }),
    );
    this.delegate(ctx, v.operator, v.operator, selfDelegation);
  }

  delegation(kv: KVStore, validator: string, delegator: string): bigint {
    const bytes = this.view(kv).get(delegationKey(validator, delegator));
    return bytes ? BigInt(Buffer.from(bytes).toString("utf8")) : 0n;
  }

  /** Every delegation: [validator, delegator, amount], in key order. */
  *delegations(kv: KVStore): Iterable<[string, string, bigint]> {
    for (const [key, value] of this.view(kv).iterate(DELEGATION)) {
      yield [
        encodeAddress(key.subarray(1, 21)),
        encodeAddress(key.subarray(21, 41)),
        BigInt(Buffer.from(value).toString("utf8")),
      ];
    }
  }

  /** One validator's delegations: [delegator, amount], in delegator-address byte order. */
  delegationsTo(kv: KVStore, validator: string): Array<[string, bigint]> {
    const out: Array<[string, bigint]> = [];
    for (const [key, value] of this.view(kv).iterate(delegationsPrefix(validator))) {
      out.push([encodeAddress(key.subarray(21, 41)), BigInt(Buffer.from(value).toString("utf8"))]);
    }
    return out;
  }

  setDelegation(kv: KVStore, validator: string, delegator: string, amount: bigint): void {
    const key = delegationKey(validator, delegator);
    if (amount === 0n) this.view(kv).delete(key);
    else this.view(kv).set(key, Buffer.from(amount.toString(), "utf8"));
  }

  delegate(ctx: Context, validator: string, delegator: string, amount: bigint): void {
    const v = this.requireActiveValidator(ctx.kv, validator);
    const { bondDenom } = this.params.read(ctx.kv);
    this.bank.send(ctx, delegator, STAKING_POOL, [{ denom: bondDenom, amount }], false);
    this.setDelegation(ctx.kv, validator, delegator, this.delegation(ctx.kv, validator, delegator) + amount);
    this.setValidator(ctx.kv, { ...v, tokens: v.tokens + amount });
    ctx.emit(ledgerEvent("staking/delegate", { delegator, validator, amount: `${amount}${bondDenom}` }));
  }

  /** Unbonds now; the tokens are paid back by the end-block of `height + unbonding_blocks`. */
  undelegate(ctx: Context, validator: string, delegator: string, amount: bigint): UnbondingEntry {
    const v = this.validator(ctx.kv, validator);
    if (!v) throw new BttError("NOT_FOUND", `no validator with operator ${validator}`, { validator });
    const held = this.delegation(ctx.kv, validator, delegator);
    if (amount > held) {
      throw new BttError(
        "INSUFFICIENT_FUNDS",
        `${delegator} has ${held} delegated to ${validator}, cannot undelegate ${amount}`,
        { delegator, validator, delegated: held.toString(), requested: amount.toString() },
      );
    }
    const p = this.params.read(ctx.kv);
    this.setDelegation(ctx.kv, validator, delegator, held - amount);
    this.setValidator(ctx.kv, { ...v, tokens: v.tokens - amount });
    const entry: UnbondingEntry = {
      delegator,
      validator,
      amount,
      matureHeight: ctx.block.height + p.unbondingBlocks,
      creationHeight: ctx.block.height,
    };
    this.putUnbonding(ctx.kv, entry);
    ctx.emit(
      ledgerEvent("staking/undelegate", {
        delegator,
        validator,
        amount: `${amount}${p.bondDenom}`,
        mature_height: entry.matureHeight.toString(),
      }),
    );
    return entry;
  }

  /**
   * Moves `amount` of a delegation to another validator at once (no unbonding, the pool is
   * untouched). The destination must exist and not be jailed.
   */
  redelegate(ctx: Context, delegator: string, src: string, dst: string, amount: bigint): void {
    if (src === dst) {
      throw new BttError("INVALID_MESSAGE", "src_validator and dst_validator are the same", {
        reason: "same_validator",
      });
    }
    const from = this.validator(ctx.kv, src);
    if (!from) throw new BttError("NOT_FOUND", `no validator with operator ${src}`, { validator: src });
    const to = this.requireActiveValidator(ctx.kv, dst);
    const held = this.delegation(ctx.kv, src, delegator);
    if (amount > held) {
      throw new BttError(
        "INSUFFICIENT_FUNDS",
        `${delegator} has ${held} delegated to ${src}, cannot redelegate ${amount}`,
        { delegator, validator: src, delegated: held.toString(), requested: amount.toString() },
      );
    }
    this.setDelegation(ctx.kv, src, delegator, held - amount);
    this.setValidator(ctx.kv, { ...from, tokens: from.tokens - amount });
    this.setDelegation(ctx.kv, dst, delegator, this.delegation(ctx.kv, dst, delegator) + amount);
    this.setValidator(ctx.kv, { ...to, tokens: to.tokens + amount });
    const { bondDenom, unbondingBlocks } = this.params.read(ctx.kv);
    this.putRedelegation(ctx.kv, {
      delegator,
      src,
      dst,
      amount,
      creationHeight: ctx.block.height,
      matureHeight: ctx.block.height + unbondingBlocks,
    });
    ctx.emit(
      ledgerEvent("staking/redelegate", {
        delegator,
        src_validator: src,
        dst_validator: dst,
        amount: `${amount}${bondDenom}`,
      }),
    );
  }

  putUnbonding(kv: KVStore, e: UnbondingEntry): void {
    this.view(kv).set(unbondingKey(e.matureHeight, this.nextSeq(kv)), unbondingJson(e));
  }

  putRedelegation(kv: KVStore, e: RedelegationEntry): void {
    this.view(kv).set(
      redelegationKey(e.matureHeight, this.nextSeq(kv)),
      json({
        delegator: e.delegator,
        src: e.src,
        dst: e.dst,
        amount: e.amount.toString(),
        creation_height: e.creationHeight.toString(),
      }),
    );
  }

  /** Redelegations still within their unbonding period, in maturity order. */
  redelegations(kv: KVStore): RedelegationEntry[] {
    const out: RedelegationEntry[] = [];
    for (const [key, value] of this.view(kv).iterate(REDELEGATION)) {
      const o = parse(value);
      out.push({
        delegator: o.delegator,
        src: o.src,
        dst: o.dst,
        amount: BigInt(o.amount),
        creationHeight: BigInt(o.creation_height),
        matureHeight: new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0),
      });
    }
    return out;
  }

  /** Forgets redelegations whose unbonding period is over: they can no longer be slashed. */
  pruneRedelegations(ctx: Context): void {
    const view = this.view(ctx.kv);
    const due: Uint8Array[] = [];
    for (const [key] of view.iterate(REDELEGATION)) {
      if (new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0) > ctx.block.height) break;
      due.push(key);
    }
    for (const key of due) view.delete(key);
  }

  /** The next sequence number of unbonding and redelegation entries (ties within one height). */
  private nextSeq(kv: KVStore): bigint {
    const view = this.view(kv);
    const seqBytes = view.get(NEXT_SEQ_KEY);
    const seq = seqBytes ? BigInt(Buffer.from(seqBytes).toString("utf8")) : 0n;
    view.set(NEXT_SEQ_KEY, Buffer.from((seq + 1n).toString(), "utf8"));
    return seq;
  }

  /** Every unbonding entry with its state key (maturity order), for slashing to rewrite. */
  unbondingRecords(kv: KVStore): Array<[Uint8Array, UnbondingEntry]> {
    const out: Array<[Uint8Array, UnbondingEntry]> = [];
    for (const [key, value] of this.view(kv).iterate(UNBONDING)) out.push([key, decodeUnbonding(key, value)]);
    return out;
  }

  /** Rewrites an entry in place (amount 0 deletes it). */
  rewriteUnbonding(kv: KVStore, key: Uint8Array, e: UnbondingEntry): void {
    if (e.amount === 0n) this.view(kv).delete(key);
    else this.view(kv).set(key, unbondingJson(e));
  }

  /** Unbonding entries in maturity order. */
  *unbondings(kv: KVStore): Iterable<UnbondingEntry> {
    for (const [key, value] of this.view(kv).iterate(UNBONDING)) yield decodeUnbonding(key, value);
  }

  /** Pays back every entry mature at `ctx.block.height`, from the pool. */
  matureUnbondings(ctx: Context): void {
    const { bondDenom } = this.params.read(ctx.kv);
    const view = this.view(ctx.kv);
    const due: Array<[Uint8Array, UnbondingEntry]> = [];
    for (const [key, value] of view.iterate(UNBONDING)) {
      const entry = decodeUnbonding(key, value);
      if (entry.matureHeight > ctx.block.height) break;
      due.push([key, entry]);
    }
    for (const [key, e] of due) {
      view.delete(key);
      this.bank.send(ctx, STAKING_POOL, e.delegator, [{ denom: bondDenom, amount: e.amount }], false);
      ctx.emit(
        ledgerEvent("staking/unbonding_complete", {
          delegator: e.delegator,
          validator: e.validator,
          amount: `${e.amount}${bondDenom}`,
        }),
      );
    }
  }

  setRating(ctx: Context, validator: string, ratingPpm: bigint): void {
    const v = this.validator(ctx.kv, validator);
    if (!v) throw new BttError("NOT_FOUND", `no validator with operator ${validator}`, { validator });
    this.setValidator(ctx.kv, { ...v, ratingPpm });
  }

  /** Missed blocks among the last W of a consensus key (0 when never tracked). */
  missed(kv: KVStore, consAddr: Uint8Array, window: number): number {
    const info = this.signingInfo(kv, consAddr, window);
    return info.missed;
  }

  /** A consensus key's ring of the last W blocks (all zero when never tracked). */
  signingInfo(
    kv: KVStore,
    consAddr: Uint8Array,
    window = this.params.read(kv).signedBlocksWindow,
  ): SigningInfo {
    const bytes = this.view(kv).get(signingKey(consAddr));
    const size = Math.ceil(window / 8);
    // A window changed by governance restarts the count.
    if (!bytes || bytes.length !== SIGNING_HEADER + size) {
      return { offset: 0, missed: 0, tracked: 0, bitmap: new Uint8Array(size) };
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, SIGNING_HEADER);
    return {
      offset: dv.getUint32(0),
      missed: dv.getUint32(4),
      tracked: dv.getUint32(8),
      bitmap: Uint8Array.from(bytes.subarray(SIGNING_HEADER)),
    };
  }

  /** Forgets a key's ring: a jailed validator starts afresh (H = 1, W blocks before judged again). */
  resetSigning(kv: KVStore, consAddr: Uint8Array): void {
    this.view(kv).delete(signingKey(consAddr));
  }

  /**
   * Records the previous block's commit: one bit per validator per block in a ring of W bits
   * (1 = missed) and a running count of the ones. Keys no validator uses are ignored, and so
   * are jailed validators (CometBFT still lists them for the two blocks after they leave).
   * Returns the operators recorded, for the downtime check.
   */
  recordSigners(ctx: Context, signers: readonly BlockSigner[]): string[] {
    const window = this.params.read(ctx.kv).signedBlocksWindow;
    const recorded: string[] = [];
    for (const s of signers) {
      const consAddr = Buffer.from(s.address, "hex");
      if (consAddr.length !== 20) continue;
      const operator = this.operatorOfConsensus(ctx.kv, consAddr);
      if (!operator || this.validator(ctx.kv, operator)?.jailed !== false) continue;
      recorded.push(operator);
      const info = this.signingInfo(ctx.kv, consAddr, window);
      const byteAt = info.offset >> 3;
      const bit = 1 << (info.offset & 7);
      const wasMissed = (info.bitmap[byteAt]! & bit) !== 0;
      if (wasMissed) info.missed -= 1;
      if (s.signed) info.bitmap[byteAt]! &= ~bit;
      else {
        info.bitmap[byteAt]! |= bit;
        info.missed += 1;
      }
      const out = new Uint8Array(SIGNING_HEADER + info.bitmap.length);
      const dv = new DataView(out.buffer);
      dv.setUint32(0, (info.offset + 1) % window);
      dv.setUint32(4, info.missed);
      dv.setUint32(8, Math.min(info.tracked + 1, window));
      out.set(info.bitmap, SIGNING_HEADER);
      this.view(ctx.kv).set(signingKey(consAddr), out);
    }
    return recorded;
  }

  /** The candidates' scores: not jailed, bonded tokens > 0, rated at least params.min_rating_ppm. */
  scores(kv: KVStore, p: StakingParams = this.params.read(kv)): Array<Score & { validator: Validator }> {
    const candidates = [...this.validators(kv)].filter(
      (v) => !v.jailed && v.tokens > 0n && (v.ratingPpm ?? p.defaultRatingPpm) >= p.minRatingPpm,
    );
    const byKey = new Map(candidates.map((v) => [hex(addressBytes(v.operator)), v]));
    const scores = scoreAll(
      p,
      candidates.map((v) => ({
        key: hex(addressBytes(v.operator)),
        tokens: v.tokens,
        missed: this.missed(
          kv,
          consensusAddress(Buffer.from(v.consensusPubkey, "hex")),
          p.signedBlocksWindow,
        ),
        ratingPpm: v.ratingPpm ?? p.defaultRatingPpm,
      })),
    );
    return scores.map((s) => ({ ...s, validator: byKey.get(s.key)! }));
  }

  activeSet(kv: KVStore): ActiveMember[] {
    const bytes = this.view(kv).get(ACTIVE_SET_KEY);
    if (!bytes) return [];
    return (parse(bytes) as Array<{ operator: string; consensus_pubkey: string; power: string }>).map(
      (m) => ({
        operator: m.operator,
        consensusPubkey: m.consensus_pubkey,
        power: BigInt(m.power),
      }),
    );
  }

  /**
   * Epoch end: scores every candidate, takes the top N as the active set, stores it, and emits
   * one `staking/validator_update` event per consensus key whose power changed (0 = leaves),
   * ordered by public key. Returns those updates.
   */
  endEpoch(ctx: Context): ValidatorUpdate[] {
    const p = this.params.read(ctx.kv);
    const chosen = activeSet(p, this.scores(ctx.kv, p)) as Array<Score & { validator: Validator }>;
    const next: ActiveMember[] = chosen.map((s) => ({
      operator: s.validator.operator,
      consensusPubkey: s.validator.consensusPubkey,
      power: votingPower(s.vPpm),
    }));
    const previous = this.activeSet(ctx.kv);
    // CometBFT halts on an update that leaves it no validator: an epoch without a candidate
    // keeps the set in force.
    if (next.length === 0 && previous.length > 0) {
      ctx.emit(ledgerEvent("staking/empty_set_kept", { validators: previous.length.toString() }));
      return [];
    }
    const before = new Map(previous.map((m) => [m.consensusPubkey, m.power]));
    const after = new Map(next.map((m) => [m.consensusPubkey, m.power]));
    const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
    const updates: ValidatorUpdate[] = [];
    for (const key of keys) {
      const power = after.get(key) ?? 0n;
      if (before.get(key) === power) continue;
      updates.push({ pubKey: Buffer.from(key, "hex"), power });
      ctx.emit(ledgerEvent(VALIDATOR_UPDATE_EVENT, { pubkey: key, power: power.toString() }));
    }
    this.storeActiveSet(ctx.kv, next);
    return updates;
  }

  /**
   * Takes jailed validators out of the active set at once (not at the epoch end): one power-0
   * `staking/validator_update` each, so CometBFT drops them two blocks later. A removal that
   * would leave no validator is not made (CometBFT halts on an empty set).
   */
  dropJailed(ctx: Context): ValidatorUpdate[] {
    const members = this.activeSet(ctx.kv);
    const kept = members.filter((m) => this.validator(ctx.kv, m.operator)?.jailed !== true);
    if (kept.length === members.length) return [];
    if (kept.length === 0) {
      ctx.emit(ledgerEvent("staking/empty_set_kept", { validators: members.length.toString() }));
      return [];
    }
    const keptKeys = new Set(kept.map((m) => m.consensusPubkey));
    const updates: ValidatorUpdate[] = [];
    for (const key of members.map((m) => m.consensusPubkey).sort()) {
      if (keptKeys.has(key)) continue;
      updates.push({ pubKey: Buffer.from(key, "hex"), power: 0n });
      ctx.emit(ledgerEvent(VALIDATOR_UPDATE_EVENT, { pubkey: key, power: "0" }));
    }
    this.storeActiveSet(ctx.kv, kept);
    return updates;
  }

  private storeActiveSet(kv: KVStore, members: readonly ActiveMember[]): void {
    this.view(kv).set(
      ACTIVE_SET_KEY,
      json(
        members.map((m) => ({
          operator: m.operator,
          consensus_pubkey: m.consensusPubkey,
          power: m.power.toString(),
        })),
      ),
    );
  }

  /** An account's balance of the bond denomination. */
  bondBalance(kv: KVStore, address: string): bigint {
    return this.bank.balance(kv, address, this.params.read(kv).bondDenom);
  }

  /** Total bonded and unbonding tokens: what STAKING_POOL must hold. */
  pooled(kv: KVStore): bigint {
    let total = 0n;
    for (const [, , amount] of this.delegations(kv)) total += amount;
    for (const e of this.unbondings(kv)) total += e.amount;
    return total;
  }
}

function encodeValidator(v: Validator): Uint8Array {
  return json({
    operator: v.operator,
    consensus_pubkey: v.consensusPubkey,
    description: {
      moniker: v.description.moniker,
      website: v.description.website,
      details: v.description.details,
    },
    commission_rate_ppm: v.commissionRatePpm.toString(),
    commission_max_rate_ppm: v.commissionMaxRatePpm.toString(),
    commission_max_change_ppm: v.commissionMaxChangePpm.toString(),
    tokens: v.tokens.toString(),
    jailed: v.jailed,
    ...(v.ratingPpm === undefined ? {} : { rating_ppm: v.ratingPpm.toString() }),
    ...(v.jailedUntil === undefined ? {} : { jailed_until: v.jailedUntil.toString() }),
    ...(v.tombstoned ? { tombstoned: true } : {}),
  });
}

function decodeValidator(bytes: Uint8Array): Validator {
  const o = parse(bytes);
  return {
    operator: o.operator,
    consensusPubkey: o.consensus_pubkey,
    description: o.description,
    commissionRatePpm: BigInt(o.commission_rate_ppm),
    commissionMaxRatePpm: BigInt(o.commission_max_rate_ppm),
    commissionMaxChangePpm: BigInt(o.commission_max_change_ppm),
    tokens: BigInt(o.tokens),
    jailed: o.jailed,
    ...(o.rating_ppm === undefined ? {} : { ratingPpm: BigInt(o.rating_ppm) }),
    ...(o.jailed_until === undefined ? {} : { jailedUntil: BigInt(o.jailed_until) }),
    ...(o.tombstoned ? { tombstoned: true } : {}),
  };
}

function unbondingJson(e: UnbondingEntry): Uint8Array {
  return json({
    delegator: e.delegator,
    validator: e.validator,
    amount: e.amount.toString(),
    ...(e.creationHeight === undefined ? {} : { creation_height: e.creationHeight.toString() }),
  });
}

function decodeUnbonding(key: Uint8Array, value: Uint8Array): UnbondingEntry {
  const o = parse(value);
  const matureHeight = new DataView(key.buffer, key.byteOffset + 1, 8).getBigUint64(0);
  return {
    delegator: o.delegator,
    validator: o.validator,
    amount: BigInt(o.amount),
    matureHeight,
    ...(o.creation_height === undefined ? {} : { creationHeight: BigInt(o.creation_height) }),
  };
}
