import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BttError, ed25519Signer, type Signer, toHex } from "@btt/core";
import { JsonFields } from "@btt/modules";
import { Application } from "./app.ts";
import { createDevGenesis, type DevGenesisOptions, type GenesisDoc, readGenesisFile } from "./genesis.ts";
import { DEFAULT_MEMPOOL_OPTIONS, type MempoolOptions } from "./mempool.ts";
import { type BlockLimits, BttNode, DEFAULT_BLOCK_LIMITS, DEFAULT_KEEP_RECENT } from "./node.ts";

/** A node's home directory: config.json, genesis.json, keys/ (dev keys) and data/ (the chain). */
export interface NodeConfig {
  blockIntervalMs: number;
  keepRecent: number;
  block: BlockLimits;
  mempool: MempoolOptions;
  /** Signature-verification threads; omitted = one fewer than the CPU count. */
  verifyThreads?: number;
  /** How long a signature check may wait to join a larger batch (ms; omitted = 0, see VerifyPool). */
  verifyLingerMs?: number;
  /** Address of this node's validator (the solo driver's proposer). */
  validator: string;
  /** The HTTP + WebSocket API that `btt start` serves (@btt/api takes these as its options). */
  api: ApiConfig;
  /** `btt abci`: the node as CometBFT's application instead of the solo driver. */
  abci: AbciConfig;
}

export interface AbciConfig {
  /** Where the ABCI server listens (CometBFT's proxy_app): tcp://HOST:PORT or unix:///PATH. */
  address: string;
  /**
   * CometBFT blocks kept below the latest (Commit's retain_height); 0 keeps them all, which
   * peers need to catch up by replay until state sync is served.
   */
  retainBlocks: number;
  /** CometBFT's RPC, where the API's submitted txs go (broadcast_tx_sync) under `btt abci`. */
  cometRpc: string;
  /** A state-sync snapshot every this many heights, under `data/snapshots/`; 0 = none. */
  snapshotInterval: number;
  /** Snapshots kept on disk (the newest). */
  snapshotKeep: number;
}

export const DEFAULT_ABCI_CONFIG: AbciConfig = {
  address: "tcp://127.0.0.1:26658",
  retainBlocks: 0,
  cometRpc: "http://127.0.0.1:26657",
  snapshotInterval: 100,
  snapshotKeep: 2,
};

export interface ApiConfig {
  host: string;
  port: number;
  /** CORS: "*", exact origins, or "http://host:*" for any port of a host; [] = none. */
  corsOrigins: string[];
  /** Requests per window per client IP; max 0 turns rate limiting off. */
  rateLimit: { max: number; windowMs: number };
}

export const DEFAULT_API_CONFIG: ApiConfig = {
  host: "127.0.0.1",
  port: 1317,
  corsOrigins: ["http://localhost:*", "http://127.0.0.1:*"],
  rateLimit: { max: 1200, windowMs: 60_000 },
};

export function defaultHome(): string {
  return process.env.BTT_HOME ?? join(homedir(), ".btt");
}

export const homePaths = (home: string) => ({
  config: join(home, "config.json"),
  genesis: join(home, "genesis.json"),
  keys: join(home, "keys"),
  data: join(home, "data"),
});

export interface InitOptions {
  chainId: string;
  /** Demo accounts funded at genesis. */
  demoAccounts: string[];
  demoBalanceUbtt: bigint;
  now?: Date;
  /**
   * Machine accounts (e.g. the home's compute worker): keys in keys/ like the validator's, funded
   * at genesis, not added to the keyring.
   */
  machineAccounts?: Array<{ name: string; ubtt: bigint }>;
  /** The dev validator's staking self-delegation (see DevGenesisOptions.validatorStakeUbtt). */
  validatorStakeUbtt?: bigint;
  /** The rest of the dev genesis (credentials, models, compute), given every account's address by name. */
  devGenesis?: (
    addresses: Record<string, string>,
    genesisTime: Date,
  ) => Pick<DevGenesisOptions, "credentials" | "aiModels" | "compute">;
}

/** Creates a home: a dev validator key, funded demo account keys, a genesis and a config. */
export function initHome(
  home: string,
  opts: InitOptions,
): { genesis: GenesisDoc; keys: Record<string, Signer> } {
  const paths = homePaths(home);
  if (existsSync(paths.genesis)) throw new BttError("INVALID_GENESIS", `${home} is already initialised`);
  mkdirSync(paths.keys, { recursive: true });
  const validator = ed25519Signer();
  const keys: Record<string, Signer> = { validator };
  const machines = opts.machineAccounts ?? [];
  for (const name of [...opts.demoAccounts, ...machines.map((m) => m.name)]) keys[name] = ed25519Signer();
  for (const [name, signer] of Object.entries(keys)) {
    // Development keys, unencrypted: `btt keys` (encrypted key store) is for real accounts.
    writeFileSync(
      join(paths.keys, `${name}.json`),
      `${JSON.stringify({ name, type: signer.type, address: signer.address, seed: toHex(signer.seed) }, null, 2)}\n`,
      { mode: 0o600 },
    );
  }
  const genesisTime = opts.now ?? new Date();
  const genesis = createDevGenesis({
    chainId: opts.chainId,
    genesisTime: genesisTime.toISOString(),
    validator,
    funded: [
      ...opts.demoAccounts.map((name) => ({ signer: keys[name]!, ubtt: opts.demoBalanceUbtt })),
      ...machines.map((m) => ({ signer: keys[m.name]!, ubtt: m.ubtt })),
    ],
    ...(opts.validatorStakeUbtt !== undefined ? { validatorStakeUbtt: opts.validatorStakeUbtt } : {}),
    ...opts.devGenesis?.(
      Object.fromEntries(Object.entries(keys).map(([name, k]) => [name, k.address])),
      genesisTime,
    ),
  });
  writeFileSync(paths.genesis, `${JSON.stringify(genesis, null, 2)}\n`);
  const config: NodeConfig = {
    blockIntervalMs: 1000,
    keepRecent: DEFAULT_KEEP_RECENT,
    block: DEFAULT_BLOCK_LIMITS,
    mempool: DEFAULT_MEMPOOL_OPTIONS,
    validator: validator.address,
    api: DEFAULT_API_CONFIG,
    abci: DEFAULT_ABCI_CONFIG,
  };
  writeFileSync(paths.config, `${JSON.stringify(config, null, 2)}\n`);
  return { genesis, keys };
}

export function loadHome(home: string): { config: NodeConfig; genesis: GenesisDoc } {
  const paths = homePaths(home);
  if (!existsSync(paths.genesis)) {
    throw new BttError("NOT_FOUND", `${home} has no genesis.json: run \`btt init\` first`);
  }
  const genesis = readGenesisFile(paths.genesis, (chainId) => new Application(chainId));
  const f = new JsonFields("INVALID_PARAMS", "config");
  const raw = f.object(JSON.parse(readFileSync(paths.config, "utf8")));
  const block = f.at("block").object(raw.block ?? {});
  const mempool = f.at("mempool").object(raw.mempool ?? {});
  const config: NodeConfig = {
    blockIntervalMs: f.integer(raw, "blockIntervalMs", 0, 3_600_000, 1000),
    keepRecent: f.integer(raw, "keepRecent", 1, 10_000_000, DEFAULT_KEEP_RECENT),
    block: {
      maxTxs: f.at("block").integer(block, "maxTxs", 1, 1_000_000, DEFAULT_BLOCK_LIMITS.maxTxs),
      maxBytes: f.at("block").integer(block, "maxBytes", 1024, 1 << 30, DEFAULT_BLOCK_LIMITS.maxBytes),
    },
    mempool: {
      maxTxs: f.at("mempool").integer(mempool, "maxTxs", 1, 10_000_000, DEFAULT_MEMPOOL_OPTIONS.maxTxs),
      maxBytes: f.at("mempool").integer(mempool, "maxBytes", 1024, 2 ** 40, DEFAULT_MEMPOOL_OPTIONS.maxBytes),
      maxTxBytes: f
        .at("mempool")
        .integer(mempool, "maxTxBytes", 256, 1 << 24, DEFAULT_MEMPOOL_OPTIONS.maxTxBytes),
    },
    validator: f.string(raw, "validator"),
    api: readApiConfig(f.at("api"), raw.api),
    abci: readAbciConfig(f.at("abci"), raw.abci),
    ...(raw.verifyThreads === undefined ? {} : { verifyThreads: f.integer(raw, "verifyThreads", 0, 256) }),
    ...(raw.verifyLingerMs === undefined
      ? {}
      : { verifyLingerMs: f.integer(raw, "verifyLingerMs", 0, 1000) }),
  };
  return { config, genesis };
}

function readAbciConfig(f: JsonFields, value: unknown): AbciConfig {
  const raw = f.object(value ?? {});
  const d = DEFAULT_ABCI_CONFIG;
  const address = f.string(raw, "address", d.address);
  f.check(
    /^(tcp:\/\/.+:\d{1,5}|unix:\/\/\/.+)$/.test(address),
    "must be tcp://HOST:PORT or unix:///PATH",
    "address",
  );
  const cometRpc = f.string(raw, "cometRpc", d.cometRpc);
  f.check(/^https?:\/\/[^/]+\/?$/.test(cometRpc), "must be http(s)://HOST:PORT", "cometRpc");
  return {
    address,
    retainBlocks: f.integer(raw, "retainBlocks", 0, 1_000_000_000, d.retainBlocks),
    cometRpc,
    snapshotInterval: f.integer(raw, "snapshotInterval", 0, 1_000_000_000, d.snapshotInterval),
    snapshotKeep: f.integer(raw, "snapshotKeep", 1, 1000, d.snapshotKeep),
  };
}

function readApiConfig(f: JsonFields, value: unknown): ApiConfig {
  const raw = f.object(value ?? {});
  const d = DEFAULT_API_CONFIG;
  const origins = f.array(raw, "corsOrigins", d.corsOrigins);
  origins.forEach((o, i) => {
    f.check(typeof o === "string" && o.length > 0, "must be a non-empty string", `corsOrigins[${i}]`);
  });
  const rate = f.at("rateLimit").object(raw.rateLimit ?? {});
  return {
    host: f.string(raw, "host", d.host),
    port: f.integer(raw, "port", 0, 65535, d.port),
    corsOrigins: origins as string[],
    rateLimit: {
      max: f.at("rateLimit").integer(rate, "max", 0, 1_000_000_000, d.rateLimit.max),
      windowMs: f.at("rateLimit").integer(rate, "windowMs", 1, 86_400_000, d.rateLimit.windowMs),
    },
  };
}

/** Opens the node of a home directory with its config (`verifyThreads` overrides the config's). */
export function openHomeNode(home: string, overrides: { verifyThreads?: number } = {}) {
  const { config, genesis } = loadHome(home);
  const verifyThreads = overrides.verifyThreads ?? config.verifyThreads;
  const node = new BttNode({
    dataDir: homePaths(home).data,
    genesis,
    keepRecent: config.keepRecent,
    mempool: config.mempool,
    ...(verifyThreads === undefined ? {} : { verifyThreads }),
    ...(config.verifyLingerMs === undefined ? {} : { verifyLingerMs: config.verifyLingerMs }),
  });
  return { node, config, genesis };
}
