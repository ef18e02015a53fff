// Throughput of a real four-validator CometBFT network on this machine: `btt testnet init`'s homes
// (plus funded bench accounts in the genesis), `btt testnet start`'s processes (four `btt abci`
// apps, four `cometbft start`), pre-signed Ed25519 transfers sent at a fixed rate through the
// validators' RPC (`broadcast_tx_sync` in JSON-RPC batches, spread over the four nodes, a bounded
// number in flight).
// Commits are read by polling node0's `/block`: a tx's latency runs from its send to the moment
// the poll first sees it in a block. Prints a summary on stderr and one JSON line last.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  initTestnet,
  type NodePorts,
  type RunningNode,
  requireCometbft,
  setToml,
  startTestnet,
  stopTestnet,
  type TestnetManifest,
} from "@btt/abci";
import { createTxBody, encodeTx, PublicKeySchema, signTx } from "@btt/core";
import { bankMsg } from "@btt/modules";
import { Application, type GenesisDoc, homePaths, validateGenesis } from "@btt/node";
import { toJson } from "@bufbuild/protobuf";
import { freePort } from "../packages/abci/test/comet-helpers.ts";
import { benchSigner } from "./accounts.ts";
import { commitRate } from "./commit-rate.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "2000" },
    seconds: { type: "string", default: "30" },
    // Sent before the measured window (JIT, caches, mempools filling): not measured.
    warmup: { type: "string", default: "5" },
    accounts: { type: "string", default: "10000" },
    validators: { type: "string", default: "4" },
    "block-time": { type: "string", default: "1s" },
    /** The consensus parameter block.max_bytes (default: what `btt testnet init` writes). */
    "max-block-bytes": { type: "string" },
    /** Requests awaiting their answer, over all nodes. */
    inflight: { type: "string", default: "1024" },
    /** Txs per HTTP request (a JSON-RPC batch). */
    batch: { type: "string", default: "25" },
    /** CometBFT's tx indexer: "kv" (its default, what `btt testnet init` leaves) or "null". */
    indexer: { type: "string", default: "kv" },
    /** CometBFT's mempool.recheck: re-run CheckTx on every pending tx after each block. */
    recheck: { type: "string", default: "true" },
    /** CometBFT's mempool.broadcast: gossip txs to peers (off: a tx waits for its node's turn to propose). */
    broadcast: { type: "string", default: "true" },
    /** Write each app's CPU profile (node --cpu-prof) to this directory when it stops. */
    "cpu-prof": { type: "string" },
    /** Write a Go CPU profile of node0's CometBFT over the measured window to this file (go tool pprof). */
    pprof: { type: "string" },
    /** Keep the testnet directory (logs) instead of deleting it. */
    keep: { type: "boolean", default: false },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const ACCOUNTS = Number(values.accounts);
const VALIDATORS = Number(values.validators);
const INFLIGHT = Number(values.inflight);
const BATCH = Number(values.batch);
const TOTAL = RATE * (WARMUP + SECONDS);
const FEE = 10_000n;
const CHAIN_ID = "btt-bench-testnet";

const progress = (msg: string) => console.error(`[bench:testnet] ${msg}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Adds the bench accounts, funded, to the genesis every node of the testnet holds. */
function fundBenchAccounts(manifest: TestnetManifest, accounts: number): void {
  const genesis: GenesisDoc = JSON.parse(readFileSync(homePaths(manifest.nodes[0]!.home).genesis, "utf8"));
  const state = genesis.app_state as { auth: { accounts: unknown[] }; bank: { balances: unknown[] } };
  for (let i = 0; i < accounts; i++) {
    const s = benchSigner(i);
    state.auth.accounts.push({ address: s.address, public_key: toJson(PublicKeySchema, s.publicKey) });
    state.bank.balances.push({ address: s.address, coins: [{ denom: "ubtt", amount: "1000000000000" }] });
  }
  const checked = validateGenesis(genesis, (id) => new Application(id));
  for (const n of manifest.nodes) {
    writeFileSync(homePaths(n.home).genesis, `${JSON.stringify(checked, null, 2)}\n`);
    // CometBFT's genesis carries the same app_state (InitChain compares them).
    const cometGenesis = join(n.cometHome, "config", "genesis.json");
    const doc = JSON.parse(readFileSync(cometGenesis, "utf8"));
    doc.app_state = checked.app_state;
    writeFileSync(cometGenesis, `${JSON.stringify(doc)}\n`);
  }
}

/** Mempools that hold a whole run (CometBFT's and the app's), and the tx indexer chosen. */
function sizeMempools(manifest: TestnetManifest, pprofPort: number): void {
  for (const [k, n] of manifest.nodes.entries()) {
    const path = join(n.cometHome, "config", "config.toml");
    let t = readFileSync(path, "utf8");
    t = setToml(t, "mempool", "size", String(Math.max(5000, TOTAL)));
    t = setToml(t, "mempool", "cache_size", String(Math.max(10_000, TOTAL)));
    t = setToml(t, "rpc", "max_request_batch_size", String(BATCH));
    t = setToml(t, "tx_index", "indexer", JSON.stringify(values.indexer));
    t = setToml(t, "mempool", "recheck", values.recheck === "false" ? "false" : "true");
    t = setToml(t, "mempool", "broadcast", values.broadcast === "false" ? "false" : "true");
    t = setToml(t, "", "log_level", JSON.stringify("main:info,state:info,*:error"));
    if (k === 0 && values.pprof)
      t = setToml(t, "rpc", "pprof_laddr", JSON.stringify(`127.0.0.1:${pprofPort}`));
    writeFileSync(path, t);
    const configPath = homePaths(n.home).config;
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    config.mempool = { ...config.mempool, maxTxs: Math.max(config.mempool?.maxTxs ?? 0, TOTAL) };
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  }
}

async function rpcGet<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
  if (body.error) throw new Error(`${url}: ${body.error.message} ${body.error.data ?? ""}`);
  return body.result as T;
}

/** CPU seconds (user + system) a process has used, from /proc; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return 0;
  }
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

// --- Pre-signed transfers: tx i is from account i mod ACCOUNTS with its next nonce, so one
// account's txs are ACCOUNTS sends apart and reach its node in nonce order. Each account sends
// only to one node (its index mod VALIDATORS); the node gossips them on in that order.
progress(`pre-signing ${TOTAL} transfers from ${ACCOUNTS} accounts`);
const signers = Array.from({ length: ACCOUNTS }, (_, i) => benchSigner(i));
const txs: string[] = new Array(TOTAL);
const txIndex = new Map<string, number>();
let seed = 12345;
for (let i = 0; i < TOTAL; i++) {
  const from = i % ACCOUNTS;
  seed = (seed * 1103515245 + 12345) >>> 0;
  const to = (from + 1 + (seed % (ACCOUNTS - 1))) % ACCOUNTS;
  const body = createTxBody({
    chainId: CHAIN_ID,
    sender: signers[from]!.address,
    nonce: BigInt(Math.floor(i / ACCOUNTS)),
    fee: { denom: "ubtt", amount: FEE },
    messages: [bankMsg.send(signers[to]!.address, [{ denom: "ubtt", amount: BigInt(1 + (seed % 1000)) }])],
  });
  const bytes = encodeTx(signTx(body, signers[from]!, false));
  txs[i] = Buffer.from(bytes).toString("base64");
  txIndex.set(txs[i]!, i);
}

// --- The network.
const dir = mkdtempSync(join(tmpdir(), "btt-bench-testnet-"));
let running: RunningNode[] = [];
let cleaned = false;
async function cleanup(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  await stopTestnet(dir).catch((err) => progress(`stop failed: ${err}`));
  if (values.keep) progress(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void cleanup().then(() => process.exit(130));
  });
}

try {
  const ports: NodePorts[] = [];
  for (let i = 0; i < VALIDATORS; i++) {
    ports.push({
      p2p: await freePort(),
      rpc: await freePort(),
      abci: await freePort(),
      api: await freePort(),
    });
  }
  const cometbft = requireCometbft();
  progress(`initialising ${VALIDATORS} validators in ${dir} (timeout_commit ${values["block-time"]})`);
  const manifest = initTestnet(dir, {
    validators: VALIDATORS,
    chainId: CHAIN_ID,
    cometbft,
    timeoutCommit: values["block-time"]!,
    ...(values["max-block-bytes"] ? { maxBlockBytes: Number(values["max-block-bytes"]) } : {}),
    ports: (i) => ports[i]!,
  });
  fundBenchAccounts(manifest, ACCOUNTS);
  const pprofPort = await freePort();
  sizeMempools(manifest, pprofPort);
  // `btt abci` run as this process runs (node with tsx's loader flags), as `btt testnet start` does.
  const profile = values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${resolve(values["cpu-prof"])}`] : [];
  const btt = [
    process.execPath,
    ...profile,
    ...process.execArgv,
    resolve("packages/cli/src/main.ts"),
    "abci",
    "--no-api",
  ];
  running = await startTestnet(dir, btt, cometbft);
  const rpcs = manifest.nodes.map((n) => `http://127.0.0.1:${n.ports.rpc}`);
  const heightOf = async (rpc: string) =>
    Number(
      (await rpcGet<{ sync_info: { latest_block_height: string } }>(`${rpc}/status`)).sync_info
        .latest_block_height,
    );
  // CheckTx refuses txs until block 1 holds the genesis state: wait for height 2 everywhere.
  const readyBy = Date.now() + 120_000;
  for (const rpc of rpcs) {
    for (;;) {
      const h = await heightOf(rpc).catch(() => 0);
      if (h >= 2) break;
      if (Date.now() > readyBy) throw new Error(`${rpc} did not reach height 2; logs in ${dir}/node*/`);
      await sleep(200);
    }
  }
  progress("network up: every node past height 2");

  // --- Block poller on node0: when each block is first seen, its txs and header time.
  const sentAt = new Float64Array(TOTAL).fill(Number.NaN);
  const committedAt = new Float64Array(TOTAL).fill(Number.NaN);
  const blocks: Array<{ height: number; txs: number; timeMs: number; seenAt: number }> = [];
  const extraRounds: string[] = [];
  let nextHeight = (await heightOf(rpcs[0]!)) + 1;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const latest = await heightOf(rpcs[0]!).catch(() => nextHeight - 1);
      for (; nextHeight <= latest; nextHeight++) {
        const b = await rpcGet<{
          block: {
            header: { time: string };
            data: { txs: string[] | null };
            last_commit: { height: string; round: number } | null;
          };
        }>(`${rpcs[0]}/block?height=${nextHeight}`);
        // The commit of the previous height says in which round it was decided: a round above 0
        // means a proposal did not make it in time (timeouts, a slow PrepareProposal).
        const lastCommit = b.block.last_commit;
        if (lastCommit && lastCommit.round > 0) extraRounds.push(`${lastCommit.height}:r${lastCommit.round}`);
        const seenAt = performance.now();
        const blockTxs = b.block.data.txs ?? [];
        for (const tx of blockTxs) {
          // CometBFT returns the bytes sent in the same base64: no need to decode and hash them.
          const i = txIndex.get(tx);
          if (i !== undefined) committedAt[i] = seenAt;
        }
        blocks.push({
          height: nextHeight,
          txs: blockTxs.length,
          timeMs: Date.parse(b.block.header.time),
          seenAt,
        });
      }
      await sleep(50);
    }
  })();

  // --- Sending at RATE, at most INFLIGHT requests awaiting an answer.
  let inflight = 0;
  let rejected = 0;
  let failed = 0;
  let firstFailure = "";
  /** Tx i is answered (CheckTx ran, or the request failed): account i's next tx may go. */
  const answered = new Uint8Array(TOTAL);
  const rejections = new Map<string, number>();
  // node:http with kept-alive connections, not fetch: the load generator shares the machine's two
  // cores with the network it measures, and fetch's machinery cost it about twice the CPU.
  const agents = rpcs.map(() => new Agent({ keepAlive: true, maxSockets: 32 }));
  const postJson = (node: number, body: string) =>
    new Promise<string>((resolvePost, rejectPost) => {
      const req = request(
        rpcs[node]!,
        {
          method: "POST",
          agent: agents[node],
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolvePost(Buffer.concat(chunks).toString("utf8")));
          res.on("error", rejectPost);
        },
      );
      req.on("timeout", () => req.destroy(new Error("no answer in 60 s")));
      req.on("error", rejectPost);
      req.end(body);
    });
  // One HTTP request carries a JSON-RPC batch of txs for one node (CometBFT answers an array).
  const send = async (node: number, batch: number[]) => {
    inflight += batch.length;
    const now = performance.now();
    for (const i of batch) sentAt[i] = now;
    try {
      type Answer = { result?: { code: number; log: string }; error?: { data?: string } };
      const body = JSON.parse(
        await postJson(
          node,
          `[${batch.map((i) => `{"jsonrpc":"2.0","id":${i},"method":"broadcast_tx_sync","params":{"tx":"${txs[i]}"}}`).join(",")}]`,
        ),
      ) as Answer | Answer[];
      // CometBFT answers a batch of one with a bare object, and so a refused batch as a whole.
      const answers = Array.isArray(body) ? body : batch.map(() => body);
      for (const a of answers) {
        const why = a.error ? (a.error.data ?? "rpc error") : a.result!.code !== 0 ? a.result!.log : "";
        if (!why) continue;
        rejected++;
        const key = why.slice(0, 80);
        rejections.set(key, (rejections.get(key) ?? 0) + 1);
      }
    } catch (err) {
      failed += batch.length;
      firstFailure ||= String(err);
    } finally {
      inflight -= batch.length;
      for (const i of batch) answered[i] = 1;
    }
  };
  const cpuBefore = running.flatMap((n) => [cpuSeconds(n.btt), cpuSeconds(n.cometbft)]);
  const benchCpuBefore = process.cpuUsage();
  progress(
    `sending ${RATE} tx/s: ${WARMUP} s warm-up, then ${SECONDS} s measured (at most ${INFLIGHT} in flight)`,
  );
  const startedAt = performance.now();
  const measureFrom = startedAt + WARMUP * 1000;
  if (values.pprof) progress(`node0's CometBFT serves pprof at http://127.0.0.1:${pprofPort}/debug/pprof/`);
  const pprof = values.pprof
    ? sleep(WARMUP * 1000).then(async () => {
        const res = await fetch(`http://127.0.0.1:${pprofPort}/debug/pprof/profile?seconds=${SECONDS}`);
        writeFileSync(values.pprof!, Buffer.from(await res.arrayBuffer()));
        progress(`CometBFT CPU profile of node0 written to ${values.pprof}`);
      })
    : Promise.resolve();
  let next = 0;
  let maxLagMs = 0;
  // The send phase lasts its time even when the network cannot take the rate: what is not sent
  // by then is not sent (the summary says how much).
  const sendBy = startedAt + (WARMUP + SECONDS) * 1000;
  while (next < TOTAL && performance.now() < sendBy) {
    const now = performance.now();
    const due = Math.min(TOTAL, Math.floor(((now - startedAt) / 1000) * RATE));
    const byNode: number[][] = Array.from({ length: VALIDATORS }, () => []);
    const until = Math.min(due, next + Math.max(0, INFLIGHT - inflight));
    // An account's next tx waits for the answer to its previous one, else it may reach CheckTx
    // first (requests run concurrently) and be refused as a nonce gap.
    for (; next < until && (next < ACCOUNTS || answered[next - ACCOUNTS] === 1); next++) {
      const node = (next % ACCOUNTS) % VALIDATORS;
      byNode[node]!.push(next);
      if (byNode[node]!.length === BATCH) void send(node, byNode[node]!.splice(0));
    }
    for (const [node, batch] of byNode.entries()) if (batch.length > 0) void send(node, batch);
    if (next < due) maxLagMs = Math.max(maxLagMs, ((due - next) / RATE) * 1000);
    await sleep(2);
  }
  const sendEnd = performance.now();
  const measuredIdx = (i: number) => sentAt[i]! >= measureFrom;
  const measuredCount = Array.from({ length: TOTAL }, (_, i) => i).filter(measuredIdx).length;
  // Let the backlog commit: until every accepted tx is in a block, or 60 s.
  const drainBy = performance.now() + 60_000;
  const committedCount = () => committedAt.reduce((n, t) => n + (Number.isNaN(t) ? 0 : 1), 0);
  while (inflight > 0 || (committedCount() < next - rejected - failed && performance.now() < drainBy)) {
    await sleep(100);
  }
  await sleep(300);
  await pprof;
  polling = false;
  await poller;
  const windowS = (sendEnd - measureFrom) / 1000;
  const cpuUsed = running.flatMap((n, k) => [
    cpuSeconds(n.btt) - cpuBefore[2 * k]!,
    cpuSeconds(n.cometbft) - cpuBefore[2 * k + 1]!,
  ]);
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const elapsedS = (performance.now() - startedAt) / 1000;

  // --- Figures over the measured window.
  const latencies: number[] = [];
  let lastCommit = measureFrom;
  for (let i = 0; i < TOTAL; i++) {
    if (!measuredIdx(i) || Number.isNaN(committedAt[i]!)) continue;
    latencies.push(committedAt[i]! - sentAt[i]!);
    lastCommit = Math.max(lastCommit, committedAt[i]!);
  }
  latencies.sort((a, b) => a - b);
  const endToEndTps = latencies.length / ((lastCommit - measureFrom) / 1000);
  const inWindow = blocks.filter((b) => b.seenAt >= measureFrom && b.seenAt <= sendEnd);
  const windowTxs = inWindow.reduce((n, b) => n + b.txs, 0);
  const blockTimeMs =
    inWindow.length > 1 ? (inWindow.at(-1)!.timeMs - inWindow[0]!.timeMs) / (inWindow.length - 1) : 0;
  // The chain's commit rate in the window: the txs of its blocks after the first, over the block
  // time from the first to the last (a block of ~3,000 txs more or less in a fixed 30 s window
  // would swing the figure by ~10%).
  const tps = commitRate(inWindow.map((b) => ({ atMs: b.timeMs, txs: b.txs }))) ?? endToEndTps;
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

  const fmt = (s: number) => s.toFixed(1);
  const appCpu = cpuUsed.filter((_, k) => k % 2 === 0);
  const cometCpu = cpuUsed.filter((_, k) => k % 2 === 1);
  progress(
    `blocks seen while sending (height: txs): ${inWindow.map((b) => `${b.height}:${b.txs}`).join(" ")}`,
  );
  if (extraRounds.length > 0)
    progress(`heights decided after round 0 (height:round): ${extraRounds.join(" ")}`);
  progress(
    `sent ${next} of ${TOTAL} (${measuredCount} measured), rejected ${rejected}, failed ${failed}, committed ${committedCount()}; ` +
      `sender lag up to ${Math.round(maxLagMs)} ms`,
  );
  for (const [why, n] of rejections) progress(`  rejected ${n}× ${why}`);
  if (firstFailure) progress(`  first failed request: ${firstFailure}`);
  progress(
    `CPU seconds over ${fmt(elapsedS)} s: apps ${appCpu.map(fmt).join(" ")}, cometbft ${cometCpu.map(fmt).join(" ")}, ` +
      `bench ${fmt((benchCpu.user + benchCpu.system) / 1e6)}; load average ${load}`,
  );
  const perTx = (cpu: number[]) =>
    ((cpu.reduce((a, b) => a + b, 0) * 1000) / Math.max(1, committedCount())).toFixed(2);
  progress(
    `CPU per committed tx, summed over the nodes: apps ${perTx(appCpu)} ms, cometbft ${perTx(cometCpu)} ms ` +
      `(this machine has ${availableParallelism()} CPUs)`,
  );
  progress(
    `commit rate ${Math.round(tps)} tx/s over the window's ${inWindow.length} blocks; ` +
      `${Math.round(endToEndTps)} tx/s from the window's start to the last commit of its txs; ` +
      `${Math.round(windowTxs / windowS)} tx/s in blocks seen during the ${fmt(windowS)} s window; ` +
      `latency p50 ${Math.round(pct(latencies, 50))} ms, p99 ${Math.round(pct(latencies, 99))} ms; ` +
      `block time ${Math.round(blockTimeMs)} ms`,
  );
  for (const agent of agents) agent.destroy();
  await cleanup();
  console.log(
    JSON.stringify({
      validators: VALIDATORS,
      tps: Math.round(tps),
      p50_ms: Math.round(pct(latencies, 50)),
      p99_ms: Math.round(pct(latencies, 99)),
      block_time_ms: Math.round(blockTimeMs),
      rate: RATE,
      txs: latencies.length,
      rejected,
      load,
    }),
  );
} catch (err) {
  await cleanup();
  throw err;
}
