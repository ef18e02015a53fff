import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestnetManifest } from "@btt/abci";
import { BttError, fromHex } from "@btt/core";
import { emit, homeOf, keyringOf } from "../context.ts";
import type { Command, ParsedValues } from "../router.ts";
import { DEMO_ACCOUNTS, initPassphrase } from "./init.ts";

const DIR_OPTION = {
  dir: {
    type: "string",
    value: "<dir>",
    description: "the testnet's directory (default: <home>/testnet)",
  },
} as const;

const NODE_OPTION = {
  node: {
    type: "string",
    value: "<names>",
    description: "only these nodes, comma-separated (node0, node1, …; default: every node)",
  },
} as const;

const nodesOf = (values: ParsedValues): string[] =>
  ((values.node as string | undefined) ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");

const dirOf = (values: ParsedValues): string =>
  (values.dir as string | undefined) ?? join(homeOf(values), "testnet");

const initCommand: Command = {
  name: "init",
  summary: "create the homes of a local network: CometBFT validators, each with its BTT node",
  details:
    "Each node<i>/ holds a BTT home (config.json, genesis.json) and a CometBFT home (cometbft/),\n" +
    "on 127.0.0.1: p2p 26656+10i, rpc 26657+10i, abci 26658+10i, API 1317+i. One BTT genesis makes\n" +
    "each consensus key a staking validator bonded by its operator (node<i>/keys/operator.json);\n" +
    "the demo accounts' keys are in node0/keys.",
  options: {
    ...DIR_OPTION,
    validators: { type: "string", value: "<n>", description: "number of validators (default 4)" },
    "chain-id": { type: "string", value: "<id>", description: "chain id (default: btt-testnet-1)" },
    "block-time": {
      type: "string",
      value: "<duration>",
      description: "CometBFT's timeout_commit (default 1s)",
    },
    "base-port": {
      type: "string",
      value: "<port>",
      description: "node i listens on base+10i (p2p), +1 (rpc), +2 (abci), +3 (API) instead of the defaults",
    },
  },
  run: async ({ values }) => {
    const { initTestnet, requireCometbft } = await import("@btt/abci");
    const dir = dirOf(values);
    const validators = Number((values.validators as string | undefined) ?? "4");
    const base = values["base-port"] === undefined ? undefined : Number(values["base-port"]);
    if (base !== undefined && (!Number.isInteger(base) || base < 1024 || base + 10 * validators > 65535)) {
      throw new BttError("INVALID_PARAMS", `--base-port must leave room for ${validators} nodes below 65536`);
    }
    const manifest = initTestnet(dir, {
      ...(base === undefined
        ? {}
        : {
            ports: (i: number) => ({
              p2p: base + 10 * i,
              rpc: base + 10 * i + 1,
              abci: base + 10 * i + 2,
              api: base + 10 * i + 3,
            }),
          }),
      validators,
      chainId: (values["chain-id"] as string | undefined) ?? "btt-testnet-1",
      cometbft: requireCometbft(),
      timeoutCommit: (values["block-time"] as string | undefined) ?? "1s",
    });
    await sealTestnetKeys(manifest);
    emit(values, { dir, ...manifest }, [
      `Testnet ${manifest.chain_id} with ${manifest.nodes.length} validators in ${dir}`,
      ...manifest.nodes.map(
        (n) =>
          `  ${n.name}  rpc :${n.ports.rpc}  p2p :${n.ports.p2p}  abci :${n.ports.abci}  api :${n.ports.api}  power ${n.power}  operator ${n.operator}`,
      ),
      "Start it with `btt testnet start`.",
    ]);
  },
};

/**
 * The demo keys (node0) and each node's operator key go into that node's keyring, so
 * `btt tx … --home <dir>/node<i>` signs with them as on a `btt init` home.
 */
async function sealTestnetKeys(manifest: TestnetManifest): Promise<void> {
  const passphrase = initPassphrase();
  for (const [i, n] of manifest.nodes.entries()) {
    const keyring = keyringOf(n.home);
    for (const name of i === 0 ? [...DEMO_ACCOUNTS, "operator"] : ["operator"]) {
      const { seed } = JSON.parse(readFileSync(join(n.home, "keys", `${name}.json`), "utf8")) as {
        seed: string;
      };
      await keyring.add(name, "ed25519", { seed: fromHex(seed) }, passphrase);
    }
  }
}

const startCommand: Command = {
  name: "start",
  summary: "start the testnet's nodes in the background (logs in node<i>/btt.log, cometbft.log)",
  options: { ...DIR_OPTION, ...NODE_OPTION },
  run: async ({ values }) => {
    const { requireCometbft, startTestnet } = await import("@btt/abci");
    const dir = dirOf(values);
    // This same `btt`, as it was started (node, its loader flags, the entry script).
    const btt = [process.execPath, ...process.execArgv, process.argv[1]!, "abci"];
    const running = await startTestnet(dir, btt, requireCometbft(), nodesOf(values));
    emit(values, { dir, nodes: running }, [
      `Started ${running.length} nodes in ${dir}`,
      ...running.map((n) => `  ${n.name}  btt pid ${n.btt}  cometbft pid ${n.cometbft}`),
    ]);
  },
};

const stopCommand: Command = {
  name: "stop",
  summary: "stop the testnet's nodes (CometBFT first, then BTT); --node stops one validator",
  options: { ...DIR_OPTION, ...NODE_OPTION },
  run: async ({ values }) => {
    const { stopTestnet } = await import("@btt/abci");
    const dir = dirOf(values);
    const stopped = await stopTestnet(dir, undefined, nodesOf(values));
    emit(values, { dir, stopped }, `Stopped ${stopped} processes in ${dir}`);
  },
};

const statusCommand: Command = {
  name: "status",
  summary: "each node's height and app hash, from its CometBFT RPC",
  options: DIR_OPTION,
  run: async ({ values }) => {
    const { testnetStatus } = await import("@btt/abci");
    const nodes = await testnetStatus(dirOf(values));
    emit(
      values,
      { nodes },
      nodes.map((n) =>
        n.up
          ? `${n.name}  height ${n.height}  app hash ${n.app_hash}${n.catching_up ? "  (catching up)" : ""}`
          : `${n.name}  down`,
      ),
    );
  },
};

export const testnetCommand: Command = {
  name: "testnet",
  summary: "a local network of CometBFT validators with BTT nodes: init, start, stop, status",
  subcommands: [initCommand, startCommand, stopCommand, statusCommand],
};
