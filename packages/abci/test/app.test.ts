import { decodeProof, fromHex, sha256, toHex, verifyProof } from "@btt/core";
import { balanceStateKey, bankMsg } from "@btt/modules";
import { type Response, ResponseProcessProposal_ProposalStatus } from "cosmjs-types/tendermint/abci/types";
import { afterEach, describe, expect, it } from "vitest";
import { PROOF_OP_TYPE } from "../src/app.ts";
import { TestClient } from "./client.ts";
import { type AppUnderTest, fullTestChain, signedTx, TEST_CHAIN_ID } from "./helpers.ts";

const chain = fullTestChain(3);
const [alice, bob] = chain.accounts as [(typeof chain.accounts)[0], (typeof chain.accounts)[0]];
const time = (ms: number) => ({ seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
const proposer = new Uint8Array(20).fill(7);
const blockReq = (height: number, txs: Uint8Array[]) => ({
  txs,
  height: BigInt(height),
  time: time(1_767_225_600_000 + height * 1000),
  proposerAddress: proposer,
  hash: sha256(Buffer.from(`block ${height}`)),
  nextValidatorsHash: new Uint8Array(32),
  misbehavior: [],
});
const finalize = (height: number, txs: Uint8Array[]) => ({
  finalizeBlock: { ...blockReq(height, txs), decidedLastCommit: { round: 0, votes: [] } },
});
const send = (nonce: bigint, amount = 5n, from = alice) =>
  signedTx(from, nonce, [bankMsg.send(bob.address, [{ denom: "ubtt", amount }])], {
    includeKey: nonce === 0n,
  });

let under: AppUnderTest | undefined;
afterEach(async () => {
  await under?.close();
  under = undefined;
});

async function firstBlock(c: TestClient): Promise<void> {
  await c.call({
    initChain: {
      time: time(0),
      chainId: TEST_CHAIN_ID,
      validators: [],
      appStateBytes: new Uint8Array(0),
      initialHeight: 1n,
    },
  });
  await c.call(finalize(1, []));
  await c.call({ commit: {} });
}

async function start(): Promise<{ u: AppUnderTest; c: TestClient }> {
  const { startApp } = await import("./helpers.ts");
  under = await startApp(chain.genesis);
  return { u: under, c: await TestClient.open(under.port) };
}

describe("ABCI app over the socket", () => {
  it("answers in order, Flush last, and runs a chain: InitChain, FinalizeBlock, Commit, Info, Query with a proof", async () => {
    const { u, c } = await start();
    c.send(
      { echo: { message: "one" } },
      { info: { version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" } },
    );
    c.send({ echo: { message: "two" } }, { flush: {} });
    const [e1, info, e2, f] = await c.take(4);
    expect(e1!.echo!.message).toBe("one");
    expect(info!.info!.lastBlockHeight).toBe(0n);
    expect(info!.info!.lastBlockAppHash.length).toBe(0);
    expect(e2!.echo!.message).toBe("two");
    expect(f!.flush).toBeDefined();

    const init = await c.call({
      initChain: {
        time: time(0),
        chainId: TEST_CHAIN_ID,
        validators: [],
        appStateBytes: Buffer.from(JSON.stringify(chain.genesis.app_state)),
        initialHeight: 1n,
      },
    });
    expect(init.initChain!.appHash.length).toBe(0);
    // Before block 1 (which writes the genesis state) CheckTx answers NOT_READY.
    expect((await c.call({ checkTx: { tx: send(0n), type: 0 } })).checkTx!.code).toBe(28);
    await c.call(finalize(1, []));
    await c.call({ commit: {} });

    const tx0 = send(0n);
    const check = await c.call({ checkTx: { tx: tx0, type: 0 } });
    expect(check.checkTx!.code).toBe(0);
    // CheckTx of a tx with a bad nonce answers its BttError code.
    const bad = await c.call({ checkTx: { tx: send(5n), type: 0 } });
    expect(bad.checkTx!.code).toBe(9);
    expect(bad.checkTx!.codespace).toBe("btt");

    const fin = await c.call(finalize(2, [tx0]));
    expect(fin.finalizeBlock!.txResults.map((r) => r.code)).toEqual([0]);
    expect(fin.finalizeBlock!.txResults[0]!.events.some((e) => e.type === "bank/transfer")).toBe(true);
    // CometBFT's tx indexer gets the accounts only (one index write per marked attribute).
    const transfer = fin.finalizeBlock!.txResults[0]!.events.find((e) => e.type === "bank/transfer")!;
    const marked = Object.fromEntries(transfer.attributes.map((a) => [a.key, a.index]));
    expect(marked).toMatchObject({ sender: true, recipient: true, amount: false });
    const appHash = fin.finalizeBlock!.appHash;
    // FinalizeBlock writes nothing: Info still reports block 1 until Commit.
    expect(
      (await c.call({ info: { version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" } })).info!
        .lastBlockHeight,
    ).toBe(1n);
    const commit = await c.call({ commit: {} });
    expect(commit.commit!.retainHeight).toBe(0n);
    expect(u.node.height).toBe(2);
    expect(toHex(u.node.ledger.appHash)).toBe(toHex(appHash));
    expect(u.node.mempool.size).toBe(0);
    const info2 = await c.call({ info: { version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" } });
    expect(info2.info!.lastBlockHeight).toBe(2n);
    expect(toHex(info2.info!.lastBlockAppHash)).toBe(toHex(appHash));

    // The balance with its proof against the app hash of block 2.
    const key = balanceStateKey(bob.address, "ubtt").subarray("bank/".length);
    const q = await c.call({ query: { path: "/store/bank/key", data: key, height: 0n, prove: true } });
    expect(q.query!.code).toBe(0);
    expect(q.query!.height).toBe(2n);
    const op = q.query!.proofOps!.ops[0]!;
    expect(op.type).toBe(PROOF_OP_TYPE);
    expect(verifyProof(appHash, op.key, q.query!.value, decodeProof(op.data))).toBe(true);
    expect(verifyProof(appHash, op.key, new Uint8Array([1]), decodeProof(op.data))).toBe(false);
    const unknown = await c.call({ query: { path: "/store/nope/key", data: key, height: 0n, prove: false } });
    expect(unknown.query!.code).toBe(19);
    const future = await c.call({ query: { path: "/store/bank/key", data: key, height: 9n, prove: false } });
    expect(future.query!.code).toBe(29);
    c.close();
  });

  it("answers asynchronous CheckTx in request order and rechecks after Commit", async () => {
    const { u, c } = await start();
    await firstBlock(c);
    const txs = [0n, 1n, 2n].map((n) => send(n));
    c.send(...txs.map((tx) => ({ checkTx: { tx, type: 0 } })), { echo: { message: "after" } }, { flush: {} });
    const answers = await c.take(5);
    expect(answers.map((a) => Object.keys(a).find((k) => a[k as keyof Response] !== undefined))).toEqual([
      "checkTx",
      "checkTx",
      "checkTx",
      "echo",
      "flush",
    ]);
    expect(answers.slice(0, 3).map((a) => a.checkTx!.code)).toEqual([0, 0, 0]);
    // A block with the first two; the third stays pending and passes its recheck, the first does not.
    await c.call(finalize(2, txs.slice(0, 2)));
    await c.call({ commit: {} });
    expect(u.node.mempool.size).toBe(1);
    const re2 = await c.call({ checkTx: { tx: txs[2]!, type: 1 } });
    expect(re2.checkTx!.code).toBe(0);
    const re0 = await c.call({ checkTx: { tx: txs[0]!, type: 1 } });
    expect(re0.checkTx!.code).toBe(8); // NONCE_TOO_LOW
    c.close();
  });

  it("PrepareProposal caps bytes and leaves out txs the ante checks reject; ProcessProposal rejects bad blocks", async () => {
    const { c } = await start();
    await firstBlock(c);
    const good = [send(0n), send(1n)];
    const gap = send(7n); // nonce gap: rejected before the fee
    const wrongChain = signedTx(alice, 2n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 1n }])], {
      chainId: "other-chain",
    });
    const prep = await c.call({
      prepareProposal: {
        ...blockReq(2, [good[0]!, gap, good[1]!, wrongChain]),
        maxTxBytes: 1_000_000n,
        localLastCommit: { round: 0, votes: [] },
      },
    });
    expect(prep.prepareProposal!.txs.map((t) => toHex(t))).toEqual(good.map((t) => toHex(t)));
    const capped = await c.call({
      prepareProposal: {
        ...blockReq(2, good),
        maxTxBytes: BigInt(good[0]!.length + 3),
        localLastCommit: { round: 0, votes: [] },
      },
    });
    expect(capped.prepareProposal!.txs.length).toBe(1);

    const proc = (txs: Uint8Array[]) =>
      c.call({ processProposal: { ...blockReq(2, txs), proposedLastCommit: { round: 0, votes: [] } } });
    const status = async (txs: Uint8Array[]) => (await proc(txs)).processProposal!.status;
    expect(await status(good)).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);
    expect(await status([])).toBe(ResponseProcessProposal_ProposalStatus.ACCEPT);
    expect(await status([good[0]!, gap])).toBe(ResponseProcessProposal_ProposalStatus.REJECT);
    expect(await status([Uint8Array.from([1, 2, 3])])).toBe(ResponseProcessProposal_ProposalStatus.REJECT);
    expect(await status([good[0]!, good[0]!])).toBe(ResponseProcessProposal_ProposalStatus.REJECT);
    expect(await status([wrongChain])).toBe(ResponseProcessProposal_ProposalStatus.REJECT);
    // A tampered signature (last byte flipped) is rejected too.
    const tampered = Uint8Array.from(good[0]!);
    tampered[tampered.length - 1]! ^= 1;
    expect(await status([tampered])).toBe(ResponseProcessProposal_ProposalStatus.REJECT);
    c.close();
  });

  it("FinalizeBlock answers a failed result for an undecodable tx and executes the rest", async () => {
    const { u, c } = await start();
    await firstBlock(c);
    const fin = await c.call(finalize(2, [Uint8Array.from([0xff, 0x01]), send(0n)]));
    expect(fin.finalizeBlock!.txResults.map((r) => r.code)).toEqual([1, 0]);
    await c.call({ commit: {} });
    expect(u.node.ledger.blocks.block(2)!.block.txs.length).toBe(1);
    c.close();
  });

  it("refuses a CometBFT genesis for another chain or with another app_state", async () => {
    const { c } = await start();
    const other = await c.call({
      initChain: {
        time: time(0),
        chainId: "other",
        validators: [],
        appStateBytes: new Uint8Array(0),
        initialHeight: 1n,
      },
    });
    expect(other.exception!.error).toMatch(/chain id/);
    const state = JSON.parse(JSON.stringify(chain.genesis.app_state));
    state.bank.balances = [];
    const diff = await c.call({
      initChain: {
        time: time(0),
        chainId: TEST_CHAIN_ID,
        validators: [],
        appStateBytes: Buffer.from(JSON.stringify(state)),
        initialHeight: 1n,
      },
    });
    expect(diff.exception!.error).toMatch(/differs|app_state|balances/);
    c.close();
  });

  it("a malformed frame closes only that connection, logged, with state untouched", async () => {
    const { u, c } = await start();
    const other = await TestClient.open(u.port);
    await c.call(finalize(1, [send(0n)]));
    const hashBefore = toHex(u.node.ledger.appHash);
    // A length prefix of 11 continuation bytes: not a uvarint.
    c.writeRaw(new Uint8Array(11).fill(0xff));
    await c.waitClosed();
    // A frame whose body is not a Request.
    const c2 = await TestClient.open(u.port);
    c2.writeRaw(Uint8Array.from([3, 0xff, 0xff, 0xff]));
    await c2.waitClosed();
    // A frame larger than the limit.
    const c3 = await TestClient.open(u.port);
    c3.writeRaw(fromHex("ffffffff0f"));
    await c3.waitClosed();
    // A Request with no method.
    const c4 = await TestClient.open(u.port);
    c4.writeRaw(Uint8Array.from([0]));
    await c4.waitClosed();
    const reasons = u.logs.filter((l) => l.reason).map((l) => String(l.reason));
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toMatch(/malformed frame/);
    expect(reasons[1]).toMatch(/malformed request/);
    expect(reasons[2]).toMatch(/exceeds the limit/);
    expect(reasons[3]).toMatch(/no method/);
    expect(u.node.height).toBe(0);
    expect(toHex(u.node.ledger.appHash)).toBe(hashBefore);
    // The other connection still works, and the finalized block can still be committed.
    const r = await other.call({ commit: {} });
    expect(r.commit).toBeDefined();
    expect(u.node.height).toBe(1);
    other.close();
  });

  it("after a crash between FinalizeBlock and Commit, Info reports the last committed height and the block replays", async () => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { startApp } = await import("./helpers.ts");
    const dir = mkdtempSync(join(tmpdir(), "btt-abci-crash-"));
    try {
      let u = await startApp(chain.genesis, dir);
      let c = await TestClient.open(u.port);
      await c.call(finalize(1, [send(0n)]));
      await c.call({ commit: {} });
      const second = await c.call(finalize(2, [send(1n)]));
      c.close();
      await u.close(); // no Commit: the block is lost
      u = await startApp(chain.genesis, dir);
      c = await TestClient.open(u.port);
      const info = await c.call({ info: { version: "", blockVersion: 0n, p2pVersion: 0n, abciVersion: "" } });
      expect(info.info!.lastBlockHeight).toBe(1n);
      const again = await c.call(finalize(2, [send(1n)]));
      expect(toHex(again.finalizeBlock!.appHash)).toBe(toHex(second.finalizeBlock!.appHash));
      await c.call({ commit: {} });
      expect(u.node.height).toBe(2);
      c.close();
      await u.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
