// What the throughput benches (bench:tps, bench:api) share: funded accounts on a dev genesis, a
// node with its solo driver in a temp directory, and a CPU profile of one phase.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Signer } from "@btt/core";
import { BttNode, createDevGenesis, type GenesisDoc, SoloDriver } from "@btt/node";
import { benchSigner } from "./accounts.ts";

export interface BenchChain {
  genesis: GenesisDoc;
  /** benchSigner(0 … accounts-1), each funded with 10^12 ubtt: no bench run drains one. */
  signers: Signer[];
  validator: Signer;
}

export function benchChain(chainId: string, accounts: number): BenchChain {
  const signers = Array.from({ length: accounts }, (_, i) => benchSigner(i));
  const validator = benchSigner(-1);
  const genesis = createDevGenesis({
    chainId,
    genesisTime: "2026-01-01T00:00:00Z",
    validator,
    funded: signers.map((signer) => ({ signer, ubtt: 1_000_000_000_000n })),
  });
  return { genesis, signers, validator };
}

export interface BenchNode {
  node: BttNode;
  driver: SoloDriver;
  /** The node's LMDB directory (the benches measure its size). */
  dataDir: string;
  /** Stops the driver, closes the node and deletes its directory. */
  close(): Promise<void>;
}

/**
 * A node whose mempool holds a whole run, and its solo driver (up to 100,000 txs a block), block 1
 * (the genesis state) already committed; the driver is not started.
 */
export function startBenchNode(
  name: string,
  chain: BenchChain,
  opts: { keepRecent: number; blockMs: number; verifyThreads: number | undefined },
): BenchNode {
  const dir = mkdtempSync(join(tmpdir(), `btt-bench-${name}-`));
  const dataDir = join(dir, "data");
  const node = new BttNode({
    dataDir,
    genesis: chain.genesis,
    keepRecent: opts.keepRecent,
    mempool: { maxTxs: 1_000_000, maxBytes: 1 << 30, maxTxBytes: 1 << 17 },
    ...(opts.verifyThreads === undefined ? {} : { verifyThreads: opts.verifyThreads }),
  });
  const driver = new SoloDriver(node, {
    blockIntervalMs: opts.blockMs,
    limits: { maxTxs: 100_000, maxBytes: 64 * 1024 * 1024 },
    proposer: chain.validator.address,
  });
  driver.produce();
  return {
    node,
    driver,
    dataDir,
    close: async () => {
      driver.stop();
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Starts a CPU profile of the main thread; the function it returns writes it to `file`. */
export async function startProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async () => {
    writeFileSync(file, JSON.stringify((await session.post("Profiler.stop")).profile));
    session.disconnect();
  };
}

/**
 * Samples this thread's allocations (every 4 KiB on average), counting objects the GC has since
 * freed too, so the profile shows where garbage comes from; stop() writes a .heapprofile.
 */
export async function startHeapProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.enable");
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    writeFileSync(file, JSON.stringify((await session.post("HeapProfiler.stopSampling")).profile));
    session.disconnect();
  };
}
