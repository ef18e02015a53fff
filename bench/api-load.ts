// The load process of bench:api (forked by api.ts): pre-signs every transfer before anything is
// measured, submits them over HTTP (http-pipeline.ts: keep-alive, pipelining), waits for their commit,
// then reads balances with Merkle proofs for a fixed time. Reports its figures over IPC.
import { createTxBody, encodeTx, signTx } from "@btt/core";
import { bankMsg } from "@btt/modules";
import { benchSigner } from "./accounts.ts";
import { encodeRequest, runPipeline } from "./http-pipeline.ts";

interface Job {
  url: string;
  chainId: string;
  accounts: number;
  txs: number;
  querySeconds: number;
  connections: number;
  pipelining: number;
}

const progress = (msg: string) => console.error(`[bench:api load] ${msg}`);

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(job: Job): Promise<Record<string, number>> {
  progress(`pre-signing ${job.txs} transfers from ${job.accounts} accounts`);
  const signers = Array.from({ length: job.accounts }, (_, i) => benchSigner(i));
  const txs: Buffer[] = new Array(job.txs);
  const nonces = new Array<bigint>(job.accounts).fill(0n);
  let seed = 12345;
  for (let i = 0; i < job.txs; i++) {
    // Round-robin senders: a sender's next nonce is `accounts` submissions later, and on the same
    // connection when the connection count divides the account count (http-pipeline.ts), so
    // two txs of one sender never race.
    const from = i % job.accounts;
    seed = (seed * 1103515245 + 12345) >>> 0;
    const to = (from + 1 + (seed % (job.accounts - 1))) % job.accounts;
    const body = createTxBody({
      chainId: job.chainId,
      sender: signers[from]!.address,
      nonce: nonces[from]!++,
      fee: { denom: "ubtt", amount: 10_000n },
      messages: [bankMsg.send(signers[to]!.address, [{ denom: "ubtt", amount: BigInt(1 + (seed % 1000)) }])],
    });
    txs[i] = Buffer.from(encodeTx(signTx(body, signers[from]!, false)));
  }
  const url = new URL(job.url);
  const hostHeader = url.host;
  const queries = signers.map((s) =>
    encodeRequest("GET", `/v1/bank/balances/${s.address}/ubtt?prove=true`, hostHeader),
  );
  const target = {
    host: url.hostname,
    port: Number(url.port),
    connections: job.connections,
    pipelining: job.pipelining,
  };

  const concurrency = job.connections * job.pipelining;

  progress(`submitting over ${job.connections} connections × ${job.pipelining} pipelined`);
  process.send!({ phase: "submit" });
  const cpu0 = process.cpuUsage();
  const submitStart = performance.now();
  const submit = await runPipeline({
    ...target,
    total: job.txs,
    until: Number.POSITIVE_INFINITY,
    request: (i) => encodeRequest("POST", "/v1/txs", hostHeader, txs[i]!),
  });
  const submitSeconds = (performance.now() - submitStart) / 1000;
  const accepted = submit.count - [...submit.failures.values()].reduce((a, b) => a + b, 0);
  progress(
    `submitted ${submit.count} in ${submitSeconds.toFixed(2)} s, accepted ${accepted}` +
      (submit.failures.size
        ? `, failures by status ${JSON.stringify(Object.fromEntries(submit.failures))}`
        : ""),
  );

  // Let the mempool drain into blocks (the last block may take an interval).
  const drainUntil = performance.now() + 30_000;
  for (;;) {
    const res = await fetch(new URL("/v1/status", url));
    const status = (await res.json()) as { mempool: { txs: number } };
    if (status.mempool.txs === 0 || performance.now() > drainUntil) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  progress(`reading balances with proofs for ${job.querySeconds} s`);
  process.send!({ phase: "query" });
  const queryStart = performance.now();
  let sample = 0;
  const query = await runPipeline({
    ...target,
    total: Number.MAX_SAFE_INTEGER,
    until: queryStart + job.querySeconds * 1000,
    request: (i) => queries[i % queries.length]!,
    // Spot-check one answer in a thousand: a proof and an app hash are there.
    sample: (body) => {
      const parsed = JSON.parse(body.toString("utf8")) as { proof?: string; app_hash?: string };
      if (parsed.proof && parsed.app_hash) sample++;
    },
  });
  const querySeconds = (performance.now() - queryStart) / 1000;
  const cpu = process.cpuUsage(cpu0);
  process.send!({ phase: "done" });
  if (query.failures.size)
    progress(`query failures by status ${JSON.stringify(Object.fromEntries(query.failures))}`);
  progress(
    `load process CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; proofs spot-checked: ${sample}`,
  );

  const all = new Float64Array(submit.count + query.count);
  all.set(submit.latencies, 0);
  all.set(query.latencies, submit.count);
  all.sort();
  return {
    submit_tps: Math.round(accepted / submitSeconds),
    query_rps: Math.round(
      (query.count - [...query.failures.values()].reduce((a, b) => a + b, 0)) / querySeconds,
    ),
    p99_ms: Math.round(percentile(all, 99) * 10) / 10,
    submit_p50_ms: Math.round(percentile(submit.latencies, 50) * 10) / 10,
    submit_p99_ms: Math.round(percentile(submit.latencies, 99) * 10) / 10,
    query_p50_ms: Math.round(percentile(query.latencies, 50) * 10) / 10,
    query_p99_ms: Math.round(percentile(query.latencies, 99) * 10) / 10,
    submitted: submit.count,
    rejected: submit.count - accepted,
    queries: query.count,
    concurrency,
  };
}

process.once("message", (job) => {
  run(job as Job).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
});
