// The commands in-process (runCli, the function the binary calls) against a real node and API
// on a free port: the keys subcommands, JSON output, and the reason every bad input gets.
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { encodeAddress } from "@btt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootCommand } from "../src/root.ts";
import type { Command } from "../src/router.ts";
import { type CliChain, cli, json, startCliChain } from "./in-process.ts";

const PASS = "in-process passphrase";

let chain: CliChain;
let accounts: Record<string, string>;

beforeAll(async () => {
  chain = await startCliChain({ prefix: "btt-commands-", passphrase: PASS, blockIntervalMs: 100 });
  expect(chain.init.dev_passphrase).toBeNull(); // sealed with the environment's passphrase
  accounts = chain.init.accounts;
});

afterAll(() => chain?.close());

describe("btt keys", () => {
  it("adds, shows, lists, exports, imports and deletes keys", async () => {
    const dana = await json("keys", "add", "dana");
    expect(dana).toMatchObject({ name: "dana", type: "ed25519" });
    expect(dana.mnemonic.split(" ")).toHaveLength(24);
    expect((await cli("keys", "show", "dana", "--address")).out).toBe(dana.address);
    expect(await json("keys", "show", "dana")).toMatchObject({
      address: dana.address,
      public_key: dana.public_key,
    });

    expect((await cli("keys", "export", "dana")).out).toBe(dana.mnemonic);
    const seed = (await cli("keys", "export", "dana", "--seed")).out;
    expect(seed).toMatch(/^[0-9a-f]{64}$/);

    const file = join(chain.dir, "dana.txt");
    writeFileSync(file, `\n  ${dana.mnemonic.toUpperCase().replaceAll(" ", "   ")}  \n`);
    expect((await json("keys", "import", "dana-file", "--mnemonic-file", file)).address).toBe(dana.address);
    expect((await json("keys", "import", "dana-seed", "--seed-hex", seed)).address).toBe(dana.address);
    const pq = await json("keys", "import", "dana-pq", "--type", "ml-dsa-65", "--mnemonic-file", file);
    expect(pq.type).toBe("ml-dsa-65");
    expect(pq.address).not.toBe(dana.address);
    // Without a mnemonic, export prints the seed.
    expect((await cli("keys", "export", "dana-seed")).out).toBe(seed);

    // Deleting needs the key's passphrase.
    process.env.BTT_KEYRING_PASSPHRASE = "some other passphrase";
    expect(await cli("keys", "delete", "dana-file")).toMatchObject({
      status: 1,
      err: "btt: wrong passphrase for key dana-file",
    });
    process.env.BTT_KEYRING_PASSPHRASE = PASS;
    expect((await cli("keys", "delete", "dana-file")).out).toBe("Deleted key dana-file");

    const { keys } = await json("keys", "list");
    expect(keys.map((k: { name: string }) => k.name)).toEqual([
      "alice",
      "bob",
      "carol",
      "dana",
      "dana-pq",
      "dana-seed",
      "worker",
    ]);
    expect(keys[0]).toEqual({ name: "alice", type: "ed25519", address: accounts.alice });
    // Options may come before the subcommand's name.
    expect((await cli("--home", process.env.BTT_HOME!, "keys", "show", "bob", "--address")).out).toBe(
      accounts.bob,
    );
  });
});

describe("btt tx and query", () => {
  it("sends with a fee in display units, without waiting, and reads the result back", async () => {
    const sent = await json(
      "tx",
      "bank",
      "send",
      "alice",
      accounts.carol!,
      "0.000001btt",
      "--fee",
      "0.01btt",
      "--memo",
      "hi",
      "--no-wait",
    );
    expect(sent).toMatchObject({ committed: false, amount: { denom: "ubtt", amount: "1" } });
    let tx = await json("query", "tx", sent.hash);
    for (let i = 0; tx.status !== "committed" && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      tx = await json("query", "tx", sent.hash);
    }
    expect(tx).toMatchObject({ status: "committed", code: 0, fee: "10000" });
    expect(tx.tx.body.memo).toBe("hi");
    const human = (await cli("query", "tx", sent.hash)).out;
    expect(human).toContain(`tx ${sent.hash}: committed in block ${tx.height}`);
    expect(human).toContain("fee     10000ubtt");

    const block = await json("query", "block", tx.height);
    expect(block.tx_hashes).toEqual([sent.hash]);
    const account = await json("query", "account", accounts.alice!);
    expect(account).toMatchObject({ nonce: "1", key_type: "ed25519" });
    expect((await cli("query", "account", accounts.alice!)).out).toMatch(
      /balance {3}999999\.989999 BTT \(999999989999ubtt\)/,
    );
  });

  it("verifies balances, by base or display denomination", async () => {
    const byBase = await json("query", "bank", "balance", accounts.bob!);
    const byDisplay = await json("query", "bank", "balance", accounts.bob!, "--denom", "BTT");
    for (const b of [byBase, byDisplay]) {
      expect(b).toMatchObject({ denom: "ubtt", amount: "1000000000000", verified: true });
      expect(b.app_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    const empty = await json("query", "bank", "balance", encodeAddress(new Uint8Array(20).fill(7)));
    expect(empty).toMatchObject({ amount: "0", verified: true });
  });

  it("refuses a balance whose proof does not check out (a node that lies)", async () => {
    // A proxy in front of the real API that raises every proven balance it passes on.
    const proxy = createServer(async (req, res) => {
      const upstream = await fetch(`${chain.api.url}${req.url}`);
      let body = await upstream.text();
      if (req.url!.includes("/bank/balances/")) {
        const b = JSON.parse(body);
        body = JSON.stringify({ ...b, amount: (BigInt(b.amount) * 10n).toString() });
      }
      res.writeHead(upstream.status, { "content-type": "application/json" }).end(body);
    });
    await new Promise<void>((done) => proxy.listen(0, "127.0.0.1", done));
    const { port } = proxy.address() as AddressInfo;
    try {
      const honest = await cli("query", "bank", "balance", accounts.bob!);
      expect(honest.status).toBe(0);
      const lied = await cli("query", "bank", "balance", accounts.bob!, "--node", `http://127.0.0.1:${port}`);
      expect(lied.status).toBe(1);
      expect(lied.err).toMatch(
        /^btt: refused the node's answer: it does not verify \(RESPONSE_MISMATCH: amount \d+ is not what the proven value encodes\)$/,
      );
      expect(lied.out).toBe("");
    } finally {
      await new Promise((done) => proxy.close(done));
    }
  });

  it("the dev validator is a staking validator that signs every block", async () => {
    const { validators } = await json("query", "staking", "validators");
    expect(validators).toHaveLength(1);
    expect(validators[0]).toMatchObject({
      operator: chain.init.validator,
      tokens: "100000000000",
      description: { moniker: "dev-validator" },
      jailed: false,
    });
    const [score] = (await json("query", "staking", "scores")).scores;
    expect(score).toMatchObject({ operator: chain.init.validator, h_ppm: "1000000", s_ppm: "1000000" });
  });

  it("status comes from the node, else from the home directory", async () => {
    const live = await json("status");
    expect(live).toMatchObject({ source: chain.api.url, chain_id: "btt-dev-1" });
    // A second home with no node running: status reads the chain from disk.
    const other = join(chain.dir, "other");
    await json("init", "--home", other, "--chain-id", "other-chain-1");
    process.env.BTT_NODE = "http://127.0.0.1:1";
    try {
      expect(await json("status", "--home", other)).toMatchObject({
        source: other,
        chain_id: "other-chain-1",
        height: "0",
      });
    } finally {
      process.env.BTT_NODE = chain.api.url;
    }
  });
});

describe("btt watch", () => {
  it("streams blocks and an account's txs over the WebSocket, then stops at --count", async () => {
    const blocks = (await cli("watch", "blocks", "--count", "2", "--json")).out
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(blocks).toHaveLength(2);
    expect(BigInt(blocks[1].height)).toBe(BigInt(blocks[0].height) + 1n);
    const txs = await cli("watch", "txs", "--account", accounts.carol!, "--from", "1", "--count", "1");
    expect(txs.out).toMatch(/^block \d+ {2}tx [0-9a-f]{64} {2}ok$/);
  });
});

describe("bad input", () => {
  const bob = () => accounts.bob!;
  const cases: Array<[() => string[], number, RegExp]> = [
    [
      () => ["tx", "bank", "send", "alice", bob().toUpperCase(), "5btt"],
      1,
      /^btt: to-address must be lower case$/,
    ],
    [
      () => ["tx", "bank", "send", "alice", "cosmos1qqqq", "5btt"],
      1,
      /^btt: to-address is not a valid bech32 address/,
    ],
    [
      () => ["tx", "bank", "send", "alice", bob(), "2.5ubtt"],
      1,
      /^btt: amount "2.5ubtt": ubtt is a base unit, so the amount must be a whole number$/,
    ],
    [
      () => ["tx", "bank", "send", "alice", bob(), "5"],
      1,
      /^btt: amount "5" must be a number followed by a denomination/,
    ],
    [
      () => ["tx", "bank", "send", "alice", bob(), "1e6ubtt"],
      1,
      /^btt: amount "1e6ubtt": unknown denomination "e6ubtt"/,
    ],
    [
      () => ["tx", "bank", "send", "alice", bob(), "5doge"],
      1,
      /^btt: amount "5doge": unknown denomination "doge" \(known: btt, ubtt\)$/,
    ],
    [() => ["tx", "bank", "send", "alice", bob(), "0btt"], 1, /^btt: amount "0btt" must be positive$/],
    [
      () => ["tx", "bank", "send", "alice", bob(), "5btt", "--fee", "1ubtt"],
      1,
      /^btt: .*fee 1ubtt is below the required \d+ubtt/,
    ],
    [
      () => ["tx", "bank", "send", "bob", bob(), "99999999btt"],
      1,
      /^btt: transaction [0-9a-f]{64} failed with INSUFFICIENT_FUNDS: /,
    ],
    [
      () => ["tx", "bank", "send", "alice", bob(), "5btt", "--node", "localhost:1317"],
      1,
      /^btt: --node "localhost:1317" must be an http:\/\/ or https:\/\/ URL$/,
    ],
    [() => ["keys", "add", "alice"], 1, /^btt: a key named "alice" already exists$/],
    [() => ["keys", "add", "-x"], 2, /^btt: unknown option '-x' for btt keys add/],
    [() => ["keys", "add", "a/b"], 1, /^btt: key name "a\/b" must be 1 to 64 letters/],
    [() => ["keys", "add", "x", "--type", "rsa"], 1, /^btt: --type "rsa" must be one of ed25519, ml-dsa-65$/],
    [
      () => ["keys", "import", "x", "--seed-hex", "abcd"],
      1,
      /^btt: a key seed is 32 bytes written as 64 hex digits$/,
    ],
    [
      () => ["keys", "import", "x", "--seed-hex", "00", "--mnemonic-file", "f"],
      1,
      /^btt: give --mnemonic-file or --seed-hex, not both$/,
    ],
    [
      () => ["keys", "import", "x", "--mnemonic-file", "/nonexistent/m.txt"],
      1,
      /^btt: cannot read --mnemonic-file \/nonexistent\/m.txt: ENOENT$/,
    ],
    [() => ["keys", "show", "nobody"], 1, /^btt: no key named "nobody" in .*; see btt keys list$/],
    [() => ["keys", "delete", "nobody"], 1, /^btt: no key named "nobody"/],
    [
      () => ["query", "bank", "balance", bob(), "--denom", "doge"],
      1,
      /^btt: --denom "doge" is not a denomination of this chain$/,
    ],
    [() => ["query", "block", "abc"], 1, /^btt: height "abc" must be a positive whole number or "latest"$/],
    [() => ["query", "block", "99999999"], 1, /^btt: no block at height 99999999/],
    [() => ["query", "tx", "zz"], 1, /^btt: tx hash "zz" must be 64 hex digits$/],
    [
      () => ["query", "tx", "ab".repeat(32)],
      1,
      /^btt: no transaction (ab){32} \(neither committed nor pending\)$/,
    ],
    [() => ["watch", "blocks", "--count", "0"], 1, /^btt: --count "0" must be a positive whole number$/],
    [
      () => ["start", "--api-port", "99999"],
      1,
      /^btt: --api-port "99999" must be a port number from 0 to 65535$/,
    ],
    [() => ["init"], 1, /is already initialised$/],
    [
      () => ["tx", "bank", "send", "alice", bob(), "-5btt"],
      2,
      /^btt: "-5btt" is negative: amounts, heights and counts cannot be$/,
    ],
    [() => ["frobnicate"], 2, /^btt: unknown command "frobnicate" for btt; see btt --help$/],
    [
      () => ["keys", "list", "extra"],
      2,
      /^btt: unexpected argument "extra" for btt keys list; see btt keys list --help$/,
    ],
    [
      () => ["query", "block", "--json", "--node"],
      2,
      /^btt: option '--node <value>' argument missing for btt query block/,
    ],
  ];
  it.each(
    cases.map(([args, status, reason]) => ({ label: String(reason).slice(0, 60), args, status, reason })),
  )("exits $status saying $label", async ({ args, status, reason }) => {
    const r = await cli(...args());
    expect(r.status).toBe(status);
    expect(r.err).toMatch(reason);
    expect(r.err.split("\n")).toHaveLength(1);
    expect(r.out).toBe("");
  });
});

describe("help", () => {
  function* walk(command: Command, path: string[]): Generator<[Command, string[]]> {
    yield [command, path];
    for (const sub of command.subcommands ?? []) yield* walk(sub, [...path, sub.name]);
  }
  it("every command and group has --help listing its usage and options", async () => {
    let count = 0;
    for (const [command, path] of walk(rootCommand, [])) {
      const r = await cli(...path, "--help");
      const where = ["btt", ...path].join(" ");
      expect(r.status, where).toBe(0);
      expect(r.out).toContain(`${where}: ${command.summary}`);
      expect(r.out).toContain(`Usage: ${where}`);
      expect(r.out).toContain("--json");
      for (const name of Object.keys(command.options ?? {})) expect(r.out).toContain(`--${name}`);
      count++;
    }
    expect(count).toBeGreaterThan(15);
    // A group without a subcommand prints its help.
    expect((await cli("keys")).out).toContain("Usage: btt keys <command>");
  });
});
