// `btt tx staking …` and `btt query staking …` in-process against a real node and API. The chain
// starts with no staking validator (the dev validator's is taken out), so bob becomes one (a random consensus key); alice delegates to
// him, reads it back, takes part back and moves some to carol's validator; carol, once a
// regulator, rates bob. The refusals come before anything is signed, in one line each.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliChain, cli, json, startCliChain } from "./in-process.ts";

const PASSPHRASE = "staking passphrase";
let chain: CliChain;
let a: Record<"alice" | "bob" | "carol", string>;
const bobKey = randomBytes(32).toString("hex");

beforeAll(async () => {
  chain = await startCliChain({
    prefix: "btt-cli-staking-",
    passphrase: PASSPHRASE,
    blockIntervalMs: 50,
    // `btt init` makes the dev validator a staking validator; these tests start from none.
    editGenesis: (g) => {
      delete g.app_state.staking;
    },
  });
  a = chain.init.accounts as typeof a;
});

afterAll(() => chain?.close());

/** A failing command: status 1 and one line on stderr matching `reason`. */
async function refused(argv: string[], reason: RegExp) {
  const r = await cli(...argv);
  expect(r.status).toBe(1);
  expect(r.err.split("\n")).toHaveLength(1);
  expect(r.err).toMatch(reason);
  return r;
}

describe("btt tx staking / btt query staking", () => {
  it("makes bob a validator and lists it", async () => {
    expect((await json("query", "staking", "validators")).validators).toEqual([]);
    const created = await json(
      "tx",
      "staking",
      "create-validator",
      "bob",
      "--consensus-pubkey",
      bobKey,
      "--self-delegation",
      "1000btt",
      "--commission",
      "5",
      "--moniker",
      "bob-clinic",
    );
    expect(created).toMatchObject({ from: a.bob, code_name: "OK" });
    expect(created.events.map((e: { type: string }) => e.type)).toContain("staking/create_validator");

    const v = await json("query", "staking", "validator", a.bob);
    expect(v).toMatchObject({
      operator: a.bob,
      consensus_pubkey: bobKey,
      description: { moniker: "bob-clinic" },
      commission_rate_ppm: "50000",
      commission_max_rate_ppm: "200000",
      commission_max_change_ppm: "10000",
      tokens: "1000000000",
      jailed: false,
    });
    const human = await cli("query", "staking", "validator", a.bob);
    expect(human.out).toContain(`validator  ${a.bob}  bob-clinic`);
    expect(human.out).toContain("tokens      1000 BTT (1000000000ubtt)");
    expect(human.out).toContain("commission  5% (max 20%, change ≤ 1%)");
    const list = await cli("query", "staking", "validators");
    expect(list.out).toBe(`${a.bob}  1000 BTT  commission 5%  bob-clinic`);
  });

  it("delegates from alice and reads the delegation and the score back", async () => {
    const d = await cli("tx", "staking", "delegate", "alice", a.bob, "250btt");
    expect(d.status).toBe(0);
    expect(d.out).toMatch(new RegExp(`^Delegated 250 BTT from alice to ${a.bob}: tx [0-9a-f]{64} committed`));
    expect(d.out).toContain(`staking/delegate delegator=${a.alice} validator=${a.bob} amount=250000000`);

    expect(await json("query", "staking", "delegation", a.bob, a.alice)).toEqual({
      validator: a.bob,
      delegator: a.alice,
      amount: "250000000",
    });
    expect((await cli("query", "staking", "delegation", a.bob, a.alice)).out).toBe(
      `${a.alice} has 250 BTT (250000000ubtt) delegated to ${a.bob}`,
    );
    expect((await json("query", "staking", "validator", a.bob)).tokens).toBe("1250000000");

    // The only candidate: S = 100%, H = 100% (a newcomer), C = 50% (the default) → V = 87.5%.
    const { scores } = await json("query", "staking", "scores");
    expect(scores).toEqual([
      { operator: a.bob, s_ppm: "1000000", h_ppm: "1000000", c_ppm: "500000", v_ppm: "875000" },
    ]);
    expect((await cli("query", "staking", "scores")).out).toBe(`${a.bob}  V 87.5%  S 100%  H 100%  C 50%`);

    const info = await json("query", "staking", "signing-info", a.bob);
    expect(info).toMatchObject({ operator: a.bob, missed: 0, jailed: false, tombstoned: false });
    const pool = await json("query", "staking", "rewards-pool");
    expect(pool.denom).toBe("ubtt");
    expect((await cli("query", "staking", "rewards-pool")).out).toMatch(
      /^rewards pool btt1[0-9a-z]+: .*ubtt\)$/,
    );
    const params = await json("query", "staking", "params");
    expect(params).toMatchObject({ bond_denom: "ubtt", weight_stake_ppm: 400000 });
    expect((await cli("query", "staking", "params")).out).toMatch(/^bond_denom\s+ubtt$/m);
  });

  it("undelegates part of it", async () => {
    const r = await json("tx", "staking", "undelegate", "alice", a.bob, "100btt");
    const undelegate = r.events.find((e: { type: string }) => e.type === "staking/undelegate");
    expect(undelegate.attributes).toContainEqual({ key: "amount", value: "100000000ubtt" });
    expect((await json("query", "staking", "delegation", a.bob, a.alice)).amount).toBe("150000000");
    expect((await json("query", "staking", "validator", a.bob)).tokens).toBe("1150000000");
  });

  it("redelegates to a second validator, and edits a validator keeping what is not given", async () => {
    await json(
      "tx",
      "staking",
      "create-validator",
      "carol",
      "--consensus-pubkey",
      Buffer.from(randomBytes(32)).toString("base64"),
      "--self-delegation",
      "10btt",
    );
    expect((await json("query", "staking", "validator", a.carol)).description.moniker).toBe("carol");
    await json("tx", "staking", "redelegate", "alice", a.bob, a.carol, "50btt");
    expect((await json("query", "staking", "delegation", a.bob, a.alice)).amount).toBe("100000000");
    expect((await json("query", "staking", "delegation", a.carol, a.alice)).amount).toBe("50000000");

    await json(
      "tx",
      "staking",
      "edit-validator",
      "bob",
      "--website",
      "https://bob.example",
      "--commission",
      "5.5",
    );
    expect(await json("query", "staking", "validator", a.bob)).toMatchObject({
      description: { moniker: "bob-clinic", website: "https://bob.example", details: "" },
      commission_rate_ppm: "55000",
    });
  });

  it("lets a regulator, and only a regulator, rate a validator", async () => {
    await refused(
      ["tx", "staking", "set-rating", "carol", a.bob, "900000"],
      /^btt: .*UNAUTHORIZED.*regulator/,
    );
    await json("tx", "identity", "issue", "alice", a.carol, "regulator", "DE", "--expires", "2090-01-01");
    const r = await cli("tx", "staking", "set-rating", "carol", a.bob, "900000");
    expect(r.status).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Rated validator ${a.bob} 90%: tx`));
    expect((await json("query", "staking", "validator", a.bob)).rating_ppm).toBe("900000");
  });

  it("refuses bad input in one line, signing nothing", async () => {
    const height = async () => (await json("query", "block")).height;
    const nonce = async () => (await json("query", "account", a.alice)).nonce;
    const before = await nonce();
    await refused(
      ["tx", "staking", "delegate", "alice", a.alice, "1btt"],
      new RegExp(`^btt: no validator with operator ${a.alice}`),
    );
    await refused(
      ["tx", "staking", "undelegate", "alice", a.bob, "101btt"],
      new RegExp(`^btt: ${a.alice} has 100 BTT delegated to ${a.bob}, less than 101 BTT$`),
    );
    await refused(
      ["tx", "staking", "redelegate", "alice", a.carol, a.bob, "51btt"],
      /^btt: .* has 50 BTT delegated to .*, less than 51 BTT$/,
    );
    await refused(["tx", "staking", "redelegate", "alice", a.bob, a.bob, "1btt"], /the same/);
    await refused(["tx", "staking", "undelegate", "alice", a.alice, "1btt"], /has 0 BTT delegated/);
    await refused(["tx", "staking", "delegate", "alice", a.bob, "0btt"], /must be positive/);
    await refused(["tx", "staking", "delegate", "alice", a.bob, "5eth"], /unknown denomination "eth"/);
    await refused(["tx", "staking", "delegate", "alice", "btt1nope", "1btt"], /^btt: .*validator/);
    for (const ppm of ["1000001", "-5", "0.5", "abc", "01"]) {
      const r = await cli("tx", "staking", "set-rating", "carol", a.bob, ppm);
      expect(r.status).not.toBe(0);
      expect(r.err.split("\n")).toHaveLength(1);
    }
    await refused(
      ["tx", "staking", "set-rating", "carol", a.bob, "1000001"],
      /must be a whole number of ppm/,
    );
    await refused(
      [
        "tx",
        "staking",
        "create-validator",
        "alice",
        "--consensus-pubkey",
        "abcd",
        "--self-delegation",
        "1btt",
      ],
      /32-byte Ed25519 key/,
    );
    await refused(
      ["tx", "staking", "create-validator", "alice", "--self-delegation", "1btt"],
      /--consensus-pubkey/,
    );
    await refused(
      [
        "tx",
        "staking",
        "create-validator",
        "alice",
        "--consensus-pubkey",
        bobKey,
        "--self-delegation",
        "1btt",
        "--commission",
        "30",
        "--max-commission",
        "20",
      ],
      /above its maximum/,
    );
    await refused(["tx", "staking", "edit-validator", "alice", "--moniker", "x"], /operates no validator/);
    await refused(["tx", "staking", "edit-validator", "bob"], /needs --commission, --moniker/);
    await refused(["query", "staking", "validator", a.alice], /NOT_FOUND|no validator/);
    expect((await cli("tx", "staking", "delegate", "alice", a.bob)).status).toBe(2);
    // Nothing above reached the chain as alice's transaction.
    expect(await nonce()).toBe(before);
    expect(Number(await height())).toBeGreaterThan(0);
  });

  it("what only the chain can judge is its refusal, also one line", async () => {
    await refused(
      ["tx", "staking", "unjail", "bob"],
      /^btt: transaction [0-9a-f]{64} failed with CONFLICT: .*not jailed/,
    );
    await refused(
      [
        "tx",
        "staking",
        "create-validator",
        "alice",
        "--consensus-pubkey",
        bobKey,
        "--self-delegation",
        "1btt",
      ],
      /^btt: transaction [0-9a-f]{64} failed with CONFLICT: another validator already uses this consensus key$/,
    );
  });

  it("has --help for every staking command", async () => {
    for (const path of [
      ["tx", "staking"],
      ...[
        "create-validator",
        "edit-validator",
        "delegate",
        "undelegate",
        "redelegate",
        "unjail",
        "set-rating",
      ].map((c) => ["tx", "staking", c]),
      ["query", "staking"],
      ...["validators", "validator", "delegation", "scores", "signing-info", "rewards-pool", "params"].map(
        (c) => ["query", "staking", c],
      ),
    ]) {
      const r = await cli(...path, "--help");
      expect(r.status).toBe(0);
      expect(r.out).toContain(`Usage: btt ${path.join(" ")}`);
    }
    expect((await cli("tx", "staking", "create-validator", "--help")).out).toContain(
      "--consensus-pubkey <hex|base64>",
    );
  });
});
