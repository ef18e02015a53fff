/**
 * Benchmark of @btt/state: builds a 1,000,000-key state, then measures commits of random updates
 * to existing keys: prepare + write inside transactionSync, LMDB commit included.
 *
 *   npm run bench:state [-- --batch 30000 --keys 1000000 --warmup 2 --batches 10 --page-size 16384]
 *
 * --batch is the number of updated keys per version (default 30,000: a block of ~10,000
 * transfers changes ~30,000 keys: two balances and a nonce each). The update batches run twice:
 * first with LMDB's default durable commits (fsync per commit), the JSON figure, on the env that
 * was loaded (so its caches are warm, as in a running node); then, after reopening the env with
 * `noSync` (commits stay atomic under SIGKILL, but the OS decides when pages reach the disk), for
 * comparison, with more warm-up because reopening empties the caches.
 * Env: BENCH_KEYS, BENCH_PRUNE_INTERVAL (the same as --keys, --prune-interval).
 * Last line: {"updates_per_s":…, "proof_bytes":…, "keys":1000000}
 */
import { hash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { open, type RootDatabase } from "lmdb";
import { AuthenticatedState, encodeProof, verifyProof } from "../packages/state/src/index.ts";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = Number(i >= 0 ? process.argv[i + 1] : fallback);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

const KEYS = flag("keys", Number(process.env.BENCH_KEYS ?? 1_000_000));
const UPDATE_BATCH = flag("batch", 30_000);
const WARMUP_BATCHES = flag("warmup", 2);
const MEASURED_BATCHES = flag("batches", 10);
/** Physical pruning every N versions (1 = in every write, the default). */
const PRUNE_INTERVAL = flag("prune-interval", Number(process.env.BENCH_PRUNE_INTERVAL ?? 1));
/** LMDB page size of the (new) env; see the README for the choice. */
const PAGE_SIZE = flag("page-size", 32_768);
const SETUP_BATCH = 250_000;
const PROOF_SAMPLES = 1_000;
const KEEP_RECENT = 4;

// All keys in one buffer: a million Buffer objects would make every GC of the run slower.
const keyData = Buffer.allocUnsafe(32 * KEYS);
{
  const seed = Buffer.alloc(8);
  seed.write("bk", 0);
  for (let i = 0; i < KEYS; i++) {
    seed.writeUInt32BE(i, 4);
    keyData.set(hash("sha256", seed, "buffer"), 32 * i);
  }
}
const key = (i: number): Buffer => keyData.subarray(32 * i, 32 * i + 32);

/** Values (32..40 bytes, derived from key index and round) of a batch, in one buffer. */
function values(indexes: number[], round: number): Buffer[] {
  const data = Buffer.allocUnsafe(40 * indexes.length);
  const seed = Buffer.alloc(8);
  seed.writeUInt32BE(round, 4);
  return indexes.map((i, n) => {
    seed.writeUInt32BE(i, 0);
    const h = hash("sha256", seed, "buffer");
    data.set(h, 40 * n);
    data.set(h.subarray(0, 8), 40 * n + 32);
    return data.subarray(40 * n, 40 * n + 32 + (i % 9));
  });
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
  // transaction quadratic. Pages larger than 4 KB: each commit dirties far fewer pages, and
  // LMDB's per-page work (copy-on-write, write faults, free-list merging) dominated commits.
  // noReadAhead only with 4 KB pages (lmdb-js advises against it for larger ones).
  // (noReadAhead is missing from lmdb-js's typings, hence the untyped options object.)
  const options = {
    path: dir,
    useWritemap: true,
    pageSize: PAGE_SIZE,
    noReadAhead: PAGE_SIZE <= 4096,
    noSync: !sync,
  };
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

const next = rng(12345);
let round = 0;

/** Run warm-up + measured update batches; returns updates per second over the measured ones. */
function updateRun(env: RootDatabase, state: AuthenticatedState, label: string, warmup: number): number {
  let measured = 0;
  let updates = 0;
  let prepSum = 0;
  let writeSum = 0;
  for (let b = 0; b < warmup + MEASURED_BATCHES; b++) {
    const chosen = new Set<number>();
    while (chosen.size < UPDATE_BATCH) chosen.add(next() % KEYS);
    round++;
    const indexes = [...chosen];
    const vals = values(indexes, round);
    const changes = indexes.map((i, n): [Uint8Array, Uint8Array] => [key(i), vals[n]!]);
    const t = performance.now();
    const { prep, write } = commit(env, state, changes);
    const dt = performance.now() - t;
    const warm = b < warmup;
    if (!warm) {
      measured += dt;
      updates += UPDATE_BATCH;
      prepSum += prep;
      writeSum += write;
    }
    console.log(
      `${label} ${warm ? "warmup" : "batch "} v${state.latestVersion}: ${UPDATE_BATCH} updates in ${dt.toFixed(0)} ms ` +
        `(prepare ${prep.toFixed(0)}, write+commit ${write.toFixed(0)})`,
    );
  }
  const n = MEASURED_BATCHES;
  console.log(
    `${label} mean per version: prepare ${(prepSum / n).toFixed(0)} ms, write+commit ${(writeSum / n).toFixed(0)} ms`,
  );
  return Math.round(updates / (measured / 1000));
}

try {
  console.log(
    `state bench: ${KEYS} keys, ${UPDATE_BATCH} updates per version, keepRecent ${KEEP_RECENT}, ` +
      `pruneInterval ${PRUNE_INTERVAL}, pageSize ${PAGE_SIZE}, dir ${dir}`,
  );

  // Setup (not measured) on the env of the durable run, which thus starts with warm caches.
  let { env, state } = openEnv(true);
  const tSetup = performance.now();
  for (let start = 0; start < KEYS; start += SETUP_BATCH) {
    const changes: [Uint8Array, Uint8Array][] = [];
    const end = Math.min(KEYS, start + SETUP_BATCH);
    const indexes = Array.from({ length: end - start }, (_, n) => start + n);
    const vals = values(indexes, 0);
    for (let n = 0; n < indexes.length; n++) changes.push([key(indexes[n]!), vals[n]!]);
    commit(env, state, changes);
  }
  console.log(
    `setup: ${KEYS} keys in ${state.latestVersion} commits, ${((performance.now() - tSetup) / 1000).toFixed(1)} s`,
  );

  const durable = updateRun(env, state, "sync  ", WARMUP_BATCHES);
  await env.close();

  ({ env, state } = openEnv(false));
  const noSync = updateRun(env, state, "nosync", WARMUP_BATCHES + 4);
  console.log(`updates/s: ${durable} with durable commits (JSON), ${noSync} with noSync`);

  let proofBytes = 0;
  const root = state.rootHash();
  for (let s = 0; s < PROOF_SAMPLES; s++) {
    const k = key(next() % KEYS);
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
