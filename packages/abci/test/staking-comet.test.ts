// One real CometBFT validator whose key the staking genesis names: its power in CometBFT's
// /validators follows the validator score, and a compliance rating changes it at the height
// the epoch end says (updates returned at height E take effect at E + 2).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "@btt/core";
import { consensusAddress, DEFAULT_IDENTITY_PARAMS, DEFAULT_STAKING_PARAMS, stakingMsg } from "@btt/modules";
import { Application, validateGenesis } from "@btt/node";
import { afterAll, describe, expect, it } from "vitest";
import {
  COMETBFT_INSTALL_HINT,
  configureCometHome,
  findCometbft,
  initCometHome,
  writeCometGenesis,
} from "../src/cometbft.ts";
import { CometNode, freePort, type TxCommitResult, withLogs } from "./comet-helpers.ts";
import { type AppUnderTest, fullTestChain, signedTx, startApp } from "./helpers.ts";

const bin = findCometbft();
if (!bin && process.env.CI) throw new Error(`CI needs CometBFT: ${COMETBFT_INSTALL_HINT}`);
if (!bin) console.warn(`skipping the CometBFT staking test: ${COMETBFT_INSTALL_HINT}`);

const EPOCH = 3;

describe.skipIf(!bin)("staking under a real CometBFT validator", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-staking-comet-"));
  const base = fullTestChain(2);
  const [alice, bob] = base.accounts as [(typeof base.accounts)[0], (typeof base.accounts)[0]];
  let app: AppUnderTest | undefined;
  let comet: CometNode | undefined;
  afterAll(async () => {
    await comet?.stop();
    await app?.close();
    if (!process.env.BTT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it("power = V: 875000 from the first epoch, 1000000 two blocks after the epoch end that follows a rating", () =>
    withLogs(
      () => (comet ? [comet] : []),
      async () => {
        const home = join(dir, "comet");
        mkdirSync(home);
        const key = initCometHome(bin!, home);
        const consensusKey = Buffer.from(key.pubKey, "base64");
        const genesis = validateGenesis(
          {
            ...base.genesis,
            app_state: {
              ...base.genesis.app_state,
              staking: {
                params: {
                  ...DEFAULT_STAKING_PARAMS,
                  epoch_blocks: String(EPOCH),
                  signed_blocks_window: 1000,
                },
                validators: [
                  {
                    operator: alice.address,
                    consensus_pubkey: toHex(consensusKey),
                    self_delegation: "1000000",
                  },
                ],
              },
              identity: {
                params: { ...DEFAULT_IDENTITY_PARAMS, authorities: { regulator: [alice.address] } },
                credentials: [
                  {
                    id: "1",
                    subject: bob.address,
                    type: "regulator",
                    jurisdiction: "DE",
                    issued_at_ms: "0",
                    expires_at_ms: "99999999999999",
                    issuer: alice.address,
                  },
                ],
              },
            },
          },
          (id) => new Application(id),
        );
        const [abciPort, rpcPort, p2pPort] = [await freePort(), await freePort(), await freePort()];
        writeCometGenesis(home, genesis);
        configureCometHome(home, {
          proxyApp: `tcp://127.0.0.1:${abciPort}`,
          rpcPort,
          p2pPort,
          timeoutCommit: "200ms",
        });
        app = await startApp(genesis, join(dir, "btt"), abciPort);
        comet = new CometNode(bin!, home, rpcPort);
        comet.start();
        const powerAt = async (height: number) => {
          const r = await comet!.rpc<{
            validators: Array<{ pub_key: { value: string }; voting_power: string }>;
          }>("validators", { height: String(height) });
          return r.validators.map((v) => [v.pub_key.value, v.voting_power]);
        };
        await comet.waitHeight(4);
        // CometBFT's genesis gives 10; block 1's epoch end (S = 1, H = 1, C = 0.5 → V = 0.875)
        // is in force from height 3.
        expect(await powerAt(2)).toEqual([[key.pubKey, "10"]]);
        expect(await powerAt(3)).toEqual([[key.pubKey, "875000"]]);

        // A regulator rates the validator 100%: V = 0.4 + 0.35 + 0.25 = 1.
        const tx = signedTx(bob, 0n, [stakingMsg.setComplianceRating(alice.address, 1_000_000)], {
          includeKey: true,
        });
        const res = await comet.rpc<TxCommitResult>("broadcast_tx_commit", {
          tx: Buffer.from(tx).toString("base64"),
        });
        expect(res.tx_result.code).toBe(0);
        const h = Number(res.height);
        const epochEnd = Math.ceil(h / EPOCH) * EPOCH; // the tx runs before its block's end-block
        await comet.waitHeight(epochEnd + 2);
        expect(await powerAt(epochEnd + 1)).toEqual([[key.pubKey, "875000"]]);
        expect(await powerAt(epochEnd + 2)).toEqual([[key.pubKey, "1000000"]]);
        // decided_last_commit listed the validator as signed for every block after the first.
        const { keeper } = app.node.ledger.app.staking;
        const { ledger } = app.node;
        const info = keeper.signingInfo(ledger.committed, consensusAddress(consensusKey));
        expect([info.offset, info.missed]).toEqual([ledger.height - 1, 0]);
        expect(keeper.scores(ledger.committed).map((s) => s.hPpm)).toEqual([1_000_000n]);
      },
    ));
});
