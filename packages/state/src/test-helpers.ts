/** Helpers shared by the tests of this package (not exported from index.ts). */
import { createHash, hash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { open, type RootDatabase } from "lmdb";
import { AuthenticatedState, type AuthenticatedStateOptions } from "./store.ts";

export interface TestEnv {
  dir: string;
  root: RootDatabase;
  state: AuthenticatedState;
  /** Close the env (keeping the files) and open it again. */
  reopen(opts?: Partial<AuthenticatedStateOptions>): Promise<TestEnv>;
  close(): Promise<void>;
}

/** Fresh LMDB env in a temp dir; `close()` also deletes the dir. */
export function makeEnv(opts: AuthenticatedStateOptions = { keepRecent: 3 }, dir?: string): TestEnv {
  const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "btt-state-test-"));
  const root = open({ path: d });
  const state = new AuthenticatedState(root, opts);
  const env: TestEnv = {
    dir: d,
    root,
    state,
    async reopen(more) {
      await root.close();
      return makeEnv({ ...opts, ...more }, d);
    },
    async close() {
      await root.close();
      fs.rmSync(d, { recursive: true, force: true });
    },
  };
  return env;
}

export function commit(env: TestEnv, changes: [Uint8Array, Uint8Array | undefined][]): Uint8Array {
  const p = env.state.prepare(env.state.latestVersion + 1, changes);
  env.root.transactionSync(() => env.state.write(p));
  return p.root;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

// ---- independent reference implementation of the root (straight from the spec) ----

function sha(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

function nib(h: Uint8Array, i: number): number {
  const b = h[i >> 1]!;
  return i % 2 === 0 ? b >> 4 : b & 15;
}

/** Root of the canonical tree holding exactly `entries` (hex key -> value). */
export function referenceRoot(entries: Map<string, Uint8Array>): Buffer {
  const leaves = [...entries].map(([k, v]) => {
    const kh = sha(Buffer.from(k, "hex"));
    return { kh, hash: sha(Buffer.from([0]), kh, sha(v)) };
  });
  const build = (items: typeof leaves, depth: number): Buffer => {
    if (items.length === 1) return items[0]!.hash;
    const groups = new Map<number, typeof leaves>();
    for (const it of items) {
      const n = nib(it.kh, depth);
      groups.set(n, [...(groups.get(n) ?? []), it]);
    }
    let bitmap = 0;
    const hashes: Buffer[] = [];
    for (let n = 0; n < 16; n++) {
      const g = groups.get(n);
      if (!g) continue;
      bitmap |= 1 << n;
      hashes.push(build(g, depth + 1));
    }
    return sha(Buffer.from([1, bitmap >> 8, bitmap & 0xff]), ...hashes);
  };
  return leaves.length === 0 ? Buffer.alloc(32) : build(leaves, 0);
}

// ---- keys whose hashes share long prefixes, to get deep trees from few keys ----

function lcp(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  while (n < 64 && nib(a, n) === nib(b, n)) n++;
  return n;
}

let pool: Uint8Array[] | undefined;

/**
 * 40 keys: pairs whose key hashes share >= 7, exactly 6 and exactly 5 leading nibbles, keys
 * sharing 2..4 nibbles with the deepest pair, and unrelated keys. Found by hashing 300k
 * candidates once (deterministic).
 */
export function keyPool(): Uint8Array[] {
  if (pool) return pool;
  const cand: Buffer[] = [];
  const hs: Buffer[] = [];
  for (let i = 0; i < 300_000; i++) {
    const k = Buffer.from(`k${i}`);
    cand.push(k);
    hs.push(hash("sha256", k, "buffer"));
  }
  const picked: Buffer[] = [];
  const used = new Set<number>();
  const take = (i: number) => {
    if (!used.has(i)) {
      used.add(i);
      picked.push(cand[i]!);
    }
  };
  const pairsSharing = (bits: number, exact: number | null, count: number) => {
    const seen = new Map<number, number>();
    let found = 0;
    for (let i = 0; i < hs.length && found < count; i++) {
      const h = hs[i]!;
      const top = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> (32 - bits);
      const j = seen.get(top);
      if (j === undefined) {
        seen.set(top, i);
      } else if (!used.has(j) && (exact === null || lcp(hs[j]!, h) === exact)) {
        take(j);
        take(i);
        found++;
      }
    }
  };
  pairsSharing(28, null, 2); // >= 7 nibbles
  pairsSharing(24, 6, 2);
  pairsSharing(20, 5, 2);
  const deep = sha(picked[0]!);
  for (const want of [4, 4, 3, 3, 2]) {
    const i = hs.findIndex((h, idx) => !used.has(idx) && lcp(h, deep) === want);
    if (i >= 0) take(i);
  }
  for (let i = 0; picked.length < 40; i++) {
    const k = Buffer.from(`plain-${i}`);
    picked.push(k);
  }
  pool = picked;
  return pool;
}

/** Length of the common key-hash prefix (in nibbles) of two state keys; for assertions. */
export function sharedNibbles(a: Uint8Array, b: Uint8Array): number {
  return lcp(sha(a), sha(b));
}
