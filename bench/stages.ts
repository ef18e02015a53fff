// Main-thread cost of the two halves of a transfer's path, without the timing noise of a rate:
// each round submits 20,000 pre-signed transfers (decode, ante checks, mempool; the time measured
// is the synchronous part, signature checks run in the worker threads), waits for them to be
// verified, then produces one block of all of them (execute, state tree, block store, durable
// write). The main thread is what bounds bench:tps, so these are the figures to move.
// Prints one JSON line last: µs per tx, median and best of the rounds after the first.
import { parseArgs } from "node:util";
import { createTxBody, encodeTx, signTx } from "@btt/core";
import { bankMsg } from "@btt/modules";
import { benchChain, startBenchNode, startHeapProfile, startProfile } from "./chain.ts";

const { values } = parseArgs({
  options: {
    accounts: { type: "string", default: "10000" },
    txs: { type: "string", default: "20000" },
    rounds: { type: "string", default: "9" },
    /** Write a CPU profile of the main thread to this file. */
    profile: { type: "string" },
    /** Write an allocation-sampling profile (freed objects included) of the main thread to this file. */
    "heap-profile": { type: "string" },
  },
});
const ACCOUNTS = Number(values.accounts);
const TXS = Number(values.txs);
const ROUNDS = Number(values.rounds);
const progress = (msg: string) => console.error(`[bench:stages] ${msg}`);

progress(`creating ${ACCOUNTS} accounts, pre-signing ${ROUNDS} rounds of ${TXS} transfers`);
const chain = benchChain("btt-bench-1", ACCOUNTS);
const nonces = new Array<bigint>(ACCOUNTS).fill(0n);
let seed = 1;
const round = (): Uint8Array[] =>
  Array.from({ length: TXS }, (_, i) => {
    const from = i % ACCOUNTS;
    seed = (seed * 1103515245 + 12345) >>> 0;
    const to = (from + 1 + (seed % (ACCOUNTS - 1))) % ACCOUNTS;
    const body = createTxBody({
      chainId: chain.genesis.chain_id,
      sender: chain.signers[from]!.address,
      nonce: nonces[from]!++,
      fee: { denom: "ubtt", amount: 10_000n },
      messages: [
        bankMsg.send(chain.signers[to]!.address, [{ denom: "ubtt", amount: BigInt(1 + (seed % 1000)) }]),
      ],
    });
    return encodeTx(signTx(body, chain.signers[from]!, false));
  });
const rounds = Array.from({ length: ROUNDS }, round);

const bench = startBenchNode("stages", chain, { keepRecent: 4, blockMs: 1000, verifyThreads: undefined });
const stopProfile = values.profile
  ? await startProfile(values.profile)
  : values["heap-profile"]
    ? await startHeapProfile(values["heap-profile"])
    : undefined;
const admit: number[] = [];
const block: number[] = [];
/** Of the block: from its close to its commit (the rest is executing its txs). */
const close: number[] = [];
bench.node.onBlock((_, timing) => close.push((timing.closeMs * 1000) / TXS));
for (const txs of rounds) {
  let started = performance.now();
  const submitted = txs.map((tx) => bench.node.submit(tx));
  admit.push(((performance.now() - started) * 1000) / TXS);
  await Promise.all(submitted);
  started = performance.now();
  const produced = bench.driver.produce();
  block.push(((performance.now() - started) * 1000) / TXS);
  if (produced.block.txs.length !== TXS) throw new Error(`a block of ${produced.block.txs.length} txs`);
  // Let the garbage of one round go before the next is timed.
  await new Promise((resolve) => setTimeout(resolve, 200));
}
await stopProfile?.();
await bench.close();

const warm = (xs: number[]) => xs.slice(1).sort((a, b) => a - b);
const round1 = (x: number) => Math.round(x * 10) / 10;
progress(`admit µs/tx by round: ${admit.map(round1).join(" ")}`);
progress(`block µs/tx by round: ${block.map(round1).join(" ")}`);
progress(`of which close to commit: ${close.map(round1).join(" ")}`);
const a = warm(admit);
const b = warm(block);
const c = warm(close);
console.log(
  JSON.stringify({
    admit_us_per_tx: round1(a[a.length >> 1]!),
    block_us_per_tx: round1(b[b.length >> 1]!),
    close_us_per_tx: round1(c[c.length >> 1]!),
    admit_best_us: round1(a[0]!),
    block_best_us: round1(b[0]!),
    txs_per_round: TXS,
    rounds: ROUNDS,
  }),
);
