// One BTT app under one real CometBFT validator: transactions through CometBFT's RPC are
// committed with BTT's app hash in CometBFT's headers, and both restart where they stopped.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProof, sha256, toHex, verifyProof } from "@btt/core";
import { balanceStateKey, bankMsg } from "@btt/modules";
import { afterAll, describe, expect, it } from "vitest";
import {
  COMETBFT_INSTALL_HINT,
  configureCometHome,
  findCometbft,
  initCometHome,
  writeCometGenesis,
} from "../src/cometbft.ts";
import { cometRpcSubmitter } from "../src/rpc.ts";
import {
  type AbciQueryResult,
  type BlockResult,
  CometNode,
  freePort,
  type TxCommitResult,
  type TxSyncResult,
  withLogs,
} from "./comet-helpers.ts";
import { type AppUnderTest, fullTestChain, signedTx, startApp } from "./helpers.ts";

const bin = findCometbft();
if (!bin && process.env.CI) throw new Error(`CI needs CometBFT: ${COMETBFT_INSTALL_HINT}`);
if (!bin) console.warn(`skipping the CometBFT tests: ${COMETBFT_INSTALL_HINT}`);

describe.skipIf(!bin)("BTT under a real CometBFT v0.38 validator", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-comet-"));
  const chain = fullTestChain(2);
  const [alice, bob] = chain.accounts as [(typeof chain.accounts)[0], (typeof chain.accounts)[0]];
  let app: AppUnderTest | undefined;
  let comet: CometNode | undefined;
  afterAll(async () => {
    await comet?.stop();
    await app?.close();
    if (!process.env.BTT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it(
    "commits a tx sent through broadcast_tx_commit with BTT's app hash in CometBFT's header, and resumes after a restart",
    () =>
      withLogs(
        () => (comet ? [comet] : []),
        async () => {
          const home = join(dir, "comet");
          const data = join(dir, "btt");
          mkdirSync(home);
          const [abciPort, rpcPort, p2pPort] = [await freePort(), await freePort(), await freePort()];
          initCometHome(bin!, home);
          writeCometGenesis(home, chain.genesis);
          configureCometHome(home, {
            proxyApp: `tcp://127.0.0.1:${abciPort}`,
            rpcPort,
            p2pPort,
            timeoutCommit: "200ms",
          });
          app = await startApp(chain.genesis, data, abciPort);
          comet = new CometNode(bin!, home, rpcPort);
          comet.start();
          await comet.waitHeight(2);
          expect(app.server.connectionCount).toBe(4);

          const tx = signedTx(alice, 0n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 1234n }])], {
            includeKey: true,
          });
          const res = await comet.rpc<TxCommitResult>("broadcast_tx_commit", {
            tx: Buffer.from(tx).toString("base64"),
          });
          expect(res.check_tx.code).toBe(0);
          expect(res.tx_result.code).toBe(0);
          const height = Number(res.height);
          // BTT's ledger holds the block with the tx; CometBFT's next header carries its app hash.
          const stored = app.node.ledger.blocks.block(height)!;
          expect(stored.block.txs.map((t) => toHex(t))).toEqual([toHex(tx)]);
          await comet.waitHeight(height + 1);
          const next = await comet.rpc<BlockResult>("block", { height: String(height + 1) });
          expect(next.block.header.app_hash.toLowerCase()).toBe(toHex(stored.block.header!.appHash));
          expect(next.block.header.chain_id).toBe(chain.genesis.chain_id);

          // A rejected tx: CheckTx answers the BttError code and CometBFT does not take it.
          const gap = signedTx(alice, 9n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 1n }])]);
          const rejected = await comet.rpc<TxSyncResult>("broadcast_tx_sync", {
            tx: Buffer.from(gap).toString("base64"),
          });
          expect(rejected.code).toBe(9); // NONCE_TOO_HIGH
          expect(rejected.codespace).toBe("btt");

          // abci_query with a proof, checked against the app hash CometBFT's header carries.
          const key = balanceStateKey(bob.address, "ubtt");
          const q = await comet.rpc<AbciQueryResult>("abci_query", {
            path: "/store/bank/key",
            data: toHex(key.subarray("bank/".length)),
            height: String(height),
            prove: true,
          });
          const value = Buffer.from(q.response.value, "base64");
          const op = q.response.proofOps.ops[0]!;
          expect(
            verifyProof(
              stored.block.header!.appHash,
              key,
              value,
              decodeProof(Buffer.from(op.data, "base64")),
            ),
          ).toBe(true);

          // Stop both, restart both: the handshake finds the app at CometBFT's height and blocks go on.
          await comet.stop();
          const stoppedAt = app.node.height;
          const hashAt = toHex(app.node.ledger.appHash);
          await app.close();
          const backup = join(dir, "btt-backup");
          cpSync(data, backup, { recursive: true });
          app = await startApp(chain.genesis, data, abciPort);
          expect(app.node.height).toBe(stoppedAt);
          expect(toHex(app.node.ledger.appHash)).toBe(hashAt);
          comet = new CometNode(bin!, home, rpcPort);
          comet.start();
          await comet.waitHeight(stoppedAt + 2);
          const after = await comet.rpc<BlockResult>("block", { height: String(stoppedAt + 1) });
          expect(after.block.header.app_hash.toLowerCase()).toBe(hashAt);
          const tx2 = signedTx(alice, 1n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 1n }])]);
          const res2 = await comet.rpc<TxCommitResult>("broadcast_tx_commit", {
            tx: Buffer.from(tx2).toString("base64"),
          });
          expect(res2.tx_result.code).toBe(0);
          const h2 = Number(res2.height);

          // The node's own submit (the API's path) routed through CometBFT's RPC.
          app.node.routeSubmissions(cometRpcSubmitter(`http://127.0.0.1:${rpcPort}`));
          const tx3 = signedTx(alice, 2n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 2n }])]);
          expect(await app.node.submit(tx3)).toBe(toHex(sha256(tx3)));
          const tooHigh = signedTx(alice, 7n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 2n }])]);
          await expect(app.node.submit(tooHigh)).rejects.toMatchObject({ code: "NONCE_TOO_HIGH" });
          await expect(app.node.submit(tx3)).rejects.toMatchObject({ code: "DUPLICATE_TX" });
          const deadline = Date.now() + 20_000;
          while (!app.node.ledger.blocks.tx(sha256(tx3)) && Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
          }
          expect(app.node.ledger.blocks.tx(sha256(tx3))).toBeDefined();
          const hashAtH2 = toHex(app.node.ledger.blocks.header(h2)!.appHash);

          // The app loses its recent blocks (its data from the first stop comes back): CometBFT's
          // handshake replays the blocks it missed, checking the app hash, and the chain goes on.
          await comet.waitHeight(h2 + 2);
          await comet.stop();
          const cometHeight = app.node.height;
          await app.close();
          rmSync(data, { recursive: true, force: true });
          cpSync(backup, data, { recursive: true });
          app = await startApp(chain.genesis, data, abciPort);
          expect(app.node.height).toBe(stoppedAt);
          comet = new CometNode(bin!, home, rpcPort);
          comet.start();
          await comet.waitHeight(cometHeight + 1);
          expect(app.node.height).toBeGreaterThanOrEqual(cometHeight);
          expect(toHex(app.node.ledger.blocks.header(h2)!.appHash)).toBe(hashAtH2);
          expect(app.node.ledger.blocks.tx(sha256(tx2))).toBeDefined();
          const log = readFileSync(join(home, "cometbft.log"), "utf8");
          expect(log).toMatch(/Replay: Done|ABCI Replay Blocks.*appHeight=\d+/);
        },
      ),
    120_000,
  );
});
