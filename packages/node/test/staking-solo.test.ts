// Under the solo driver (no commit to read) the ledger reports every genesis validator as
// having signed the previous block, so the staking module's window sees a solo validator online.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "@btt/core";
import { consensusAddress, DEFAULT_STAKING_PARAMS } from "@btt/modules";
import { afterAll, describe, expect, it } from "vitest";
import { Application } from "../src/app.ts";
import { validateGenesis } from "../src/genesis.ts";
import { Ledger } from "../src/ledger.ts";
import { testChain } from "./helpers.ts";

describe("staking under the solo driver", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-staking-solo-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("records the genesis validator as signing every block, and the same on replay", async () => {
    const { genesis: raw, validator, accounts } = testChain(2);
    const key = validator.publicKey.key.value as Uint8Array;
    const genesis = validateGenesis(
      {
        ...raw,
        app_state: {
          ...raw.app_state,
          staking: {
            params: { ...DEFAULT_STAKING_PARAMS, signed_blocks_window: 8 },
            validators: [
              { operator: accounts[0]!.address, consensus_pubkey: toHex(key), self_delegation: "1000" },
            ],
          },
        },
      },
      (id) => new Application(id),
    );
    const run = async (name: string) => {
      const ledger = new Ledger({ dataDir: join(dir, name), genesis, keepRecent: 3 });
      for (let h = 1; h <= 4; h++) ledger.commitBlock([], BigInt(h * 1000), validator.address);
      const { keeper } = ledger.app.staking;
      const info = keeper.signingInfo(ledger.committed, consensusAddress(key));
      const out = { offset: info.offset, missed: info.missed, appHash: toHex(ledger.appHash) };
      const power = keeper.activeSet(ledger.committed).map((m) => m.power);
      await ledger.close();
      return { ...out, power };
    };
    const first = await run("a");
    // Blocks 2, 3 and 4 each read one signed vote (block 1 has no previous block).
    expect(first.offset).toBe(3);
    expect(first.missed).toBe(0);
    // The only candidate: S = 1, H = 1, C = 0.5 → V = 0.4 + 0.35 + 0.125 = 0.875.
    expect(first.power).toEqual([875_000n]);
    expect(await run("b")).toEqual(first);
  });
});
