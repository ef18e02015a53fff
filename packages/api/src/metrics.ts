// Prometheus metrics (prom-client), one registry per server: the chain's (height, block time, txs
// per block, commit latency, mempool) and the API's (HTTP latency by route).
import type { BttNode } from "@btt/node";
import type { FastifyInstance } from "fastify";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface ApiMetrics {
  readonly registry: Registry;
  /** Stops listening to the node. */
  stop(): void;
}

export function createMetrics(app: FastifyInstance, node: BttNode): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "btt_" });

  new Gauge({
    name: "btt_block_height",
    help: "Height of the latest committed block",
    registers: [registry],
    collect() {
      this.set(node.height);
    },
  });
  new Gauge({
    name: "btt_mempool_txs",
    help: "Transactions pending in the mempool",
    registers: [registry],
    collect() {
      this.set(node.mempool.size);
    },
  });
  new Gauge({
    name: "btt_mempool_bytes",
    help: "Bytes of transactions pending in the mempool",
    registers: [registry],
    collect() {
      this.set(node.mempool.sizeBytes);
    },
  });
  const blockTime = new Histogram({
    name: "btt_block_interval_seconds",
    help: "Time between consecutive blocks (block header times)",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  const blockTxs = new Histogram({
    name: "btt_block_txs",
    help: "Transactions per block",
    buckets: [0, 1, 10, 100, 1000, 5000, 10_000, 20_000, 50_000],
    registers: [registry],
  });
  const commitSeconds = new Histogram({
    name: "btt_block_commit_seconds",
    help: "Time to execute and commit a block",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const closeSeconds = new Histogram({
    name: "btt_block_close_seconds",
    help: "Time from closing a block to its commit, in which the node admits no transactions",
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const committedTxs = new Counter({
    name: "btt_committed_txs_total",
    help: "Transactions committed since the node started",
    registers: [registry],
  });
  let lastTimeMs: bigint | undefined;
  const stop = node.onBlock((block, timing) => {
    const header = block.block.header!;
    if (lastTimeMs !== undefined) blockTime.observe(Number(header.timeMs - lastTimeMs) / 1000);
    lastTimeMs = header.timeMs;
    blockTxs.observe(block.block.txs.length);
    committedTxs.inc(block.block.txs.length);
    if (timing) {
      commitSeconds.observe(timing.commitMs / 1000);
      closeSeconds.observe(timing.closeMs / 1000);
    }
  });

  const http = new Histogram({
    name: "btt_http_request_duration_seconds",
    help: "HTTP request latency by route",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  app.addHook("onResponse", (request, reply, done) => {
    http.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        status_code: reply.statusCode,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
  return { registry, stop };
}
