// Finding the pinned CometBFT binary and preparing its home for a BTT node: the parts of
// running CometBFT that tests, `btt abci` and (later) `btt testnet` share.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BttError } from "@btt/core";
import type { GenesisDoc } from "@btt/node";

/** The CometBFT release BTT runs under (ABCI 2.0, v0.38 line); .ci/run installs this one. */
export const COMETBFT_VERSION = readFileSync(new URL("../COMETBFT_VERSION", import.meta.url), "utf8").trim();

export const COMETBFT_INSTALL_HINT =
  `go install github.com/cometbft/cometbft/cmd/cometbft@${COMETBFT_VERSION} ` +
  "(Go 1.22 or newer; the binary lands in $(go env GOPATH)/bin)";

/**
 * The cometbft binary: $COMETBFT_BIN, else $(go env GOPATH)/bin/cometbft, else ~/go/bin,
 * else the PATH's. Undefined when none is the pinned version.
 */
export function findCometbft(): string | undefined {
  const candidates: string[] = [];
  if (process.env.COMETBFT_BIN) candidates.push(process.env.COMETBFT_BIN);
  try {
    const gopath = execFileSync("go", ["env", "GOPATH"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (gopath) candidates.push(join(gopath.split(":")[0]!, "bin", "cometbft"));
  } catch {
    // No Go toolchain: try the usual places.
  }
  candidates.push(join(homedir(), "go", "bin", "cometbft"), "cometbft");
  for (const bin of candidates) {
    if (bin.includes("/") && !existsSync(bin)) continue;
    try {
      const version = execFileSync(bin, ["version"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
      if (`v${version}` === COMETBFT_VERSION || version === COMETBFT_VERSION) return bin;
    } catch {
      // Not runnable: the next candidate.
    }
  }
  return undefined;
}

export function requireCometbft(): string {
  const bin = findCometbft();
  if (!bin)
    throw new BttError(
      "NOT_FOUND",
      `CometBFT ${COMETBFT_VERSION} is not installed: ${COMETBFT_INSTALL_HINT}`,
    );
  return bin;
}

/**
 * Sets `key = value` in one section of a TOML file as CometBFT writes it (flat sections,
 * one key a line). `value` is written as given: quote strings yourself.
 */
export function setToml(text: string, section: string, key: string, value: string): string {
  const lines = text.split("\n");
  let current = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (current === section && new RegExp(`^\\s*${key.replace(/[.]/g, "\\.")}\\s*=`).test(line)) {
      lines[i] = `${key} = ${value}`;
      return lines.join("\n");
    }
  }
  throw new BttError("NOT_FOUND", `no key "${key}" in section [${section || "top"}] of the CometBFT config`);
}

export interface CometHomeOptions {
  /** The ABCI address of the BTT app, e.g. tcp://127.0.0.1:26658. */
  proxyApp: string;
  rpcPort: number;
  p2pPort: number;
  /** Time between a commit and the next height's proposal, e.g. "1s" (the block time). */
  timeoutCommit: string;
  /** How long validators wait for a proposal before voting nil (CometBFT's default: 3s). */
  timeoutPropose?: string;
  persistentPeers?: string;
  logLevel?: string;
}

/** Initialises a CometBFT home (keys, config) and returns the validator it created. */
export function initCometHome(bin: string, home: string): { address: string; pubKey: string } {
  execFileSync(bin, ["init", "--home", home], { stdio: "ignore" });
  const key = JSON.parse(readFileSync(join(home, "config", "priv_validator_key.json"), "utf8"));
  return { address: key.address, pubKey: key.pub_key.value };
}

/** Points a CometBFT home's config at the BTT app and local ports; settings for a local network. */
export function configureCometHome(home: string, o: CometHomeOptions): void {
  const path = join(home, "config", "config.toml");
  let t = readFileSync(path, "utf8");
  t = setToml(t, "", "proxy_app", JSON.stringify(o.proxyApp));
  t = setToml(t, "", "log_level", JSON.stringify(o.logLevel ?? "info"));
  t = setToml(t, "rpc", "laddr", JSON.stringify(`tcp://127.0.0.1:${o.rpcPort}`));
  t = setToml(t, "p2p", "laddr", JSON.stringify(`tcp://127.0.0.1:${o.p2pPort}`));
  t = setToml(t, "p2p", "persistent_peers", JSON.stringify(o.persistentPeers ?? ""));
  // Several nodes on one machine share an IP; their addresses are not public ones.
  t = setToml(t, "p2p", "addr_book_strict", "false");
  t = setToml(t, "p2p", "allow_duplicate_ip", "true");
  t = setToml(t, "consensus", "timeout_commit", JSON.stringify(o.timeoutCommit));
  if (o.timeoutPropose) t = setToml(t, "consensus", "timeout_propose", JSON.stringify(o.timeoutPropose));
  writeFileSync(path, t);
}

/**
 * Rewrites a CometBFT home's genesis for a BTT chain: BTT's chain id, genesis time and
 * app_state (the app checks it against its own genesis.json in InitChain), keeping the
 * consensus parameters (but `maxBlockBytes`, when given) and with `validators` (default: the
 * ones already there).
 */
export function writeCometGenesis(
  home: string,
  genesis: GenesisDoc,
  validators?: Array<{ address: string; pubKey: string; power: bigint; name?: string }>,
  maxBlockBytes?: number,
): void {
  const path = join(home, "config", "genesis.json");
  const doc = JSON.parse(readFileSync(path, "utf8"));
  doc.chain_id = genesis.chain_id;
  doc.genesis_time = genesis.genesis_time;
  doc.initial_height = "1";
  doc.app_state = genesis.app_state;
  if (maxBlockBytes !== undefined) {
    doc.consensus_params = {
      ...doc.consensus_params,
      block: { ...doc.consensus_params?.block, max_bytes: String(maxBlockBytes) },
    };
  }
  if (validators) {
    doc.validators = validators.map((v) => ({
      address: v.address,
      pub_key: { type: "tendermint/PubKeyEd25519", value: v.pubKey },
      power: v.power.toString(),
      name: v.name ?? "",
    }));
  }
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`);
}

export interface StateSyncOptions {
  /** Two or more CometBFT RPC addresses (HOST:PORT or http://HOST:PORT) for the light client. */
  rpcServers: string[];
  /** A height and its block hash (hex) the joining node trusts, e.g. from a validator's `/block`. */
  trustHeight: number;
  trustHash: string;
  /** How long a trusted header stays usable (CometBFT's default: 168h). */
  trustPeriod?: string;
  /** How long to collect snapshot offers from peers before picking one (at least 5s). */
  discoveryTime?: string;
}

/**
 * Makes a CometBFT home join by state sync: on its first start (empty stores) it fetches the
 * newest snapshot its peers offer, verifies the app hash with the light client from
 * `trustHeight`/`trustHash`, and hands the chunks to the app (ABCI OfferSnapshot and
 * ApplySnapshotChunk) instead of replaying the chain from genesis.
 */
export function configureStateSync(home: string, o: StateSyncOptions): void {
  if (o.rpcServers.length < 2)
    throw new BttError("INVALID_PARAMS", "state sync needs two or more rpc_servers");
  const path = join(home, "config", "config.toml");
  let t = readFileSync(path, "utf8");
  t = setToml(t, "statesync", "enable", "true");
  t = setToml(t, "statesync", "rpc_servers", JSON.stringify(o.rpcServers.join(",")));
  t = setToml(t, "statesync", "trust_height", String(o.trustHeight));
  t = setToml(t, "statesync", "trust_hash", JSON.stringify(o.trustHash));
  t = setToml(t, "statesync", "trust_period", JSON.stringify(o.trustPeriod ?? "168h0m0s"));
  if (o.discoveryTime) t = setToml(t, "statesync", "discovery_time", JSON.stringify(o.discoveryTime));
  writeFileSync(path, t);
}
