import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bankMsg } from "@btt/modules";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CommittedBlock } from "../src/block-store/index.ts";
import { DEFAULT_MEMPOOL_OPTIONS } from "../src/mempool.ts";
import { BttNode, DEFAULT_BLOCK_LIMITS } from "../src/node.ts";
import { SoloDriver } from "../src/solo-driver.ts";
import { signedTx, testChain } from "./helpers.ts";

/**
 * A node whose blocks take `blockMs` of (fake) wall-clock time each and whose mempool is ready only once
 * `verifying` is false: enough to watch the driver's cadence without a ledger.
 */
function fakeNode(blockMs: number) {
  const produced: number[] = [];
  /** Per block produced: how many times txs were filled into it before it was committed. */
  const fills: number[] = [];
  let filled = 0;
  const commit = () => {
    produced.push(Date.now());
    fills.push(filled);
    filled = 0;
    vi.setSystemTime(Date.now() + node.blockMs);
    node.verifying = node.verifyingAfterBlock;
    return undefined;
  };
  const node = {
    blockMs,
    verifying: false,
    /** Whether the txs that arrive during a block are still verifying when it ends. */
    verifyingAfterBlock: false,
    mempool: { hasReady: () => !node.verifying },
    /** Signature checks requested so far, and answered (all of those up to `answered`). */
    verificationMark: 0,
    answered: 0,
    verifiedThrough: (mark: number) => node.answered >= mark,
    openBlock: () => ({ ledger: {}, reaped: [], executeMs: 0 }),
    fillBlock: () => {
      filled++;
      return 0;
    },
    abandonBlock: () => {},
    commitBlock: commit,
    produceBlock: commit,
  };
  return { node, produced, fills };
}

/** A solo driver with 1-second blocks over the fake node. */
function driverOf(node: ReturnType<typeof fakeNode>["node"], fillEveryMs?: number): SoloDriver {
  return new SoloDriver(node as unknown as BttNode, {
    blockIntervalMs: 1000,
    limits: { maxTxs: 10, maxBytes: 1000 },
    proposer: "btt1proposer",
    ...(fillEveryMs === undefined ? {} : { fillEveryMs }),
  });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("SoloDriver", () => {
  it("produces a block every interval when blocks are quick", async () => {
    vi.useFakeTimers({ now: 0 });
    const { node, produced } = fakeNode(100);
    const driver = driverOf(node);
    driver.start();
    await vi.advanceTimersByTimeAsync(3_500);
    driver.stop();
    expect(produced).toEqual([1000, 2000, 3000]);
  });

  it("executes the txs that become ready into the open block while its interval runs", async () => {
    vi.useFakeTimers({ now: 0 });
    const { node, produced, fills } = fakeNode(10);
    const driver = driverOf(node, 100);
    driver.start();
    await vi.advanceTimersByTimeAsync(1_500);
    driver.stop();
    expect(produced).toEqual([1000]);
    // Filled every 100 ms during the interval (9 times), and once more when it closes.
    expect(fills[0]).toBe(10);
  });

  it("after an overrun, waits for the signature checks instead of cutting an empty block", async () => {
    vi.useFakeTimers({ now: 0 });
    const { node, produced } = fakeNode(1_500);
    const driver = driverOf(node);
    // Block 1 starts at 1000 and overruns to 2500; the txs that came meanwhile are verifying.
    node.verifyingAfterBlock = true;
    driver.start();
    await vi.advanceTimersByTimeAsync(1_400);
    expect(produced).toEqual([1000]);
    node.blockMs = 100;
    node.verifyingAfterBlock = false;
    node.verifying = false;
    await vi.advanceTimersByTimeAsync(10);
    driver.stop();
    expect(produced.length).toBe(2);
    expect(produced[1]).toBeGreaterThan(1000 + 1_500 + 390);
  });

  it("at the end of the interval, waits briefly for the checks of txs submitted before it", async () => {
    vi.useFakeTimers({ now: 0 });
    const { node, produced, fills } = fakeNode(0);
    const driver = driverOf(node);
    driver.start();
    // Three checks are out when block 1 is due (at 1000); they are answered at 1020.
    await vi.advanceTimersByTimeAsync(990);
    node.verificationMark = 3;
    await vi.advanceTimersByTimeAsync(30);
    expect(produced).toEqual([]);
    node.verificationMark = 5; // requested after the due time: not waited for
    node.answered = 3;
    await vi.advanceTimersByTimeAsync(5);
    expect(produced).toHaveLength(1);
    expect(produced[0]).toBeGreaterThanOrEqual(1020);
    expect(produced[0]).toBeLessThan(1025);
    // Filled while it waited, so the answered txs are in it.
    expect(fills[0]).toBeGreaterThan(20);
    // Block 2 (due one interval after block 1 closed): checks never answered, it waits at most 50 ms.
    await vi.advanceTimersByTimeAsync(1100);
    expect(produced).toHaveLength(2);
    expect(produced[1]! - produced[0]!).toBeGreaterThanOrEqual(1050);
    expect(produced[1]! - produced[0]!).toBeLessThan(1060);
    driver.stop();
  });

  it("cuts the block one interval after an overrun when the checks never finish", async () => {
    vi.useFakeTimers({ now: 0 });
    const { node, produced } = fakeNode(1_500);
    const driver = driverOf(node);
    node.verifyingAfterBlock = true;
    driver.start();
    await vi.advanceTimersByTimeAsync(2_100);
    driver.stop();
    expect(produced.length).toBe(2);
    expect(produced[1]! - (produced[0]! + 1_500)).toBeGreaterThanOrEqual(1000);
  });
});

describe("SoloDriver on a node", () => {
  it("opens each block when the previous one commits and executes txs into it before it closes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "btt-solo-stream-"));
    const { genesis, validator, accounts } = testChain(2);
    const [alice, bob] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];
    const node = new BttNode({
      dataDir: dir,
      genesis,
      keepRecent: 4,
      mempool: DEFAULT_MEMPOOL_OPTIONS,
      verifyThreads: 0,
    });
    const driver = new SoloDriver(node, {
      blockIntervalMs: 1000,
      fillEveryMs: 10,
      limits: DEFAULT_BLOCK_LIMITS,
      proposer: validator.address,
    });
    const blocks: CommittedBlock[] = [];
    node.onBlock((b) => blocks.push(b));
    try {
      driver.start();
      await vi.waitFor(() => expect(blocks.length).toBe(1), { timeout: 5_000, interval: 10 });
      const openedAt = Date.now();
      await new Promise((r) => setTimeout(r, 100));
      const submittedAt = BigInt(Date.now());
      await node.submit(signedTx(alice, 0n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 5n }])]));
      // Executed into the open block by a fill, well before the block closes.
      await vi.waitFor(() => expect(node.mempool.hasReady()).toBe(false), { timeout: 500, interval: 5 });
      await vi.waitFor(() => expect(blocks.length).toBe(2), { timeout: 5_000, interval: 10 });
      const block = blocks[1]!;
      expect(block.block.txs).toHaveLength(1);
      expect(block.results.txResults[0]!.code).toBe(0);
      // The block's time is when it opened, before the tx was submitted.
      expect(block.block.header!.timeMs).toBeLessThan(submittedAt);
      expect(Number(block.block.header!.timeMs)).toBeGreaterThanOrEqual(openedAt - 50);
    } finally {
      driver.stop();
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
