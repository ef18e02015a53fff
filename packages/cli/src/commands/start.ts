import { type ChildProcess, spawn } from "node:child_process";
import type { RunningApi } from "@btt/api";
import { BttError, toHex } from "@btt/core";
import { homeOf, keyringOf } from "../context.ts";
import { DEV_PASSPHRASE, PASSPHRASE_ENV } from "../keyring/passphrase.ts";
import type { Command } from "../router.ts";
import { WORKER_ACCOUNT } from "./dev-network.ts";
import { INIT_OPTIONS, initHomeWithKeyring, isInitialised } from "./init.ts";

export const startCommand: Command = {
  name: "start",
  summary: "run the node, its API and the solo consensus driver from a home directory",
  details:
    "Logs one JSON line per block. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM. Once the API is up,\n" +
    `a compute worker runs beside the node (\`btt worker\` with the keyring key "${WORKER_ACCOUNT}", in a\n` +
    "child process so inference never delays a block); --no-worker leaves it out.",
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
    "no-worker": { type: "boolean", description: "do not run the compute worker beside the node" },
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
    const worker =
      values["no-worker"] || !keyringOf(home).has(WORKER_ACCOUNT)
        ? undefined
        : startWorker(home, api.url, log);
    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      if (worker && worker.exitCode === null) {
        worker.kill("SIGTERM");
        await new Promise((r) => worker.once("exit", r));
      }
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

/**
 * `btt worker` for the home's worker key, as a child process of this one (same runtime, same
 * loader), its log lines passed through; the keyring passphrase is $BTT_KEYRING_PASSPHRASE or the
 * development one `btt init` used without it.
 */
function startWorker(
  home: string,
  apiUrl: string,
  log: (msg: string, fields?: Record<string, unknown>) => void,
): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1]!,
      "worker",
      "--home",
      home,
      "--node",
      apiUrl,
      "--key",
      WORKER_ACCOUNT,
    ],
    {
      env: { ...process.env, [PASSPHRASE_ENV]: process.env[PASSPHRASE_ENV] || DEV_PASSPHRASE },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  log("Worker started", { pid: child.pid, key: WORKER_ACCOUNT });
  child.once("exit", (code, signal) => log("Worker stopped", { code, signal }));
  return child;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^[0-9]{1,5}$/.test(text) || port > 65535) {
    throw new BttError("INVALID_PARAMS", `--api-port "${text}" must be a port number from 0 to 65535`);
  }
  return port;
}
