// The API under load: a node and its HTTP API in this process (temp home, many funded accounts,
// rate limit off, solo driver committing blocks), and a separate load process (api-load.ts) that
// submits pre-signed transfers over HTTP on loopback, then reads balances with proofs.
// Prints one JSON line last: {"submit_tps", "query_rps", "p99_ms", …}.
import { fork } from "node:child_process";
import { parseArgs } from "node:util";
import { startApi } from "@btt/api";
import { benchChain, startBenchNode, startProfile } from "./chain.ts";

const { values } = parseArgs({
  options: {
    accounts: { type: "string", default: "10000" },
    txs: { type: "string", default: "60000" },
    "query-seconds": { type: "string", default: "10" },
    // Enough requests in flight to keep the server busy through a block (its event loop is
    // blocked while one commits); 50 divides the default account count (see api-load.ts).
    connections: { type: "string", default: "50" },
    pipelining: { type: "string", default: "16" },
    "block-ms": { type: "string", default: "1000" },
    "verify-threads": { type: "string" },
    /** Write a CPU profile of the server process's main thread during one phase to this file. */
    profile: { type: "string" },
    "profile-phase": { type: "string", default: "query" },
  },
});
const ACCOUNTS = Number(values.accounts);
if (ACCOUNTS % Number(values.connections) !== 0) {
  console.error("[bench:api] --connections must divide --accounts (one sender's txs share a connection)");
  process.exit(2);
}
const BLOCK_MS = Number(values["block-ms"]);
const progress = (msg: string) => console.error(`[bench:api] ${msg}`);

progress(`genesis with ${ACCOUNTS} funded accounts`);
const chain = benchChain("btt-bench-api-1", ACCOUNTS);
const bench = startBenchNode("api", chain, {
  keepRecent: 4,
  blockMs: BLOCK_MS,
  verifyThreads: values["verify-threads"] === undefined ? undefined : Number(values["verify-threads"]),
});
const { node, driver } = bench;
const api = await startApi(node, {
  port: 0,
  rateLimit: { max: 0, windowMs: 60_000 },
  logger: { level: "warn" },
});
const blockSizes: number[] = [];
node.onBlock((b) => blockSizes.push(b.block.txs.length));
driver.start();

let stopProfile: (() => Promise<void>) | undefined;

const child = fork(new URL("./api-load.ts", import.meta.url), [], {
  execArgv: ["--import", "tsx"],
  stdio: ["ignore", "inherit", "inherit", "ipc"],
});
const cpuStart = process.cpuUsage();
const phaseCpu: Record<string, number> = {};
let phase: string | undefined;
let phaseStart = 0;
const result = await new Promise<Record<string, number>>((resolve, reject) => {
  child.on("message", async (m: { phase?: string }) => {
    if (m.phase === undefined) return resolve(m as Record<string, number>);
    // Server CPU (all threads: HTTP, mempool and blocks on the main one, signature checks in
    // workers) per phase: a figure the other processes on the machine do not distort.
    const now = process.cpuUsage();
    if (phase) phaseCpu[phase] = (now.user + now.system - phaseStart) / 1e6;
    phase = m.phase;
    phaseStart = now.user + now.system;
    // The load process names each phase as it starts: profile the one asked for.
    if (stopProfile) {
      await stopProfile();
      stopProfile = undefined;
    }
    if (values.profile && m.phase === values["profile-phase"]) {
      stopProfile = await startProfile(values.profile);
      progress(`profiling the ${m.phase} phase into ${values.profile}`);
    }
  });
  child.on("exit", (code) => reject(new Error(`load process exited with ${code}`)));
  child.send({
    url: api.url,
    chainId: chain.genesis.chain_id,
    accounts: ACCOUNTS,
    txs: Number(values.txs),
    querySeconds: Number(values["query-seconds"]),
    connections: Number(values.connections),
    pipelining: Number(values.pipelining),
  });
});
const cpu = process.cpuUsage(cpuStart);
await stopProfile?.();
child.kill();
driver.stop();
await api.close();
await bench.close();
progress(`blocks: ${blockSizes.join(" ")}`);
progress(`server process CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
progress(
  `server CPU: submit ${phaseCpu.submit?.toFixed(1)} s (${Math.round(((phaseCpu.submit ?? 0) * 1e6) / result.submitted!)} µs/tx), ` +
    `query ${phaseCpu.query?.toFixed(1)} s (${Math.round(((phaseCpu.query ?? 0) * 1e6) / result.queries!)} µs/query)`,
);
console.log(
  JSON.stringify({
    ...result,
    server_us_per_tx: Math.round(((phaseCpu.submit ?? 0) * 1e6) / result.submitted!),
    server_us_per_query: Math.round(((phaseCpu.query ?? 0) * 1e6) / result.queries!),
  }),
);
