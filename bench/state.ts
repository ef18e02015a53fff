/**
 * Benchmark of @btt/state: builds a 1,000,000-key state, then measures commits of random updates
 * to existing keys: prepare + write inside transactionSync, LMDB commit included.
 *
 *   npm run bench:state
 *
 * The update batches run twice on the same store: first with LMDB's default durable commits
 * (fsync/msync per commit) — the JSON figure — then with `noSync` (commits stay atomic under
 * SIGKILL, but the OS decides when pages reach the disk), printed for comparison.
 * Env: BENCH_KEYS (default 1000000), BENCH_PRUNE_INTERVAL (default 1).
 * Last line: {"updates_per_s":…, "proof_bytes":…, "keys":1000000}
 */
import { hash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { open, type RootDatabase } from "lmdb";
import { AuthenticatedState, encodeProof, verifyProof } from "../packages/state/src/index.ts";

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
const SETUP_BATCH = 250_000;
const UPDATE_BATCH = 10_000;
const WARMUP_BATCHES = 2;
const MEASURED_BATCHES = 10;
const PROOF_SAMPLES = 1_000;
const KEEP_RECENT = 4;
/** Physical pruning every N versions (1 = in every write, the default; see README). */
const PRUNE_INTERVAL = Number(process.env.BENCH_PRUNE_INTERVAL ?? 1);

const sha = (b: Uint8Array): Buffer => hash("sha256", b, "buffer");

function stateKey(i: number): Buffer {
  const b = Buffer.alloc(8);
  b.write("bk", 0);
  b.writeUInt32BE(i, 4);
  return sha(b);
}

/** 32..40-byte value for key i at a given round. */
function value(i: number, round: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(i, 0);
  b.writeUInt32BE(round, 4);
  const h = sha(b);
  return Buffer.concat([h, h.subarray(0, 8)]).subarray(0, 32 + (i % 9));
}

/** Deterministic PRNG (xorshift32) so every run updates the same keys. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "btt-state-bench-"));

function openEnv(sync: boolean): { env: RootDatabase; state: AuthenticatedState } {
  // useWritemap: LMDB's malloc'd dirty-page list (used without it) makes many random writes per
  // transaction quadratic. noReadAhead: page faults on fresh pages would otherwise read ahead and
  // zero large sparse ranges of the file.
  const options = { path: dir, useWritemap: true, noReadAhead: true, noSync: !sync };
  const env = open(options);
  return {
    env,
    state: new AuthenticatedState(env, { keepRecent: KEEP_RECENT, pruneInterval: PRUNE_INTERVAL }),
  };
}

function commit(
  env: RootDatabase,
  state: AuthenticatedState,
  changes: [Uint8Array, Uint8Array | undefined][],
): { prep: number; write: number } {
  const t0 = performance.now();
  const p = state.prepare(state.latestVersion + 1, changes);
  const t1 = performance.now();
  env.transactionSync(() => state.write(p));
  return { prep: t1 - t0, write: performance.now() - t1 };
}

const keys: Buffer[] = [];
for (let i = 0; i < KEYS; i++) keys.push(stateKey(i));
const next = rng(12345);
let round = 0;

/** Run warm-up + measured update batches; returns updates per second over the measured ones. */
function updateRun(env: RootDatabase, state: AuthenticatedState, label: string): number {
  let measured = 0;
  let updates = 0;
  for (let b = 0; b < WARMUP_BATCHES + MEASURED_BATCHES; b++) {
    const chosen = new Set<number>();
    while (chosen.size < UPDATE_BATCH) chosen.add(next() % KEYS);
    round++;
    const changes: [Uint8Array, Uint8Array][] = [];
    for (const i of chosen) changes.push([keys[i]!, value(i, round)]);
    const t = performance.now();
    const { prep, write } = commit(env, state, changes);
    const dt = performance.now() - t;
    const warm = b < WARMUP_BATCHES;
    if (!warm) {
      measured += dt;
      updates += UPDATE_BATCH;
    }
    console.log(
      `${label} ${warm ? "warmup" : "batch "} v${state.latestVersion}: ${UPDATE_BATCH} updates in ${dt.toFixed(0)} ms ` +
        `(prepare ${prep.toFixed(0)}, write+commit ${write.toFixed(0)})`,
    );
  }
  return Math.round(updates / (measured / 1000));
}

try {
  console.log(
    `state bench: ${KEYS} keys, ${UPDATE_BATCH} updates per version, keepRecent ${KEEP_RECENT}, pruneInterval ${PRUNE_INTERVAL}, dir ${dir}`,
  );

  // Setup is not measured: load with noSync.
  let { env, state } = openEnv(false);
  const tSetup = performance.now();
  for (let start = 0; start < KEYS; start += SETUP_BATCH) {
    const changes: [Uint8Array, Uint8Array][] = [];
    for (let i = start; i < Math.min(KEYS, start + SETUP_BATCH); i++) changes.push([keys[i]!, value(i, 0)]);
    commit(env, state, changes);
  }
  const setupCommits = state.latestVersion;
  await env.close();
  console.log(
    `setup: ${KEYS} keys in ${setupCommits} commits, ${((performance.now() - tSetup) / 1000).toFixed(1)} s`,
  );

  ({ env, state } = openEnv(true));
  const durable = updateRun(env, state, "sync  ");
  await env.close();

  ({ env, state } = openEnv(false));
  const noSync = updateRun(env, state, "nosync");
  console.log(`updates/s: ${durable} with durable commits (JSON), ${noSync} with noSync`);

  let proofBytes = 0;
  const root = state.rootHash();
  for (let s = 0; s < PROOF_SAMPLES; s++) {
    const k = keys[next() % KEYS]!;
    const { value: v, proof } = state.prove(k);
    if (v === undefined || !verifyProof(root, k, v, proof)) throw new Error("proof failed to verify");
    proofBytes += encodeProof(proof).length;
  }
  const mem = process.memoryUsage();
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;
  console.log(
    `memory: rss ${mb(mem.rss)} (includes the LMDB map), heap ${mb(mem.heapUsed)}, buffers ${mb(mem.arrayBuffers)}`,
  );
  await env.close();
  console.log(
    JSON.stringify({
      updates_per_s: durable,
      proof_bytes: Math.round(proofBytes / PROOF_SAMPLES),
      keys: KEYS,
    }),
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
