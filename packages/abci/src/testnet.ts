// `btt testnet init`: the homes of a local network of CometBFT validators, each with its BTT
// node, on 127.0.0.1 with distinct ports, all on one BTT genesis that names the validators'
// consensus keys.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addressOf, BttError, PublicKeySchema } from "@btt/core";
import {
  Application,
  type GenesisDoc,
  homePaths,
  initHome,
  type NodeConfig,
  validateGenesis,
} from "@btt/node";
import { create, toJson } from "@bufbuild/protobuf";
import { configureCometHome, initCometHome, writeCometGenesis } from "./cometbft.ts";

export interface NodePorts {
  p2p: number;
  rpc: number;
  abci: number;
  api: number;
}

export interface TestnetOptions {
  validators: number;
  chainId: string;
  cometbft: string;
  /** CometBFT's timeout_commit: the block time. */
  timeoutCommit: string;
  timeoutPropose?: string;
  /** Ports of node i; default 26656 + 10·i (p2p), +1 rpc, +2 abci, and API 1317 + i. */
  ports?: (i: number) => NodePorts;
  demoAccounts?: string[];
  demoBalanceUbtt?: bigint;
  now?: Date;
}

export interface TestnetNode {
  name: string;
  /** The BTT home (config.json, genesis.json, data/); CometBFT's home is its `cometbft/`. */
  home: string;
  cometHome: string;
  nodeId: string;
  /** CometBFT's validator address (hex) and the same key as a BTT address. */
  validatorAddress: string;
  bttAddress: string;
  ports: NodePorts;
}

export interface TestnetManifest {
  chain_id: string;
  nodes: TestnetNode[];
}

export const defaultPorts = (i: number): NodePorts => ({
  p2p: 26656 + 10 * i,
  rpc: 26657 + 10 * i,
  abci: 26658 + 10 * i,
  api: 1317 + i,
});

export const manifestPath = (dir: string): string => join(dir, "testnet.json");

/**
 * Creates `dir/node<i>/` for each validator: a BTT home and a CometBFT home inside it. The
 * demo accounts' keys are in node0's `keys/`. Writes `dir/testnet.json`, the manifest that
 * `btt testnet start|stop|status` read.
 */
export function initTestnet(dir: string, opts: TestnetOptions): TestnetManifest {
  if (!Number.isInteger(opts.validators) || opts.validators < 1 || opts.validators > 64) {
    throw new BttError("INVALID_PARAMS", `--validators must be from 1 to 64, not ${opts.validators}`);
  }
  if (existsSync(manifestPath(dir))) throw new BttError("CONFLICT", `${dir} already holds a testnet`);
  const ports = opts.ports ?? defaultPorts;
  const nodes: TestnetNode[] = [];
  const keys: Array<{ address: string; pubKey: string }> = [];
  for (let i = 0; i < opts.validators; i++) {
    const home = join(dir, `node${i}`);
    const cometHome = join(home, "cometbft");
    mkdirSync(cometHome, { recursive: true });
    const key = initCometHome(opts.cometbft, cometHome);
    keys.push(key);
    const nodeId = execFileSync(opts.cometbft, ["show-node-id", "--home", cometHome], {
      encoding: "utf8",
    }).trim();
    const publicKey = create(PublicKeySchema, {
      key: { case: "ed25519", value: Buffer.from(key.pubKey, "base64") },
    });
    nodes.push({
      name: `node${i}`,
      home,
      cometHome,
      nodeId,
      validatorAddress: key.address,
      bttAddress: addressOf(publicKey),
      ports: ports(i),
    });
  }

  // One BTT genesis: node0's `initHome` makes the demo accounts; the validators are the
  // CometBFT consensus keys (the staking module will hold them in its state).
  const first = initHome(nodes[0]!.home, {
    chainId: opts.chainId,
    demoAccounts: opts.demoAccounts ?? ["alice", "bob", "carol"],
    demoBalanceUbtt: opts.demoBalanceUbtt ?? 1_000_000_000_000n,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const raw: GenesisDoc = {
    ...first.genesis,
    validators: nodes.map((n, i) => ({
      name: `validator-${i}`,
      address: n.bttAddress,
      public_key: toJson(
        PublicKeySchema,
        create(PublicKeySchema, { key: { case: "ed25519", value: Buffer.from(keys[i]!.pubKey, "base64") } }),
      ),
      power: "10",
    })),
  };
  const genesis = validateGenesis(raw, (id) => new Application(id));
  const baseConfig: NodeConfig = JSON.parse(readFileSync(homePaths(nodes[0]!.home).config, "utf8"));
  const cometValidators = nodes.map((n, i) => ({ ...keys[i]!, power: 10n, name: n.name }));

  for (const n of nodes) {
    const paths = homePaths(n.home);
    mkdirSync(n.home, { recursive: true });
    writeFileSync(paths.genesis, `${JSON.stringify(genesis, null, 2)}\n`);
    const config: NodeConfig = {
      ...baseConfig,
      validator: n.bttAddress,
      api: { ...baseConfig.api, port: n.ports.api },
      abci: {
        address: `tcp://127.0.0.1:${n.ports.abci}`,
        retainBlocks: 0,
        cometRpc: `http://127.0.0.1:${n.ports.rpc}`,
      },
    };
    writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    writeCometGenesis(n.cometHome, genesis, cometValidators);
    configureCometHome(n.cometHome, {
      proxyApp: config.abci.address,
      rpcPort: n.ports.rpc,
      p2pPort: n.ports.p2p,
      timeoutCommit: opts.timeoutCommit,
      ...(opts.timeoutPropose ? { timeoutPropose: opts.timeoutPropose } : {}),
      persistentPeers: nodes
        .filter((m) => m !== n)
        .map((m) => `${m.nodeId}@127.0.0.1:${m.ports.p2p}`)
        .join(","),
    });
  }
  const manifest: TestnetManifest = { chain_id: genesis.chain_id, nodes };
  writeFileSync(manifestPath(dir), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
