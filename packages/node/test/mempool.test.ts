import { BttError, type SingleKeyCheck, verifySingleKey } from "@btt/core";
import { type BlockInfo, bankMsg, CommittedStore, MemoryState } from "@btt/modules";
import { describe, expect, it } from "vitest";
import { Application } from "../src/app.ts";
import { Mempool, type MempoolOptions } from "../src/mempool.ts";
import { blockTx, signedTx, TEST_CHAIN_ID, testChain } from "./helpers.ts";

const send = (to: string, amount = 1n) => bankMsg.send(to, [{ denom: "ubtt", amount }]);

function setup(opts: Partial<MempoolOptions> = {}) {
  const chain = testChain(4);
  const app = new Application(TEST_CHAIN_ID);
  const memory = new MemoryState();
  const kv = new CommittedStore(memory);
  let height = 0n;
  const commit = (txs: Uint8Array[]) => {
    height++;
    const info: BlockInfo = {
      chainId: TEST_CHAIN_ID,
      height,
      timeMs: height,
      proposer: chain.validator.address,
    };
    const appState = height === 1n ? app.validateAppState(chain.genesis.app_state) : undefined;
    const exec = app.executeBlock(kv, info, txs.map(blockTx), appState);
    memory.apply(exec.changes);
    kv.invalidate();
    return exec;
  };
  commit([]);
  const mempool = new Mempool(
    { maxTxs: 100, maxBytes: 1 << 20, maxTxBytes: 1 << 16, ...opts },
    {
      check: (decoded, window) => app.checkTx(kv, decoded, window),
      verify: async (message: Uint8Array, checks: SingleKeyCheck[]) =>
        checks.every((c) => verifySingleKey(c.kind, c.publicKey, message, c.signature)),
      feeBalance: (address, denom) => app.bank.keeper.balance(kv, address, denom),
      nextNonce: (address) => app.auth.keeper.nextNonce(kv, address),
    },
  );
  return { chain, mempool, commit };
}

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(BttError);
    return (err as BttError).code;
  }
  return "ACCEPTED";
}

describe("mempool", () => {
  it("orders by fee across senders and by nonce within a sender", async () => {
    const { chain, mempool } = setup();
    const [a, b, c] = chain.accounts;
    await mempool.add(signedTx(a!, 0n, [send(b!.address)], { fee: 20_000n }));
    await mempool.add(signedTx(a!, 1n, [send(b!.address)], { fee: 90_000n }));
    await mempool.add(signedTx(b!, 0n, [send(c!.address)], { fee: 50_000n }));
    await mempool.add(signedTx(c!, 0n, [send(a!.address)], { fee: 30_000n }));
    const order = mempool
      .reap(10, 1 << 20)
      .map(
        (p) =>
          `${p.outcome.sender === a!.address ? "a" : p.outcome.sender === b!.address ? "b" : "c"}${p.outcome.nonce}`,
      );
    // a1 pays most but cannot go before a0.
    expect(order).toEqual(["b0", "c0", "a0", "a1"]);
  });

  it("reaps a tx into one block only, until that block is committed or released", async () => {
    const { chain, mempool } = setup();
    const [a, b] = chain.accounts;
    await mempool.add(signedTx(a!, 0n, [send(b!.address)], { fee: 20_000n }));
    await mempool.add(signedTx(a!, 1n, [send(b!.address)], { fee: 20_000n }));
    const first = mempool.reap(1, 1 << 20);
    expect(first.map((p) => p.outcome.nonce)).toEqual([0n]);
    // A second reap (the same block, filled again) continues after what was taken.
    await mempool.add(signedTx(b!, 0n, [send(a!.address)], { fee: 10_000n }));
    const second = mempool.reap(10, 1 << 20);
    expect(second.map((p) => p.outcome.nonce)).toEqual([1n, 0n]);
    expect(mempool.reap(10, 1 << 20)).toEqual([]);
    expect(mempool.hasReady()).toBe(false);
    // Taken txs stay pending (a resubmission is a duplicate) and count for the nonce window.
    expect(mempool.size).toBe(3);
    // An abandoned block gives its txs back.
    mempool.release([...first, ...second]);
    expect(mempool.reap(10, 1 << 20).map((p) => p.outcome.nonce)).toEqual([0n, 1n, 0n]);
  });

  it("rejects duplicates, nonce gaps, reused pending nonces and bad signatures", async () => {
    const { chain, mempool } = setup();
    const [a, b] = chain.accounts;
    const tx = signedTx(a!, 0n, [send(b!.address)]);
    await mempool.add(tx);
    expect(await rejection(mempool.add(tx))).toBe("DUPLICATE_TX");
    expect(await rejection(mempool.add(signedTx(a!, 0n, [send(b!.address, 2n)])))).toBe("NONCE_TOO_LOW");
    expect(await rejection(mempool.add(signedTx(a!, 2n, [send(b!.address)])))).toBe("NONCE_TOO_HIGH");
    const forged = signedTx(a!, 1n, [send(b!.address)]);
    forged[forged.length - 5]! ^= 0xff;
    expect(await rejection(mempool.add(forged))).toBe("BAD_SIGNATURE");
    expect(await rejection(mempool.add(Uint8Array.from([1, 2, 3])))).toBe("TX_MALFORMED");
    expect(mempool.size).toBe(1);
  });

  it("is bounded by count and by bytes", async () => {
    const byCount = setup({ maxTxs: 2 });
    const [a, b] = byCount.chain.accounts;
    await byCount.mempool.add(signedTx(a!, 0n, [send(b!.address)]));
    await byCount.mempool.add(signedTx(a!, 1n, [send(b!.address)]));
    expect(await rejection(byCount.mempool.add(signedTx(a!, 2n, [send(b!.address)])))).toBe("MEMPOOL_FULL");
    const byBytes = setup({ maxBytes: 300 });
    await byBytes.mempool.add(signedTx(a!, 0n, [send(b!.address)]));
    expect(await rejection(byBytes.mempool.add(signedTx(a!, 1n, [send(b!.address)])))).toBe("MEMPOOL_FULL");
    expect(await rejection(byBytes.mempool.add(new Uint8Array(1 << 17)))).toBe("TX_TOO_LARGE");
  });

  it("refuses a tx whose fee the balance cannot cover on top of the sender's pending fees", async () => {
    const { chain, mempool } = setup();
    const [a, b] = chain.accounts;
    await mempool.add(signedTx(a!, 0n, [send(b!.address)], { fee: 600_000_000n }));
    expect(await rejection(mempool.add(signedTx(a!, 1n, [send(b!.address)], { fee: 600_000_000n })))).toBe(
      "INSUFFICIENT_FUNDS",
    );
  });

  it("after a block, drops what was committed and re-checks the rest against the new state", async () => {
    const { chain, mempool, commit } = setup();
    const [a, b, c] = chain.accounts;
    const a0 = signedTx(a!, 0n, [send(b!.address)]);
    await mempool.add(a0);
    await mempool.add(signedTx(a!, 1n, [send(b!.address)]));
    await mempool.add(signedTx(c!, 0n, [send(b!.address)], { fee: 10_000n }));
    await mempool.add(signedTx(c!, 1n, [send(b!.address)], { fee: 10_000n }));
    // Outside the mempool, c spends almost everything and a's first tx commits.
    const drain = signedTx(c!, 0n, [send(b!.address, 1_000_000_000n - 10_000n - 5_000n)]);
    const exec = commit([a0, drain]);
    expect(exec.txs.map((t) => t.code)).toEqual([0, 0]);
    mempool.update([blockTx(a0).decoded.hash, blockTx(drain).decoded.hash]);
    // a1 stays; c0's nonce is used, and c1's fee (10,000) is more than c has left (5,000).
    const left = mempool.reap(10, 1 << 20).map((p) => [p.outcome.sender, p.outcome.nonce]);
    expect(left).toEqual([[a!.address, 1n]]);
    expect(mempool.size).toBe(1);
  });
});
