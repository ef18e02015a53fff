import type { RunningApi } from "@btt/api";
import { BttError, toHex } from "@btt/core";
import { homeOf } from "../context.ts";
import type { Command } from "../router.ts";
import { INIT_OPTIONS, initHomeWithKeyring, isInitialised } from "./init.ts";

export const startCommand: Command = {
  name: "start",
  summary: "run the node, its API and the solo consensus driver from a home directory",
  details: "Logs one JSON line per block. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.",
  options: {
    "init-if-missing": { type: "boolean", description: "run `btt init` first when the home has no genesis" },
    "api-port": {
      type: "string",
      value: "<port>",
      description: "API port (default: the config's api.port, 1317)",
    },
    "api-host": {
      type: "string",
      value: "<host>",
      description: "API address to bind (default: the config's api.host)",
    },
    ...INIT_OPTIONS,
  },
  run: async ({ values }) => {
    const home = homeOf(values);
    const apiPort = values["api-port"] === undefined ? undefined : parsePort(values["api-port"] as string);
    if (values["init-if-missing"] && !isInitialised(home))
      await initHomeWithKeyring(home, { ...values, json: false });
    const [{ startApi }, { openHomeNode, SoloDriver }, { pino }] = await Promise.all([
      import("@btt/api"),
      import("@btt/node"),
      import("pino"),
    ]);
    // One structured log for the node and its API: JSON lines on stdout, ISO times.
    const logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
    const log = (msg: string, fields: Record<string, unknown> = {}) => logger.info(fields, msg);
    const { node, config, genesis } = openHomeNode(home);
    let api: RunningApi;
    try {
      api = await startApi(node, {
        ...config.api,
        logger,
        ...(apiPort === undefined ? {} : { port: apiPort }),
        ...(values["api-host"] ? { host: values["api-host"] as string } : {}),
      });
    } catch (err) {
      await node.close();
      const e = err as NodeJS.ErrnoException;
      if (e.code === "EADDRINUSE")
        throw new BttError("INVALID_PARAMS", `cannot serve the API: ${e.message}; pick another --api-port`);
      throw err;
    }
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
    driver.start();
    log("Node started", {
      home,
      chain_id: genesis.chain_id,
      height: node.height,
      block_interval_ms: config.blockIntervalMs,
      api: api.url,
      docs: `${api.url}/docs`,
    });
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      driver.stop();
      await api.close();
      const height = node.height;
      await node.close();
      log("Node stopped", { height });
      process.exit(0);
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  },
};

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port > 65535) {
    throw new BttError("INVALID_PARAMS", `--api-port "${text}" must be a port number from 0 to 65535`);
  }
  return port;
}
