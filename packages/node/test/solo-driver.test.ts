import { afterEach, describe, expect, it, vi } from "vitest";
import type { BttNode } from "../src/node.ts";
import { SoloDriver } from "../src/solo-driver.ts";

/**
 * A node whose blocks take `blockMs` of (fake) wall-clock time each and whose mempool is ready only once
 * `verifying` is false: enough to watch the driver's cadence without a ledger.
 */
function fakeNode(blockMs: number) {
  const produced: number[] = [];
  const node = {
    blockMs,
    verifying: false,
    /** Whether the txs that arrive during a block are still verifying when it ends. */
    verifyingAfterBlock: false,
    mempool: { hasReady: () => !node.verifying },
    produceBlock: () => {
      produced.push(Date.now());
      vi.setSystemTime(Date.now() + node.blockMs);
      node.verifying = node.verifyingAfterBlock;
      return undefined;
    },
  };
  return { node, produced };
}

/** A solo driver with 1-second blocks over the fake node. */
function driverOf(node: ReturnType<typeof fakeNode>["node"]): SoloDriver {
  return new SoloDriver(node as unknown as BttNode, {
    blockIntervalMs: 1000,
    limits: { maxTxs: 10, maxBytes: 1000 },
    proposer: "btt1proposer",
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
