// State sync with real CometBFT: four validators write a snapshot every 10 heights; a fifth,
// non-validator node configured for state sync restores the newest one (no replay from
// genesis), reaches the validators' app hash at common heights, answers a balance query with
// a proof, and takes new blocks with a tx sent through it.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeAmount, ed25519Signer, fromHex, sha256, toHex } from "@btt/core";
import { balanceStateKey, bankMsg } from "@btt/modules";
import { homePaths, loadHome } from "@btt/node";
import { decodeProof, verifyProof } from "@btt/state";
import { afterAll, describe, expect, it } from "vitest";
import {
  COMETBFT_INSTALL_HINT,
  configureCometHome,
  configureStateSync,
  findCometbft,
  initCometHome,
} from "../src/cometbft.ts";
import { initTestnet } from "../src/testnet.ts";
import {
  type AbciQueryResult,
  CometNode,
  freeNodePorts,
  freePort,
  type TxCommitResult,
  waitUntil,
  withLogs,
} from "./comet-helpers.ts";
import { type AppUnderTest, signedTx, startApp } from "./helpers.ts";

const CHAIN_ID = "btt-statesync-1";
const VALIDATORS = 4;
const SNAPSHOT_INTERVAL = 10;

const bin = findCometbft();
if (!bin && process.env.CI) throw new Error(`CI needs CometBFT: ${COMETBFT_INSTALL_HINT}`);

const signerFromKeyFile = (path: string) =>
  ed25519Signer(fromHex(JSON.parse(readFileSync(path, "utf8")).seed));

describe.skipIf(!bin)("state sync: a fifth node joins from a snapshot", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-statesync-"));
  const apps: AppUnderTest[] = [];
  const comets: CometNode[] = [];
  afterAll(async () => {
    await Promise.all(comets.map((c) => c.stop()));
    for (const a of apps) await a.close();
    if (!process.env.BTT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it(
    "a fifth node joins by state sync and reaches the same app hash",
    () =>
      withLogs(
        () => comets,
        async () => {
          const ports = await freeNodePorts(VALIDATORS);
          const manifest = initTestnet(dir, {
            validators: VALIDATORS,
            chainId: CHAIN_ID,
            cometbft: bin!,
            timeoutCommit: "300ms",
            timeoutPropose: "1s",
            snapshotInterval: SNAPSHOT_INTERVAL,
            ports: (i) => ports[i]!,
          });
          const { genesis } = loadHome(manifest.nodes[0]!.home);
          for (const n of manifest.nodes) {
            apps.push(
              await startApp(genesis, homePaths(n.home).data, n.ports.abci, {
                snapshotInterval: SNAPSHOT_INTERVAL,
              }),
            );
            const comet = new CometNode(bin!, n.cometHome, n.ports.rpc);
            comet.start();
            comets.push(comet);
          }
          const alice = signerFromKeyFile(join(manifest.nodes[0]!.home, "keys", "alice.json"));
          const bob = signerFromKeyFile(join(manifest.nodes[0]!.home, "keys", "bob.json"));
          await Promise.all(comets.map((c) => c.waitHeight(2, 60_000)));
          const send = (nonce: bigint, amount: bigint) =>
            signedTx(alice, nonce, [bankMsg.send(bob.address, [{ denom: "ubtt", amount }])], {
              includeKey: nonce === 0n,
              chainId: CHAIN_ID,
            });
          for (const [nonce, amount] of [
            [0n, 77n],
            [1n, 23n],
          ] as const) {
            const res = await comets[0]!.rpc<TxCommitResult>("broadcast_tx_commit", {
              tx: Buffer.from(send(nonce, amount)).toString("base64"),
            });
            expect(res.tx_result.code).toBe(0);
          }

          // A snapshot at 2·interval, and the two headers after it that the light client verifies.
          const snapshotHeight = 2 * SNAPSHOT_INTERVAL;
          await comets[0]!.waitHeight(snapshotHeight + 3, 60_000);
          for (const a of apps) {
            expect(a.app.snapshots.list().map((s) => s.height)).toContain(snapshotHeight);
          }
          // Every validator wrote the same snapshot (same hash): chunks can come from any of them.
          const hashes = new Set(
            apps.map((a) => toHex(a.app.snapshots.list().find((s) => s.height === snapshotHeight)!.hash)),
          );
          expect(hashes.size).toBe(1);

          // The fifth node: a fresh BTT home and CometBFT home, state sync from a trusted block.
          const trustHeight = SNAPSHOT_INTERVAL;
          const trusted = await comets[0]!.rpc<{ block_id: { hash: string } }>("block", {
            height: String(trustHeight),
          });
          const home = join(dir, "node4");
          mkdirSync(home, { recursive: true });
          const p = { p2p: await freePort(), rpc: await freePort(), abci: await freePort() };
          const joiner = await startApp(genesis, join(home, "data"), p.abci, {
            snapshotInterval: SNAPSHOT_INTERVAL,
          });
          apps.push(joiner);
          const cometHome = join(home, "cometbft");
          initCometHome(bin!, cometHome);
          copyFileSync(
            join(manifest.nodes[0]!.cometHome, "config", "genesis.json"),
            join(cometHome, "config", "genesis.json"),
          );
          configureCometHome(cometHome, {
            proxyApp: `tcp://127.0.0.1:${p.abci}`,
            rpcPort: p.rpc,
            p2pPort: p.p2p,
            timeoutCommit: "300ms",
            timeoutPropose: "1s",
            persistentPeers: manifest.nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.ports.p2p}`).join(","),
          });
          configureStateSync(cometHome, {
            rpcServers: manifest.nodes.slice(0, 2).map((n) => `http://127.0.0.1:${n.ports.rpc}`),
            trustHeight,
            trustHash: trusted.block_id.hash,
            discoveryTime: "5s",
          });
          const started = Date.now();
          const fifth = new CometNode(bin!, cometHome, p.rpc);
          comets.push(fifth);
          fifth.start();

          await waitUntil(() => joiner.node.height > 0, "the fifth app to restore a snapshot", 60_000);
          const restored = joiner.node.height;
          const syncMs = Date.now() - started;
          // It restored a snapshot (a multiple of the interval, at least the one above) and
          // never stored the blocks before it.
          expect(restored % SNAPSHOT_INTERVAL).toBe(0);
          expect(restored).toBeGreaterThanOrEqual(snapshotHeight);
          expect(joiner.node.ledger.blocks.header(1)).toBeUndefined();
          expect(joiner.node.ledger.blocks.header(restored - 1)).toBeUndefined();
          expect(toHex(joiner.node.ledger.blocks.header(restored)!.appHash)).toBe(
            toHex(apps[0]!.node.ledger.blocks.header(restored)!.appHash),
          );

          // It goes on with blocks: a tx sent through the fifth node's RPC is committed everywhere.
          const tx3 = send(2n, 5n);
          const res3 = await fifth.rpc<TxCommitResult>("broadcast_tx_commit", {
            tx: Buffer.from(tx3).toString("base64"),
          });
          expect(res3.tx_result.code).toBe(0);
          const txHeight = Number(res3.height);
          await waitUntil(
            () => apps.every((a) => a.node.height > txHeight + 1),
            "every app past the tx",
            60_000,
          );
          for (const a of apps) expect(a.node.ledger.blocks.tx(sha256(tx3))).toBeDefined();

          // Same app hash as every validator at every height the fifth node holds.
          const common = Math.min(...apps.map((a) => a.node.height));
          for (let h = restored; h <= common; h++) {
            const at = new Set(apps.map((a) => toHex(a.node.ledger.blocks.header(h)!.appHash)));
            expect(at.size, `app hashes at height ${h}`).toBe(1);
          }

          // A balance query through the fifth node's CometBFT, with a proof that checks.
          const key = balanceStateKey(bob.address, "ubtt");
          const q = await fifth.rpc<AbciQueryResult>("abci_query", {
            path: "/store/bank/key",
            data: toHex(key.subarray("bank/".length)),
            height: String(common),
            prove: true,
          });
          expect(q.response.code).toBe(0);
          const value = Buffer.from(q.response.value, "base64");
          const validatorValue = apps[0]!.node.ledger.prove(key, common).value!;
          expect(decodeAmount(value)).toBe(decodeAmount(validatorValue));
          const op = q.response.proofOps.ops[0]!;
          const appHash = apps[0]!.node.ledger.blocks.header(common)!.appHash;
          expect(verifyProof(appHash, key, value, decodeProof(Buffer.from(op.data, "base64")))).toBe(true);
          console.info(JSON.stringify({ restored_height: restored, sync_ms: syncMs, common_height: common }));
        },
      ),
    90_000,
  );
});
