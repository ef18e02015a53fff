// A node under a crash test: produces a block every few ms while transfers keep arriving,
// and prints each committed block (after its LMDB transaction returned) as one JSON line.
import { readFileSync } from "node:fs";
import { toHex, txHash } from "@btt/core";
import { bankMsg } from "@btt/modules";
import { BttNode } from "../src/node.ts";
import { SoloDriver } from "../src/solo-driver.ts";
import { signedTx, testChain } from "./helpers.ts";

const [dataDir, genesisPath] = process.argv.slice(2) as [string, string];
const genesis = JSON.parse(readFileSync(genesisPath, "utf8"));
const { accounts } = testChain(8);
const node = new BttNode({
  dataDir,
  genesis,
  keepRecent: 5,
  mempool: { maxTxs: 10_000, maxBytes: 1 << 24, maxTxBytes: 1 << 17 },
  verifyThreads: 0,
});
const print = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
print({ started: node.height, appHash: toHex(node.ledger.appHash) });

node.onBlock((b) =>
  print({
    height: Number(b.block.header!.height),
    appHash: toHex(b.block.header!.appHash),
    txs: b.block.txs.map((tx) => toHex(txHash(tx))),
  }),
);

new SoloDriver(node, {
  blockIntervalMs: 15,
  limits: { maxTxs: 40, maxBytes: 1 << 20 },
  proposer: genesis.validators[0].address,
}).start();

// Keep the mempool fed: each account sends to the next, three nonces at a time.
let round = 0n;
setInterval(() => {
  round++;
  accounts.forEach((from, i) => {
    if (node.mempool.pendingOf(from.address) > 0) return;
    const to = accounts[(i + 1) % accounts.length]!;
    const nonce = node.ledger.app.auth.keeper.nextNonce(node.ledger.committed, from.address);
    for (let k = 0n; k < 3n; k++) {
      const send = bankMsg.send(to.address, [{ denom: "ubtt", amount: round }]);
      node.submit(signedTx(from, nonce + k, [send])).catch(() => {});
    }
  });
}, 5);
