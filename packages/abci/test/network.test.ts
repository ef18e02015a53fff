// Four real CometBFT validators, each with its own BTT app, on this machine: a tx sent to one
// node is committed on all, every node's app hash agrees at every height, a delegation's new
// validator score reaches CometBFT's validator set, and the network rides out stopped validators.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519Signer, fromHex, sha256, toHex } from "@btt/core";
import { bankMsg, stakingMsg } from "@btt/modules";
import { homePaths, loadHome } from "@btt/node";
import { afterAll, describe, expect, it } from "vitest";
import { COMETBFT_INSTALL_HINT, findCometbft } from "../src/cometbft.ts";
import { initTestnet, manifestPath } from "../src/testnet.ts";
import {
  type BlockResult,
  CometNode,
  freeNodePorts,
  type TxCommitResult,
  waitUntil,
  withLogs,
} from "./comet-helpers.ts";
import { type AppUnderTest, signedTx, startApp } from "./helpers.ts";

const TEST_CHAIN_ID = "btt-testnet-1";
const signerFromKeyFile = (path: string) =>
  ed25519Signer(fromHex(JSON.parse(readFileSync(path, "utf8")).seed));

const bin = findCometbft();
if (!bin && process.env.CI) throw new Error(`CI needs CometBFT: ${COMETBFT_INSTALL_HINT}`);

const VALIDATORS = 4;
const EPOCH_BLOCKS = 10;
const SELF_DELEGATION = 100_000_000_000n;

interface BlockResults {
  finalize_block_events?: Array<{ type: string; attributes: Array<{ key: string; value: string }> }>;
}

describe.skipIf(!bin)("four CometBFT validators with four BTT apps", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-net-"));
  const apps: AppUnderTest[] = [];
  const comets: CometNode[] = [];
  afterAll(async () => {
    await Promise.all(comets.map((c) => c.stop()));
    for (const a of apps) await a.close();
    if (!process.env.BTT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it(
    "commits a tx sent to one node on all four, with equal app hashes at every height; a delegation raises its validator's power in /validators; one down: blocks go on and it catches up; two down: no block until one returns",
    () =>
      withLogs(
        () => comets,
        async () => {
          // `btt testnet init`'s homes, on free ports.
          const ports = await freeNodePorts(VALIDATORS);
          const manifest = initTestnet(dir, {
            validators: VALIDATORS,
            chainId: TEST_CHAIN_ID,
            cometbft: bin!,
            timeoutCommit: "300ms",
            timeoutPropose: "1s",
            ports: (i) => ports[i]!,
            selfDelegationUbtt: SELF_DELEGATION,
            stakingParams: { epoch_blocks: String(EPOCH_BLOCKS) },
          });
          expect(JSON.parse(readFileSync(manifestPath(dir), "utf8")).nodes).toHaveLength(VALIDATORS);
          // Every home has the same genesis, naming the four consensus keys.
          const { genesis } = loadHome(manifest.nodes[0]!.home);
          expect(genesis.validators.map((v) => v.address)).toEqual(manifest.nodes.map((n) => n.bttAddress));
          for (const n of manifest.nodes) {
            expect(loadHome(n.home).genesis).toEqual(genesis);
            apps.push(await startApp(genesis, homePaths(n.home).data, n.ports.abci));
            const comet = new CometNode(bin!, n.cometHome, n.ports.rpc);
            comet.start();
            comets.push(comet);
          }
          const alice = signerFromKeyFile(join(manifest.nodes[0]!.home, "keys", "alice.json"));
          const bob = signerFromKeyFile(join(manifest.nodes[0]!.home, "keys", "bob.json"));
          await Promise.all(comets.map((c) => c.waitHeight(2, 60_000)));

          const tx = signedTx(alice, 0n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 77n }])], {
            includeKey: true,
            chainId: TEST_CHAIN_ID,
          });
          const res = await comets[0]!.rpc<TxCommitResult>("broadcast_tx_commit", {
            tx: Buffer.from(tx).toString("base64"),
          });
          expect(res.tx_result.code).toBe(0);
          const height = Number(res.height);
          await Promise.all(comets.map((c) => c.waitHeight(height + 2, 60_000)));
          // CometBFT's store shows a block before its app commits it: wait for the apps.
          await waitUntil(() => apps.every((a) => a.node.height > height + 1), "every app past the tx");

          for (const a of apps) expect(a.node.ledger.blocks.tx(sha256(tx)), "tx on every node").toBeDefined();
          const top = Math.min(...apps.map((a) => a.node.height));
          expect(top).toBeGreaterThan(height);
          for (let h = 1; h <= top; h++) {
            const hashes = new Set(apps.map((a) => toHex(a.node.ledger.blocks.header(h)!.appHash)));
            expect(hashes.size, `app hashes at height ${h}`).toBe(1);
          }
          // CometBFT's headers carry the same app hash on every node.
          const headers = await Promise.all(
            comets.map((c) => c.rpc<BlockResult>("block", { height: String(height + 1) })),
          );
          const expected = toHex(apps[0]!.node.ledger.blocks.header(height)!.appHash);
          for (const b of headers) expect(b.block.header.app_hash.toLowerCase()).toBe(expected);

          // A delegation raises node 0's stake share S from 1/4 to 2/5: its power in CometBFT's
          // /validators rises at the epoch end that follows + 2 (updates at E take effect at E + 2).
          const v0 = manifest.nodes[0]!;
          const { keeper } = apps[0]!.node.ledger.app.staking;
          const v0Pubkey = keeper.validator(apps[0]!.node.ledger.committed, v0.operator)!.consensusPubkey;
          const v0Key = Buffer.from(v0Pubkey, "hex").toString("base64");
          const delegation = signedTx(alice, 1n, [stakingMsg.delegate(v0.operator, SELF_DELEGATION)], {
            chainId: TEST_CHAIN_ID,
          });
          const delegated = await comets[0]!.rpc<TxCommitResult>("broadcast_tx_commit", {
            tx: Buffer.from(delegation).toString("base64"),
          });
          expect(delegated.tx_result.code).toBe(0);
          const epochEnd = Math.ceil(Number(delegated.height) / EPOCH_BLOCKS) * EPOCH_BLOCKS;
          await comets[0]!.waitHeight(epochEnd + 2, 60_000);
          const shares = keeper
            .scores(apps[0]!.node.ledger.committed)
            .map((s) => [s.validator.operator, s.sPpm]);
          expect(shares).toContainEqual([v0.operator, 400_000n]);
          const results = await comets[0]!.rpc<BlockResults>("block_results", { height: String(epochEnd) });
          const update = (results.finalize_block_events ?? [])
            .filter((e) => e.type === "staking/validator_update")
            .map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])))
            .find((a) => a.pubkey === v0Pubkey);
          expect(update, "node 0's power update at the epoch end").toBeDefined();
          const before = await comets[0]!.power(v0Key, epochEnd + 1);
          const after = await comets[0]!.power(v0Key, epochEnd + 2);
          expect(after).toBe(BigInt(update!.power!));
          // The stake term alone adds 0.4 × (400_000 − 250_000) = 60_000; H moves it by at most a few missed blocks.
          expect(after - before).toBeGreaterThan(50_000n);

          // One validator stops: the other three (3/4 of the power) go on committing.
          await comets[3]!.stop();
          const stoppedAt = apps[3]!.node.height;
          const tx2 = signedTx(alice, 2n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 1n }])], {
            chainId: TEST_CHAIN_ID,
          });
          const res2 = await comets[1]!.rpc<TxCommitResult>("broadcast_tx_commit", {
            tx: Buffer.from(tx2).toString("base64"),
          });
          expect(res2.tx_result.code).toBe(0);
          await comets[0]!.waitHeight(stoppedAt + 3);
          expect(apps[3]!.node.height).toBe(stoppedAt);
          // Restarted, it catches up by block sync and agrees at every height again.
          const restarted = new CometNode(bin!, comets[3]!.home, comets[3]!.rpcPort);
          comets[3] = restarted;
          restarted.start();
          const target = apps[0]!.node.height;
          await waitUntil(() => apps[3]!.node.height >= target, "the restarted app to catch up", 60_000);
          expect(apps[3]!.node.ledger.blocks.tx(sha256(tx2))).toBeDefined();
          for (let h = 1; h <= target; h++) {
            expect(toHex(apps[3]!.node.ledger.blocks.header(h)!.appHash), `height ${h}`).toBe(
              toHex(apps[0]!.node.ledger.blocks.header(h)!.appHash),
            );
          }

          // Two of four stopped: half the power cannot commit, so the height stays; one back: it resumes.
          await Promise.all([comets[2]!.stop(), comets[3]!.stop()]);
          // A height the four had already precommitted may still finalize on the other two: let it
          // land, then the height must stay put.
          await new Promise((r) => setTimeout(r, 1500));
          const halted = Math.max(...apps.map((a) => a.node.height));
          await new Promise((r) => setTimeout(r, 2000));
          expect(Math.max(...apps.map((a) => a.node.height))).toBe(halted);
          const back = new CometNode(bin!, comets[2]!.home, comets[2]!.rpcPort);
          comets[2] = back;
          back.start();
          await waitUntil(() => apps[0]!.node.height >= halted + 2, "the chain to resume", 60_000);
          expect(toHex(apps[2]!.node.ledger.blocks.header(halted + 1)!.appHash)).toBe(
            toHex(apps[0]!.node.ledger.blocks.header(halted + 1)!.appHash),
          );
        },
      ),
    120_000,
  );
});
