import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fromHex, toHex } from "@btt/core";
import { afterAll, describe, expect, it } from "vitest";
import { Ledger } from "../src/ledger.ts";
import { replayBlocks } from "../src/replay.ts";
import { testChain } from "./helpers.ts";

const KILLS = 22;
const childScript = join(import.meta.dirname, "crash-child.ts");

interface Reported {
  height: number;
  appHashes: Map<number, string>;
  txs: Set<string>;
}

/** Runs the child until it has committed a few blocks past `minHeight`, then SIGKILLs it at a random moment. */
async function runAndKill(dataDir: string, genesisPath: string, delayMs: number, reported: Reported) {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", childScript, dataDir, genesisPath],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let started: { started: number; appHash: string } | undefined;
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let timer: NodeJS.Timeout | undefined;
  lines.on("line", (line) => {
    const msg = JSON.parse(line);
    if ("started" in msg) {
      started = msg;
      timer = setTimeout(() => child.kill("SIGKILL"), delayMs);
      return;
    }
    reported.height = Math.max(reported.height, msg.height);
    reported.appHashes.set(msg.height, msg.appHash);
    for (const tx of msg.txs) reported.txs.add(tx);
  });
  await exited;
  clearTimeout(timer);
  return started;
}

describe("crash recovery", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-crash-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`after ${KILLS} SIGKILLs during block production the node resumes at a committed block, equal to a clean replay, with every reported tx`, async () => {
    const { genesis } = testChain(8);
    const genesisPath = join(dir, "genesis.json");
    writeFileSync(genesisPath, JSON.stringify(genesis));
    const dataDir = join(dir, "node");
    const replay = new Ledger({ dataDir: join(dir, "replay"), genesis, keepRecent: 5 });
    const reported: Reported = { height: 0, appHashes: new Map(), txs: new Set() };
    // A fixed seed: the kill moments vary across the runs but the test is repeatable.
    let seed = 0x2545f491;
    const nextDelay = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return 150 + (seed % 600);
    };

    for (let run = 0; run < KILLS; run++) {
      const started = await runAndKill(dataDir, genesisPath, nextDelay(), reported);
      expect(started, `run ${run} did not start`).toBeDefined();
      // Each start resumes at or after every block the previous run reported committed.
      const ledger = new Ledger({ dataDir, genesis, keepRecent: 5 });
      try {
        expect(ledger.height).toBeGreaterThanOrEqual(reported.height);
        for (const [height, appHash] of reported.appHashes) {
          expect(toHex(ledger.blocks.header(height)!.appHash)).toBe(appHash);
        }
        for (const tx of reported.txs) expect(ledger.blocks.tx(fromHex(tx)), `tx ${tx}`).toBeDefined();
        replayBlocks(ledger, replay);
        expect(toHex(replay.appHash)).toBe(toHex(ledger.appHash));
      } finally {
        await ledger.close();
      }
    }
    expect(reported.height).toBeGreaterThan(KILLS);
    expect(reported.txs.size).toBeGreaterThan(100);
    await replay.close();
  }, 240_000);
});
