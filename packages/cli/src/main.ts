#!/usr/bin/env node
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { toBttError, toHex } from "@btt/core";
import { defaultHome, homePaths, initHome, openHomeNode, SoloDriver } from "@btt/node";

const USAGE = `btt: the BitHive node and tools

Usage: btt <command> [options]

Commands:
  init     create a home directory: dev validator, funded demo accounts, genesis, config
  start    run the node (solo consensus driver) from a home directory
  status   print the height and app hash of a home directory's chain

Options:
  --home <dir>       home directory (default: $BTT_HOME or ~/.btt)
  --chain-id <id>    chain id for init (default: btt-dev-1)
  --init-if-missing  start: run init first when the home has no genesis
  --json             machine-readable output
  -h, --help         this help
`;

const log = (msg: string, fields: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ time: new Date().toISOString(), msg, ...fields }));

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      home: { type: "string" },
      "chain-id": { type: "string", default: "btt-dev-1" },
      "init-if-missing": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const home = values.home ?? defaultHome();
  switch (command) {
    case "init":
      return init(home, values["chain-id"]!, values.json!);
    case "start":
      if (values["init-if-missing"] && !existsSync(homePaths(home).genesis))
        init(home, values["chain-id"]!, false);
      return start(home);
    case "status":
      return status(home, values.json!);
    default:
      throw new Error(`unknown command "${command}"; see btt --help`);
  }
}

function init(home: string, chainId: string, json: boolean): void {
  const { genesis, keys } = initHome(home, {
    chainId,
    demoAccounts: ["alice", "bob", "carol"],
    demoBalanceUbtt: 1_000_000_000_000n,
  });
  const accounts = Object.fromEntries(Object.entries(keys).map(([name, k]) => [name, k.address]));
  if (json) console.log(JSON.stringify({ home, chain_id: genesis.chain_id, accounts }));
  else {
    console.log(`Initialised ${home} for chain ${genesis.chain_id}`);
    for (const [name, address] of Object.entries(accounts)) console.log(`  ${name.padEnd(10)} ${address}`);
    console.log(`Keys are in ${homePaths(home).keys} (development keys, unencrypted).`);
  }
}

async function start(home: string): Promise<void> {
  const { node, config, genesis } = openHomeNode(home);
  const driver = new SoloDriver(node, {
    blockIntervalMs: config.blockIntervalMs,
    limits: config.block,
    proposer: config.validator,
  });
  node.onBlock((b) =>
    log("Block committed", {
      height: Number(b.block.header!.height),
      txs: b.block.txs.length,
      app_hash: toHex(b.block.header!.appHash),
    }),
  );
  log("Node started", {
    home,
    chain_id: genesis.chain_id,
    height: node.height,
    block_interval_ms: config.blockIntervalMs,
  });
  driver.start();
  const shutdown = async () => {
    driver.stop();
    const height = node.height;
    await node.close();
    log("Node stopped", { height });
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

async function status(home: string, json: boolean): Promise<void> {
  const { node, genesis } = openHomeNode(home, { verifyThreads: 0 });
  const out = { chain_id: genesis.chain_id, height: node.height, app_hash: toHex(node.ledger.appHash) };
  await node.close();
  console.log(
    json ? JSON.stringify(out) : `chain ${out.chain_id} at height ${out.height}, app hash ${out.app_hash}`,
  );
}

main(process.argv.slice(2)).catch((err) => {
  const e = toBttError(err);
  console.error(`btt: ${e.message}`);
  process.exit(1);
});
