// `btt testnet init`: the homes of a local network of CometBFT validators, each with its BTT
// node, on 127.0.0.1 with distinct ports, all on one BTT genesis whose staking section makes
// the validators' consensus keys the staking module's validators.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { addressOf, BttError, ed25519Signer, PublicKeySchema, type Signer, toHex } from "@btt/core";
import {
  CommittedStore,
  DEFAULT_STAKING_PARAMS,
  MemoryState,
  type StakingGenesis,
  validatorUpdatesOf,
} from "@btt/modules";
import {
  Application,
  DEFAULT_ABCI_CONFIG,
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
  /** The consensus parameter block.max_bytes (default DEFAULT_TESTNET_MAX_BLOCK_BYTES). */
  maxBlockBytes?: number;
  /** Ports of node i; default 26656 + 10·i (p2p), +1 rpc, +2 abci, and API 1317 + i. */
  ports?: (i: number) => NodePorts;
  demoAccounts?: string[];
  demoBalanceUbtt?: bigint;
  /** Each operator's self-delegation (default 100_000_000_000 ubtt); it is funded with twice this. */
  selfDelegationUbtt?: bigint;
  /** Staking parameters over the defaults (e.g. `{ epoch_blocks: "5" }`). */
  stakingParams?: Record<string, unknown>;
  /** Heights between state-sync snapshots in each node's config (default abci.snapshotInterval's). */
  snapshotInterval?: number;
  now?: Date;
}

/**
 * 1 MiB of txs a block (~5,000 transfers), not CometBFT's 21 MB: the proposer's PrepareProposal
 * executes every candidate tx, and validators sharing a small machine must finish that well
 * within timeout_propose (3 s) or the round fails and the next proposer, with a still larger
 * mempool, takes longer again. A bound keeps each block's work bounded under a backlog.
 */
export const DEFAULT_TESTNET_MAX_BLOCK_BYTES = 1024 * 1024;

/**
 * Under CometBFT, txs reach CheckTx one or a few at a time; a check that waits up to 5 ms for
 * others verifies in a larger native batch, at about half the CPU per signature. On four
 * validators sharing two cores: 888–924 tx/s end to end against 844–873 without (bench:testnet
 * --rate 1500).
 */
export const TESTNET_VERIFY_LINGER_MS = 5;

export interface TestnetNode {
  name: string;
  /** The BTT home (config.json, genesis.json, data/); CometBFT's home is its `cometbft/`. */
  home: string;
  cometHome: string;
  nodeId: string;
  /** CometBFT's validator address (hex) and the same key as a BTT address. */
  validatorAddress: string;
  bttAddress: string;
  /** The staking operator of this node's validator; its key is `keys/operator.json`. */
  operator: string;
  /** Voting power in CometBFT's genesis: what block 1's epoch end gives (staking V in ppm). */
  power: string;
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
  const operators: Signer[] = [];
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
    const operator = ed25519Signer();
    operators.push(operator);
    writeKey(join(home, "keys"), "operator", operator);
    nodes.push({
      name: `node${i}`,
      home,
      cometHome,
      nodeId,
      validatorAddress: key.address,
      bttAddress: addressOf(publicKey),
      operator: operator.address,
      power: "0",
      ports: ports(i),
    });
  }

  // One BTT genesis: node0's `initHome` makes the demo accounts; each node's operator is
  // funded and bonds a self-delegation to its CometBFT consensus key (staking genesis).
  const first = initHome(nodes[0]!.home, {
    chainId: opts.chainId,
    demoAccounts: opts.demoAccounts ?? ["alice", "bob", "carol"],
    demoBalanceUbtt: opts.demoBalanceUbtt ?? 1_000_000_000_000n,
    ...(opts.now ? { now: opts.now } : {}),
  });
  const selfDelegation = opts.selfDelegationUbtt ?? 100_000_000_000n;
  const appState = first.genesis.app_state as {
    auth: { accounts: unknown[] };
    bank: { balances: unknown[] };
  };
  const staking: StakingGenesis = {
    params: { ...DEFAULT_STAKING_PARAMS, ...opts.stakingParams },
    validators: nodes.map((n, i) => ({
      operator: n.operator,
      consensus_pubkey: toHex(Buffer.from(keys[i]!.pubKey, "base64")),
      moniker: n.name,
      commission_rate_ppm: 100_000,
      commission_max_rate_ppm: 200_000,
      commission_max_change_ppm: 10_000,
      self_delegation: selfDelegation.toString(),
      jailed: false,
    })),
  };
  const withStaking: GenesisDoc = {
    ...first.genesis,
    app_state: {
      ...first.genesis.app_state,
      auth: {
        ...appState.auth,
        accounts: [
          ...appState.auth.accounts,
          ...operators.map((o) => ({ address: o.address, public_key: toJson(PublicKeySchema, o.publicKey) })),
        ],
      },
      bank: {
        ...appState.bank,
        balances: [
          ...appState.bank.balances,
          ...operators.map((o) => ({
            address: o.address,
            coins: [{ denom: "ubtt", amount: (2n * selfDelegation).toString() }],
          })),
        ],
      },
      staking,
    },
  };
  // CometBFT's genesis validators stand until an update names them: give them the powers
  // block 1's epoch end returns (block 1 carries no tx: CheckTx refuses before it), so the
  // staking set and CometBFT's agree from the start.
  const powers = firstEpochPowers(validateGenesis(withStaking, (id) => new Application(id)));
  for (const [i, n] of nodes.entries()) {
    const power = powers.get(toHex(Buffer.from(keys[i]!.pubKey, "base64")));
    if (power === undefined || power === 0n) {
      throw new BttError("INVALID_GENESIS", `the staking genesis gives ${n.name}'s validator no power`);
    }
    n.power = power.toString();
  }
  const raw: GenesisDoc = {
    ...withStaking,
    validators: nodes.map((n, i) => ({
      name: `validator-${i}`,
      address: n.bttAddress,
      public_key: toJson(
        PublicKeySchema,
        create(PublicKeySchema, { key: { case: "ed25519", value: Buffer.from(keys[i]!.pubKey, "base64") } }),
      ),
      power: n.power,
    })),
  };
  const genesis = validateGenesis(raw, (id) => new Application(id));
  const baseConfig: NodeConfig = JSON.parse(readFileSync(homePaths(nodes[0]!.home).config, "utf8"));
  const cometValidators = nodes.map((n, i) => ({ ...keys[i]!, power: BigInt(n.power), name: n.name }));

  // The nodes share this machine's cores: a verify thread per node beyond what they can have to
  // themselves costs more in messages than it saves (validators on their own machines keep the default).
  const verifyThreads = Math.max(0, Math.floor(availableParallelism() / nodes.length) - 1);
  for (const n of nodes) {
    const paths = homePaths(n.home);
    mkdirSync(n.home, { recursive: true });
    writeFileSync(paths.genesis, `${JSON.stringify(genesis, null, 2)}\n`);
    const config: NodeConfig = {
      ...baseConfig,
      validator: n.bttAddress,
      verifyThreads,
      verifyLingerMs: TESTNET_VERIFY_LINGER_MS,
      api: { ...baseConfig.api, port: n.ports.api },
      abci: {
        address: `tcp://127.0.0.1:${n.ports.abci}`,
        retainBlocks: 0,
        cometRpc: `http://127.0.0.1:${n.ports.rpc}`,
        snapshotInterval: opts.snapshotInterval ?? DEFAULT_ABCI_CONFIG.snapshotInterval,
        snapshotKeep: DEFAULT_ABCI_CONFIG.snapshotKeep,
      },
    };
    writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
    writeCometGenesis(
      n.cometHome,
      genesis,
      cometValidators,
      opts.maxBlockBytes ?? DEFAULT_TESTNET_MAX_BLOCK_BYTES,
    );
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

/**
 * The powers block 1 gives, by consensus key (hex): a dry run of an empty block 1 over the
 * genesis in memory, read from its end-block's validator updates as FinalizeBlock reads them.
 */
export function firstEpochPowers(genesis: GenesisDoc): Map<string, bigint> {
  const app = new Application(genesis.chain_id);
  const block = {
    chainId: genesis.chain_id,
    height: 1n,
    timeMs: BigInt(Date.parse(genesis.genesis_time)) + 1n,
    proposer: "",
  };
  const { endBlockEvents } = app.executeBlock(
    new CommittedStore(new MemoryState()),
    block,
    [],
    genesis.app_state,
  );
  return new Map(validatorUpdatesOf(endBlockEvents).map((u) => [toHex(u.pubKey), u.power]));
}

/** A development key file, unencrypted, in the format `btt init` writes. */
function writeKey(dir: string, name: string, signer: Signer): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ name, type: signer.type, address: signer.address, seed: toHex(signer.seed) }, null, 2)}\n`,
    { mode: 0o600 },
  );
}
