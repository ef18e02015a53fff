// The staking module's validator updates through FinalizeBlock, over the real socket.
import { addressBytes, toHex } from "@btt/core";
import { consensusAddress, DEFAULT_STAKING_PARAMS, stakingMsg } from "@btt/modules";
import { Application, validateGenesis } from "@btt/node";
import { MisbehaviorType } from "cosmjs-types/tendermint/abci/types";
import { BlockIDFlag } from "cosmjs-types/tendermint/types/validator";
import { afterEach, describe, expect, it } from "vitest";
import { TestClient } from "./client.ts";
import { type AppUnderTest, fullTestChain, signedTx, startApp, TEST_CHAIN_ID } from "./helpers.ts";

const base = fullTestChain(3);
const [alice, bob, carol] = base.accounts as [
  (typeof base.accounts)[0],
  (typeof base.accounts)[0],
  (typeof base.accounts)[0],
];
const keyA = new Uint8Array(32).fill(0xa1);
const keyB = new Uint8Array(32).fill(0xb2);
const genesis = validateGenesis(
  {
    ...base.genesis,
    app_state: {
      ...base.genesis.app_state,
      staking: {
        params: { ...DEFAULT_STAKING_PARAMS, epoch_blocks: "2", signed_blocks_window: 2 },
        validators: [
          { operator: alice.address, consensus_pubkey: toHex(keyA), self_delegation: "600" },
          { operator: bob.address, consensus_pubkey: toHex(keyB), self_delegation: "400" },
        ],
      },
    },
  },
  (id) => new Application(id),
);

const time = (ms: number) => ({ seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
const finalize = (
  height: number,
  txs: Uint8Array[],
  votes: Array<{ key: Uint8Array; flag: BlockIDFlag }>,
  misbehavior: Array<{ key: Uint8Array; height: number }> = [],
) => ({
  finalizeBlock: {
    txs,
    height: BigInt(height),
    time: time(1_767_225_600_000 + height * 1000),
    proposerAddress: consensusAddress(keyA),
    hash: new Uint8Array(32).fill(height),
    nextValidatorsHash: new Uint8Array(32),
    misbehavior: misbehavior.map((m) => ({
      type: MisbehaviorType.DUPLICATE_VOTE,
      validator: { address: consensusAddress(m.key), power: 1n },
      height: BigInt(m.height),
      time: time(1_767_225_600_000 + m.height * 1000),
      totalVotingPower: 2n,
    })),
    decidedLastCommit: {
      round: 0,
      votes: votes.map((v) => ({
        validator: { address: consensusAddress(v.key), power: 1n },
        blockIdFlag: v.flag,
      })),
    },
  },
});

let under: AppUnderTest | undefined;
afterEach(async () => {
  await under?.close();
  under = undefined;
});

describe("ABCI: staking's validator updates", () => {
  it("FinalizeBlock returns the epoch's power changes: first set, a missed vote, a delegation", async () => {
    under = await startApp(genesis);
    const c = await TestClient.open(under.port);
    await c.call({
      initChain: {
        time: time(0),
        chainId: TEST_CHAIN_ID,
        validators: [],
        appStateBytes: new Uint8Array(0),
        initialHeight: 1n,
      },
    });
    const updates = (r: Awaited<ReturnType<typeof c.call>>) =>
      r.finalizeBlock!.validatorUpdates.map((u) => [toHex(u.pubKey.ed25519!), u.power]);
    // Block 1: S = 0.6, 0.4; H = 1; C = 0.5. V = 0.24 + 0.35 + 0.125 = 0.715; 0.16 + 0.475 = 0.635.
    const first = await c.call(finalize(1, [], []));
    expect(updates(first)).toEqual([
      [toHex(keyA), 715_000n],
      [toHex(keyB), 635_000n],
    ]);
    await c.call({ commit: {} });
    // Block 2 (an epoch end): B's vote for block 1 was absent → H_B = 1/2; carol delegates 1000 to B.
    // S = 600/2000, 1400/2000; V_A = 0.12 + 0.35 + 0.125 = 0.595; V_B = 0.28 + 0.175 + 0.125 = 0.58.
    const tx = signedTx(carol, 0n, [stakingMsg.delegate(bob.address, 1000n)], { includeKey: true });
    const second = await c.call(
      finalize(
        2,
        [tx],
        [
          { key: keyA, flag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT },
          { key: keyB, flag: BlockIDFlag.BLOCK_ID_FLAG_ABSENT },
        ],
      ),
    );
    expect(second.finalizeBlock!.txResults.map((r) => r.code)).toEqual([0]);
    expect(updates(second)).toEqual([
      [toHex(keyA), 595_000n],
      [toHex(keyB), 580_000n],
    ]);
    await c.call({ commit: {} });
    // Block 3 is not an epoch end: no updates, whatever the votes.
    const third = await c.call(finalize(3, [], [{ key: keyA, flag: BlockIDFlag.BLOCK_ID_FLAG_NIL }]));
    expect(third.finalizeBlock!.validatorUpdates).toEqual([]);
    await c.call({ commit: {} });
    // The stored state agrees: one miss of B in its window, and the active set of block 2.
    const { keeper } = under.node.ledger.app.staking;
    const committed = under.node.ledger.committed;
    expect(keeper.activeSet(committed).map((m) => m.power)).toEqual([595_000n, 580_000n]);
    expect(keeper.scores(committed).map((s) => [s.validator.operator, s.hPpm])).toEqual(
      [
        [alice.address, 1_000_000n],
        [bob.address, 500_000n],
      ].sort((x, y) => Buffer.compare(addressBytes(x[0] as string), addressBytes(y[0] as string))),
    );
    c.close();
  });

  it("FinalizeBlock's misbehavior slashes and tombstones the double signer, who leaves in that block", async () => {
    under = await startApp(genesis);
    const c = await TestClient.open(under.port);
    await c.call({
      initChain: {
        time: time(0),
        chainId: TEST_CHAIN_ID,
        validators: [],
        appStateBytes: new Uint8Array(0),
        initialHeight: 1n,
      },
    });
    await c.call(finalize(1, [], []));
    await c.call({ commit: {} });
    const signed = [
      { key: keyA, flag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT },
      { key: keyB, flag: BlockIDFlag.BLOCK_ID_FLAG_COMMIT },
    ];
    const second = await c.call(finalize(2, [], signed, [{ key: keyB, height: 1 }]));
    const events = second.finalizeBlock!.events.map((e) => e.type);
    expect(events).toContain("staking/slash");
    expect(events).toContain("staking/jail");
    // B leaves (power 0); A alone: S = 1, H = 1, C = 0.5 → V = 0.4 + 0.35 + 0.125 = 0.875.
    expect(second.finalizeBlock!.validatorUpdates.map((u) => [toHex(u.pubKey.ed25519!), u.power])).toEqual([
      [toHex(keyB), 0n],
      [toHex(keyA), 875_000n],
    ]);
    await c.call({ commit: {} });
    const { keeper } = under.node.ledger.app.staking;
    // 5% of 400 burnt.
    expect(keeper.validator(under.node.ledger.committed, bob.address)).toMatchObject({
      tokens: 380n,
      jailed: true,
      tombstoned: true,
    });
    c.close();
  });
});
