// `btt testnet` and `btt abci`: a local network of CometBFT validators with BTT nodes, run
// through the CLI as a person would.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ed25519Signer, fromHex } from "@btt/core";
import { bankMsg } from "@btt/modules";
import { afterAll, describe, expect, it } from "vitest";
import { COMETBFT_INSTALL_HINT, findCometbft } from "../src/cometbft.ts";
import { initTestnet } from "../src/testnet.ts";
import { type NodeStatus, stopTestnet, testnetStatus } from "../src/testnet-run.ts";
import type { BlockResult } from "./comet-helpers.ts";
import { signedTx } from "./helpers.ts";

const bin = findCometbft();
if (!bin && process.env.CI) throw new Error(`CI needs CometBFT: ${COMETBFT_INSTALL_HINT}`);
const MAIN = fileURLToPath(new URL("../../cli/src/main.ts", import.meta.url));
const btt = (args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { encoding: "utf8" });

describe.skipIf(!bin)("btt testnet, btt abci", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-testnet-cli-"));
  const tn = join(dir, "testnet");
  afterAll(async () => {
    await stopTestnet(tn).catch(() => 0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("`btt testnet init|start|status|stop` runs a two-validator network of `btt abci` nodes that agree on the app hash", async () => {
    // Below the ephemeral range (32768+), where freePort() and outgoing connections take theirs.
    const base = 10_000 + (process.pid % 1000) * 20;
    const json = (args: string[]) => {
      const r = btt([...args, "--dir", tn, "--json"]);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const init = json([
      "testnet",
      "init",
      "--validators",
      "2",
      "--block-time",
      "200ms",
      "--base-port",
      String(base),
    ]);
    expect(init.nodes.map((n: { ports: { rpc: number } }) => n.ports.rpc)).toEqual([base + 1, base + 11]);
    // Each node's staking validator: its CometBFT consensus key and a funded operator whose key
    // is in the node's keys/; CometBFT's genesis gives it the power block 1 will return.
    const cometKeys: string[] = [];
    const operators: string[] = [];
    for (const n of init.nodes as Array<{ name: string; operator: string; power: string }>) {
      const key = JSON.parse(
        readFileSync(join(tn, n.name, "cometbft", "config", "priv_validator_key.json"), "utf8"),
      );
      cometKeys.push(key.pub_key.value);
      operators.push(n.operator);
      expect(JSON.parse(readFileSync(join(tn, n.name, "keys", "operator.json"), "utf8")).address).toBe(
        n.operator,
      );
    }
    for (const n of init.nodes as Array<{ name: string }>) {
      const cometGenesis = JSON.parse(
        readFileSync(join(tn, n.name, "cometbft", "config", "genesis.json"), "utf8"),
      );
      expect(
        cometGenesis.validators.map((v: { pub_key: { value: string }; power: string }) => [
          v.pub_key.value,
          v.power,
        ]),
      ).toEqual(cometKeys.map((key) => [key, "675000"]));
    }
    // The demo keys (node0) and each operator key are in the node's keyring, for `btt tx --home`.
    const keyNames = (node: string) => {
      const r = btt(["keys", "list", "--home", join(tn, node), "--json"]);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout).keys as Array<{ name: string; address: string }>).map((k) => k.name);
    };
    expect(keyNames("node0")).toEqual(["alice", "bob", "carol", "operator"]);
    expect(keyNames("node1")).toEqual(["operator"]);
    const again = btt(["testnet", "init", "--dir", tn]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds a testnet/);
    const badAddress = btt(["abci", "--home", join(tn, "node0"), "--address", "localhost:26658", "--no-api"]);
    expect(badAddress.status).toBe(1);
    expect(badAddress.stderr).toMatch(/^btt: .*tcp:\/\/HOST:PORT/);
    try {
      expect(json(["testnet", "start"]).nodes).toHaveLength(2);
      // Polled in-process (each `btt` run costs a process start), then once through the CLI.
      const deadline = Date.now() + 60_000;
      const synced = (nodes: NodeStatus[]) => nodes.every((n) => n.up && (n.height ?? 0) >= 3);
      while (!synced(await testnetStatus(tn)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(synced(json(["testnet", "status"]).nodes)).toBe(true);
      // Both nodes' CometBFT headers at height 3 carry the same app hash.
      const rpc = (port: number) =>
        fetch(`http://127.0.0.1:${port}/block?height=3`).then(
          (r) => r.json() as Promise<{ result: BlockResult }>,
        );
      const [a, b] = await Promise.all([rpc(base + 1), rpc(base + 11)]);
      expect(a.result.block.header.app_hash).toBe(b.result.block.header.app_hash);
      // The staking module governs the set: CometBFT's /validators (on either node, at genesis
      // and after block 1's epoch end) lists the staking active set with its powers, and
      // each power is the V that the `scores` query reports.
      const api = (path: string) =>
        fetch(`http://127.0.0.1:${base + 3}/v1/queries/staking/${path}`).then((r) => r.json());
      const activeSet = (await api("active_set")) as {
        validators: Array<{ operator: string; consensus_pubkey: string; power: string }>;
      };
      const scores = (await api("scores")) as { scores: Array<{ operator: string; v_ppm: string }> };
      const staked = activeSet.validators
        .map((v) => [Buffer.from(v.consensus_pubkey, "hex").toString("base64"), v.power])
        .sort();
      expect(staked.map(([key]) => key).sort()).toEqual(cometKeys.sort());
      expect(activeSet.validators.map((v) => v.operator).sort()).toEqual(operators.sort());
      // Two equal validators: S = 0.5, H = 1, C = 0.5 → V = 0.2 + 0.35 + 0.125.
      expect(staked.map(([, power]) => power)).toEqual(["675000", "675000"]);
      expect(Object.fromEntries(activeSet.validators.map((v) => [v.operator, v.power]))).toEqual(
        Object.fromEntries(scores.scores.map((s) => [s.operator, s.v_ppm])),
      );
      const cometSet = async (port: number, height: number) => {
        const r = (await fetch(`http://127.0.0.1:${port}/validators?height=${height}`).then((res) =>
          res.json(),
        )) as { result: { validators: Array<{ pub_key: { value: string }; voting_power: string }> } };
        return r.result.validators.map((v) => [v.pub_key.value, v.voting_power]).sort();
      };
      for (const port of [base + 1, base + 11])
        for (const height of [1, 3]) expect(await cometSet(port, height)).toEqual(staked);
      // A transfer through node1's API (submitted via its CometBFT) commits on both nodes.
      const alice = ed25519Signer(
        fromHex(JSON.parse(readFileSync(join(tn, "node0", "keys", "alice.json"), "utf8")).seed),
      );
      const tx = signedTx(alice, 0n, [bankMsg.send(alice.address, [{ denom: "ubtt", amount: 1n }])], {
        includeKey: true,
        chainId: "btt-testnet-1",
      });
      const sent = await fetch(`http://127.0.0.1:${base + 13}/v1/txs?wait=commit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ tx_bytes: Buffer.from(tx).toString("base64") }),
      });
      const result = (await sent.json()) as { code: number; height: string };
      expect(sent.status, JSON.stringify(result)).toBe(200);
      expect(result.code).toBe(0);
      // The API answered when its own node committed; the other node may still be a block behind.
      const blockAt = async (port: number) => {
        const until = Date.now() + 15_000;
        for (;;) {
          const r = (await fetch(`http://127.0.0.1:${port}/block?height=${result.height}`).then((res) =>
            res.json(),
          )) as { result?: BlockResult };
          if (r.result || Date.now() > until) return r as { result: BlockResult };
          await new Promise((done) => setTimeout(done, 200));
        }
      };
      const blocks = await Promise.all([base + 1, base + 11].map(blockAt));
      for (const blk of blocks)
        expect(blk.result.block.data.txs).toEqual([Buffer.from(tx).toString("base64")]);

      // One validator stopped and started again by name; unknown or running names are refused.
      expect(json(["testnet", "stop", "--node", "node1"]).stopped).toBe(2);
      expect((await testnetStatus(tn)).map((n) => n.up)).toEqual([true, false]);
      const unknown = btt(["testnet", "stop", "--node", "node7", "--dir", tn]);
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/no node node7 in this testnet/);
      const running = btt(["testnet", "start", "--node", "node0", "--dir", tn]);
      expect(running.status).toBe(1);
      expect(running.stderr).toMatch(/node0 of the testnet .* is running/);
      const before = Math.max(...(await testnetStatus(tn)).map((n) => n.height ?? 0));
      const restarted = json(["testnet", "start", "--node", "node1"]).nodes as Array<{ name: string }>;
      expect(restarted.map((n) => n.name)).toEqual(["node1"]);
      const resumed = (nodes: NodeStatus[]) => nodes.every((n) => n.up && (n.height ?? 0) > before);
      const until = Date.now() + 60_000;
      while (!resumed(await testnetStatus(tn)) && Date.now() < until)
        await new Promise((r) => setTimeout(r, 200));
      expect(resumed(await testnetStatus(tn))).toBe(true);
    } finally {
      expect(json(["testnet", "stop"]).stopped).toBe(4);
    }
    expect((await testnetStatus(tn)).every((n) => !n.up)).toBe(true);
    // Each `btt abci` logged its blocks and stopped cleanly on SIGTERM.
    for (const node of ["node0", "node1"]) {
      const log = readFileSync(join(tn, node, "btt.log"), "utf8");
      expect(log).toMatch(/"msg":"Block committed"/);
      expect(log).toMatch(/"msg":"Node stopped"/);
    }
  }, 120_000);

  it("`initTestnet` refuses a staking genesis that would give a validator no power", () => {
    const bad = join(dir, "no-power");
    // Every candidate is rated 0.5 by default: a minimum of 0.6 leaves the set empty.
    expect(() =>
      initTestnet(bad, {
        validators: 1,
        chainId: "btt-testnet-1",
        cometbft: bin!,
        timeoutCommit: "200ms",
        stakingParams: { min_rating_ppm: 600_000 },
      }),
    ).toThrow(/gives node0's validator no power/);
    expect(existsSync(join(bad, "testnet.json"))).toBe(false);
    // Staking parameters the module refuses (weights not adding up to 1_000_000).
    expect(() =>
      initTestnet(join(dir, "bad-params"), {
        validators: 1,
        chainId: "btt-testnet-1",
        cometbft: bin!,
        timeoutCommit: "200ms",
        stakingParams: { weight_stake_ppm: 1 },
      }),
    ).toThrow(/weight/);
    expect(existsSync(join(dir, "bad-params", "testnet.json"))).toBe(false);
  });
});
