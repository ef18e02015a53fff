// Throughput of the full path in one process: pre-signed Ed25519 transfers from 10,000 funded
// accounts are submitted at a fixed rate (decode, ante checks, signature verification in worker
// threads, mempool), and the solo driver commits 1-second blocks (execution, state tree, block
// store, one durable LMDB transaction per block). Prints one JSON line last.
// tps = the commit rate inside the measured window: the txs of its commits after the first, over the
// time from the first commit to the last (at a rate the node sustains, that rate; above it, the
// node's capacity). Counting whole blocks in a fixed window instead would swing by a block (±7%)
// with where the window's edges fall between commits. Latency is from each window tx's submission to the
// block event that committed it.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTxBody, encodeTx, signTx } from "@btt/core";
import { bankMsg } from "@btt/modules";
import { benchChain, startBenchNode, startProfile } from "./chain.ts";
import { commitRate } from "./commit-rate.ts";

const { values } = parseArgs({
  options: {
    accounts: { type: "string", default: "10000" },
    rate: { type: "string", default: "5000" },
    seconds: { type: "string", default: "15" },
    // Load before the measured window (caches, page cache, JIT warm): submitted, not measured.
    warmup: { type: "string", default: "5" },
    "block-ms": { type: "string", default: "1000" },
    "verify-threads": { type: "string" },
    // State versions kept with proofs. The window costs a fixed amount of disk (it is pruned as
    // it slides), so bytes_per_tx is measured only once the window is full: see below.
    "keep-recent": { type: "string", default: "4" },
    /** Write a CPU profile of the measured phase (main thread) to this file. */
    profile: { type: "string" },
  },
});
const ACCOUNTS = Number(values.accounts);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const BLOCK_MS = Number(values["block-ms"]);
const WARMUP = Number(values.warmup);
const TOTAL = RATE * (WARMUP + SECONDS);
const FEE = 10_000n;
const KEEP_RECENT = Number(values["keep-recent"]);

const progress = (msg: string) => console.error(`[bench:tps] ${msg}`);

function dirBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).blocks * 512;
  }
  return total;
}

progress(`creating ${ACCOUNTS} accounts`);
const chain = benchChain("btt-bench-1", ACCOUNTS);
const { genesis, signers } = chain;

progress(`pre-signing ${TOTAL} transfers`);
const txs: Uint8Array[] = new Array(TOTAL);
const nonces = new Array<bigint>(ACCOUNTS).fill(0n);
let seed = 12345;
for (let i = 0; i < TOTAL; i++) {
  const from = i % ACCOUNTS;
  seed = (seed * 1103515245 + 12345) >>> 0;
  const to = (from + 1 + (seed % (ACCOUNTS - 1))) % ACCOUNTS;
  const body = createTxBody({
    chainId: genesis.chain_id,
    sender: signers[from]!.address,
    nonce: nonces[from]!++,
    fee: { denom: "ubtt", amount: FEE },
    messages: [bankMsg.send(signers[to]!.address, [{ denom: "ubtt", amount: BigInt(1 + (seed % 1000)) }])],
  });
  txs[i] = encodeTx(signTx(body, signers[from]!, false));
}

const bench = startBenchNode("tps", chain, {
  keepRecent: KEEP_RECENT,
  blockMs: BLOCK_MS,
  verifyThreads: values["verify-threads"] === undefined ? undefined : Number(values["verify-threads"]),
});
const { node, driver, dataDir } = bench;
// Disk growth is measured from the block where the state window is full to the end: from then
// on the data directory grows only by what each committed block adds for good.
let bytesAtWindowFull = 0;
let committedAtWindowFull = 0;

// Keyed by the tx bytes themselves: the node passes the same buffers into its blocks.
const submittedAt = new Map<Uint8Array, number>();
const latencies: number[] = [];
let committed = 0;
/** Committed txs that were submitted in the measured window, and when the last one committed. */
let measured = 0;
let measureFrom = Number.POSITIVE_INFINITY;
let lastCommitAt = 0;
/** Txs (any) committed inside the measured window: the throughput figure. */
let committedInWindow = 0;
let measureEnd = Number.POSITIVE_INFINITY;
/** The commits inside the measured window: when, and how many txs each. */
const windowCommits: Array<{ atMs: number; txs: number }> = [];
let maxRss = 0;
const blockSizes: number[] = [];
const closeMs: number[] = [];
node.onBlock((b, timing) => {
  closeMs.push(timing.closeMs);
  const now = performance.now();
  for (const tx of b.block.txs) {
    const at = submittedAt.get(tx);
    if (at !== undefined && at >= measureFrom) {
      latencies.push(now - at);
      measured++;
      lastCommitAt = now;
    }
    submittedAt.delete(tx);
  }
  committed += b.block.txs.length;
  if (now >= measureFrom && now <= measureEnd) {
    committedInWindow += b.block.txs.length;
    windowCommits.push({ atMs: now, txs: b.block.txs.length });
  }
  if (Number(b.block.header!.height) === KEEP_RECENT + 2) {
    bytesAtWindowFull = dirBytes(dataDir);
    committedAtWindowFull = committed;
  }
  blockSizes.push(b.block.txs.length);
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
});

let rejected = 0;
let firstRejection = "";
const stopProfile = values.profile ? await startProfile(values.profile) : undefined;
progress(`submitting ${RATE} tx/s: ${WARMUP} s warm-up, then ${SECONDS} s measured`);
driver.start();
const startedAt = performance.now();
measureFrom = startedAt + WARMUP * 1000;
measureEnd = measureFrom + SECONDS * 1000;
const cpuAtStart = process.cpuUsage();
let next = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    const due = Math.min(TOTAL, Math.floor(((performance.now() - startedAt) / 1000) * RATE));
    for (; next < due; next++) {
      const bytes = txs[next]!;
      submittedAt.set(bytes, performance.now());
      node.submit(bytes).catch((err) => {
        rejected++;
        firstRejection ||= String(err.message);
      });
    }
    if (next < TOTAL) setTimeout(tick, 5);
    else resolve();
  };
  tick();
});
// Let the last submissions commit.
const deadline = performance.now() + 20_000;
while (committed + rejected < TOTAL && performance.now() < deadline)
  await new Promise((r) => setTimeout(r, 50));
driver.stop();
const cpu = process.cpuUsage(cpuAtStart);
progress(`process CPU per committed tx: ${Math.round((cpu.user + cpu.system) / Math.max(1, committed))} µs`);
await stopProfile?.();

const elapsedS = (lastCommitAt - measureFrom) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
const bytesPerTx = (dirBytes(dataDir) - bytesAtWindowFull) / Math.max(1, committed - committedAtWindowFull);
await bench.close();
const windowRate = commitRate(windowCommits) ?? committedInWindow / SECONDS;
progress(`commit rate in the window: ${Math.round(windowRate)}/s over ${windowCommits.length} commits`);
progress(
  `committed in the ${SECONDS} s window: ${committedInWindow} (${Math.round(committedInWindow / SECONDS)}/s); ` +
    `the window's ${measured} submissions took ${elapsedS.toFixed(1)} s to the last commit ` +
    `(${Math.round(measured / elapsedS)}/s end to end)`,
);
const closeSorted = [...closeMs].sort((a, b) => a - b);
progress(
  `block close to commit: median ${Math.round(closeSorted[closeSorted.length >> 1] ?? 0)} ms, ` +
    `max ${Math.round(closeSorted[closeSorted.length - 1] ?? 0)} ms`,
);
progress(
  `blocks: ${blockSizes.join(" ")}; rejected ${rejected}${firstRejection ? ` (first: ${firstRejection})` : ""}`,
);
console.log(
  JSON.stringify({
    tps: Math.round(windowRate),
    p50_ms: Math.round(pct(50)),
    p99_ms: Math.round(pct(99)),
    bytes_per_tx: Math.round(bytesPerTx),
    rss_mb: Math.round(maxRss / 1024 / 1024),
    txs: measured,
  }),
);
