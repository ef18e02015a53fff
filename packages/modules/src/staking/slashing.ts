// Jailing and slashing: downtime judged from the signing ring at every begin-block, double
// signing from CometBFT's misbehavior evidence. Slashed tokens are burnt from STAKING_POOL.
import { BttError } from "@btt/core";
import type { BankKeeper } from "../bank/keeper.ts";
import { ledgerEvent } from "../framework/events.ts";
import type { BlockMisbehavior, Context } from "../framework/module.ts";
import { consensusAddress, STAKING_POOL, type StakingKeeper, type Validator } from "./keeper.ts";
import { PPM } from "./params.ts";

const min = (a: bigint, b: bigint) => (a < b ? a : b);

export type SlashReason = "downtime" | "double_sign";

/**
 * What one slash took: from delegations (bonded), from unbonding entries, and from stake
 * redelegated away from the validator after the offence (taken at its new validator).
 */
export interface SlashOutcome {
  bonded: bigint;
  unbonding: bigint;
  redelegated: bigint;
}

export class Slashing {
  constructor(
    private readonly keeper: StakingKeeper,
    private readonly bank: BankKeeper,
  ) {}

  /**
   * Burns `ppm` of every delegation to `operator` (each floored on its own, so the total is
   * Σ⌊d·ppm/10⁶⌋) and of its unbonding entries made at or after `infractionHeight` (those
   * made earlier had left before the offence). The validator's tokens drop by the bonded part.
   */
  slash(
    ctx: Context,
    operator: string,
    ppm: bigint,
    infractionHeight: bigint,
    reason: SlashReason,
  ): SlashOutcome {
    const v = this.keeper.validator(ctx.kv, operator);
    if (!v) throw new BttError("NOT_FOUND", `no validator with operator ${operator}`);
    let bonded = 0n;
    for (const [delegator, amount] of this.keeper.delegationsTo(ctx.kv, operator)) {
      const cut = (amount * ppm) / PPM;
      if (cut === 0n) continue;
      this.keeper.setDelegation(ctx.kv, operator, delegator, amount - cut);
      bonded += cut;
    }
    let unbonding = 0n;
    for (const [key, e] of this.keeper.unbondingRecords(ctx.kv)) {
      // Entries written before creation heights were kept have none: treated as older.
      if (e.validator !== operator || (e.creationHeight ?? -1n) < infractionHeight) continue;
      const cut = (e.amount * ppm) / PPM;
      if (cut === 0n) continue;
      this.keeper.rewriteUnbonding(ctx.kv, key, { ...e, amount: e.amount - cut });
      unbonding += cut;
    }
    this.keeper.setValidator(ctx.kv, { ...v, tokens: v.tokens - bonded });
    const redelegated = this.slashRedelegations(ctx, operator, ppm, infractionHeight);
    const { bondDenom } = this.keeper.params.read(ctx.kv);
    const burnt = bonded + unbonding + redelegated;
    if (burnt > 0n) this.bank.burn(ctx, STAKING_POOL, { denom: bondDenom, amount: burnt });
    ctx.emit(
      ledgerEvent("staking/slash", {
        validator: operator,
        reason,
        slash_ppm: ppm.toString(),
        infraction_height: infractionHeight.toString(),
        bonded_burnt: `${bonded}${bondDenom}`,
        unbonding_burnt: `${unbonding}${bondDenom}`,
        redelegated_burnt: `${redelegated}${bondDenom}`,
      }),
    );
    return { bonded, unbonding, redelegated };
  }

  /**
   * Stake moved from `operator` at or after `infractionHeight` answers at its destination:
   * ⌊amount·ppm/10⁶⌋ of each such redelegation is taken from the delegator's delegation to the
   * destination (as much as is left of it: it may have been undelegated since) and burnt.
   */
  private slashRedelegations(ctx: Context, operator: string, ppm: bigint, infractionHeight: bigint): bigint {
    let taken = 0n;
    for (const r of this.keeper.redelegations(ctx.kv)) {
      if (r.src !== operator || r.creationHeight < infractionHeight) continue;
      const held = this.keeper.delegation(ctx.kv, r.dst, r.delegator);
      const cut = min((r.amount * ppm) / PPM, held);
      const dst = this.keeper.validator(ctx.kv, r.dst);
      if (cut === 0n || !dst) continue;
      this.keeper.setDelegation(ctx.kv, r.dst, r.delegator, held - cut);
      this.keeper.setValidator(ctx.kv, { ...dst, tokens: dst.tokens - cut });
      taken += cut;
    }
    return taken;
  }

  /** Jails a validator (it leaves the active set at this block's end) and forgets its ring. */
  jail(ctx: Context, v: Validator, reason: SlashReason, until: bigint, tombstone: boolean): void {
    const current = this.keeper.validator(ctx.kv, v.operator) ?? v;
    this.keeper.setValidator(ctx.kv, {
      ...current,
      jailed: true,
      jailedUntil: until,
      ...(tombstone ? { tombstoned: true } : {}),
    });
    this.keeper.resetSigning(ctx.kv, consensusAddress(Buffer.from(v.consensusPubkey, "hex")));
    ctx.emit(
      ledgerEvent("staking/jail", {
        validator: v.operator,
        reason,
        ...(tombstone ? { tombstoned: "true" } : { jailed_until: until.toString() }),
      }),
    );
  }

  /**
   * After recordSigners: each recorded validator with W blocks tracked whose misses exceed
   * downtime_missed_ppm of W is slashed downtime_slash_ppm and jailed for downtime_jail_blocks.
   * The offence is dated at the previous block (the commit that showed the miss).
   */
  checkDowntime(ctx: Context, operators: readonly string[]): void {
    const p = this.keeper.params.read(ctx.kv);
    const window = BigInt(p.signedBlocksWindow);
    for (const operator of operators) {
      const v = this.keeper.validator(ctx.kv, operator);
      if (!v || v.jailed) continue;
      const info = this.keeper.signingInfo(
        ctx.kv,
        consensusAddress(Buffer.from(v.consensusPubkey, "hex")),
        p.signedBlocksWindow,
      );
      if (BigInt(info.tracked) < window) continue;
      if (BigInt(info.missed) * PPM <= p.downtimeMissedPpm * window) continue;
      this.slash(ctx, operator, p.downtimeSlashPpm, ctx.block.height - 1n, "downtime");
      this.jail(ctx, v, "downtime", ctx.block.height + p.downtimeJailBlocks, false);
    }
  }

  /**
   * CometBFT's evidence (duplicate votes, light-client attacks): double_sign_slash_ppm, dated
   * at the evidence height, and a permanent jail. Keys no validator uses and validators
   * already tombstoned are passed over (one offence is punished once).
   */
  handleEvidence(ctx: Context, evidence: readonly BlockMisbehavior[]): void {
    const p = this.keeper.params.read(ctx.kv);
    for (const e of evidence) {
      const consAddr = Buffer.from(e.address, "hex");
      if (consAddr.length !== 20) continue;
      const operator = this.keeper.operatorOfConsensus(ctx.kv, consAddr);
      const v = operator ? this.keeper.validator(ctx.kv, operator) : undefined;
      if (!v || v.tombstoned) continue;
      ctx.emit(
        ledgerEvent("staking/evidence", {
          validator: v.operator,
          type: e.type,
          height: e.height.toString(),
        }),
      );
      this.slash(ctx, v.operator, p.doubleSignSlashPpm, e.height, "double_sign");
      this.jail(ctx, v, "double_sign", 0n, true);
    }
  }

  /** staking/Unjail: back among the candidates (the set is chosen again at the next epoch end). */
  unjail(ctx: Context, operator: string): void {
    const v = this.keeper.validator(ctx.kv, operator);
    if (!v) throw new BttError("NOT_FOUND", `${operator} operates no validator`, { validator: operator });
    if (!v.jailed) {
      throw new BttError("CONFLICT", `validator ${operator} is not jailed`, {
        validator: operator,
        reason: "not_jailed",
      });
    }
    if (v.tombstoned) {
      throw new BttError("UNAUTHORIZED", `validator ${operator} is banned for double signing`, {
        validator: operator,
        reason: "tombstoned",
      });
    }
    const until = v.jailedUntil ?? 0n;
    if (ctx.block.height < until) {
      throw new BttError("UNAUTHORIZED", `validator ${operator} is jailed until height ${until}`, {
        validator: operator,
        reason: "jail_period",
        until_height: until.toString(),
      });
    }
    this.keeper.setValidator(ctx.kv, { ...v, jailed: false });
    ctx.emit(ledgerEvent("staking/unjail", { validator: operator }));
  }
}
