// Four real CometBFT validators with a small signing window: one stays down past it, is jailed
// and slashed by the staking module, and leaves CometBFT's /validators two blocks later.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { homePaths, loadHome } from "@btt/node";
import { afterAll, describe, expect, it } from "vitest";
import { COMETBFT_INSTALL_HINT, findCometbft } from "../src/cometbft.ts";
import { initTestnet } from "../src/testnet.ts";
import { CometNode, freeNodePorts, withLogs } from "./comet-helpers.ts";
import { type AppUnderTest, startApp } from "./helpers.ts";

const bin = findCometbft();
if (!bin && process.env.CI) throw new Error(`CI needs CometBFT: ${COMETBFT_INSTALL_HINT}`);

const VALIDATORS = 4;
const WINDOW = 6;
const SELF_DELEGATION = 1_000_000n;

interface BlockResults {
  finalize_block_events?: Array<{ type: string; attributes: Array<{ key: string; value: string }> }>;
  validator_updates?: Array<{ pub_key: unknown; power?: string }> | null;
}

describe.skipIf(!bin)("downtime under four CometBFT validators", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-downtime-"));
  const apps: AppUnderTest[] = [];
  const comets: CometNode[] = [];
  afterAll(async () => {
    await Promise.all(comets.map((c) => c.stop()));
    for (const a of apps) await a.close();
    if (!process.env.BTT_KEEP_TEST_DIRS) rmSync(dir, { recursive: true, force: true });
  });

  it("a validator down past the window is jailed, slashed 1%, and leaves /validators at the jail height + 2", () =>
    withLogs(
      () => comets,
      async () => {
        const ports = await freeNodePorts(VALIDATORS);
        const manifest = initTestnet(dir, {
          validators: VALIDATORS,
          chainId: "btt-downtime-1",
          cometbft: bin!,
          timeoutCommit: "200ms",
          timeoutPropose: "1s",
          ports: (i) => ports[i]!,
          selfDelegationUbtt: SELF_DELEGATION,
          // Epochs far apart: only the jail changes the set.
          stakingParams: {
            signed_blocks_window: WINDOW,
            epoch_blocks: "100000",
            downtime_jail_blocks: "1000",
          },
        });
        for (const n of manifest.nodes) {
          const { genesis } = loadHome(n.home);
          apps.push(await startApp(genesis, homePaths(n.home).data, n.ports.abci));
          const comet = new CometNode(bin!, n.cometHome, n.ports.rpc);
          comet.start();
          comets.push(comet);
        }
        await Promise.all(comets.map((c) => c.waitHeight(3, 60_000)));
        const down = manifest.nodes[VALIDATORS - 1]!;
        await comets[VALIDATORS - 1]!.stop();
        const stoppedAt = await comets[0]!.height();

        // Three of four equal powers (75% > 2/3) keep committing; the fourth's misses fill the window.
        const { keeper } = apps[0]!.node.ledger.app.staking;
        const ledger = apps[0]!.node.ledger;
        const deadline = Date.now() + 40_000;
        while (!keeper.validator(ledger.committed, down.operator)!.jailed) {
          if (Date.now() > deadline) throw new Error("the stopped validator was not jailed");
          await new Promise((r) => setTimeout(r, 100));
        }
        const jailedSeen = ledger.height;
        expect(keeper.validator(ledger.committed, down.operator)).toMatchObject({
          jailed: true,
          tokens: SELF_DELEGATION - SELF_DELEGATION / 100n,
        });
        // The block whose begin-block jailed it also returned its power-0 update.
        let jailHeight = 0;
        for (let h = stoppedAt; h <= jailedSeen && jailHeight === 0; h++) {
          const r = await comets[0]!.rpc<BlockResults>("block_results", { height: String(h) });
          if ((r.finalize_block_events ?? []).some((e) => e.type === "staking/jail")) {
            jailHeight = h;
            // CometBFT's JSON leaves a zero power out.
            expect((r.validator_updates ?? []).map((u) => u.power ?? "0")).toEqual(["0"]);
          }
        }
        expect(jailHeight).toBeGreaterThan(stoppedAt);
        // Jailed only once W blocks were tracked with more than half of them missed.
        expect(jailHeight).toBeGreaterThanOrEqual(WINDOW);

        await comets[0]!.waitHeight(jailHeight + 2);
        const validatorsAt = async (height: number) => {
          const r = await comets[0]!.rpc<{ validators: Array<{ address: string }> }>("validators", {
            height: String(height),
          });
          return r.validators.map((v) => v.address);
        };
        expect(await validatorsAt(jailHeight + 1)).toContain(down.validatorAddress);
        const after = await validatorsAt(jailHeight + 2);
        expect(after).toHaveLength(VALIDATORS - 1);
        expect(after).not.toContain(down.validatorAddress);
        // And the chain goes on without it.
        await comets[0]!.waitHeight(jailHeight + 4);
      },
    ));
});
