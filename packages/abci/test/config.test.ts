import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configureCometHome, setToml, writeCometGenesis } from "../src/cometbft.ts";
import { parseAbciAddress } from "../src/server.ts";
import { initTestnet } from "../src/testnet.ts";
import { fullTestChain } from "./helpers.ts";

describe("ABCI addresses", () => {
  it("parses tcp (names, IPv4, IPv6) and unix addresses", () => {
    expect(parseAbciAddress("tcp://127.0.0.1:26658")).toEqual({
      kind: "tcp",
      host: "127.0.0.1",
      port: 26658,
    });
    expect(parseAbciAddress("tcp://localhost:1")).toEqual({ kind: "tcp", host: "localhost", port: 1 });
    expect(parseAbciAddress("tcp://[::1]:26658")).toEqual({ kind: "tcp", host: "::1", port: 26658 });
    expect(parseAbciAddress("unix:///tmp/btt.sock")).toEqual({ kind: "unix", path: "/tmp/btt.sock" });
  });

  it.each([
    "127.0.0.1:26658",
    "tcp://127.0.0.1",
    "tcp://127.0.0.1:70000",
    "http://x:1",
    "unix://relative",
    "",
  ])("refuses %j", (address) => {
    expect(() => parseAbciAddress(address)).toThrow(/tcp:\/\/HOST:PORT|out of range/);
  });
});

describe("CometBFT home files", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-comet-cfg-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const toml = [
    'proxy_app = "tcp://127.0.0.1:26658"',
    'log_level = "info"',
    "[rpc]",
    'laddr = "tcp://127.0.0.1:26657"',
    "[p2p]",
    'laddr = "tcp://0.0.0.0:26656"',
    'persistent_peers = ""',
    "addr_book_strict = true",
    "allow_duplicate_ip = false",
    "[consensus]",
    'timeout_propose = "3s"',
    'timeout_commit = "1s"',
    "",
  ].join("\n");

  it("setToml changes a key of one section only, and refuses a key that is not there", () => {
    const out = setToml(toml, "p2p", "laddr", '"tcp://127.0.0.1:1"');
    expect(out).toContain('[rpc]\nladdr = "tcp://127.0.0.1:26657"');
    expect(out).toContain('[p2p]\nladdr = "tcp://127.0.0.1:1"');
    expect(() => setToml(toml, "rpc", "nope", "1")).toThrow(/no key "nope"/);
    expect(() => setToml(toml, "mempool", "laddr", "1")).toThrow(/\[mempool\]/);
  });

  it("configures a home for a BTT app and writes BTT's chain into CometBFT's genesis", () => {
    const home = join(dir, "home");
    mkdirSync(join(home, "config"), { recursive: true });
    writeFileSync(join(home, "config", "config.toml"), toml);
    writeFileSync(
      join(home, "config", "genesis.json"),
      JSON.stringify({ chain_id: "x", consensus_params: { block: { max_bytes: "1" } }, validators: [] }),
    );
    configureCometHome(home, {
      proxyApp: "tcp://127.0.0.1:5000",
      rpcPort: 5001,
      p2pPort: 5002,
      timeoutCommit: "250ms",
      timeoutPropose: "1s",
      persistentPeers: "id@127.0.0.1:6000",
    });
    const t = readFileSync(join(home, "config", "config.toml"), "utf8");
    for (const line of [
      'proxy_app = "tcp://127.0.0.1:5000"',
      'laddr = "tcp://127.0.0.1:5001"',
      'laddr = "tcp://127.0.0.1:5002"',
      'persistent_peers = "id@127.0.0.1:6000"',
      "addr_book_strict = false",
      "allow_duplicate_ip = true",
      'timeout_commit = "250ms"',
      'timeout_propose = "1s"',
    ]) {
      expect(t).toContain(line);
    }
    const { genesis } = fullTestChain(1);
    writeCometGenesis(home, genesis, [{ address: "AB", pubKey: "cHVi", power: 3n, name: "v" }]);
    const g = JSON.parse(readFileSync(join(home, "config", "genesis.json"), "utf8"));
    expect(g.chain_id).toBe(genesis.chain_id);
    expect(g.initial_height).toBe("1");
    expect(g.app_state).toEqual(genesis.app_state);
    expect(g.consensus_params).toEqual({ block: { max_bytes: "1" } });
    expect(g.validators).toEqual([
      { address: "AB", pub_key: { type: "tendermint/PubKeyEd25519", value: "cHVi" }, power: "3", name: "v" },
    ]);
    // A block size bound replaces max_bytes and keeps the other consensus parameters.
    writeFileSync(
      join(home, "config", "genesis.json"),
      JSON.stringify({ consensus_params: { block: { max_bytes: "22020096", max_gas: "-1" }, evidence: {} } }),
    );
    writeCometGenesis(home, genesis, undefined, 1024 * 1024);
    const bounded = JSON.parse(readFileSync(join(home, "config", "genesis.json"), "utf8"));
    expect(bounded.consensus_params).toEqual({
      block: { max_bytes: "1048576", max_gas: "-1" },
      evidence: {},
    });
  });

  it("initTestnet refuses a validator count out of range before touching anything", () => {
    for (const validators of [0, 65, 1.5]) {
      expect(() =>
        initTestnet(join(dir, "tn"), {
          validators,
          chainId: "btt-x-1",
          cometbft: "/nonexistent",
          timeoutCommit: "1s",
        }),
      ).toThrow(/--validators/);
    }
  });
});
