import { MsgRedelegateSchema, MsgUnjailSchema } from "@btt/core";
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FEE_COLLECTOR } from "../src/auth/ante.ts";
import type { LedgerEvent } from "../src/framework/events.ts";
import type { BlockSigner } from "../src/framework/module.ts";
import { REWARDS_POOL, STAKING_POOL, validatorUpdatesOf } from "./staking-exports.ts";
import {
  address,
  chain,
  consHex,
  consKey,
  createMsg,
  delegate,
  failure,
  undelegate,
} from "./staking-harness.ts";

const redelegate = (src: string, dst: string, amount: string) =>
  create(MsgRedelegateSchema, { srcValidator: src, dstValidator: dst, amount });
const unjail = () => create(MsgUnjailSchema, {});
const signers = (...votes: Array<[number, boolean]>): BlockSigner[] =>
  votes.map(([i, signed]) => ({ address: consHex(i), signed }));
const named = (events: readonly LedgerEvent[], type: string) =>
  events
    .filter((e) => e.type === type)
    .map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
const keyHex = (i: number) => Buffer.from(consKey(i)).toString("hex");

const query = (c: ReturnType<typeof chain>, name: string, params: Record<string, string> = {}) =>
  c.staking.queries.find((q) => q.name === name)!.handle({ kv: c.kv, height: c.height }, params);

/** The sum of every balance of ubtt: what the bank's supply must equal. */
function balancesTotal(c: ReturnType<typeof chain>): bigint {
  let total = 0n;
  for (const [, denom, amount] of c.bank.keeper.allBalances(c.kv)) if (denom === "ubtt") total += amount;
  return total;
}

describe("staking: downtime", () => {
  it("jails after W tracked blocks with misses above the share, slashes 1%, drops the validator at once", () => {
    const c = chain({
      signed_blocks_window: 4,
      epoch_blocks: "12",
      downtime_jail_blocks: "5",
      unbonding_blocks: "50",
    });
    const [v1, v2, d] = [address(1), address(2), address(3)];
    c.run("staking/CreateValidator", v1, createMsg(1));
    c.run("staking/CreateValidator", v2, createMsg(2));
    c.run("staking/Delegate", d, delegate(v2, "700"));
    expect(validatorUpdatesOf(c.endBlock(signers([1, true], [2, false])))).toHaveLength(2); // h1: set {v1, v2}
    const supply = c.supply();
    // h2 (1 of 4 tracked): an undelegation before the offence height.
    c.run("staking/Undelegate", d, undelegate(v2, "100"));
    c.endBlock(signers([1, true], [2, false])); // h3 recorded
    expect(named(c.endBlock(signers([1, true], [2, false])), "staking/jail")).toEqual([]); // h4: 3 tracked
    // h4: an undelegation at the offence height (the commit read at h5 is h4's).
    c.run("staking/Undelegate", d, undelegate(v2, "100"));
    expect(c.keeper.validator(c.kv, v2)!.jailed).toBe(false);
    const out = c.endBlock(signers([1, true], [2, false])); // h5: 4 tracked, 4 missed > 2
    expect(c.height).toBe(5n);
    expect(named(out, "staking/jail")).toEqual([{ validator: v2, reason: "downtime", jailed_until: "10" }]);
    // ⌊1000·1%⌋ = 10 from the operator, ⌊500·1%⌋ = 5 from d, ⌊100·1%⌋ = 1 from the h4 entry, 0 from h2's.
    expect(named(out, "staking/slash")).toEqual([
      {
        validator: v2,
        reason: "downtime",
        slash_ppm: "10000",
        infraction_height: "4",
        bonded_burnt: "15ubtt",
        unbonding_burnt: "1ubtt",
        redelegated_burnt: "0ubtt",
      },
    ]);
    expect(c.keeper.delegation(c.kv, v2, v2)).toBe(990n);
    expect(c.keeper.delegation(c.kv, v2, d)).toBe(495n);
    expect(c.keeper.validator(c.kv, v2)!.tokens).toBe(1485n);
    expect([...c.keeper.unbondings(c.kv)].map((e) => [e.creationHeight, e.amount])).toEqual([
      [2n, 100n],
      [4n, 99n],
    ]);
    expect(c.supply()).toBe(supply - 16n);
    expect(balancesTotal(c)).toBe(c.supply());
    expect(c.balance(STAKING_POOL)).toBe(c.keeper.pooled(c.kv));
    expect(c.keeper.signingInfo(c.kv, Buffer.from(consHex(2), "hex")).tracked).toBe(0);
    expect(query(c, "signing_info", { operator: v2 })).toEqual({
      operator: v2,
      consensus_address: consHex(2),
      window: 4,
      missed: 0,
      tracked: 0,
      jailed: true,
      jailed_until: "10",
      tombstoned: false,
    });
    expect(query(c, "signing_info", { operator: v1 })).toMatchObject({
      missed: 0,
      tracked: 4,
      jailed: false,
    });
    expect(query(c, "validator", { operator: v2 })).toMatchObject({ tokens: "1485", jailed_until: "10" });

    // h5's end-block: power 0 for v2 in the same block; the set keeps v1 only.
    const h5 = c.endBlock(signers([1, true], [2, false]));
    expect(validatorUpdatesOf(h5).map((u) => [Buffer.from(u.pubKey).toString("hex"), u.power])).toEqual([
      [keyHex(2), 0n],
    ]);
    expect(c.keeper.activeSet(c.kv).map((m) => m.operator)).toEqual([v1]);
    // CometBFT still lists v2 for two blocks: nothing is recorded for a jailed validator.
    c.endBlock(signers([1, true], [2, false]));
    expect(c.keeper.signingInfo(c.kv, Buffer.from(consHex(2), "hex")).tracked).toBe(0);
    expect(failure(() => c.run("staking/Delegate", d, delegate(v2, "1"))).details?.reason).toBe("jailed");

    // Unjail: refused before height 10, accepted at 10; back in the set at the next epoch end (12).
    while (c.height < 9n) c.endBlock(signers([1, true]));
    expect(failure(() => c.run("staking/Unjail", v2, unjail()))).toEqual({
      code: "UNAUTHORIZED",
      details: { validator: v2, reason: "jail_period", until_height: "10" },
    });
    expect(failure(() => c.run("staking/Unjail", d, unjail())).code).toBe("NOT_FOUND");
    expect(failure(() => c.run("staking/Unjail", v1, unjail())).details?.reason).toBe("not_jailed");
    c.endBlock(signers([1, true]));
    c.run("staking/Unjail", v2, unjail());
    expect(c.keeper.validator(c.kv, v2)!.jailed).toBe(false);
    c.endBlock(signers([1, true])); // h10 → 11
    const epoch = c.endBlock(signers([1, true])); // h11 → 12
    expect(validatorUpdatesOf(epoch)).toEqual([]);
    const back = c.endBlock(signers([1, true])); // h12: epoch end
    expect(validatorUpdatesOf(back).map((u) => Buffer.from(u.pubKey).toString("hex"))).toContain(keyHex(2));
  });

  it("misses at exactly the share, or before W blocks are tracked, do not jail", () => {
    const c = chain({ signed_blocks_window: 4, epoch_blocks: "100" });
    const [v1, v2] = [address(1), address(2)];
    c.run("staking/CreateValidator", v1, createMsg(1));
    c.run("staking/CreateValidator", v2, createMsg(2));
    // v2 misses 2 of every 4: exactly 50%, not above it.
    for (let i = 0; i < 12; i++) c.endBlock(signers([1, true], [2, i % 2 === 0]));
    expect(c.keeper.validator(c.kv, v2)!.jailed).toBe(false);
    const info = c.keeper.signingInfo(c.kv, Buffer.from(consHex(2), "hex"));
    expect([info.missed, info.tracked]).toEqual([2, 4]);
    // Three misses in a row now: 3 of the last 4 > 50%.
    c.endBlock(signers([1, true], [2, false]));
    expect(c.keeper.validator(c.kv, v2)!.jailed).toBe(true);
  });

  it("a removal that would leave CometBFT no validator is not made", () => {
    const c = chain({ signed_blocks_window: 2, epoch_blocks: "100" });
    const v1 = address(1);
    c.run("staking/CreateValidator", v1, createMsg(1));
    c.endBlock(signers([1, false]));
    const out = c.endBlock(signers([1, false])); // jailed at h3's begin-block (2 of 2 missed)
    expect(c.keeper.validator(c.kv, v1)!.jailed).toBe(true);
    const end = c.endBlock(signers([1, false]));
    expect(validatorUpdatesOf([...out, ...end])).toEqual([]);
    expect(named(end, "staking/empty_set_kept")).toEqual([{ validators: "1" }]);
  });
});

describe("staking: redelegations answer for the offences of the validator they left", () => {
  it("slashes stake moved away at or after the offence height at its new validator, up to what is left there", () => {
    const c = chain({ epoch_blocks: "100", unbonding_blocks: "50" });
    const [v1, v2, d, e] = [address(1), address(2), address(3), address(4)];
    c.run("staking/CreateValidator", v1, createMsg(1));
    c.run("staking/CreateValidator", v2, createMsg(2));
    c.run("staking/Delegate", d, delegate(v2, "700"));
    c.run("staking/Delegate", e, delegate(v2, "100"));
    c.endBlock(); // h1 → 2
    c.run("staking/Redelegate", d, redelegate(v2, v1, "100")); // at h2: before the offence
    c.endBlock(); // → 3
    c.run("staking/Redelegate", d, redelegate(v2, v1, "200")); // at h3: the offence height
    c.run("staking/Redelegate", e, redelegate(v2, v1, "100"));
    c.run("staking/Undelegate", e, undelegate(v1, "98")); // leaves e only 2 at v1
    const supply = c.supply();
    const out = c.endBlock(undefined, [{ type: "DUPLICATE_VOTE", address: consHex(2), height: 3n }]);
    // At v2: ⌊1000·5%⌋ + ⌊400·5%⌋ = 70. Moved at h3: ⌊200·5%⌋ = 10 from d at v1, and from e
    // ⌊100·5%⌋ = 5 capped at the 2 left. The h2 move is older than the offence: untouched.
    expect(named(out, "staking/slash")).toEqual([
      {
        validator: v2,
        reason: "double_sign",
        slash_ppm: "50000",
        infraction_height: "3",
        bonded_burnt: "70ubtt",
        unbonding_burnt: "0ubtt",
        redelegated_burnt: "12ubtt",
      },
    ]);
    expect(c.supply()).toBe(supply - 82n);
    expect(c.keeper.delegation(c.kv, v1, d)).toBe(290n);
    expect(c.keeper.delegation(c.kv, v1, e)).toBe(0n);
    expect(c.keeper.validator(c.kv, v1)!.tokens).toBe(1000n + 300n + 100n - 98n - 12n);
    expect(c.balance(STAKING_POOL)).toBe(c.keeper.pooled(c.kv));
    expect(balancesTotal(c)).toBe(c.supply());

    // Once their unbonding period is over, redelegations are forgotten: nothing to slash.
    expect(c.keeper.redelegations(c.kv).map((r) => r.matureHeight)).toEqual([52n, 53n, 53n]);
    while (c.height <= 53n) c.endBlock();
    expect(c.keeper.redelegations(c.kv)).toEqual([]);
    const late = c.staking.slashing.slash(c.context(), v2, 50_000n, 3n, "double_sign");
    expect(late.redelegated).toBe(0n);
    expect(c.keeper.delegation(c.kv, v1, d)).toBe(290n);
  });
});

describe("staking: double signing", () => {
  it("slashes 5% from the evidence height, tombstones, and ignores repeated or unknown evidence", () => {
    const c = chain({ epoch_blocks: "100", unbonding_blocks: "50" });
    const [v1, v2, d] = [address(1), address(2), address(3)];
    c.run("staking/CreateValidator", v1, createMsg(1));
    c.run("staking/CreateValidator", v2, createMsg(2));
    c.run("staking/Delegate", d, delegate(v2, "700"));
    c.endBlock(); // h1 → 2
    c.run("staking/Undelegate", d, undelegate(v2, "100")); // at h2: before the offence
    c.endBlock(); // → 3
    c.run("staking/Undelegate", d, undelegate(v2, "100")); // at h3: the offence height
    const supply = c.supply();
    const out = c.endBlock(undefined, [
      { type: "DUPLICATE_VOTE", address: consHex(2), height: 3n },
      { type: "DUPLICATE_VOTE", address: consHex(2), height: 3n },
      { type: "DUPLICATE_VOTE", address: consHex(9), height: 3n },
    ]);
    // ⌊1000·5%⌋ = 50, ⌊500·5%⌋ = 25, the h3 entry ⌊100·5%⌋ = 5; the h2 entry untouched.
    expect(named(out, "staking/slash")).toEqual([
      {
        validator: v2,
        reason: "double_sign",
        slash_ppm: "50000",
        infraction_height: "3",
        bonded_burnt: "75ubtt",
        unbonding_burnt: "5ubtt",
        redelegated_burnt: "0ubtt",
      },
    ]);
    expect(named(out, "staking/jail")).toEqual([
      { validator: v2, reason: "double_sign", tombstoned: "true" },
    ]);
    expect(named(out, "staking/evidence")).toEqual([{ validator: v2, type: "DUPLICATE_VOTE", height: "3" }]);
    expect(c.supply()).toBe(supply - 80n);
    expect(c.keeper.validator(c.kv, v2)).toMatchObject({ tokens: 1425n, jailed: true, tombstoned: true });
    expect(c.balance(STAKING_POOL)).toBe(c.keeper.pooled(c.kv));
    expect(balancesTotal(c)).toBe(c.supply());
    const dropped = c.endBlock();
    expect(validatorUpdatesOf(dropped).map((u) => [Buffer.from(u.pubKey).toString("hex"), u.power])).toEqual([
      [keyHex(2), 0n],
    ]);
    // Banned for good: Unjail refused long after any jail period; new evidence changes nothing.
    while (c.height < 2000n) c.endBlock();
    expect(failure(() => c.run("staking/Unjail", v2, unjail())).details?.reason).toBe("tombstoned");
    const again = c.endBlock(undefined, [
      { type: "LIGHT_CLIENT_ATTACK", address: consHex(2), height: 1999n },
    ]);
    expect(named(again, "staking/slash")).toEqual([]);
    // Its delegators can still leave.
    c.run("staking/Undelegate", d, undelegate(v2, "475"));
  });
});

describe("staking: redelegate", () => {
  it("moves a delegation at once; refuses the same, an unknown or jailed destination, too much", () => {
    const c = chain();
    const [v1, v2, v3, d] = [address(1), address(2), address(3), address(4)];
    c.run("staking/CreateValidator", v1, createMsg(1));
    c.run("staking/CreateValidator", v2, createMsg(2));
    c.run("staking/CreateValidator", v3, createMsg(3));
    c.run("staking/Delegate", d, delegate(v1, "300"));
    const pool = c.balance(STAKING_POOL);
    c.run("staking/Redelegate", d, redelegate(v1, v2, "120"));
    expect([c.keeper.delegation(c.kv, v1, d), c.keeper.delegation(c.kv, v2, d)]).toEqual([180n, 120n]);
    expect([c.keeper.validator(c.kv, v1)!.tokens, c.keeper.validator(c.kv, v2)!.tokens]).toEqual([
      1180n,
      1120n,
    ]);
    expect(c.balance(STAKING_POOL)).toBe(pool);
    expect(failure(() => c.run("staking/Redelegate", d, redelegate(v1, v1, "1")))).toEqual({
      code: "INVALID_MESSAGE",
      details: { reason: "same_validator" },
    });
    expect(failure(() => c.run("staking/Redelegate", d, redelegate(v1, address(9), "1"))).code).toBe(
      "NOT_FOUND",
    );
    expect(failure(() => c.run("staking/Redelegate", d, redelegate(address(9), v2, "1"))).code).toBe(
      "NOT_FOUND",
    );
    expect(failure(() => c.run("staking/Redelegate", d, redelegate(v1, v2, "181")))).toEqual({
      code: "INSUFFICIENT_FUNDS",
      details: { delegator: d, validator: v1, delegated: "180", requested: "181" },
    });
    expect(failure(() => c.run("staking/Redelegate", d, redelegate(v1, v2, "0"))).code).toBe(
      "INVALID_AMOUNT",
    );
    expect(failure(() => c.run("staking/Redelegate", d, redelegate(v1, "nope", "1"))).code).toBe(
      "INVALID_ADDRESS",
    );
    c.keeper.setValidator(c.kv, { ...c.keeper.validator(c.kv, v3)!, jailed: true });
    expect(failure(() => c.run("staking/Redelegate", d, redelegate(v1, v3, "1"))).details?.reason).toBe(
      "jailed",
    );
    // From a jailed validator is allowed (its delegators may leave it).
    c.run("staking/Redelegate", v3, redelegate(v3, v1, "1000"));
    expect(c.keeper.validator(c.kv, v3)!.tokens).toBe(0n);
  });
});

describe("staking: rewards and commission (hand-computed)", () => {
  it("fees and block rewards paid by power, commission first, delegators pro rata, dust carried", () => {
    const c = chain({ epoch_blocks: "4", block_reward: "7" });
    const [v1, v2, d, payer] = [address(1), address(2), address(3), address(5)];
    c.run("staking/CreateValidator", v1, createMsg(1, { commissionRatePpm: 100_000 }));
    c.run(
      "staking/CreateValidator",
      v2,
      createMsg(2, { commissionRatePpm: 200_000, commissionMaxRatePpm: 300_000, selfDelegation: "3000" }),
    );
    c.run("staking/Delegate", d, delegate(v2, "1000"));
    const supply = c.supply();
    // S = 1000/5000, 4000/5000; H = 1; C = 0.5 → V1 = 0.08 + 0.35 + 0.125 = 555000,
    // V2 = 0.32 + 0.35 + 0.125 = 795000: the powers (Σ 1350000).
    c.endBlock(); // h1: first set; its mint (7) waits, the set was empty before
    expect(c.keeper.activeSet(c.kv).map((m) => [m.operator, m.power])).toEqual([
      [v2, 795_000n],
      [v1, 555_000n],
    ]);
    c.payFee(payer, 1000n);
    const before = { v1: c.balance(v1), v2: c.balance(v2), d: c.balance(d) };
    c.endBlock();
    c.endBlock();
    const out = c.endBlock(); // h4: epoch end, pool = 4·7 + 1000 = 1028
    // shares ⌊1028·555000/1350000⌋ = 422, ⌊1028·795000/1350000⌋ = 605.
    // v1: commission ⌊422·10%⌋ = 42, its self-delegation all the rest 380.
    // v2: commission ⌊605·20%⌋ = 121, rest 484: ¾ = 363 to itself, ¼ = 121 to d. Dust 1.
    expect(named(out, "staking/validator_reward")).toEqual([
      { validator: v2, share: "605ubtt", commission: "121ubtt", delegators: "484ubtt" },
      { validator: v1, share: "422ubtt", commission: "42ubtt", delegators: "380ubtt" },
    ]);
    expect(named(out, "staking/delegator_reward").map((r) => [r.delegator, r.amount])).toEqual([
      [v2, "363ubtt"],
      [d, "121ubtt"],
      [v1, "380ubtt"],
    ]);
    expect(named(out, "staking/epoch_rewards")).toEqual([
      { height: "4", pool: "1028ubtt", fees: "1000ubtt", paid: "1027ubtt", carried: "1ubtt" },
    ]);
    expect(c.balance(v1) - before.v1).toBe(422n);
    expect(c.balance(v2) - before.v2).toBe(484n);
    expect(c.balance(d) - before.d).toBe(121n);
    expect(c.balance(REWARDS_POOL)).toBe(1n);
    expect(query(c, "rewards_pool")).toEqual({ address: REWARDS_POOL, denom: "ubtt", balance: "1" });
    expect(c.balance(FEE_COLLECTOR)).toBe(0n);
    expect(c.supply()).toBe(supply + 28n);
    expect(balancesTotal(c)).toBe(c.supply());
    // Rewards are paid as balances, not bonded: the stake is unchanged.
    expect(c.keeper.validator(c.kv, v2)!.tokens).toBe(4000n);
    expect(c.balance(STAKING_POOL)).toBe(c.keeper.pooled(c.kv));
  });

  it("a jailed validator earns nothing; the whole pool goes to the rest", () => {
    const c = chain({ epoch_blocks: "4" });
    const [v1, v2] = [address(1), address(2)];
    c.run("staking/CreateValidator", v1, createMsg(1, { commissionRatePpm: 0 }));
    c.run("staking/CreateValidator", v2, createMsg(2));
    c.endBlock();
    c.endBlock([], [{ type: "DUPLICATE_VOTE", address: consHex(2), height: 1n }]);
    c.payFee(address(5), 999n);
    const before = c.balance(v1);
    c.endBlock();
    c.endBlock();
    expect(c.balance(v1) - before).toBe(999n);
    expect(c.balance(REWARDS_POOL)).toBe(0n);
  });
});

describe("staking: stake and supply are conserved (property)", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("delegate" as const),
      who: fc.integer({ min: 4, max: 6 }),
      v: fc.integer({ min: 1, max: 3 }),
      amount: fc.bigInt({ min: 1n, max: 5_000n }),
    }),
    fc.record({
      kind: fc.constant("undelegate" as const),
      who: fc.integer({ min: 1, max: 6 }),
      v: fc.integer({ min: 1, max: 3 }),
      amount: fc.bigInt({ min: 1n, max: 1_200n }),
    }),
    fc.record({
      kind: fc.constant("redelegate" as const),
      who: fc.integer({ min: 1, max: 6 }),
      v: fc.integer({ min: 1, max: 3 }),
      to: fc.integer({ min: 1, max: 3 }),
      amount: fc.bigInt({ min: 1n, max: 1_200n }),
    }),
    fc.record({ kind: fc.constant("fee" as const), amount: fc.bigInt({ min: 1n, max: 10_000n }) }),
    fc.record({
      kind: fc.constant("slash" as const),
      v: fc.integer({ min: 1, max: 3 }),
      ppm: fc.bigInt({ min: 0n, max: 1_000_000n }),
      back: fc.bigInt({ min: 0n, max: 3n }),
    }),
    fc.record({
      kind: fc.constant("blocks" as const),
      n: fc.integer({ min: 1, max: 4 }),
      miss: fc.boolean(),
    }),
  );

  it("pool = Σ delegations + Σ unbonding; tokens = Σ delegations; supply = Σ balances = start + minted − burnt", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.bigInt({ min: 0n, max: 50n }), (ops, reward) => {
        const c = chain(
          {
            epoch_blocks: "3",
            unbonding_blocks: "4",
            signed_blocks_window: 3,
            downtime_jail_blocks: "2",
            block_reward: reward.toString(),
          },
          [1, 2, 3, 4, 5, 6],
        );
        for (const i of [1, 2, 3]) c.run("staking/CreateValidator", address(i), createMsg(i));
        const start = c.supply();
        let minted = 0n;
        let burnt = 0n;
        const attempt = (fn: () => void) => {
          try {
            fn();
          } catch {
            // Refused messages write nothing; the invariants below still hold.
          }
        };
        for (const o of ops) {
          if (o.kind === "delegate") {
            attempt(() => c.run("staking/Delegate", address(o.who), delegate(address(o.v), `${o.amount}`)));
          } else if (o.kind === "undelegate") {
            attempt(() =>
              c.run("staking/Undelegate", address(o.who), undelegate(address(o.v), `${o.amount}`)),
            );
          } else if (o.kind === "redelegate") {
            attempt(() =>
              c.run(
                "staking/Redelegate",
                address(o.who),
                redelegate(address(o.v), address(o.to), `${o.amount}`),
              ),
            );
          } else if (o.kind === "fee") {
            attempt(() => c.payFee(address(5), o.amount));
          } else if (o.kind === "slash") {
            const height = c.height - o.back;
            const cut = c.staking.slashing.slash(c.context(), address(o.v), o.ppm, height, "double_sign");
            burnt += cut.bonded + cut.unbonding + cut.redelegated;
          } else {
            for (let i = 0; i < o.n; i++) {
              // v3 misses every block when `miss`: downtime jails and slashes it along the way.
              const before = c.supply();
              const events = c.endBlock(signers([1, true], [2, true], [3, !o.miss]));
              minted += reward;
              for (const s of named(events, "staking/slash")) {
                burnt +=
                  BigInt(s.bonded_burnt!.replace("ubtt", "")) +
                  BigInt(s.unbonding_burnt!.replace("ubtt", "")) +
                  BigInt(s.redelegated_burnt!.replace("ubtt", ""));
              }
              expect(c.supply()).toBeLessThanOrEqual(before + reward);
              if (c.keeper.validator(c.kv, address(3))!.jailed)
                attempt(() => c.run("staking/Unjail", address(3), unjail()));
            }
          }
          expect(c.balance(STAKING_POOL)).toBe(c.keeper.pooled(c.kv));
          for (const v of c.keeper.validators(c.kv)) {
            const sum = c.keeper.delegationsTo(c.kv, v.operator).reduce((s, [, a]) => s + a, 0n);
            expect(v.tokens).toBe(sum);
          }
          expect(balancesTotal(c)).toBe(c.supply());
          expect(c.supply()).toBe(start + minted - burnt);
        }
      }),
      { numRuns: 200 },
    );
  });
});
