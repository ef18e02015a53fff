/**
 * Size and speed of the block store: disk bytes per committed transfer and time per block.
 *
 *   npm run bench:block-store -- [--blocks 20] [--txs 10000] [--accounts 10000] [--pattern random|tps]
 *
 * Builds realistic signed Ed25519 transfers with their results (bank/transfer and auth/fee events):
 * "random" picks sender and recipient at random among the accounts, amounts up to 10^6, and puts the
 * public key in each account's first tx; "tps" follows bench/tps.ts (senders in turn, amounts up to
 * 1000, no public keys). Stores them block by block into a fresh LMDB environment (putBlock inside
 * transactionSync, as the node does) and reports: growth of the environment directory per tx (sum of
 * st_blocks * 512 of its files, from after the first block, as bench/tps.ts measures), the live size
 * per tx (a compacted copy, i.e. without LMDB's free pages) by database, the compressed block records
 * alone, and the time of putBlock per block (wall and process CPU). Prints one JSON line last:
 * bytes_per_tx (env growth), live_bytes_per_tx, record_bytes_per_tx, ms_per_block (putBlock wall
 * median), cpu_ms_per_block (its CPU median), txs (measured).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  BlockHeaderSchema,
  BlockResultsSchema,
  BlockSchema,
  coin,
  createTxBody,
  ed25519Signer,
  encodeTx,
  MsgSendSchema,
  msg,
  sha256,
  signTx,
  TxResultSchema,
  txHash,
} from "@btt/core";
import { BlockStore, blockHash, type CommittedBlock, encodeBlockResults, txMerkleRoot } from "@btt/node";
import { create, toBinary } from "@bufbuild/protobuf";
import { open } from "lmdb";

const { values } = parseArgs({
  options: {
    blocks: { type: "string", default: "20" },
    txs: { type: "string", default: "10000" },
    accounts: { type: "string", default: "10000" },
    /** "random": random sender and recipient, amounts up to 10^6, public key in first txs;
     *  "tps": like bench/tps.ts (senders in turn, amounts up to 1000, no public keys). */
    pattern: { type: "string", default: "random" },
  },
});
const BLOCKS = Number(values.blocks);
const TXS = Number(values.txs);
const ACCOUNTS = Number(values.accounts);
const FEE = 10_000n;
const TPS_PATTERN = values.pattern === "tps";
let txCounter = 0;

function dirBytes(path: string): { allocated: number; size: number } {
  let allocated = 0;
  let size = 0;
  for (const entry of readdirSync(path)) {
    const s = statSync(join(path, entry));
    allocated += s.blocks * 512;
    size += s.size;
  }
  return { allocated, size };
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const signers = Array.from({ length: ACCOUNTS }, (_, i) =>
  ed25519Signer(sha256(Buffer.from(`measure-${i}`))),
);
const nonces = new Array<bigint>(ACCOUNTS).fill(0n);
const random = rng(12345);

function makeBlock(
  height: number,
  previousHash: Uint8Array,
): { committed: CommittedBlock; accounts: string[][] } {
  const txs: Uint8Array[] = [];
  const results = [];
  const accounts: string[][] = [];
  for (let i = 0; i < TXS; i++) {
    const a = TPS_PATTERN ? txCounter++ % ACCOUNTS : Math.floor(random() * ACCOUNTS);
    const b = (a + 1 + Math.floor(random() * (ACCOUNTS - 1))) % ACCOUNTS;
    const from = signers[a]!;
    const to = signers[b]!;
    const amount = BigInt(1 + Math.floor(random() * (TPS_PATTERN ? 1000 : 1_000_000)));
    const nonce = nonces[a]!;
    nonces[a] = nonce + 1n;
    const send = create(MsgSendSchema, { to: to.address, amount: [coin("ubtt", amount)] });
    const body = createTxBody({
      chainId: "btt-measure-1",
      sender: from.address,
      nonce,
      fee: { denom: "ubtt", amount: FEE },
      messages: [msg("bank/Send", toBinary(MsgSendSchema, send))],
    });
    txs.push(encodeTx(signTx(body, from, !TPS_PATTERN && nonce === 0n)));
    results.push(
      create(TxResultSchema, {
        code: 0,
        fee: FEE.toString(),
        events: [
          {
            type: "bank/transfer",
            attributes: [
              { key: "sender", value: from.address },
              { key: "recipient", value: to.address },
              { key: "amount", value: `${amount}ubtt` },
            ],
          },
          {
            type: "auth/fee",
            attributes: [
              { key: "payer", value: from.address },
              { key: "amount", value: `${FEE}ubtt` },
            ],
          },
        ],
      }),
    );
    accounts.push([from.address, to.address]);
  }
  const blockResults = create(BlockResultsSchema, { txResults: results });
  const header = create(BlockHeaderSchema, {
    chainId: "btt-measure-1",
    height: BigInt(height),
    timeMs: 1_767_225_600_000n + BigInt(height) * 1000n,
    previousHash,
    txRoot: txMerkleRoot(txs.map((t) => txHash(t))),
    appHash: sha256(Buffer.from(`app-${height}`)),
    resultsHash: sha256(encodeBlockResults(blockResults)),
    proposer: signers[0]!.address,
  });
  const block = create(BlockSchema, { header, txs });
  return { committed: { block, hash: blockHash(header), results: blockResults }, accounts };
}

const dir = mkdtempSync(join(tmpdir(), "btt-bench-block-store-"));
const env = open({ path: join(dir, "env"), maxDbs: 16 });
const store = new BlockStore(env);
const stored = env.openDB<Uint8Array, Uint8Array>("blocks.bodies", {
  encoding: "binary",
  keyEncoding: "binary",
});
console.log(
  `block store: ${BLOCKS} blocks of ${TXS} transfers among ${ACCOUNTS} accounts (${values.pattern}), in ${dir}`,
);

let previousHash: Uint8Array = new Uint8Array(32);
let start = { allocated: 0, size: 0 };
let measuredTxs = 0;
let recordBytes = 0;
let rawTxBytes = 0;
const putMs: number[] = [];
/** CPU time of the process during putBlock: a steadier figure than wall time on a shared machine. */
const putCpuMs: number[] = [];
const commitMs: number[] = [];
for (let height = 1; height <= BLOCKS; height++) {
  const { committed, accounts } = makeBlock(height, previousHash);
  previousHash = committed.hash;
  let put = 0;
  let cpu = 0;
  const t0 = performance.now();
  env.transactionSync(() => {
    const t = performance.now();
    const c = process.cpuUsage();
    store.putBlock(committed, accounts);
    put = performance.now() - t;
    const used = process.cpuUsage(c);
    cpu = (used.user + used.system) / 1000;
  });
  const total = performance.now() - t0;
  if (height === 1) {
    start = dirBytes(join(dir, "env"));
    continue;
  }
  putMs.push(put);
  putCpuMs.push(cpu);
  commitMs.push(total - put);
  measuredTxs += TXS;
  rawTxBytes += committed.block.txs.reduce((n, t) => n + t.length, 0);
  const key = Buffer.alloc(4);
  key.writeUInt32BE(height, 0);
  recordBytes += stored.get(key)!.length;
  process.stderr.write(
    `block ${height}: putBlock ${put.toFixed(1)} ms, commit ${(total - put).toFixed(1)} ms\n`,
  );
}
await env.flushed;
const end = dirBytes(join(dir, "env"));
const pageSize = (env.getStats() as { pageSize: number }).pageSize;
/** Pages of a plain (not dup-sorted) database: leaf, branch and overflow. */
const pagesOf = (name: string) => {
  const st = env.openDB(name, { encoding: "binary", keyEncoding: "binary" }).getStats() as Record<
    string,
    number
  >;
  return st.treeLeafPageCount! + st.treeBranchPageCount! + st.overflowPages!;
};
const plain = [
  "blocks.bodies",
  "blocks.accounts",
  "blocks.accountids",
  "blocks.headers",
  "blocks.hashes",
  "blocks.txseq",
];
const livePages = Object.fromEntries(plain.map((name) => [name, pagesOf(name)]));
mkdirSync(join(dir, "compact"));
await env.backup(join(dir, "compact"), true);
const compact = dirBytes(join(dir, "compact"));
await env.close();

const allTxs = measuredTxs + TXS;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const perTx = (n: number, over = measuredTxs) => (n / over).toFixed(1).padStart(6);
const otherPages = Object.values(livePages).reduce((n, p) => n + p, 0);
console.log(`raw tx bytes:                                 ${perTx(rawTxBytes)} per tx`);
console.log(`block records (compressed txs + results):     ${perTx(recordBytes)} per tx`);
console.log(
  `growth of the env dir after block 1 (st_blocks * 512, = file sizes: ${end.size - start.size === end.allocated - start.allocated}):`,
);
console.log(`                                              ${perTx(end.allocated - start.allocated)} per tx`);
console.log(`live data (compacted copy of the env):        ${perTx(compact.size, allTxs)} per tx, of which`);
for (const name of plain) console.log(`  ${name.padEnd(44)}${perTx(livePages[name]! * pageSize, allTxs)}`);
console.log(
  `  ${"blocks.txhash (the rest)".padEnd(44)}${perTx(compact.size - otherPages * pageSize, allTxs)}`,
);
console.log(`LMDB free pages (env file - live data):       ${perTx(end.size - compact.size, allTxs)} per tx`);
console.log(
  `putBlock inside transactionSync, per block: wall median ${median(putMs).toFixed(1)} ms (max ${Math.max(...putMs).toFixed(1)}), CPU median ${median(putCpuMs).toFixed(1)} ms`,
);
console.log(`commit (rest of transactionSync): median ${median(commitMs).toFixed(1)} ms per block`);
rmSync(dir, { recursive: true, force: true });
const oneDecimal = (n: number) => Math.round(n * 10) / 10;
console.log(
  JSON.stringify({
    bytes_per_tx: oneDecimal((end.allocated - start.allocated) / measuredTxs),
    live_bytes_per_tx: oneDecimal(compact.size / allTxs),
    record_bytes_per_tx: oneDecimal(recordBytes / measuredTxs),
    ms_per_block: oneDecimal(median(putMs)),
    cpu_ms_per_block: oneDecimal(median(putCpuMs)),
    txs: measuredTxs,
  }),
);
