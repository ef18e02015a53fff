import type { RunningApi } from "@btt/api";
import { BttError, toHex } from "@btt/core";
import { homeOf } from "../context.ts";
import type { Command } from "../router.ts";

export const abciCommand: Command = {
  name: "abci",
  summary: "run the node as CometBFT's ABCI application (instead of the solo driver), with its API",
  details:
    "Serves ABCI 2.0 on the config's abci.address (default tcp://127.0.0.1:26658) for a CometBFT\n" +
    "v0.38 node whose proxy_app names the same address; CometBFT decides the blocks and this node\n" +
    "executes and stores them. Start this first, then `cometbft start`. Logs one JSON line per block.",
  options: {
    address: {
      type: "string",
      value: "<addr>",
      description: "ABCI address, tcp://HOST:PORT or unix:///PATH (default: the config's abci.address)",
    },
    "api-port": { type: "string", value: "<port>", description: "API port (default: the config's api.port)" },
    "no-api": { type: "boolean", description: "serve no HTTP API" },
  },
  run: async ({ values }) => {
    const home = homeOf(values);
    const [
      { startApi },
      { openHomeNode },
      { AbciServer, BttAbciApp, cometRpcSubmitter, parseAbciAddress },
      { pino },
    ] = await Promise.all([import("@btt/api"), import("@btt/node"), import("@btt/abci"), import("pino")]);
    const logger = pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime });
    const log = (msg: string, fields: Record<string, unknown> = {}) => logger.info(fields, msg);
    const { node, config, genesis } = openHomeNode(home);
    let address: ReturnType<typeof parseAbciAddress>;
    try {
      address = parseAbciAddress((values.address as string | undefined) ?? config.abci.address);
    } catch (err) {
      await node.close();
      throw err;
    }
    const app = new BttAbciApp(node, {
      retainBlocks: config.abci.retainBlocks,
      maxTxBytes: config.mempool.maxTxBytes,
      snapshotInterval: config.abci.snapshotInterval,
      snapshotKeep: config.abci.snapshotKeep,
      log: (level, msg, fields) => logger[level](fields, msg),
    });
    // The API's submitted txs go through CometBFT, which gossips them and runs CheckTx here.
    node.routeSubmissions(cometRpcSubmitter(config.abci.cometRpc));
    const server = new AbciServer((r) => app.handle(r), {
      log: ({ level, msg, ...fields }) => logger[level](fields, msg),
    });
    let api: RunningApi | undefined;
    try {
      const bound = await server.listen(address);
      if (!values["no-api"]) {
        const port = values["api-port"] === undefined ? undefined : Number(values["api-port"]);
        api = await startApi(node, { ...config.api, logger, ...(port === undefined ? {} : { port }) });
      }
      log("ABCI application started", {
        home,
        chain_id: genesis.chain_id,
        height: node.height,
        abci: bound,
        ...(api ? { api: api.url } : {}),
      });
    } catch (err) {
      await server.close();
      await node.close();
      const e = err as NodeJS.ErrnoException;
      if (e.code === "EADDRINUSE") throw new BttError("INVALID_PARAMS", `cannot listen: ${e.message}`);
      throw err;
    }
    node.onBlock((b) =>
      log("Block committed", {
        height: Number(b.block.header!.height),
        txs: b.block.txs.length,
        app_hash: toHex(b.block.header!.appHash),
      }),
    );
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      await server.close();
      await api?.close();
      const height = node.height;
      await node.close();
      log("Node stopped", { height });
      process.exit(0);
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  },
};
