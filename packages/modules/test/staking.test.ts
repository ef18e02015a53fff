import { MsgEditValidatorSchema, MsgIssueCredentialSchema, MsgSetComplianceRatingSchema } from "@btt/core";
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BlockSigner } from "../src/framework/module.ts";
import {
  activeSet,
  combined,
  DEFAULT_STAKING_PARAMS,
  reliability,
  STAKING_POOL,
  scoreAll,
  stakeShare,
  validateStakingParamsForTest,
  validatorUpdatesOf,
} from "./staking-exports.ts";
import {
  address,
  chain,
  consHex,
  consKey,
  createMsg,
  DAY,
  delegate,
  failure,
  REGULATOR,
  ROOT,
  undelegate,
} from "./staking-harness.ts";

const P = validateStakingParamsForTest(DEFAULT_STAKING_PARAMS);

describe("staking: score arithmetic (hand-computed)", () => {
  it("S, H, C and V in ppm with floors", () => {
    expect(stakeShare(1n, 3n)).toBe(333_333n);
    expect(stakeShare(0n, 0n)).toBe(0n);
    expect(stakeShare(600n, 1000n)).toBe(600_000n);
    expect(reliability(0, 100)).toBe(1_000_000n);
    expect(reliability(3, 100)).toBe(970_000n);
    expect(reliability(1, 3)).toBe(666_666n);
    expect(reliability(500, 100)).toBe(0n);
    // 0.40·0.6 + 0.35·0.97 + 0.25·0.5 = 0.24 + 0.3395 + 0.125 = 0.7045
    expect(combined(P, 600_000n, 970_000n, 500_000n)).toBe(704_500n);
    // 0.40·0.333333 + 0.35·0.666666 + 0.25·0.000001 = 0.1333332 + 0.2333331 + 0.00000025 → 366666
    expect(combined(P, 333_333n, 666_666n, 1n)).toBe(366_666n);
    expect(combined(P, 1_000_000n, 1_000_000n, 1_000_000n)).toBe(1_000_000n);
  });

  it("scores and the active set: top N by V, ties by key, V = 0 left out", () => {
    const p = { ...P, maxValidators: 2 };
    const scores = scoreAll(p, [
      { key: "bb", tokens: 300n, missed: 0, ratingPpm: 500_000n },
      { key: "aa", tokens: 300n, missed: 0, ratingPpm: 500_000n },
      { key: "cc", tokens: 400n, missed: 50, ratingPpm: 0n },
    ]);
    // S = 0.3, 0.3, 0.4; H = 1, 1, 0.5; C = 0.5, 0.5, 0
    // V = 0.12 + 0.35 + 0.125 = 0.595 (aa, bb); 0.16 + 0.175 + 0 = 0.335 (cc)
    expect(scores.map((s) => [s.key, s.sPpm, s.hPpm, s.vPpm])).toEqual([
      ["bb", 300_000n, 1_000_000n, 595_000n],
      ["aa", 300_000n, 1_000_000n, 595_000n],
      ["cc", 400_000n, 500_000n, 335_000n],
    ]);
    expect(activeSet(p, scores).map((s) => s.key)).toEqual(["aa", "bb"]);
    const zero = scoreAll(P, [{ key: "zz", tokens: 0n, missed: 100, ratingPpm: 0n }]);
    expect(activeSet(P, zero)).toEqual([]);
  });

  it("parameters: weights must add up to 1e6; bad values refused", () => {
    expect(
      failure(() => validateStakingParamsForTest({ ...DEFAULT_STAKING_PARAMS, weight_stake_ppm: 400_001 }))
        .code,
    ).toBe("INVALID_PARAMS");
    expect(
      failure(() => validateStakingParamsForTest({ ...DEFAULT_STAKING_PARAMS, epoch_blocks: "0" })).code,
    ).toBe("INVALID_PARAMS");
    expect(
      failure(() => validateStakingParamsForTest({ ...DEFAULT_STAKING_PARAMS, signed_blocks_window: 0 }))
        .code,
    ).toBe("INVALID_PARAMS");
  });
});

describe("staking: messages", () => {
  it("create, delegate, undelegate and maturity move tokens through the pool", () => {
    const c = chain({ unbonding_blocks: "3" });
    const [v1, d] = [address(1), address(2)];
    c.run("staking/CreateValidator", v1, createMsg(1));
    c.run("staking/Delegate", d, delegate(v1, "500"));
    expect(c.keeper.validator(c.kv, v1)!.tokens).toBe(1500n);
    expect(c.balance(STAKING_POOL)).toBe(1500n);
    expect(c.balance(d)).toBe(999_500n);
    c.run("staking/Undelegate", d, undelegate(v1, "200"));
    expect(c.keeper.delegation(c.kv, v1, d)).toBe(300n);
    expect(c.keeper.validator(c.kv, v1)!.tokens).toBe(1300n);
    const mature = c.height + 3n;
    while (c.height < mature) {
      c.endBlock();
      expect(c.balance(d)).toBe(999_500n);
    }
    const events = c.endBlock();
    expect(c.balance(d)).toBe(999_700n);
    expect(c.balance(STAKING_POOL)).toBe(1300n);
    expect(events.some((e) => e.type === "staking/unbonding_complete")).toBe(true);
    expect(c.staking.invariants![0]!.check(c.kv)).toBeUndefined();
  });

  it("bad inputs: each refused with its code, writing nothing", () => {
    const c = chain();
    const [v1, v2, d] = [address(1), address(2), address(3)];
    c.run("staking/CreateValidator", v1, createMsg(1));
    const before = c.balance(STAKING_POOL);
    // Unknown validator.
    expect(failure(() => c.run("staking/Delegate", d, delegate(address(9), "1"))).code).toBe("NOT_FOUND");
    // Duplicate consensus key, and a second validator for one operator.
    expect(failure(() => c.run("staking/CreateValidator", v2, createMsg(1))).code).toBe("CONFLICT");
    expect(failure(() => c.run("staking/CreateValidator", v1, createMsg(2))).code).toBe("CONFLICT");
    // Undelegation above the delegated amount (and from one who delegated nothing).
    c.run("staking/Delegate", d, delegate(v1, "10"));
    expect(failure(() => c.run("staking/Undelegate", d, undelegate(v1, "11"))).code).toBe(
      "INSUFFICIENT_FUNDS",
    );
    expect(failure(() => c.run("staking/Undelegate", v2, undelegate(v1, "1"))).code).toBe(
      "INSUFFICIENT_FUNDS",
    );
    // Commission above its maximum, at creation and by edit; a change above max_change.
    const above = failure(() =>
      c.run("staking/CreateValidator", v2, createMsg(2, { commissionRatePpm: 300_000 })),
    );
    expect(above).toEqual({ code: "INVALID_MESSAGE", details: { reason: "commission_above_max" } });
    expect(
      failure(() =>
        c.run(
          "staking/EditValidator",
          v1,
          create(MsgEditValidatorSchema, { setCommissionRate: true, commissionRatePpm: 250_000 }),
        ),
      ).details,
    ).toEqual({ reason: "commission_above_max" });
    expect(
      failure(() =>
        c.run(
          "staking/EditValidator",
          v1,
          create(MsgEditValidatorSchema, { setCommissionRate: true, commissionRatePpm: 120_000 }),
        ),
      ).details,
    ).toEqual({ reason: "commission_change_above_max" });
    c.run(
      "staking/EditValidator",
      v1,
      create(MsgEditValidatorSchema, { setCommissionRate: true, commissionRatePpm: 110_000 }),
    );
    expect(c.keeper.validator(c.kv, v1)!.commissionRatePpm).toBe(110_000n);
    expect(failure(() => c.run("staking/EditValidator", v2, create(MsgEditValidatorSchema, {}))).code).toBe(
      "NOT_FOUND",
    );
    // Stateless refusals: key length, rates above 100%, zero or malformed amounts, bad address.
    expect(
      failure(() =>
        c.run("staking/CreateValidator", v2, createMsg(2, { consensusPubkey: new Uint8Array(31) })),
      ).code,
    ).toBe("INVALID_MESSAGE");
    expect(
      failure(() => c.run("staking/CreateValidator", v2, createMsg(2, { commissionMaxRatePpm: 1_000_001 })))
        .code,
    ).toBe("INVALID_MESSAGE");
    expect(failure(() => c.run("staking/Delegate", d, delegate(v1, "0"))).code).toBe("INVALID_AMOUNT");
    expect(failure(() => c.run("staking/Delegate", d, delegate(v1, "-5"))).code).toBe("INVALID_AMOUNT");
    expect(failure(() => c.run("staking/Delegate", d, delegate("nope", "5"))).code).toBe("INVALID_ADDRESS");
    // More than the delegator holds.
    expect(failure(() => c.run("staking/Delegate", d, delegate(v1, "2000000"))).code).toBe(
      "INSUFFICIENT_FUNDS",
    );
    expect(c.balance(STAKING_POOL)).toBe(before + 10n);
    expect(c.staking.invariants![0]!.check(c.kv)).toBeUndefined();
  });

  it("a jailed validator takes no delegation, but its delegators may leave", () => {
    const c = chain();
    const v1 = address(1);
    c.keeper.setValidator(c.kv, { ...createdValidator(c, v1), jailed: true });
    const err = failure(() => c.run("staking/Delegate", address(2), delegate(v1, "5")));
    expect(err).toEqual({ code: "UNAUTHORIZED", details: { validator: v1, reason: "jailed" } });
    c.run("staking/Undelegate", v1, undelegate(v1, "1000"));
    expect(c.keeper.validator(c.kv, v1)!.tokens).toBe(0n);
  });

  it("ratings: only a holder of a valid regulator credential, within [0, 1e6]", () => {
    const c = chain();
    const v1 = address(1);
    c.run("staking/CreateValidator", v1, createMsg(1));
    const rate = (ratingPpm: number) => create(MsgSetComplianceRatingSchema, { validator: v1, ratingPpm });
    expect(failure(() => c.run("staking/SetComplianceRating", REGULATOR, rate(800_000)))).toEqual({
      code: "UNAUTHORIZED",
      details: { account: REGULATOR, reason: "not_regulator" },
    });
    c.run(
      "identity/IssueCredential",
      ROOT,
      create(MsgIssueCredentialSchema, {
        subject: REGULATOR,
        type: "regulator",
        jurisdiction: "DE",
        expiresAtMs: 10n * DAY,
      }),
    );
    c.run("staking/SetComplianceRating", REGULATOR, rate(800_000));
    expect(c.keeper.validator(c.kv, v1)!.ratingPpm).toBe(800_000n);
    expect(failure(() => c.run("staking/SetComplianceRating", REGULATOR, rate(1_000_001))).code).toBe(
      "INVALID_MESSAGE",
    );
    expect(
      failure(() =>
        c.run(
          "staking/SetComplianceRating",
          REGULATOR,
          create(MsgSetComplianceRatingSchema, { validator: address(9), ratingPpm: 1 }),
        ),
      ).code,
    ).toBe("NOT_FOUND");
    // The operator itself holds no credential.
    expect(failure(() => c.run("staking/SetComplianceRating", v1, rate(1_000_000))).code).toBe(
      "UNAUTHORIZED",
    );
  });
});

function createdValidator(c: ReturnType<typeof chain>, operator: string) {
  c.run("staking/CreateValidator", operator, createMsg(operator === address(1) ? 1 : 2));
  return c.keeper.validator(c.kv, operator)!;
}

describe("staking: epochs", () => {
  it("signing window, scores and validator updates at epoch ends", () => {
    const c = chain({ epoch_blocks: "4", signed_blocks_window: 4, max_validators: 2 });
    const [v1, v2, v3] = [address(1), address(2), address(3)];
    c.run("staking/CreateValidator", v1, createMsg(1, { selfDelegation: "600" }));
    c.run("staking/CreateValidator", v2, createMsg(2, { selfDelegation: "300" }));
    c.run("staking/CreateValidator", v3, createMsg(3, { selfDelegation: "100" }));
    // Height 1: the first set. S = 0.6, 0.3, 0.1; H = 1; C = 0.5 (default).
    // V1 = 0.24 + 0.35 + 0.125 = 0.715; V2 = 0.12 + 0.475 = 0.595; V3 = 0.04 + 0.475 = 0.515.
    const first = c.endBlock([]);
    // Updates are ordered by public key.
    expect(validatorUpdatesOf(first)).toEqual([
      { pubKey: Buffer.from(consKey(1)), power: 715_000n },
      { pubKey: Buffer.from(consKey(2)), power: 595_000n },
    ]);
    // Blocks 2..4: v1 misses 3 of its last 4 blocks (each vote is for the previous block).
    const votes = (v1Signed: boolean): BlockSigner[] => [
      { address: consHex(1), signed: v1Signed },
      { address: consHex(2), signed: true },
      { address: "FF".repeat(20), signed: false }, // a key no validator uses: ignored
    ];
    expect(c.endBlock(votes(false))).toEqual([]); // ends 2; block 3 begins with v1's miss
    c.endBlock(votes(false)); // ends 3; block 4 begins with a second miss
    // Ends 4, an epoch end: H1 = 2/4 missed → 0.5; V1 = 0.24 + 0.175 + 0.125 = 0.54, still in.
    expect(validatorUpdatesOf(c.endBlock(votes(false)))).toEqual([
      { pubKey: Buffer.from(consKey(1)), power: 540_000n },
    ]);
    // Block 5 began with the third miss: 3 of the last W = 4.
    expect(c.height).toBe(5n);
    const scores = c.keeper.scores(c.kv);
    // Validators in operator byte order (address(1) < address(2) < address(3)).
    expect(scores.map((s) => [s.validator.operator, s.hPpm])).toEqual([
      [v1, 250_000n],
      [v2, 1_000_000n],
      [v3, 1_000_000n],
    ]);
    // Blocks without votes (no commit read) change nothing. End of 8 = epoch: V1 = 0.24 +
    // 0.35·0.25 + 0.125 = 0.4525 falls below V3 = 0.04 + 0.35 + 0.125 = 0.515; V2 = 0.595.
    for (let h = 5; h < 8; h++) expect(c.endBlock()).toEqual([]);
    const e8 = validatorUpdatesOf(c.endBlock());
    expect(e8).toEqual([
      { pubKey: Buffer.from(consKey(1)), power: 0n },
      { pubKey: Buffer.from(consKey(3)), power: 515_000n },
    ]);
    expect(c.keeper.activeSet(c.kv).map((m) => [m.operator, m.power])).toEqual([
      [v2, 595_000n],
      [v3, 515_000n],
    ]);
  });

  it("the window forgets old misses; power follows a delegation at the next epoch end", () => {
    const c = chain({ epoch_blocks: "2", signed_blocks_window: 2, max_validators: 2 });
    const [v1, v2, v3] = [address(1), address(2), address(3)];
    c.run("staking/CreateValidator", v1, createMsg(1, { selfDelegation: "600" }));
    c.run("staking/CreateValidator", v2, createMsg(2, { selfDelegation: "300" }));
    c.run("staking/CreateValidator", v3, createMsg(3, { selfDelegation: "100" }));
    c.endBlock([{ address: consHex(1), signed: false }]); // h=1 ends; h=2 begins with v1 missed
    expect(c.keeper.scores(c.kv).find((s) => s.validator.operator === v1)!.hPpm).toBe(500_000n);
    // End of 2 = epoch: V1 = 0.24 + 0.175 + 0.125 = 0.54 → power 540000.
    const e2 = validatorUpdatesOf(c.endBlock([{ address: consHex(1), signed: true }]));
    expect(e2).toEqual([{ pubKey: Buffer.from(consKey(1)), power: 540_000n }]);
    c.endBlock([{ address: consHex(1), signed: true }]); // the miss has left the 2-block window
    expect(c.keeper.scores(c.kv).find((s) => s.validator.operator === v1)!.hPpm).toBe(1_000_000n);
    // v3 gets 900 more: S = 600/1900, 300/1900, 1000/1900 → v3 enters, v2 leaves (power 0).
    c.run("staking/Delegate", address(4), delegate(v3, "900"));
    const e4 = validatorUpdatesOf(c.endBlock([]));
    // V1 = 0.4·315789 + 0.35e6·1 + 0.125e6 = 126315 + 475000 = 601315; V3 = 0.4·526315 + 475000 = 685526.
    const byKey = new Map(e4.map((u) => [Buffer.from(u.pubKey).toString("hex"), u.power]));
    expect(byKey.get(Buffer.from(consKey(1)).toString("hex"))).toBe(601_315n);
    expect(byKey.get(Buffer.from(consKey(3)).toString("hex"))).toBe(685_526n);
    expect(byKey.get(Buffer.from(consKey(2)).toString("hex"))).toBe(0n);
    expect(c.keeper.activeSet(c.kv).map((m) => m.operator)).toEqual([v3, v1]);
  });

  it("an epoch without a candidate keeps the set in force (CometBFT refuses an empty set)", () => {
    const c = chain({ epoch_blocks: "2" });
    c.run("staking/CreateValidator", address(1), createMsg(1));
    expect(validatorUpdatesOf(c.endBlock([]))).toEqual([
      { pubKey: Buffer.from(consKey(1)), power: 875_000n },
    ]);
    c.run("staking/Undelegate", address(1), undelegate(address(1), "1000"));
    const events = c.endBlock([]);
    expect(validatorUpdatesOf(events)).toEqual([]);
    expect(events.map((e) => e.type)).toContain("staking/empty_set_kept");
    expect(c.keeper.activeSet(c.kv).map((m) => m.power)).toEqual([875_000n]);
    // A new candidate replaces it at the next epoch end.
    c.run("staking/CreateValidator", address(2), createMsg(2));
    c.endBlock([]);
    expect(validatorUpdatesOf(c.endBlock([]))).toEqual([
      { pubKey: Buffer.from(consKey(1)), power: 0n },
      { pubKey: Buffer.from(consKey(2)), power: 875_000n },
    ]);
  });

  it("rated below the minimum, or jailed: not a candidate", () => {
    const c = chain({ min_rating_ppm: 600_000 });
    c.run("staking/CreateValidator", address(1), createMsg(1));
    expect(c.keeper.scores(c.kv)).toEqual([]);
    expect(validatorUpdatesOf(c.endBlock([]))).toEqual([]);
  });
});

describe("staking: genesis", () => {
  const gen = (validators: unknown[]) => ({ params: DEFAULT_STAKING_PARAMS, validators });
  const entry = (i: number, more: Record<string, unknown> = {}) => ({
    operator: address(i),
    consensus_pubkey: Buffer.from(consKey(i)).toString("hex"),
    self_delegation: "1000",
    ...more,
  });

  it("bonds each validator's self-delegation from its operator's balance; exports it back", () => {
    const c = chain();
    const g = c.staking.genesis.validateGenesis(
      gen([entry(1, { rating_ppm: 900_000 }), entry(2, { jailed: true })]),
    );
    const ctx = {
      block: { chainId: "t", height: 1n, timeMs: 0n, proposer: address(250) },
      kv: c.kv,
      emit: () => {},
    };
    c.staking.genesis.initGenesis(ctx, g);
    expect(c.balance(address(1))).toBe(999_000n);
    expect(c.balance(STAKING_POOL)).toBe(2000n);
    expect(c.keeper.validator(c.kv, address(1))!.ratingPpm).toBe(900_000n);
    // Jailed: not a candidate, and takes no delegation.
    expect(c.keeper.scores(c.kv).map((s) => s.validator.operator)).toEqual([address(1)]);
    expect(failure(() => c.run("staking/Delegate", address(3), delegate(address(2), "1"))).code).toBe(
      "UNAUTHORIZED",
    );
    expect(c.staking.genesis.exportGenesis(ctx)).toMatchObject({
      validators: [
        { operator: address(1), self_delegation: "1000", rating_ppm: 900_000, jailed: false },
        { operator: address(2), self_delegation: "1000", jailed: true },
      ],
    });
  });

  it("refuses repeated keys or operators, bad keys, rates above their maximum, unfunded operators", () => {
    const c = chain();
    const bad = (validators: unknown[]) =>
      failure(() => c.staking.genesis.validateGenesis(gen(validators))).code;
    expect(bad([entry(1), entry(2, { consensus_pubkey: Buffer.from(consKey(1)).toString("hex") })])).toBe(
      "INVALID_GENESIS",
    );
    expect(bad([entry(1), entry(1, { consensus_pubkey: "ab".repeat(32) })])).toBe("INVALID_GENESIS");
    expect(bad([entry(1, { consensus_pubkey: "ab".repeat(31) })])).toBe("INVALID_GENESIS");
    expect(bad([entry(1, { commission_max_rate_ppm: 100, commission_rate_ppm: 101 })])).toBe(
      "INVALID_GENESIS",
    );
    expect(bad([entry(1, { self_delegation: "0" })])).toBe("INVALID_GENESIS");
    expect(
      failure(() =>
        c.staking.genesis.validateGenesis({
          params: { ...DEFAULT_STAKING_PARAMS, weight_compliance_ppm: 0 },
        }),
      ).code,
    ).toBe("INVALID_PARAMS");
    const g = c.staking.genesis.validateGenesis(gen([entry(9)])); // address(9) has no balance
    const ctx = {
      block: { chainId: "t", height: 1n, timeMs: 0n, proposer: address(250) },
      kv: c.kv,
      emit: () => {},
    };
    expect(failure(() => c.staking.genesis.initGenesis(ctx, g)).code).toBe("INSUFFICIENT_FUNDS");
  });
});

describe("staking: conservation (property)", () => {
  it("bonded + unbonding + balances stay constant through delegate, undelegate and maturity", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("delegate" as const),
        who: fc.integer({ min: 1, max: 5 }),
        to: fc.integer({ min: 1, max: 2 }),
        amount: fc.bigInt({ min: 1n, max: 400_000n }),
      }),
      fc.record({
        kind: fc.constant("undelegate" as const),
        who: fc.integer({ min: 1, max: 5 }),
        to: fc.integer({ min: 1, max: 2 }),
        amount: fc.bigInt({ min: 1n, max: 400_000n }),
      }),
      fc.record({ kind: fc.constant("blocks" as const), n: fc.integer({ min: 1, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const c = chain({ unbonding_blocks: "3", epoch_blocks: "2" });
        c.run("staking/CreateValidator", address(1), createMsg(1));
        c.run("staking/CreateValidator", address(2), createMsg(2));
        const total = () => {
          let sum = c.balance(STAKING_POOL);
          for (let i = 1; i <= 5; i++) sum += c.balance(address(i));
          return sum;
        };
        const initial = total();
        expect(initial).toBe(5_000_000n);
        for (const o of ops) {
          if (o.kind === "blocks") for (let i = 0; i < o.n; i++) c.endBlock([]);
          else {
            const type = o.kind === "delegate" ? "staking/Delegate" : "staking/Undelegate";
            const msg =
              o.kind === "delegate"
                ? delegate(address(o.to), o.amount.toString())
                : undelegate(address(o.to), o.amount.toString());
            const outcome = failure(() => c.run(type, address(o.who), msg));
            expect(["OK", "INSUFFICIENT_FUNDS"]).toContain(outcome.code);
          }
          expect(total()).toBe(initial);
          expect(c.staking.invariants![0]!.check(c.kv)).toBeUndefined();
          const tokens = [1, 2].reduce((s, i) => s + c.keeper.validator(c.kv, address(i))!.tokens, 0n);
          const delegated = [...c.keeper.delegations(c.kv)].reduce((s, [, , a]) => s + a, 0n);
          expect(tokens).toBe(delegated);
        }
        // Everything unbonding matures in time.
        for (let i = 0; i < 4; i++) c.endBlock([]);
        expect([...c.keeper.unbondings(c.kv)]).toEqual([]);
        expect(total()).toBe(initial);
      }),
      { numRuns: 60 },
    );
  });
});
